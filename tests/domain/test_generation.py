import pytest
from pydantic import ValidationError

from sfumato.domain.errors import InvalidParameter
from sfumato.domain.generation import EMPTY_PROMPT, GenerationRequest
from sfumato.domain.inputs import InputSummary
from sfumato.domain.models import MODELS
from sfumato.domain.params import JobParams


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
    assert request.seed is None and request.style is None
    # No name given: the images are called by the prompt's first words (domain/naming.py), not "untitled".
    assert request.resolve(MODELS["tiny"], seed=1).name == "a cat"


def test_a_name_given_is_kept_and_known_as_given_and_one_made_up_is_not() -> None:
    given = GenerationRequest(prompt="a red fox in deep snow at dawn, oil", name="fox").resolve(
        MODELS["tiny"], 1
    )
    made = GenerationRequest(prompt="A red fox, in deep snow at dawn; oil").resolve(MODELS["tiny"], 1)
    assert (given.name, given.person_named()) == ("fox", True)
    assert (made.name, made.person_named()) == ("a red fox in deep snow", False)
    assert "name_given" not in made.public()  # how the name came is the service's business


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


def test_an_image_request_takes_its_size_and_name_from_the_input_unless_given() -> None:
    source = InputSummary(1000, 750, has_mask=False, source_image_id="image_1", source_name="apple")
    params = GenerationRequest(prompt="ripe", image="image_1").resolve(MODELS["tiny"], 7, source)
    assert (params.width, params.height, params.name, params.mode) == (1024, 768, "apple", "image")
    assert (params.strength, params.source_image_id) == (0.6, "image_1")
    named = GenerationRequest(prompt="p", image="x", name="pear", width=512, strength=0.25)
    given = named.resolve(MODELS["tiny"], 7, InputSummary(1000, 750, has_mask=True))
    assert (given.width, given.height, given.name, given.mode, given.strength) == (
        512,
        768,
        "pear",
        "inpaint",
        0.25,
    )


@pytest.mark.parametrize(
    ("fields", "param"),
    [
        ({"prompt": "p", "mask": "abc"}, "mask"),
        ({"prompt": "p", "strength": 0.5}, "strength"),
        ({"prompt": "p", "image": "abc", "strength": 1.5}, "strength"),
        ({"prompt": "p", "image": "abc", "strength": float("nan")}, "strength"),
    ],
)
def test_the_rules_of_images_in_name_their_field(fields: dict, param: str) -> None:
    with pytest.raises(InvalidParameter) as raised:
        GenerationRequest(**fields)
    assert raised.value.param == param


def test_an_empty_prompt_is_refused_unless_the_dialect_allows_it() -> None:
    assert error_of(prompt="", image="abc")["loc"] == ("prompt",)
    allowed = GenerationRequest.model_validate({"prompt": "", "image": "abc"}, context={EMPTY_PROMPT: True})
    assert allowed.prompt == ""


def test_the_inputs_stay_out_of_what_a_client_sees_of_the_params() -> None:
    params = GenerationRequest(prompt="p", image="x").resolve(
        MODELS["tiny"], 7, InputSummary(512, 512, False)
    )
    stored = params.to_dict() | {"input_key": "job_1/input.png"}
    shown = JobParams.from_dict(stored).public()
    assert "input_key" not in shown and "mask_key" not in shown and shown["mode"] == "image"
    assert "mode" not in GenerationRequest(prompt="p").resolve(MODELS["tiny"], 7).public()


def test_a_strength_that_runs_no_step_says_so() -> None:
    params = GenerationRequest(prompt="p", image="x", strength=0.2).resolve(
        MODELS["tiny"], 7, InputSummary(256, 256, False, ignored=2)
    )
    notes = params.notes()
    assert any("runs no step of 4" in note for note in notes)
    assert any("2 more images were sent; only the first was edited" in note for note in notes)
