"""Device, precision and speed options: chosen sensibly, and never changing the images beyond rounding."""

import numpy as np
import torch

from sfumato.engine.base import Rendered, RenderJob
from sfumato.engine.device import pick_device, pick_dtype
from sfumato.engine.options import EngineOptions
from sfumato.engine.pipeline import DiffusersEngine
from sfumato.engine.registry import load_engine


def test_the_settings_choice_wins_and_auto_picks_what_is_present() -> None:
    assert pick_device("cpu") == torch.device("cpu")
    assert pick_device("auto").type in ("cuda", "mps", "cpu")
    assert pick_dtype("float16", torch.device("cpu")) == torch.float16
    assert pick_dtype("auto", torch.device("cpu")) == torch.float32
    assert pick_dtype("auto", torch.device("mps")) == torch.float16


def test_a_compiled_engine_makes_the_same_image(tiny_engine: DiffusersEngine) -> None:
    compiled = load_engine("tiny", EngineOptions(compile=True))
    assert compiled.compiled
    job = RenderJob("a lighthouse", None, 256, 256, 2, 0.0, [11])
    (fast,), (plain,) = compiled.render([job]), tiny_engine.render([job])
    assert isinstance(fast, Rendered) and isinstance(plain, Rendered)
    difference = np.abs(np.asarray(fast.images[0], np.int16) - np.asarray(plain.images[0], np.int16))
    assert difference.max() <= 2 and (difference > 0).mean() < 0.05
