"""The engine over a diffusers SDXL pipeline: wraps it, never forks it.

A batch is one pipeline call. Each job's prompt is encoded on its own, exactly as the pipeline would
encode it alone, and the embeddings are stacked, one row per image; one CPU `torch.Generator` per
image makes its starting noise. So an image made in a batch equals the same request made alone, up
to the rounding of batched kernels. On a GPU the VAE decodes the batch in one call when it fits the
memory budget (engine/decoding.py), one image at a time past it and on CPU.
"""

import logging
from collections.abc import Sequence
from typing import Any

import torch
from diffusers import StableDiffusionXLPipeline
from PIL.Image import Image

from sfumato.domain import batching
from sfumato.domain.inputs import INPAINT
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

log = logging.getLogger(__name__)

# The tensors a step's end may cut down to the rows still wanted (diffusers' callback contract).
_ROW_TENSORS = ["latents", "prompt_embeds", "add_text_embeds", "add_time_ids"]


class DiffusersEngine:
    def __init__(
        self,
        pipe: StableDiffusionXLPipeline,
        spec: ModelSpec,
        *,
        compiled: bool = False,
        warmup_sizes: Sequence[tuple[int, int]] = (),
    ) -> None:
        self.pipe = pipe
        self.spec = spec
        self.compiled = compiled
        self.warmup_sizes = tuple(warmup_sizes) or ((spec.native_size, spec.native_size),)
        pipe.set_progress_bar_config(disable=True)
        self.modes = modes.Modes(pipe)

    @property
    def device(self) -> torch.device:
        return self.pipe.device

    def render(
        self,
        jobs: Sequence[RenderJob],
        *,
        on_step: StepCallback | None = None,
        keep: KeepCheck | None = None,
        on_preview: PreviewCallback | None = None,
    ) -> list[Outcome]:
        first = jobs[0]
        shapes = {
            batching.shape(j.width, j.height, j.steps, j.guidance_scale, j.mode, j.strength) for j in jobs
        }
        if len(shapes) > 1:  # domain.batching.shape
            raise ValueError("jobs of one batch must share size, steps and guidance, and mode")
        wanted = keep or (lambda index: True)
        outcomes: list[Outcome] = [None] * len(jobs)

        # 1. A stop asked for before the start costs nothing.
        live = [index for index in range(len(jobs)) if wanted(index)]
        if not live:
            raise GenerationCanceled()
        total = modes.steps_of(first)
        if total == 0:  # an input redrawn with strength 0: the input, no step run
            return [
                Rendered(modes.unchanged(job)) if index in live else None for index, job in enumerate(jobs)
            ]

        # 2. Each job's prompt, encoded alone; a prompt that cannot be encoded fails its job only.
        encoded: dict[int, tuple[torch.Tensor, ...]] = {}
        warnings: dict[int, list[str]] = {}
        with torch.inference_mode():
            for index in live:
                try:
                    encoded[index] = self._encode(jobs[index])
                    warnings[index] = self._length_warnings(jobs[index])
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
        cfg = first.guidance_scale > 1.0
        prompt, negative, pooled, negative_pooled = (
            torch.cat([encoded[index][part] for index in live]) if cfg or part in (0, 2) else None
            for part in range(4)
        )

        # 4. Between steps: progress, and rows of jobs no longer wanted leave the batch. (Inpainting keeps
        #    per-row tensors the callback cannot reach: its dropped rows run on and are discarded at the end.)
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
                    on_preview(index, previews.preview(tensors["latents"][owner.index(index)]))
            if not dropped or first.mode == INPAINT:
                return {}
            keep_rows = torch.tensor(rows, device=tensors["latents"].device)
            # With guidance the conditioning holds every unconditional row, then every conditional one.
            embed_rows = torch.cat([keep_rows, keep_rows + len(owner)]) if cfg else keep_rows
            owner = [owner[row] for row in rows]
            return {
                "latents": tensors["latents"][keep_rows],
                **{name: tensors[name][embed_rows] for name in _ROW_TENSORS[1:]},
            }

        # 5. Denoise and decode, all rows at once (the decoder too, within its memory budget).
        self._decode_budget(len(owner), first.width, first.height)
        with torch.inference_mode():
            output = self.modes.pipeline(first.mode)(
                prompt_embeds=prompt,
                negative_prompt_embeds=negative,
                pooled_prompt_embeds=pooled,
                negative_pooled_prompt_embeds=negative_pooled,
                **modes.arguments(first, [jobs[index] for index in owner]),
                num_inference_steps=first.steps,
                guidance_scale=first.guidance_scale,
                num_images_per_prompt=1,
                generator=generators,
                callback_on_step_end=step_end,
                callback_on_step_end_tensor_inputs=_ROW_TENSORS,
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
        vae = self.pipe.vae
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

    def _encode(self, job: RenderJob) -> tuple[torch.Tensor, ...]:
        """(prompt, negative, pooled, negative pooled) embeddings, a row per image.

        The negatives are None without guidance: the pipeline never computes them then.
        """
        return tuple(
            self.pipe.encode_prompt(
                prompt=job.prompt,
                device=self.device,
                num_images_per_prompt=len(job.seeds),
                do_classifier_free_guidance=job.guidance_scale > 1.0,
                negative_prompt=job.negative_prompt,
            )
        )

    def _length_warnings(self, job: RenderJob) -> list[str]:
        """Text beyond the text encoders' context is cut, as diffusers does; the job says so."""
        tokenizer = self.pipe.tokenizer
        limit = tokenizer.model_max_length - 2  # the start and end tokens
        notes = []
        texts = [("prompt", job.prompt)]
        if job.guidance_scale > 1.0 and job.negative_prompt:
            texts.append(("negative_prompt", job.negative_prompt))
        for name, text in texts:
            tokens = len(tokenizer(text, truncation=False, verbose=False).input_ids) - 2
            if tokens > limit:
                kept = tokenizer.decode(tokenizer(text, truncation=True).input_ids[1:-1]).strip()
                notes.append(
                    f"{name} is {tokens} tokens long; the text encoders read only the first {limit} "
                    f"(up to {kept[-40:]!r}), the rest was ignored"
                )
        return notes
