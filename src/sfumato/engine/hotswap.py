"""LoRA adapters in a compiled model (docs/models.md, "LoRA adapters"): hot-swapped into slots, so that no
swap recompiles.

Before compilation (engine/registry.py) the denoiser gets SFUMATO_LORA_SLOTS placeholder adapters of rank
SFUMATO_LORA_MAX_RANK on every linear layer, their weights zero: diffusers'
`enable_lora_hotswap(target_rank=…)` first, as it asks, then the placeholders loaded, made active, and their
scalings made tensors (PEFT's
`prepare_model_for_compiled_hotswap`; `set_adapters` had made them numbers again). A batch's adapters are then
copied into the slots with `load_lora_weights(…, adapter_name=slot, hotswap=True)`, from tensors this worker
keeps in memory (a cached adapter costs no disk read), and each slot's weight is written into its scaling
tensors in place; a slot no adapter uses is scaled by 0, which adds exactly nothing. Shapes, code paths and
guards stay the same, so the compiled graphs serve every swap. The text encoders are not compiled: an
adapter's text-encoder part is loaded there by name, as without compilation.

What cannot be swapped in: an adapter that touches a module outside the slots (a convolution: LoCon) or that
keeps per-module ranks in its metadata; its jobs fail saying so, and it runs with compilation off. Each slot
adds a rank-`max_rank` product to every linear layer, adapters or not: fewer slots, less work.
"""

import json
import logging
from collections.abc import Sequence
from typing import Any

import torch
from diffusers.loaders.lora_base import (
    disable_lora_for_text_encoder,
    enable_lora_for_text_encoder,
    set_adapters_for_text_encoder,
)
from diffusers.utils.peft_utils import delete_adapter_layers
from peft.tuners.lora import LoraLayer
from peft.utils.hotswap import prepare_model_for_compiled_hotswap
from safetensors import safe_open
from safetensors.torch import load_file

from sfumato.domain.errors import GenerationFailed
from sfumato.engine.adapters import AdapterFile, AdapterLimits

log = logging.getLogger(__name__)

Tensors = dict[str, torch.Tensor]
KOHYA_DENOISER = "lora_unet_"


def denoiser_name(pipe: Any, denoiser: torch.nn.Module) -> str:
    return next(name for name, part in pipe.components.items() if part is denoiser)


class HotswapSlots:
    def __init__(self, pipe: Any, denoiser: str, limits: AdapterLimits) -> None:
        self.pipe = pipe
        self.name = denoiser
        self.rank = limits.rank
        self.slots = [f"slot{index}" for index in range(limits.slots)]
        self._in_slot: dict[str, str | None] = dict.fromkeys(self.slots)
        self._base: dict[str, list[tuple[LoraLayer, float]]] = {}  # a slot's scalings as its swap left them
        self._kept: dict[str, Tensors] = {}  # each loaded adapter's denoiser part, in memory
        self._text: set[str] = set()  # adapters with a part in the text encoders
        self._prepare()

    def _prepare(self) -> None:
        """The slots: before compilation, once."""
        model = getattr(self.pipe, self.name)
        self.pipe.enable_lora_hotswap(target_rank=self.rank)
        zeros = self._placeholder(model)  # of the bare model's layers: a slot's own layers are no targets
        for slot in self.slots:
            # Each slot its own tensors: PEFT may keep those it is given, and a swap writes into them.
            self.pipe.load_lora_weights({k: v.clone() for k, v in zeros.items()}, adapter_name=slot)
        self.pipe.set_adapters(self.slots, [1.0] * len(self.slots))
        prepare_model_for_compiled_hotswap(model, target_rank=self.rank, check_compiled="error")
        self._layers = {
            slot: [
                layer for layer in model.modules() if isinstance(layer, LoraLayer) and slot in layer.scaling
            ]
            for slot in self.slots
        }
        for slot in self.slots:
            self._scale(slot, 0.0)

    def _placeholder(self, model: torch.nn.Module) -> Tensors:
        """A zero adapter on every linear layer of the denoiser, at the target rank."""
        zeros: Tensors = {}
        for path, layer in model.named_modules():
            if isinstance(layer, torch.nn.Linear):
                weight = layer.weight
                prefix = f"{self.name}.{path}"
                zeros[f"{prefix}.lora_A.weight"] = weight.new_zeros(self.rank, layer.in_features)
                zeros[f"{prefix}.lora_B.weight"] = weight.new_zeros(layer.out_features, self.rank)
        return zeros

    def load(self, file: AdapterFile) -> None:
        tensors = load_file(str(file.path))
        with safe_open(str(file.path), framework="pt") as opened:
            metadata = opened.metadata() or {}
        denoiser = {k: v for k, v in tensors.items() if k.startswith((f"{self.name}.", KOHYA_DENOISER))}
        text = {k: v for k, v in tensors.items() if k not in denoiser}
        folded = _folded(denoiser, metadata, self.name) | _folded(text, metadata, None)
        if text:
            self.pipe.load_lora_weights({k: folded[k] for k in text}, adapter_name=file.id)
            self._text.add(file.id)
        self._kept[file.id] = {k: folded[k] for k in denoiser}

    def unload(self, adapter_id: str) -> None:
        self._kept.pop(adapter_id, None)
        for slot, held in self._in_slot.items():
            if held == adapter_id:
                self._in_slot[slot] = None
                self._base.pop(slot, None)
                self._scale(slot, 0.0)
        if adapter_id in self._text:
            for part in self._text_encoders():
                if adapter_id in getattr(part, "peft_config", {}):
                    delete_adapter_layers(part, adapter_id)
            self._text.discard(adapter_id)

    def apply(self, uses: Sequence[AdapterFile]) -> None:
        weights = {use.id: use.weight for use in uses}
        swapped = [use.id for use in uses if self._kept.get(use.id)]
        placed = {held: slot for slot, held in self._in_slot.items() if held in weights}
        free = [slot for slot, held in self._in_slot.items() if held not in weights]
        for adapter_id in swapped:
            if adapter_id in placed:
                continue
            if not free:
                raise GenerationFailed(
                    f"a compiled model runs at most {len(self.slots)} LoRA adapters at once "
                    "(SFUMATO_LORA_SLOTS)"
                )
            self._swap(free.pop(0), adapter_id)
        for slot, held in self._in_slot.items():
            self._scale(slot, weights.get(held, 0.0) if held is not None else 0.0)
        for part in self._text_encoders():
            names = [use.id for use in uses if use.id in getattr(part, "peft_config", {})]
            if names:
                enable_lora_for_text_encoder(part)
                set_adapters_for_text_encoder(names, part, [weights[name] for name in names])
            elif getattr(part, "peft_config", None):
                disable_lora_for_text_encoder(part)

    def _swap(self, slot: str, adapter_id: str) -> None:
        self._in_slot[slot] = None  # until the swap is done: a failed one leaves the slot scaled by 0
        self._base.pop(slot, None)
        try:
            self.pipe.load_lora_weights(dict(self._kept[adapter_id]), adapter_name=slot, hotswap=True)
        except RuntimeError as error:
            log.warning("LoRA %s cannot be hot-swapped: %s", adapter_id, error)
            self._scale(slot, 0.0)
            raise GenerationFailed(
                "this LoRA touches modules a compiled model cannot swap adapters into (convolutions); "
                "it runs where SFUMATO_COMPILE is off"
            ) from None
        self._in_slot[slot] = adapter_id
        self._base[slot] = [(layer, float(layer.scaling[slot])) for layer in self._layers[slot]]

    def _scale(self, slot: str, weight: float) -> None:
        """The slot's weight, written into its scaling tensors in place: no graph sees a new constant."""
        base = self._base.get(slot)
        if base is None:
            for layer in self._layers[slot]:
                layer.scaling[slot].fill_(0.0)
            return
        for layer, scaling in base:
            layer.scaling[slot].fill_(scaling * weight)

    def _text_encoders(self) -> list[Any]:
        names = [name for name in getattr(self.pipe, "_lora_loadable_modules", []) if name != self.name]
        return [part for name in names if (part := getattr(self.pipe, name, None)) is not None]


def _folded(tensors: Tensors, metadata: dict[str, str], component: str | None) -> Tensors:
    """A diffusers/PEFT file's LoRA scale (`lora_alpha / r` in the metadata diffusers writes) folded into its
    up weights: tensors handed over in memory carry no metadata, and are read as alpha = rank. Kohya's files
    keep their alphas as tensors, which diffusers reads itself."""
    raw = metadata.get("lora_adapter_metadata")
    if not raw or not tensors:
        return tensors
    config = json.loads(raw)
    prefixes = [component] if component else sorted({key.split(".")[0] for key in tensors})
    folded = dict(tensors)
    for prefix in prefixes:
        if config.get(f"{prefix}.rank_pattern") or config.get(f"{prefix}.alpha_pattern"):
            raise GenerationFailed(
                "this LoRA keeps per-module ranks, which hot-swapping does not carry; it runs where "
                "SFUMATO_COMPILE is off"
            )
        alpha, rank = config.get(f"{prefix}.lora_alpha"), config.get(f"{prefix}.r")
        if alpha is None or rank is None or alpha == rank:
            continue
        for key, value in tensors.items():
            if key.startswith(f"{prefix}.") and ".lora_B." in key:
                folded[key] = value * (alpha / rank)
    return folded
