"""OpenAI's `model` (api/dialects/openai/translate.py): a catalogue name picks that model; OpenAI's own image
models (`dall-e-2`, `dall-e-3`, `gpt-image-*`, `chatgpt-image-*`, and no name at all) get the default model
unless the operator maps them (SFUMATO_OPENAI_MODELS: names or patterns); any other name is 400 naming
`model`. The names are among those OpenAI's Python client types (openai/types/image_model.py: "dall-e-2",
"dall-e-3", "gpt-image-1", "gpt-image-1-mini", "gpt-image-2", "gpt-image-2.5-flare",
"chatgpt-image-latest")."""

import pytest

from sfumato.api.dialects.openai.schemas import OpenAIImageRequest
from sfumato.api.dialects.openai.translate import model_for, to_generation
from sfumato.domain.catalogue import Catalogue
from sfumato.domain.errors import InvalidParameter

CATALOGUE = Catalogue()


@pytest.mark.parametrize(
    "name",
    [
        None,
        "",
        "dall-e-2",
        "dall-e-3",
        "gpt-image-1",
        "gpt-image-1-mini",
        "gpt-image-2",
        "gpt-image-2.5-flare",
        "chatgpt-image-latest",
    ],
)
def test_openais_own_models_get_the_default(name: str | None) -> None:
    assert model_for(name, CATALOGUE) is None  # no name, or an empty one, is no choice
    request = to_generation(OpenAIImageRequest(prompt="x", model=name, size="256x256"), "tiny-sd3", CATALOGUE)
    assert request.model is None and request.width == 256  # None: the default model when it is queued


def test_a_catalogue_name_picks_that_model() -> None:
    request = to_generation(OpenAIImageRequest(prompt="x", model="tiny-flux"), "tiny", CATALOGUE)
    assert request.model == "tiny-flux"
    assert model_for("tiny-sd3", CATALOGUE, {"tiny-*": "tiny"}) == "tiny-sd3"  # a real name is never remapped


def test_the_operator_maps_names_and_patterns_elsewhere() -> None:
    aliases = {"dall-e-3": "tiny-flux", "gpt-image-*": "tiny-sd3", "house-style": "tiny"}
    assert model_for("dall-e-3", CATALOGUE, aliases) == "tiny-flux"
    assert model_for("gpt-image-1.5", CATALOGUE, aliases) == "tiny-sd3"
    assert model_for("house-style", CATALOGUE, aliases) == "tiny"
    assert model_for("dall-e-2", CATALOGUE, aliases) is None  # not mapped: still the default


@pytest.mark.parametrize("name", ["midjourney", "DALL-E-3", "stable-diffusion-v1-5"])
def test_any_other_name_is_400_naming_model(name: str) -> None:
    with pytest.raises(InvalidParameter) as refused:
        to_generation(OpenAIImageRequest(prompt="x", model=name), "tiny", CATALOGUE)
    assert refused.value.param == "model"
