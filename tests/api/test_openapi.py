import pytest

from tests.conftest import SMALL, Live
from tests.pictures import png


def test_the_schema_documents_400_with_the_envelope_and_never_422(live: Live) -> None:
    schema = live.client.get("/openapi.json").json()
    operations = [op for path in schema["paths"].values() for op in path.values()]
    assert all("422" not in op["responses"] for op in operations)
    imagine = schema["paths"]["/v1/images/imagine"]["post"]
    assert imagine["responses"]["400"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/ErrorEnvelope"
    )
    assert {"201", "202", "401"} <= set(imagine["responses"])
    created = imagine["responses"]["201"]["content"]["application/json"]["schema"]["$ref"]
    assert created.endswith("/ImagePublic")
    assert "ErrorEnvelope" in schema["components"]["schemas"]


def test_the_schema_declares_both_ways_to_send_the_key(live: Live) -> None:
    schemes = live.client.get("/openapi.json").json()["components"]["securitySchemes"]
    assert {scheme["type"] for scheme in schemes.values()} == {"apiKey", "http"}


def test_every_operation_documents_the_errors_it_may_answer(live: Live) -> None:
    schema = live.client.get("/openapi.json").json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            answered = set(operation["responses"])
            assert {"400", "500", "503"} <= answered, (method, path)
            if path.startswith(("/v1/", "/api/")):
                assert {"401", "403", "404", "429"} <= answered, (method, path)
            if method in ("post", "patch"):
                assert {"413", "507"} <= answered, (method, path)
    assert "409" in schema["paths"]["/v1/jobs"]["post"]["responses"]  # Idempotency-Key
    assert "409" in schema["paths"]["/v1/jobs/{job_id}/cancel"]["post"]["responses"]
    assert "401" in schema["paths"]["/api/generate-image"]["post"]["responses"]


def test_a_wrong_method_says_every_method_the_path_answers(live: Live) -> None:
    answer = live.client.put("/v1/images/image_x", headers=live.key())
    assert answer.status_code == 405
    assert set(answer.headers["Allow"].split(", ")) == {"DELETE", "GET"}
    answer = live.client.delete("/v1/jobs", headers=live.key())
    assert set(answer.headers["Allow"].split(", ")) == {"GET", "POST"}


def test_each_streamed_event_matches_its_documented_schema(live: Live) -> None:
    # schemathesis (ST108, specs/openapi/adapter/responses.py) parses a text/event-stream answer into events
    # and reads the media type as OpenAPI 3.2 does: `itemSchema` is one event, and beside it `schema` is the
    # whole stream as an array. Failed on real streams: the stream as one string, then a per-event `schema`
    # beside the `itemSchema` FastAPI writes for an EventSourceResponse. schemathesis itself judges here.
    import schemathesis

    spec = schemathesis.openapi.from_dict(live.client.get("/openapi.json").json())
    headers = live.key()
    body = {"prompt": "a kite", "width": 256, "height": 256}
    job_id = live.client.post("/v1/jobs", json=body, headers=headers).json()["id"]
    live.client.post(f"/v1/jobs/{job_id}/cancel", headers=headers)
    answer = live.client.get(f"/v1/jobs/{job_id}/events", headers=headers)
    assert "event: canceled" in answer.text or "event: succeeded" in answer.text, answer.text
    spec["/v1/jobs/{job_id}/events"]["GET"].validate_response(answer)
    streamed = {"prompt": "a kite", "size": "256x256", "stream": True, "partial_images": 1}
    answer = live.client.post("/v1/images/generations", json=streamed, headers=headers)
    assert answer.headers["content-type"].startswith("text/event-stream") and "data: " in answer.text
    spec["/v1/images/generations"]["POST"].validate_response(answer)


def _body_schema(schema: dict, path: str, media: str) -> dict:
    """The request body's schema of POST `path`, with the components its references point into."""
    body = schema["paths"][path]["post"]["requestBody"]["content"][media]["schema"]
    return {**body, "components": schema["components"]}


EMPTY = [
    ("/v1/jobs", {"prompt": ""}, "prompt"),
    ("/v1/images/imagine", {"prompt": "", "name": "n"}, "prompt"),
    ("/v1/images/imagine", {"prompt": "p", "name": ""}, "name"),
    ("/api/v1/image", {"prompt": ""}, "prompt"),
    ("/api/generate-image", {"prompt": ""}, "prompt"),
    ("/v1/images/generations", {"prompt": ""}, "prompt"),
    ("/sdapi/v1/img2img", {"prompt": "p", "init_images": []}, "init_images"),
    ("/sdapi/v1/img2img", {"prompt": "p"}, "init_images"),
    ("/v1/images/{image_id}/transform", {}, "format"),
]


@pytest.mark.parametrize(("path", "body", "param"), EMPTY)
def test_a_body_refused_for_what_it_lacks_is_invalid_by_the_schema_too(
    live: Live, path: str, body: dict, param: str | None
) -> None:
    import jsonschema

    headers = live.key()
    route = path
    if "{image_id}" in path:  # a transform of an image that is there: the body is what is wrong
        made = live.client.post(
            "/v1/images/imagine", json={"name": "n", "prompt": "p", **SMALL}, headers=headers
        )
        route = path.replace("{image_id}", made.json()["id"])
    answer = live.client.post(route, json=body, headers=headers)
    assert answer.status_code == 400 and answer.json()["error"]["param"] == param, answer.text
    schema = _body_schema(live.client.get("/openapi.json").json(), path, "application/json")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema).validate(body)


@pytest.mark.parametrize(
    ("fields", "param"),
    [({"prompt": ""}, "prompt"), ({"prompt": "p", "response_format": ""}, "response_format")],
)
def test_a_multipart_edit_refused_for_an_empty_value_is_invalid_by_the_schema_too(
    live: Live, fields: dict, param: str
) -> None:
    import jsonschema

    files = {"image": ("in.png", png(64, 64), "image/png")}
    answer = live.client.post("/v1/images/edits", data=fields, files=files, headers=live.key())
    assert answer.status_code == 400 and answer.json()["error"]["param"] == param, answer.text
    schema = _body_schema(live.client.get("/openapi.json").json(), "/v1/images/edits", "multipart/form-data")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema).validate(fields | {"image": "the file"})
