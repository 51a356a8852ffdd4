"""A request's `loras` (domain/loras.py): each entry, the plan's count, the family, and what a job keeps."""

import math
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from sfumato.domain.errors import InvalidParameter, PlanForbidden
from sfumato.domain.generation import GenerationRequest
from sfumato.domain.loras import Adapter, Lora, LoraUse, check_uses, checked_name, resolved
from sfumato.domain.models import MODELS
from sfumato.domain.params import JobParams


def lora(family: str = "sdxl", name: str = "ink") -> Lora:
    return Lora(
        id="lora_1",
        key_id="key_1",
        name=name,
        family=family,
        base_model=None,
        rank=4,
        size=1000,
        modules={"unet": 32},
        trigger_words=[],
        layout="peft",
        sha256="ab" * 32,
        storage_key="loras/lora_1.safetensors",
        created_at=datetime(2026, 12, 1, tzinfo=UTC),
    )


@pytest.mark.parametrize("weight", [-2.0, 0.0, 0.8, 2.0])
def test_a_weight_from_minus_two_to_two_is_taken(weight: float) -> None:
    assert LoraUse(name="ink", weight=weight).weight == weight


@pytest.mark.parametrize("weight", [-2.01, 2.01, math.inf, math.nan])
def test_a_weight_outside_minus_two_to_two_is_refused_naming_loras(weight: float) -> None:
    with pytest.raises(InvalidParameter) as refused:
        LoraUse(name="ink", weight=weight)
    assert refused.value.param == "loras"


def test_an_entry_names_its_lora_by_name_or_id_not_both_and_weighs_1_unless_told() -> None:
    assert (LoraUse(name="ink").ref, LoraUse(name="ink").weight) == ("ink", 1.0)
    assert LoraUse(id="lora_1").ref == "lora_1"
    for fields in ({}, {"name": "ink", "id": "lora_1"}):
        with pytest.raises(InvalidParameter):
            LoraUse(**fields)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        LoraUse(name="ink", scale=1)  # type: ignore[call-arg]


def test_a_request_uses_at_most_the_plans_count_each_once() -> None:
    two = [LoraUse(name="a"), LoraUse(name="b")]
    check_uses(two, 2, "starter")
    with pytest.raises(PlanForbidden) as refused:
        check_uses(two, 1, "tight")
    assert refused.value.param == "loras" and "at most 1 LoRA adapter a request" in refused.value.message
    with pytest.raises(InvalidParameter):
        check_uses([LoraUse(name="a"), LoraUse(name="a", weight=0.5)], 2, "starter")


def test_a_lora_of_another_family_than_the_models_is_refused_naming_loras() -> None:
    assert resolved(lora("sdxl"), 0.5, "sdxl", "tiny").weight == 0.5
    with pytest.raises(InvalidParameter) as refused:
        resolved(lora("flux"), 1.0, "sdxl", "tiny")
    assert refused.value.param == "loras" and "flux" in refused.value.message


@pytest.mark.parametrize("name", ["ink", "Ink_2.v1-final", "a" * 64])
def test_a_name_a_prompt_can_hold_is_taken(name: str) -> None:
    assert checked_name(name) == name


@pytest.mark.parametrize("name", ["", "has:colon", "has>angle", "has space", "-leading", "a" * 65])
def test_a_name_that_would_break_automatic1111s_syntax_is_refused(name: str) -> None:
    with pytest.raises(InvalidParameter) as refused:
        checked_name(name)
    assert refused.value.param == "name"


def test_a_job_keeps_its_adapters_and_shows_which_ran_not_where_they_lie() -> None:
    adapter = Adapter("lora_1", "ink", 0.8, "ab" * 32, "loras/lora_1.safetensors", 1000)
    params = GenerationRequest(prompt="x").resolve(MODELS["tiny"], 1, adapters=[adapter])
    stored = params.to_dict()
    assert JobParams.from_dict(stored) == params
    assert params.public()["loras"] == [{"id": "lora_1", "name": "ink", "weight": 0.8}]
    plain = GenerationRequest(prompt="x").resolve(MODELS["tiny"], 1)
    assert "loras" not in plain.public()
    old = {name: value for name, value in plain.to_dict().items() if name != "loras"}
    assert JobParams.from_dict(old).loras == ()  # a job queued before adapters existed
