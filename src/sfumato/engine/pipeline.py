"""The engine over a diffusers SDXL pipeline: wraps it, never forks it."""

import logging
from typing import Any

import torch
from diffusers import StableDiffusionXLPipeline
from PIL.Image import Image

from sfumato.domain.models import ModelSpec
from sfumato.engine.base import GenerationCanceled, RenderJob, StepCallback, StopCheck

log = logging.getLogger(__name__)


class DiffusersEngine:
    def __init__(self, pipe: StableDiffusionXLPipeline, spec: ModelSpec) -> None:
        self.pipe = pipe
        self.spec = spec
        pipe.set_progress_bar_config(disable=True)

    @property
    def device(self) -> torch.device:
        return self.pipe.device

    def generate(
        self,
        job: RenderJob,
        *,
        on_step: StepCallback | None = None,
        should_stop: StopCheck | None = None,
    ) -> list[Image]:
        # 1. A stop asked for before the start costs nothing.
        if should_stop is not None and should_stop():
            raise GenerationCanceled()

        # 2. One generator per image, on the CPU: image i depends on seed i alone, whatever the batch
        #    and whatever the device, so a seed reproduces its image anywhere.
        generators = [torch.Generator(device="cpu").manual_seed(seed) for seed in job.seeds]

        # 3. Progress and cancellation between steps.
        def step_end(_pipe: Any, step: int, _timestep: Any, _tensors: dict[str, Any]) -> dict[str, Any]:
            if should_stop is not None and should_stop():
                raise GenerationCanceled()
            if on_step is not None:
                on_step(step + 1, job.steps)
            return {}

        # 4. Denoise and decode.
        with torch.inference_mode():
            output = self.pipe(
                prompt=job.prompt,
                negative_prompt=job.negative_prompt,
                width=job.width,
                height=job.height,
                num_inference_steps=job.steps,
                guidance_scale=job.guidance_scale,
                num_images_per_prompt=len(job.seeds),
                generator=generators,
                callback_on_step_end=step_end,
                output_type="pil",
            )
        return list(output.images)

    def warmup(self) -> None:
        size = self.spec.native_size
        self.generate(RenderJob("warm-up", None, size, size, 1, self.spec.default_guidance_scale, [0]))
