"""OpenAI's conventions as pure rules (api/dialects/openai/translate.py), over every model name the official
client knows (openai/types/image_model.py, `ImageModel`), and one through the app."""

import base64
from typing import get_args

import pytest
from openai.types import ImageModel

from sfumato.api.dialects.openai.schemas import OpenAIImageRequest
from sfumato.api.dialects.openai.translate import response_format
from tests.conftest import Live

MODELS = get_args(ImageModel)


@pytest.mark.parametrize("model", MODELS)
def test_every_gpt_image_model_answers_base64_by_default_and_dall_e_a_url(model: str) -> None:
    # docs/clients.md: `gpt-image-*` and `chatgpt-image-*` answer b64_json, DALL·E (and no model) a URL.
    expected = "url" if model.startswith("dall-e") else "b64_json"
    assert response_format(OpenAIImageRequest(prompt="x", model=model)) == expected
    assert response_format(OpenAIImageRequest(prompt="x", model=model, response_format="url")) == "url"


def test_the_client_names_a_chatgpt_image_model() -> None:
    assert "chatgpt-image-latest" in MODELS  # what the rule above must not drop


def test_chatgpt_image_latest_answers_the_image_in_base64(live: Live) -> None:
    body = {"model": "chatgpt-image-latest", "prompt": "a kite", "size": "256x256"}
    answer = live.client.post("/v1/images/generations", json=body, headers=live.key())
    assert answer.status_code == 200, answer.text
    (item,) = answer.json()["data"]
    assert "url" not in item and base64.b64decode(item["b64_json"]).startswith(b"\x89PNG")
