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
