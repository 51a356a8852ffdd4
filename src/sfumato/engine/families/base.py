"""A model family, as the engine sees it (docs/models.md, "Families"): one protocol that each family module
fills in, as TGI's `Backend` or vLLM's model registry do. The engine (engine/pipeline.py) batches, drops
jobs and reports progress the same way for every family; what differs lives behind these two classes:

- `Family`: how a model of the family loads (a diffusers folder or hub id, SDXL-Lightning's files, or built
  at random in code), and which diffusers pipeline classes mark its folders (model_index.json);
- `Loaded`: one loaded pipeline: how a prompt is encoded (one row per image), which arguments its call and
  its image-to-image and inpainting pipelines (built with `from_pipe`) take, which tensors a step's end may
  cut when a job leaves the batch, its latents seen as a small picture, and its encoders' token limit.

Nothing outside a family's module knows which pipeline class runs.
"""

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import torch

from sfumato.domain.errors import ModelUnavailable
from sfumato.domain.families import CFG
from sfumato.domain.families import Family as Traits
from sfumato.domain.inputs import INPAINT, TEXT
from sfumato.domain.models import PRETRAINED, RANDOM, TINY, ModelSpec
from sfumato.engine.base import RenderJob
from sfumato.engine.options import WeightSources
from sfumato.engine.previews import Factors

Embeddings = dict[str, torch.Tensor | None]  # a pipeline call's text arguments, one row per image
ALIGNMENT = 64  # bytes: where torch's CPU allocator starts every tensor


@dataclass(frozen=True)
class TextReader:
    """The text encoder that reads furthest into a prompt: beyond its tokens nothing reads the text."""

    tokenizer: Any
    tokens: int  # of text, its special tokens left out
    specials: int  # the tokens its tokenizer adds around the text (CLIP: start and end; T5: end)
    label: str  # how the warning names it, with its verb: "the text encoders read"


def _settle(network: torch.nn.Module) -> None:
    """A network as inference wants it, whichever way it was made, so a model saved and loaded again gives
    the same pixels: in eval mode (one built in code starts in training mode, where a UNet's kernels round
    differently), and its weights in memory of torch's own alignment (`from_pretrained` on a CPU may keep
    them inside the file's buffer, unaligned, where the CPU's kernels round differently too)."""
    network.eval()
    for tensor in (*network.parameters(), *network.buffers()):
        if tensor.device.type == "cpu" and tensor.data_ptr() % ALIGNMENT:
            tensor.data = tensor.data.clone()


class Loaded(ABC):
    """A loaded pipeline of one family: everything the engine asks of it."""

    # The pipelines of the other modes, built from the text one with `from_pipe` (no second copy).
    mode_classes: ClassVar[dict[str, type]]
    # Per mode, the tensors a step's end may cut to the rows still wanted; a mode absent here keeps
    # per-row tensors its callback cannot reach, and its dropped rows run on and are discarded at the end.
    row_tensors: ClassVar[dict[str, list[str]]]
    factors: ClassVar[Factors]  # latent channels to colours, for previews
    sized_inputs: ClassVar[bool] = True  # whether image-to-image takes the size (SDXL's follows its input)

    def __init__(self, pipe: Any, spec: ModelSpec) -> None:
        self.pipe = pipe
        self.spec = spec
        pipe.set_progress_bar_config(disable=True)
        for component in pipe.components.values():
            if isinstance(component, torch.nn.Module):
                _settle(component)
        self._built: dict[str, Any] = {TEXT: pipe}

    @property
    def device(self) -> torch.device:
        return self.pipe.device

    @property
    def vae(self) -> Any:
        return self.pipe.vae

    @property
    @abstractmethod
    def denoiser(self) -> torch.nn.Module:
        """The network each step runs: SDXL's UNet, or FLUX's and SD3's transformer."""

    def pipeline(self, mode: str) -> Any:
        if mode not in self._built:
            built = self.mode_classes[mode].from_pipe(self.pipe)  # type: ignore[attr-defined]
            built.set_progress_bar_config(disable=True)
            self._built[mode] = built
        return self._built[mode]

    def uses_cfg(self, guidance_scale: float) -> bool:
        """Whether a call at this scale runs classifier-free guidance (a second, unconditional pass)."""
        return self.spec.guidance == CFG and guidance_scale > 1.0

    @abstractmethod
    def encode(self, job: RenderJob, cfg: bool) -> Embeddings:
        """A job's prompt (and, under guidance, its negative prompt), encoded alone: a row per image."""

    @abstractmethod
    def reader(self) -> TextReader: ...

    def arguments(self, first: RenderJob, rows: Sequence[RenderJob]) -> dict[str, Any]:
        """The call's arguments beyond the text; `rows` holds the job of each image, in row order."""
        sized = {"width": first.width, "height": first.height}
        if first.mode == TEXT:
            return sized
        given: dict[str, Any] = {"image": [job.image for job in rows], "strength": first.strength}
        if first.mode == INPAINT:
            given |= {"mask_image": [job.mask for job in rows]}
        return given | sized if first.mode == INPAINT or self.sized_inputs else given

    def extras(self) -> dict[str, Any]:
        """The call's arguments that stay the same for every batch (the T5 sequence length)."""
        return {}

    def cut(
        self, mode: str, tensors: dict[str, Any], keep: torch.Tensor, rows: int, cfg: bool
    ) -> dict[str, Any]:
        """The step's tensors cut to the rows `keep` (of `rows`). Under guidance the text tensors hold every
        unconditional row, then every conditional one, as diffusers concatenates them."""
        text_rows = torch.cat([keep, keep + rows]) if cfg else keep
        return {
            name: tensors[name][keep if name == "latents" else text_rows] for name in self.row_tensors[mode]
        }

    def latent_picture(self, latents: torch.Tensor, width: int, height: int) -> torch.Tensor:
        """One image's latents as [channels, h, w] (FLUX packs them; the others already are)."""
        return latents

    def length_notes(self, job: RenderJob, cfg: bool) -> list[str]:
        """Text beyond the encoders' reach is cut, as diffusers does; the job says so."""
        reader = self.reader()
        tokenizer = reader.tokenizer
        texts = [("prompt", job.prompt)]
        if cfg and job.negative_prompt:
            texts.append(("negative_prompt", job.negative_prompt))
        notes = []
        for name, text in texts:
            ids = tokenizer(text, truncation=False, verbose=False).input_ids
            tokens = len(ids) - reader.specials
            if tokens > reader.tokens:
                kept = tokenizer.decode(ids[: reader.tokens + reader.specials], skip_special_tokens=True)
                notes.append(
                    f"{name} is {tokens} tokens long; {reader.label} only the first {reader.tokens} "
                    f"(up to {kept.strip()[-40:]!r}), the rest was ignored"
                )
        return notes


class Family(ABC):
    """How the models of one family load."""

    traits: ClassVar[Traits]  # what it honours (domain.families)
    classes: ClassVar[frozenset[str]]  # the pipeline class names of its folders (model_index.json)
    hub_files: ClassVar[tuple[str, ...]]  # what to fetch of a hub repository of its layout
    hub_skip: ClassVar[tuple[str, ...]] = ()  # and what to leave of that (duplicates in another precision)
    loaded: ClassVar[type[Loaded]]

    def build(self, spec: ModelSpec, device: torch.device, dtype: torch.dtype, sources: WeightSources) -> Any:
        """The model's pipeline on `device`: its weights found (or fetched) and loaded, or built in code."""
        if spec.weights == TINY:
            return self.tiny(device)
        if spec.weights == RANDOM:
            return self.random(device, dtype)
        if spec.weights == PRETRAINED:
            from sfumato.engine.hub import locate

            return self.pretrained(locate(spec, self.hub_files, sources, self.hub_skip), device, dtype)
        raise ModelUnavailable(
            f"model {spec.name!r}: the {self.traits.name} family has no {spec.weights} weights"
        )

    def tiny(self, device: torch.device) -> Any:
        raise ModelUnavailable(f"the {self.traits.name} family has no tiny model")

    def random(self, device: torch.device, dtype: torch.dtype) -> Any:
        raise ModelUnavailable(f"the {self.traits.name} family has no random-weight model")

    @abstractmethod
    def pretrained(self, folder: Path, device: torch.device, dtype: torch.dtype) -> Any:
        """A diffusers folder of this family's layout, loaded."""

    def folder_fields(self, folder: Path) -> dict[str, Any]:
        """What a folder says of itself beyond its family (engine/catalogue.py), as catalogue fields."""
        return {}

    def adapt(self, pipe: Any, spec: ModelSpec) -> Loaded:
        return self.loaded(pipe, spec)
