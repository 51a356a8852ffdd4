import pytest
from pydantic import ValidationError

from sfumato.domain.errors import InvalidParameter
from sfumato.domain.generation import GenerationRequest, JobParams
from sfumato.domain.models import MODELS


def error_of(**fields: object) -> dict:
    with pytest.raises(ValidationError) as caught:
        GenerationRequest(**fields)  # type: ignore[arg-type]
    return caught.value.errors()[0]


def test_defaults_follow_the_contract() -> None:
    request = GenerationRequest(prompt="a cat")
    assert (request.width, request.height, request.n, request.format, request.quality) == (
        1024,
        1024,
        1,
        "png",
        90,
    )
    assert request.name == "untitled" and request.seed is None and request.style is None


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"prompt": ""}, "prompt", "prompt must not be empty"),
        ({"prompt": "   "}, "prompt", "prompt must not be empty"),
        ({"prompt": "x" * 1001}, "prompt", "prompt must be at most 1000 characters (got 1001)"),
        (
            {"prompt": "x", "negative_prompt": "y" * 1001},
            "negative_prompt",
            "negative_prompt must be at most",
        ),
        ({"prompt": "x", "width": 500}, "width", "width must be a multiple of 64 between 256 and 2048"),
        ({"prompt": "x", "height": 192}, "height", "height must be a multiple of 64 between 256 and 2048"),
        ({"prompt": "x", "width": 2112}, "width", "width must be a multiple of 64"),
        ({"prompt": "x", "seed": -1}, "seed", "seed must be between 0 and 2147483647"),
        ({"prompt": "x", "seed": 2**31}, "seed", "seed must be between 0 and 2147483647"),
        ({"prompt": "x", "n": 0}, "n", "n must be between 1 and 10"),
        ({"prompt": "x", "n": 11}, "n", "n must be between 1 and 10"),
        (
            {"prompt": "x", "guidance_scale": 20.5},
            "guidance_scale",
            "guidance_scale must be a number between 0 and 20",
        ),
        (
            {"prompt": "x", "guidance_scale": float("nan")},
            "guidance_scale",
            "guidance_scale must be a number",
        ),
        ({"prompt": "x", "quality": 0}, "quality", "quality must be between 1 and 100"),
        ({"prompt": "x", "style": "vaporwave-ish"}, "style", "style must be one of photorealistic"),
        ({"prompt": "x", "steps": 0}, "steps", "steps must be at least 1"),
        ({"prompt": "x", "name": "n" * 201}, "name", "name must be at most 200 characters"),
    ],
)
def test_out_of_range_values_name_the_field(fields: dict, field: str, message: str) -> None:
    error = error_of(**fields)
    assert error["loc"] == (field,)
    assert message in error["msg"]


@pytest.mark.parametrize(
    ("field", "value"),
    [("width", "512"), ("seed", 1.5), ("seed", True), ("prompt", 5), ("n", "2"), ("guidance_scale", "7")],
)
def test_wrong_types_are_refused_not_coerced(field: str, value: object) -> None:
    fields = {"prompt": "x", field: value}
    assert error_of(**fields)["loc"] == (field,)


def test_unknown_fields_are_refused() -> None:
    error = error_of(prompt="x", sampler="ddim")
    assert (error["type"], error["loc"]) == ("extra_forbidden", ("sampler",))


def test_integer_guidance_is_a_number() -> None:
    assert GenerationRequest(prompt="x", guidance_scale=7).guidance_scale == 7


def test_resolve_fills_model_defaults_and_keeps_a_given_seed() -> None:
    params = GenerationRequest(prompt="x", seed=7).resolve(MODELS["sdxl-lightning"], seed=99)
    assert (params.seed, params.steps, params.guidance_scale, params.model) == (7, 4, 0.0, "sdxl-lightning")


def test_resolve_uses_the_drawn_seed_when_none_is_given() -> None:
    assert GenerationRequest(prompt="x").resolve(MODELS["tiny"], seed=99).seed == 99


def test_steps_outside_the_models_range_are_refused() -> None:
    with pytest.raises(InvalidParameter) as caught:
        GenerationRequest(prompt="x", steps=9).resolve(MODELS["sdxl-lightning"], seed=1)
    assert caught.value.param == "steps"
    assert "between 1 and 8 for sdxl-lightning" in caught.value.message


def test_image_i_uses_seed_plus_i() -> None:
    params = GenerationRequest(prompt="x", seed=2**31 - 1, n=3).resolve(MODELS["tiny"], seed=0)
    assert params.seeds() == [2**31 - 1, 2**31, 2**31 + 1]


def test_params_round_trip_through_a_dict() -> None:
    params = GenerationRequest(prompt="x", n=2, style="anime").resolve(MODELS["tiny"], seed=3)
    assert JobParams.from_dict(params.to_dict()) == params
