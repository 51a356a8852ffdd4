"""The decoder takes a batch at once within its memory budget, one image at a time past it
(engine/decoding.py); either way each image is the one made alone (tests/engine/test_batch.py's tolerance)."""

import numpy as np
import pytest
import torch

from sfumato.engine import decoding
from sfumato.engine.base import Rendered, RenderJob
from sfumato.engine.pipeline import DiffusersEngine


def test_sdxl_at_1024_in_bf16_is_estimated_at_six_gib_an_image() -> None:
    assert decoding.peak_bytes(512, 1024, 1024, torch.bfloat16) == 6 * 2**30


def test_on_cpu_the_decoder_goes_one_image_at_a_time(tiny_engine: DiffusersEngine) -> None:
    tiny_engine.render([RenderJob("two", None, 256, 256, 1, 0.0, [1, 2])])
    assert tiny_engine.pipe.vae.use_slicing  # measured faster there (engine/decoding.py)


def test_a_batch_decodes_at_once_only_within_half_of_the_free_memory() -> None:
    one = decoding.peak_bytes(512, 1024, 1024, torch.bfloat16)
    assert decoding.at_once(8, 1024, 1024, widest_channels=512, dtype=torch.bfloat16, free=16 * one)
    assert not decoding.at_once(8, 1024, 1024, widest_channels=512, dtype=torch.bfloat16, free=16 * one - 1)
    assert not decoding.at_once(1, 1024, 1024, widest_channels=512, dtype=torch.bfloat16, free=0)


@pytest.mark.parametrize("free", [10**12, 0], ids=["fits: at once", "does not: one at a time"])
def test_the_engine_slices_the_decoder_only_past_the_budget(
    tiny_engine: DiffusersEngine, monkeypatch: pytest.MonkeyPatch, free: int
) -> None:
    monkeypatch.setattr(decoding, "free_bytes", lambda device: free)
    monkeypatch.setattr(decoding, "BATCHED_DEVICES", frozenset({"cuda", "cpu"}))  # as on a GPU
    seen: list[int] = []
    decode = tiny_engine.pipe.vae._decode  # one call a slice when slicing

    def recorded(latents: torch.Tensor, *args: object, **kwargs: object) -> object:
        seen.append(int(latents.shape[0]))
        return decode(latents, *args, **kwargs)

    monkeypatch.setattr(tiny_engine.pipe.vae, "_decode", recorded)
    job = RenderJob("three boats", None, 256, 256, 2, 0.0, [1, 2, 3])
    (batched,) = tiny_engine.render([job])
    assert isinstance(batched, Rendered) and len(batched.images) == 3
    assert sum(seen) == 3 and max(seen) == (3 if free else 1)
    monkeypatch.undo()
    for index, seed in enumerate(job.seeds):
        (alone,) = tiny_engine.render([RenderJob("three boats", None, 256, 256, 2, 0.0, [seed])])
        assert isinstance(alone, Rendered)
        difference = np.abs(
            np.asarray(batched.images[index], np.int16) - np.asarray(alone.images[0], np.int16)
        )
        assert difference.max() <= 1 and (difference > 0).mean() < 0.01
