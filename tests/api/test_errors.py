"""Every failure answers in the one envelope of docs/api.md §4, and bad input stores nothing."""

import json

import pytest

from sfumato.domain import errors as domain
from sfumato.http.errors import error_response
from tests.conftest import Live

ENVELOPE_KEYS = {"message", "type", "param", "code"}


def assert_envelope(response, status: int, type_: str, code: str, param: str | None = None) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == ENVELOPE_KEYS
    assert (error["type"], error["code"], error["param"]) == (type_, code, param)
    return error


@pytest.mark.parametrize(
    ("body", "param", "code"),
    [
        ({"name": "a"}, "prompt", "parameter_missing"),
        ({"name": "a", "prompt": "x" * 1001}, "prompt", "parameter_invalid"),
        ({"name": "a", "prompt": "x", "width": 500}, "width", "parameter_invalid"),
        ({"name": "a", "prompt": "x", "seed": -1}, "seed", "parameter_invalid"),
        ({"name": "a", "prompt": "x", "sampler": "ddim"}, "sampler", "parameter_unknown"),
        ({"name": "a", "prompt": "x", "width": "512"}, "width", "parameter_invalid"),
        ({"name": "a", "prompt": ["x"]}, "prompt", "parameter_invalid"),
        ({"name": "a", "prompt": "x", "seed": 1.5}, "seed", "parameter_invalid"),
        ({"name": "a", "prompt": "x", "format": "gif"}, "format", "parameter_invalid"),
        ({"name": "a", "prompt": "x", "model": "dall-e-3"}, "model", "parameter_invalid"),
        ({"name": "a", "prompt": "x", "steps": 51}, "steps", "parameter_invalid"),
        ({"prompt": "x"}, "name", "parameter_missing"),
    ],
)
def test_bad_input_is_400_naming_the_field_and_stores_nothing(
    live: Live, body: dict, param: str, code: str
) -> None:
    headers = live.key()
    error = assert_envelope(
        live.client.post("/v1/images/imagine", json=body, headers=headers),
        400,
        "invalid_request_error",
        code,
        param,
    )
    assert param in error["message"]
    assert live.client.get("/v1/jobs", headers=headers).json()["data"] == []
    assert live.client.get("/v1/images", headers=headers).json()["data"] == []


@pytest.mark.parametrize("route", ["/v1/images/imagine", "/v1/jobs"])
def test_malformed_json_is_invalid_json(live: Live, route: str) -> None:
    response = live.client.post(
        route, content=b'{"prompt": "x",', headers=live.key() | {"content-type": "application/json"}
    )
    error = assert_envelope(response, 400, "invalid_request_error", "invalid_json")
    assert error["message"].startswith("the request body is not valid JSON")


def test_a_body_that_is_not_an_object_is_refused(live: Live) -> None:
    assert_envelope(
        live.client.post("/v1/jobs", json=["a cat"], headers=live.key()),
        400,
        "invalid_request_error",
        "parameter_invalid",
    )


def test_a_form_body_is_told_to_send_json(live: Live) -> None:
    response = live.client.post(
        "/v1/jobs",
        content=b"prompt=x",
        headers=live.key() | {"content-type": "application/x-www-form-urlencoded"},
    )
    error = assert_envelope(response, 400, "invalid_request_error", "parameter_invalid")
    assert "Content-Type: application/json" in error["message"]


def test_json_without_a_content_type_is_accepted(live: Live) -> None:
    response = live.client.post(
        "/v1/jobs", content=b'{"prompt": "x", "width": 256, "height": 256}', headers=live.key()
    )
    assert response.status_code == 202, response.text


def test_bad_query_parameters_are_400(live: Live) -> None:
    headers = live.key()
    assert_envelope(
        live.client.get("/v1/images?limit=0", headers=headers),
        400,
        "invalid_request_error",
        "parameter_invalid",
        "limit",
    )
    assert_envelope(
        live.client.get("/v1/jobs?limit=abc", headers=headers),
        400,
        "invalid_request_error",
        "parameter_invalid",
        "limit",
    )
    assert_envelope(
        live.client.get("/v1/jobs?status=done", headers=headers),
        400,
        "invalid_request_error",
        "parameter_invalid",
        "status",
    )
    assert_envelope(
        live.client.get("/v1/images?after=garbage", headers=headers),
        400,
        "invalid_request_error",
        "parameter_invalid",
        "after",
    )


def test_unknown_routes_are_404(live: Live) -> None:
    error = assert_envelope(live.client.get("/v2/anything"), 404, "not_found_error", "not_found")
    assert error["message"] == "no route GET /v2/anything"


def test_wrong_methods_are_405(live: Live) -> None:
    assert_envelope(
        live.client.put("/v1/jobs", headers=live.key()), 405, "invalid_request_error", "method_not_allowed"
    )


def test_bodies_over_the_limit_are_413(live: Live) -> None:
    big = b'{"prompt": "' + b"x" * (2 << 20) + b'"}'
    response = live.client.post(  # a route that takes no images: SFUMATO_MAX_BODY_BYTES alone
        "/api/generate-image", content=big, headers=live.key() | {"content-type": "application/json"}
    )
    assert_envelope(response, 413, "invalid_request_error", "payload_too_large")


def test_chunked_bodies_over_the_limit_are_413(live: Live) -> None:
    def chunks():  # type: ignore[no-untyped-def]
        yield b'{"prompt": "'
        for _ in range(40):
            yield b"x" * 65536
        yield b'"}'

    response = live.client.post(
        "/api/generate-image", content=chunks(), headers=live.key() | {"content-type": "application/json"}
    )
    assert_envelope(response, 413, "invalid_request_error", "payload_too_large")


def test_unexpected_failures_are_500_without_a_traceback(live: Live, monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(live.services.generation, "get", explode)
    response = live.client.get("/v1/jobs/job_x", headers=live.key())
    error = assert_envelope(response, 500, "server_error", "internal_error")
    assert error["message"] == "internal server error"
    assert "secret" not in response.text and "Traceback" not in response.text


@pytest.mark.parametrize(
    ("error", "status", "type_", "code"),
    [
        (domain.InvalidParameter("bad", param="width"), 400, "invalid_request_error", "parameter_invalid"),
        (domain.MissingParameter("need", param="prompt"), 400, "invalid_request_error", "parameter_missing"),
        (domain.InvalidJson("broken"), 400, "invalid_request_error", "invalid_json"),
        (domain.AuthenticationFailed("who"), 401, "authentication_error", "invalid_api_key"),
        (domain.PermissionDenied("no", code="plan_forbidden"), 403, "permission_error", "plan_forbidden"),
        (domain.NotFound("gone"), 404, "not_found_error", "not_found"),
        (
            domain.Conflict("again", code="idempotency_key_reused"),
            409,
            "conflict_error",
            "idempotency_key_reused",
        ),
        (domain.PayloadTooLarge("big"), 413, "invalid_request_error", "payload_too_large"),
        (domain.RateLimited("slow down", retry_after=7), 429, "rate_limit_error", "rate_limit_exceeded"),
        (domain.GenerationFailed("oops"), 500, "server_error", "generation_failed"),
        (domain.Overloaded("busy", retry_after=10), 503, "server_error", "overloaded"),
        (domain.ModelUnavailable("no weights"), 503, "server_error", "model_unavailable"),
    ],
)
def test_each_domain_error_has_its_status_and_envelope(
    error: domain.SfumatoError, status: int, type_: str, code: str
) -> None:
    response = error_response(error)
    body = json.loads(bytes(response.body))
    assert response.status_code == status
    assert body == {"error": {"message": error.message, "type": type_, "param": error.param, "code": code}}
    if isinstance(error, domain.RateLimited | domain.Overloaded):
        assert response.headers["retry-after"] == str(error.retry_after)


MULTIPART_FAULTS = [
    ("multipart/form-data", b"--b\r\n\r\n"),  # no boundary named
    (
        "multipart/form-data; boundary=b",
        b"".join(
            b'--b\r\nContent-Disposition: form-data; name="image[]"; filename="%d.png"\r\n\r\nx\r\n' % i
            for i in range(17)
        )
        + b"--b--\r\n",
    ),  # past the 16 files an edit reads
]


@pytest.mark.parametrize(("content_type", "body"), MULTIPART_FAULTS, ids=["no-boundary", "too-many-files"])
def test_a_multipart_body_that_cannot_be_read_is_400_with_a_documented_code(
    live: Live, content_type: str, body: bytes
) -> None:
    headers = live.key() | {"content-type": content_type}
    answer = live.client.post("/v1/images/edits", content=body, headers=headers)
    error = assert_envelope(answer, 400, "invalid_request_error", "parameter_invalid")  # docs/api.md §4
    assert error["message"] and "Traceback" not in answer.text
