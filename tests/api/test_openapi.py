from tests.conftest import Live


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
    # schemathesis (ST108) parses a text/event-stream answer into events and checks each against the schema,
    # as OpenAPI 3.2's itemSchema: a schema of the whole stream as one string failed on a real stream.
    import jsonschema

    schema = live.client.get("/openapi.json").json()
    documented = [
        schema["paths"]["/v1/jobs/{job_id}/events"]["get"],
        schema["paths"]["/v1/images/generations"]["post"],
    ]
    headers = live.key()
    body = {"prompt": "a kite", "width": 256, "height": 256}
    job_id = live.client.post("/v1/jobs", json=body, headers=headers).json()["id"]
    live.client.post(f"/v1/jobs/{job_id}/cancel", headers=headers)
    with live.client.stream("GET", f"/v1/jobs/{job_id}/events", headers=headers) as stream:
        blocks = "".join(stream.iter_text()).strip().split("\n\n")
    events = [dict(line.split(": ", 1) for line in block.splitlines()) for block in blocks if block]
    assert events and events[-1]["event"] in ("canceled", "succeeded")
    for operation in documented:
        per_event = operation["responses"]["200"]["content"]["text/event-stream"]["schema"]
        for event in events:
            jsonschema.validate(event, per_event)
