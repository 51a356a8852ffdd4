from tests.conftest import Live


def test_models_lists_what_this_server_serves_openai_style(live: Live) -> None:
    body = live.client.get("/v1/models", headers=live.key()).json()
    assert body["object"] == "list"
    (model,) = body["data"]
    assert {"id", "object", "created", "owned_by"} <= set(model)
    assert (model["id"], model["object"], model["default_steps"]) == ("tiny", "model", 4)


def test_styles_lists_the_presets(live: Live) -> None:
    body = live.client.get("/v1/styles", headers=live.key()).json()
    names = {style["id"] for style in body["data"]}
    assert {"photorealistic", "painting", "cartoon", "sketch", "abstract", "cinematic", "pixel-art"} <= names
    assert all("{prompt}" in style["prompt"] for style in body["data"])


def test_each_key_has_its_own_webhook_secret(live: Live) -> None:
    one, two = live.key(), live.key()
    first = live.client.get("/v1/webhooks/secret", headers=one).json()
    assert first["object"] == "webhook_secret" and first["secret"].startswith("whsec_")
    assert live.client.get("/v1/webhooks/secret", headers=one).json() == first
    assert live.client.get("/v1/webhooks/secret", headers=two).json()["secret"] != first["secret"]
    assert live.client.get("/v1/webhooks/secret").status_code == 401
