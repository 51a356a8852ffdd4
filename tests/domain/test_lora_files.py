"""What a LoRA file is, judged from its tensor table (domain/lora_files.py): the layout, the family, the rank,
the modules by component, the metadata; and what is refused, naming the field."""

import pytest

from sfumato.domain.errors import InvalidParameter
from sfumato.domain.lora_files import judge, words_of

SDXL_Q = "down_blocks.1.attentions.0.transformer_blocks.0.attn1.to_q"
KOHYA_Q = "lora_unet_down_blocks_1_attentions_0_transformer_blocks_0_attn1_to_q"
CLIP_Q = "text_model.encoder.layers.0.self_attn.q_proj"
FLUX_Q = "transformer_blocks.0.attn.to_q"
SD3_JOINT = "lora_unet_joint_blocks_0_x_block_attn_qkv"


def pair(module: str, rank: int = 4, down: str = "lora_A", up: str = "lora_B") -> dict[str, list[int]]:
    return {f"{module}.{down}.weight": [rank, 32], f"{module}.{up}.weight": [32, rank]}


def judged(shapes: dict[str, list[int]], families: tuple[str, ...] = ("sdxl", "flux"), **options: object):  # type: ignore[no-untyped-def]
    values: dict = {"family": None, "max_rank": 128, "metadata": {}} | options
    return judge(shapes, values.pop("metadata"), families=families, **values)


def refusal(shapes: dict[str, list[int]], **options: object) -> InvalidParameter:
    with pytest.raises(InvalidParameter) as refused:
        judged(shapes, **options)
    return refused.value


def test_diffusers_keys_of_the_unet_and_a_text_encoder() -> None:
    facts = judged(pair(f"unet.{SDXL_Q}") | pair(f"unet.{SDXL_Q[:-1]}k") | pair(f"text_encoder.{CLIP_Q}", 8))
    assert (facts.family, facts.layout, facts.rank) == ("sdxl", "peft", 8)
    assert facts.modules == {"unet": 2, "text_encoder": 1}


@pytest.mark.parametrize(
    ("down", "up"), [("lora.down", "lora.up"), ("lora_linear_layer.down", "lora_linear_layer.up")]
)
def test_diffusers_older_key_forms_are_read(down: str, up: str) -> None:
    facts = judged(pair(f"text_encoder_2.{CLIP_Q}", down=down, up=up) | pair(f"unet.{SDXL_Q}"))
    assert facts.modules == {"text_encoder_2": 1, "unet": 1}


def test_kohyas_keys_with_their_alphas() -> None:
    shapes = pair(KOHYA_Q, down="lora_down", up="lora_up") | {f"{KOHYA_Q}.alpha": []}
    shapes |= pair("lora_te1_text_model_encoder_layers_0_self_attn_q_proj", down="lora_down", up="lora_up")
    facts = judged(shapes)
    assert (facts.family, facts.layout, facts.modules) == ("sdxl", "kohya", {"unet": 1, "text_encoder": 1})


def test_a_flux_lora_is_flux_and_does_not_fit_a_server_of_sdxl_alone() -> None:
    assert judged(pair(f"transformer.{FLUX_Q}")).family == "flux"
    refused = refusal(pair(f"transformer.{FLUX_Q}"), families=("sdxl",))
    assert refused.param == "file" and "any family served here" in refused.message


def test_an_sd3_lora_in_kohyas_layout_is_sd3() -> None:
    assert judged(pair(SD3_JOINT, down="lora_down", up="lora_up"), families=("sdxl", "sd3")).family == "sd3"


def test_a_lora_that_fits_several_families_needs_the_metadata_or_family_to_say_which() -> None:
    shapes = pair(f"transformer.{FLUX_Q}")  # FLUX's and SD3's transformers both have these
    refused = refusal(shapes, families=("flux", "sd3"))
    assert refused.param == "family"
    said = judged(
        shapes, families=("flux", "sd3"), metadata={"modelspec.architecture": "stable-diffusion-v3/lora"}
    )
    assert said.family == "sd3"
    assert judged(shapes, families=("flux", "sd3"), family="flux").family == "flux"


def test_a_given_family_the_tensors_do_not_fit_is_refused() -> None:
    refused = refusal(pair(f"unet.{SDXL_Q}"), family="flux")
    assert refused.param == "file" and "the flux family" in refused.message


@pytest.mark.parametrize(
    ("shapes", "says"),
    [
        ({f"unet.{SDXL_Q}.hada_w1_a": [4, 32]}, "no LoRA weight"),  # LoHa
        ({f"unet.{SDXL_Q}.weight": [32, 32]}, "no LoRA weight"),  # a full weight
        ({f"unet.{SDXL_Q}.lora_A.weight": [4, 32]}, "half of a LoRA pair"),
        (
            {f"unet.{SDXL_Q}.lora_A.weight": [4, 32], f"unet.{SDXL_Q}.lora_B.weight": [32, 8]},
            "different ranks",
        ),
        ({}, "no LoRA weights"),
        (pair(f"unet.{SDXL_Q}") | pair(KOHYA_Q[:-1] + "k", down="lora_down", up="lora_up"), "mixes"),
        (pair("unet.not_a_block.to_q"), "does not fit"),
    ],
    ids=["loha", "full-weight", "half-pair", "ranks", "empty", "mixed-layouts", "unknown-module"],
)
def test_what_is_not_a_lora_of_a_served_family_is_refused_naming_file(shapes: dict, says: str) -> None:
    refused = refusal(shapes)
    assert refused.param == "file" and says in refused.message


def test_a_rank_past_the_servers_bound_is_refused() -> None:
    assert judged(pair(f"unet.{SDXL_Q}", rank=64), max_rank=64).rank == 64
    refused = refusal(pair(f"unet.{SDXL_Q}", rank=65), max_rank=64)
    assert refused.param == "file" and "rank 65" in refused.message


def test_the_metadata_names_the_base_model_and_trigger_words() -> None:
    metadata = {"ss_sd_model_name": "sd_xl_base_1.0.safetensors", "modelspec.trigger_phrase": "ink, wash ,"}
    facts = judged(pair(f"unet.{SDXL_Q}"), metadata=metadata)
    assert (facts.base_model, facts.trigger_words) == ("sd_xl_base_1.0.safetensors", ["ink", "wash"])
    assert judged(pair(f"unet.{SDXL_Q}")).base_model is None


def test_trigger_words_come_comma_separated_or_as_a_json_list() -> None:
    assert words_of(" a, b ,,c ") == ["a", "b", "c"]
    assert words_of('["a, b", "c"]') == ["a, b", "c"]
    for bad in ("[1, 2]", "[not json", ",".join(["w"] * 21), "x" * 101):
        with pytest.raises(InvalidParameter) as refused:
            words_of(bad)
        assert refused.value.param == "trigger_words"
