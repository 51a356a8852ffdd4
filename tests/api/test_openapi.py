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
