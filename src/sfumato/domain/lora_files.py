"""What a LoRA file is, judged from its tensor table alone (docs/models.md, "LoRA adapters"): which key
layout it uses (diffusers/PEFT or kohya-ss/AUTOMATIC1111), which family's modules its tensors name, its rank,
the modules it touches by component, and what its metadata says (base model, trigger words). A file that is
not a LoRA of a family served here is refused naming `file`, before anything is stored. Pure: the reader
(engine/lora_files.py) hands in the names, shapes and metadata of a safetensors header."""

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sfumato.domain.errors import InvalidParameter
from sfumato.domain.loras import KOHYA, PEFT

# The end of a tensor's name: which half of a module's pair it is (A: down, B: up), or its alpha.
_PARTS = re.compile(
    r"^(?P<module>.+?)\.(?P<part>lora_A|lora_B|lora\.down|lora\.up|lora_down|lora_up|lora_linear_layer\.down"
    r"|lora_linear_layer\.up)(\.[\w-]+)?\.weight$"
)
_ALPHA = re.compile(r"^(?P<module>.+)\.alpha$")
_DOWN = ("lora_A", "lora.down", "lora_down", "lora_linear_layer.down")

# Per family: each component's prefix in the diffusers/PEFT layout and in kohya's, and the modules (the
# start of a module's path) a LoRA of that family may touch there.
_SDXL_UNET = r"(down_blocks|up_blocks|mid_block|conv_in|conv_out|time_embedding|add_embedding)"
_SDXL_UNET_KOHYA = (
    r"(down_blocks|up_blocks|mid_block|input_blocks|middle_block|output_blocks|time_embed|label_emb)"
)
# CLIP's modules, under `text_model.` as its checkpoints name them (transformers 5's own modules drop it).
_CLIP = r"(text_model\.)?(encoder|embeddings|final_layer_norm)"
_CLIP_KOHYA = r"text_model_(encoder|embeddings|final_layer_norm)"
_FLUX = (
    r"(transformer_blocks|single_transformer_blocks|x_embedder|context_embedder|time_text_embed|norm_out"
    r"|proj_out)"
)
_FLUX_KOHYA = r"(double_blocks|single_blocks|img_in|txt_in|time_in|vector_in|guidance_in|final_layer)"
_SD3 = r"(transformer_blocks|pos_embed|context_embedder|time_text_embed|norm_out|proj_out)"
_SD3_KOHYA = r"(joint_blocks|x_embedder|context_embedder|t_embedder|y_embedder|final_layer)"

# family -> component -> (diffusers prefix and module pattern, kohya prefix and module pattern)
LAYOUTS: dict[str, dict[str, tuple[str, str, str, str]]] = {
    "sdxl": {
        "unet": ("unet.", _SDXL_UNET + r"\.", "lora_unet_", _SDXL_UNET_KOHYA + "_"),
        "text_encoder": ("text_encoder.", _CLIP + r"\.", "lora_te1_", _CLIP_KOHYA + "_"),
        "text_encoder_2": ("text_encoder_2.", _CLIP + r"\.", "lora_te2_", _CLIP_KOHYA + "_"),
    },
    "flux": {
        "transformer": ("transformer.", _FLUX + r"\.", "lora_unet_", _FLUX_KOHYA + "_"),
        "text_encoder": ("text_encoder.", _CLIP + r"\.", "lora_te1_", _CLIP_KOHYA + "_"),
    },
    "sd3": {
        "transformer": ("transformer.", _SD3 + r"\.", "lora_unet_", _SD3_KOHYA + "_"),
        "text_encoder": ("text_encoder.", _CLIP + r"\.", "lora_te1_", _CLIP_KOHYA + "_"),
        "text_encoder_2": ("text_encoder_2.", _CLIP + r"\.", "lora_te2_", _CLIP_KOHYA + "_"),
    },
}
# What a file's metadata says of its architecture (kohya-ss's `ss_base_model_version`, the Stability
# model spec's `modelspec.architecture`), as a family.
_ARCHITECTURES = (
    ("flux", "flux"),
    ("sd3", "sd3"),
    ("stable-diffusion-v3", "sd3"),
    ("sdxl", "sdxl"),
    ("stable-diffusion-xl", "sdxl"),
)


@dataclass(frozen=True)
class LoraFacts:
    family: str
    layout: str
    rank: int
    modules: dict[str, int]
    base_model: str | None
    trigger_words: list[str]


def _refused(message: str) -> InvalidParameter:
    return InvalidParameter(f"file {message}", param="file")


def _component(module: str, family: str) -> tuple[str, str] | None:
    """The component and layout of a module's name, if the family has it."""
    for component, (prefix, pattern, kohya, kohya_pattern) in LAYOUTS[family].items():
        if module.startswith(prefix) and re.match(pattern, module[len(prefix) :]):
            return component, PEFT
        if module.startswith(kohya) and re.match(kohya_pattern, module[len(kohya) :]):
            return component, KOHYA
    return None


def _pairs(shapes: Mapping[str, Sequence[int]]) -> dict[str, tuple[int, int]]:
    """Each module's rank as its down (A) and up (B) halves say it; a tensor of no LoRA refuses the file."""
    halves: dict[str, dict[str, Sequence[int]]] = {}
    for name, shape in shapes.items():
        if (alpha := _ALPHA.match(name)) is not None:
            halves.setdefault(alpha["module"], {})
            continue
        found = _PARTS.match(name)
        if found is None:
            raise _refused(
                f"holds {name!r}, which is no LoRA weight (LoHa, LoKr, DoRA and full weights are not read)"
            )
        side = "down" if found["part"] in _DOWN else "up"
        halves.setdefault(found["module"], {})[side] = shape
    ranks = {}
    for module, sides in halves.items():
        down, up = sides.get("down"), sides.get("up")
        if down is None or up is None:
            if not sides:
                continue  # an alpha alone (kohya writes one per module; its pair is checked there)
            raise _refused(f"holds half of a LoRA pair for {module!r}")
        if len(down) < 2 or len(up) < 2 or down[0] != up[1]:
            raise _refused(f"has LoRA halves of different ranks for {module!r}")
        ranks[module] = (down[0], up[1])
    if not ranks:
        raise _refused("holds no LoRA weights")
    return ranks


def _declared_family(metadata: Mapping[str, str]) -> str | None:
    said = " ".join(
        metadata.get(name, "") for name in ("modelspec.architecture", "ss_base_model_version")
    ).lower()
    return next((family for word, family in _ARCHITECTURES if word in said), None)


def _trigger_words(metadata: Mapping[str, str]) -> list[str]:
    phrase = metadata.get("modelspec.trigger_phrase", "")
    return [word.strip() for word in phrase.split(",") if word.strip()][:20]


def _base_model(metadata: Mapping[str, str]) -> str | None:
    for name in ("ss_sd_model_name", "modelspec.architecture", "ss_base_model_version"):
        if metadata.get(name, "").strip():
            return metadata[name].strip()[:200]
    return None


def judge(
    shapes: Mapping[str, Sequence[int]],
    metadata: Mapping[str, str],
    *,
    family: str | None,
    families: Sequence[str],
    max_rank: int,
) -> LoraFacts:
    """The facts of a LoRA file whose tensors fit one of `families` (the given `family`, when one is);
    InvalidParameter naming `file` (or `family`, when it fits several and nothing says which)."""
    ranks = _pairs(shapes)
    fitting: dict[str, list[tuple[str, str]]] = {}
    for candidate in [family] if family else families:
        places = [_component(module, candidate) for module in ranks]
        placed = [place for place in places if place is not None]
        if len(placed) == len(places):
            fitting[candidate] = placed
    if not fitting:
        which = f"the {family} family" if family else "any family served here"
        raise _refused(f"does not fit {which}: its tensors name modules that family's models do not have")
    if len(fitting) > 1:
        said = _declared_family(metadata)
        if said not in fitting:
            raise InvalidParameter(
                f"this LoRA fits several families ({', '.join(sorted(fitting))}): say which with `family`",
                param="family",
            )
        fitting = {said: fitting[said]}
    ((chosen, placed),) = fitting.items()
    layouts = {layout for _, layout in placed}
    if len(layouts) > 1:
        raise _refused("mixes the diffusers and kohya key layouts")
    rank = max(max(pair) for pair in ranks.values())
    if rank > max_rank:
        raise _refused(f"has rank {rank}; this server takes LoRAs up to rank {max_rank}")
    modules: dict[str, int] = {}
    for component, _ in placed:
        modules[component] = modules.get(component, 0) + 1
    return LoraFacts(chosen, layouts.pop(), rank, modules, _base_model(metadata), _trigger_words(metadata))


def metadata_text(metadata: Mapping[str, str] | None) -> dict[str, str]:
    """A header's metadata as text to text (safetensors keeps strings; anything else is dropped)."""
    return {str(k): v for k, v in (metadata or {}).items() if isinstance(v, str)}


def words_of(text: str) -> list[str]:
    """Trigger words as a form gives them: comma-separated, or a JSON list."""
    text = text.strip()
    if text.startswith("["):
        try:
            given = json.loads(text)
        except ValueError:
            raise InvalidParameter(
                "trigger_words must be comma-separated words or a JSON list", param="trigger_words"
            ) from None
        if not isinstance(given, list) or not all(isinstance(word, str) for word in given):
            raise InvalidParameter("trigger_words must be a list of strings", param="trigger_words")
        words = [word.strip() for word in given]
    else:
        words = [word.strip() for word in text.split(",")]
    words = [word for word in words if word]
    if len(words) > 20 or any(len(word) > 100 for word in words):
        raise InvalidParameter(
            "trigger_words takes at most 20 words of up to 100 characters", param="trigger_words"
        )
    return words
