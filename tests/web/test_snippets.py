"""web/snippets.py: the job page's code makes the same job again, with what made it: its model, its adapters,
and the image it started from."""

import json
from dataclasses import replace

from sfumato.domain.generation import GenerationRequest
from sfumato.domain.inputs import IMAGE, INPAINT
from sfumato.domain.loras import Adapter
from sfumato.domain.models import MODELS
from sfumato.web.snippets import IMAGE_PLACEHOLDER, MASK_PLACEHOLDER, request_body, snippets

INK = Adapter(id="lora_ink", name="ink", weight=0.5, sha256="0" * 64, storage_key="loras/ink", size=10)


def made(**fields: object) -> object:
    return GenerationRequest(**{"prompt": "a kite", "width": 256, "height": 256, **fields}).resolve(  # type: ignore[arg-type]
        MODELS["tiny"], seed=7
    )


def test_a_text_jobs_body_names_its_model_and_is_a_request_the_api_takes() -> None:
    body = request_body(made())  # type: ignore[arg-type]
    assert body["model"] == "tiny" and body["seed"] == 7
    assert GenerationRequest.model_validate(body).model == "tiny"


def test_adapters_are_sent_by_id_at_their_weight_alone_as_the_api_takes_them() -> None:
    params = replace(made(), loras=(INK,))  # type: ignore[type-var]
    body = request_body(params)  # type: ignore[arg-type]
    assert body["loras"] == [{"id": "lora_ink", "weight": 0.5}]
    assert GenerationRequest.model_validate(body).loras is not None  # "name" and "id" together are refused
    openai = dict(snippets(params, "http://h"))["Python (openai)"]  # type: ignore[arg-type]
    assert "'loras': [{'id': 'lora_ink', 'weight': 0.5}]" in openai and "model='tiny'" in openai


def test_an_inpainting_jobs_body_names_its_image_strength_and_where_the_mask_goes() -> None:
    params = replace(made(), mode=INPAINT, strength=0.6, source_image_id="image_1", mask_key="inputs/m.png")  # type: ignore[type-var]
    body = request_body(params)  # type: ignore[arg-type]
    assert (body["image"], body["strength"], body["mask"]) == ("image_1", 0.6, MASK_PLACEHOLDER)
    assert "mode" not in body and "source_image_id" not in body  # the API's own names only
    curl = dict(snippets(params, "http://h"))["curl"]  # type: ignore[arg-type]
    assert json.dumps("image_1") in curl
    openai = dict(snippets(params, "http://h"))["Python (openai)"]  # type: ignore[arg-type]
    assert "images.edit(" in openai and 'open("input.png", "rb")' in openai
    assert 'open("mask.png", "rb")' in openai
    assert "'strength': 0.6" in openai  # a form value of the edit (tests/api/test_openai_edits.py runs one)


def test_a_job_made_from_a_picture_sent_with_it_says_where_the_picture_goes() -> None:
    # Not one of the key's images (no id to name): a placeholder, as for the mask; OpenAI's call is an edit.
    params = replace(made(), mode=IMAGE, strength=0.6, input_key="inputs/p.png")  # type: ignore[type-var]
    body = request_body(params)  # type: ignore[arg-type]
    assert (body["image"], body["strength"]) == (IMAGE_PLACEHOLDER, 0.6) and "mask" not in body
    openai = dict(snippets(params, "http://h"))["Python (openai)"]  # type: ignore[arg-type]
    assert "images.edit(" in openai and 'open("input.png", "rb")' in openai
