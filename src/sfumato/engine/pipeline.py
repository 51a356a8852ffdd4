"""The engine over a diffusers pipeline of any family (engine/families/): wraps it, never forks it.

A batch is one pipeline call. Each job's prompt is encoded on its own, exactly as the pipeline would
encode it alone, and the embeddings are stacked, one row per image; one CPU `torch.Generator` per
image makes its starting noise. So an image made in a batch equals the same request made alone, up
to the rounding of batched kernels. On a GPU the VAE decodes the batch in one call when it fits the
memory budget (engine/decoding.py), one image at a time past it and on CPU. What differs between
families (the text tensors, the call's arguments, what a step's end may cut, previews, token limits)
is asked of the loaded family (`Loaded`); this module never names a pipeline class.
"""

import logging
from collections.abc import Sequence
from typing import Any

import torch
from PIL.Image import Image

from sfumato.domain import batching
from sfumato.domain.models import ModelSpec
from sfumato.engine import decoding, modes, previews
from sfumato.engine.base import (
    GenerationCanceled,
    KeepCheck,
    Outcome,
    PreviewCallback,
    Rendered,
    RenderJob,
    StepCallback,
    StopCheck,
)
from sfumato.engine.families.base import Embeddings, Loaded

log = logging.getLogger(__name__)


class DiffusersEngine:
    def __init__(
        self,
        model: Loaded,
        *,
        compiled: bool = False,
        warmup_sizes: Sequence[tuple[int, int]] = (),
    ) -> None:
        self.model = model
        self.spec: ModelSpec = model.spec
        self.compiled = compiled
        size = self.spec.native_size
        self.warmup_sizes = tuple(warmup_sizes) or ((size, size),)

    @property
    def pipe(self) -> Any:
        return self.model.pipe

    @property
    def device(self) -> torch.device:
        return self.model.device

    def weight_bytes(self) -> int:
        """What the pipeline's networks hold in memory: parameters and buffers."""
        return sum(
            tensor.numel() * tensor.element_size()
            for component in self.pipe.components.values()
            if isinstance(component, torch.nn.Module)
            for tensor in (*component.parameters(), *component.buffers())
        )

    def render(
        self,
        jobs: Sequence[RenderJob],
        *,
        on_step: StepCallback | None = None,
        keep: KeepCheck | None = None,
        on_preview: PreviewCallback | None = None,
    ) -> list[Outcome]:
        first, model = jobs[0], self.model
        guidance = self.spec.guidance
        shapes = {
            batching.shape(j.width, j.height, j.steps, j.guidance_scale, j.mode, j.strength, guidance)
            for j in jobs
        }
        if len(shapes) > 1:  # domain.batching.shape
            raise ValueError("jobs of one batch must share size, steps and guidance, and mode")
        wanted = keep or (lambda index: True)
        outcomes: list[Outcome] = [None] * len(jobs)

        # 1. A stop asked for before the start costs nothing.
        live = [index for index in range(len(jobs)) if wanted(index)]
        if not live:
            raise GenerationCanceled()
        total = modes.steps_of(first, self.spec.traits.strength_steps)
        if total == 0:  # an input redrawn with strength 0: the input, no step run
            return [
                Rendered(modes.unchanged(job)) if index in live else None for index, job in enumerate(jobs)
            ]

        # 2. Each job's prompt, encoded alone; a prompt that cannot be encoded fails its job only.
        cfg = model.uses_cfg(first.guidance_scale)
        encoded: dict[int, Embeddings] = {}
        warnings: dict[int, list[str]] = {}
        with torch.inference_mode():
            for index in live:
                try:
                    encoded[index] = model.encode(jobs[index], cfg)
                    warnings[index] = model.length_notes(jobs[index], cfg)
                except Exception as error:
                    log.exception("could not encode the prompt of batch entry %d", index)
                    outcomes[index] = error
        live = [index for index in live if index in encoded]
        if not live:
            return outcomes

        # 3. One row per image; row r belongs to job owner[r].
        owner = [index for index in live for _ in jobs[index].seeds]
        generators = [
            torch.Generator(device="cpu").manual_seed(seed) for index in live for seed in jobs[index].seeds
        ]
        text = {
            name: torch.cat([encoded[index][name] for index in live])  # type: ignore[misc]
            if encoded[live[0]][name] is not None
            else None
            for name in encoded[live[0]]
        }
        cuttable = model.row_tensors.get(first.mode)

        # 4. Between steps: progress, and rows of jobs no longer wanted leave the batch. (Where the family's
        #    callback cannot reach every per-row tensor, dropped rows run on and are discarded at the end.)
        def step_end(_pipe: Any, step: int, _timestep: Any, tensors: dict[str, Any]) -> dict[str, Any]:
            nonlocal owner
            dropped = {index for index in set(owner) if not wanted(index)}
            rows = [row for row, index in enumerate(owner) if index not in dropped]
            if not rows:
                raise GenerationCanceled()
            if on_step is not None:
                on_step(step + 1, total)
            if on_preview is not None:  # a small picture of each asking job's first image, as it stands
                for index in {index for index in owner if jobs[index].previews and index not in dropped}:
                    latent = tensors["latents"][owner.index(index)]
                    picture = model.latent_picture(latent, first.width, first.height)
                    on_preview(index, previews.preview(picture, model.factors))
            if not dropped or cuttable is None:
                return {}
            keep_rows = torch.tensor(rows, device=tensors["latents"].device)
            cut = model.cut(first.mode, tensors, keep_rows, len(owner), cfg)
            owner = [owner[row] for row in rows]
            return cut

        # 5. Denoise and decode, all rows at once (the decoder too, within its memory budget).
        self._decode_budget(len(owner), first.width, first.height)
        with torch.inference_mode():
            output = model.pipeline(first.mode)(
                **text,
                **model.arguments(first, [jobs[index] for index in owner]),
                **model.extras(),
                num_inference_steps=first.steps,
                guidance_scale=first.guidance_scale,
                num_images_per_prompt=1,
                generator=generators,
                callback_on_step_end=step_end,
                callback_on_step_end_tensor_inputs=cuttable or ["latents"],
                output_type="pil",
            )
        images: dict[int, list[Image]] = {}
        for index, image in zip(owner, output.images, strict=True):
            images.setdefault(index, []).append(modes.overlay(image, jobs[index]))
        for index, made in images.items():
            if wanted(index):
                outcomes[index] = Rendered(made, warnings[index])
        return outcomes

    def _decode_budget(self, images: int, width: int, height: int) -> None:
        vae = self.model.vae
        fits = self.device.type in decoding.BATCHED_DEVICES and decoding.at_once(
            images,
            width,
            height,
            widest_channels=max(vae.config.block_out_channels),
            dtype=vae.dtype,
            free=decoding.free_bytes(self.device),
        )
        if fits:
            vae.disable_slicing()
        else:
            vae.enable_slicing()

    def generate(
        self,
        job: RenderJob,
        *,
        on_step: StepCallback | None = None,
        should_stop: StopCheck | None = None,
    ) -> list[Image]:
        """One job alone: its images, or its error raised."""
        stop = should_stop or (lambda: False)
        (outcome,) = self.render([job], on_step=on_step, keep=lambda _index: not stop())
        if isinstance(outcome, Exception):
            raise outcome
        if outcome is None:
            raise GenerationCanceled()
        return outcome.images

    def warmup(self) -> None:
        """One call of each warm-up size (SFUMATO_WARMUP_SIZES). Compiled, a batch of one and one of two:
        PyTorch specialises a batch of one, and the second batch size makes the batch dimension dynamic
        (its automatic dynamic shapes), so every larger batch reuses that graph, compiling nothing more."""
        guidance = self.spec.default_guidance_scale
        for width, height in self.warmup_sizes:
            for seeds in ([0], [0, 1]) if self.compiled else ([0],):
                self.render([RenderJob("warm-up", None, width, height, 1, guidance, seeds)])
