"""Models on disk (engine/catalogue.py): a folder as a catalogue entry, weights present or not, and `save`,
whose folder makes the same pixels for the same seed as the model it was written from."""

import json
from pathlib import Path

import numpy as np
import pytest

from sfumato.domain.errors import ModelUnavailable
from sfumato.domain.models import MODELS
from sfumato.engine.base import RenderJob
from sfumato.engine.catalogue import IN_CODE, MISSING, PRESENT, folder_spec, save, weights_here
from sfumato.engine.options import WeightSources
from sfumato.engine.pipeline import DiffusersEngine
from sfumato.engine.registry import load_engine

OFFLINE = WeightSources(base_model="/nowhere", lightning_repo="/nowhere", allow_download=False)


@pytest.mark.parametrize("mode", ["text", "image", "inpaint"])
def test_a_saved_model_served_from_its_folder_makes_the_same_pixels(
    family_engine: DiffusersEngine, tmp_path: Path, mode: str
) -> None:
    folder = tmp_path / f"saved-{family_engine.spec.name}"
    save(family_engine, folder)
    again = load_engine(folder_spec(str(folder)))
    picture = np.random.default_rng(1).integers(0, 256, (256, 256, 3), np.uint8)
    from PIL import Image

    source = Image.fromarray(picture) if mode != "text" else None
    mask = Image.new("L", (256, 256), 255) if mode == "inpaint" else None
    job = RenderJob("a lighthouse", None, 256, 256, 2, 0.0, [3], mode, source, mask, 0.8)
    for made, original in zip(again.generate(job), family_engine.generate(job), strict=True):
        assert np.array_equal(np.asarray(made), np.asarray(original))


def test_a_saved_folder_keeps_the_models_defaults_and_licence(
    tiny_flux_engine: DiffusersEngine, tmp_path: Path
) -> None:
    save(tiny_flux_engine, tmp_path / "carried")
    spec = folder_spec(str(tmp_path / "carried"))
    original = MODELS["tiny-flux"]
    assert (spec.name, spec.family, spec.source) == ("carried", "flux", str((tmp_path / "carried").resolve()))
    assert (spec.default_steps, spec.guidance, spec.sequence_length) == (
        original.default_steps,
        original.guidance,
        original.sequence_length,
    )
    assert (spec.license, spec.open_license) == ("Apache-2.0", True)


def test_a_folder_without_sidecar_takes_its_family_from_model_index_and_its_defaults(
    tiny_flux_engine: DiffusersEngine, tiny_sd3_engine: DiffusersEngine, tmp_path: Path
) -> None:
    tiny_flux_engine.pipe.save_pretrained(tmp_path / "flux")
    tiny_sd3_engine.pipe.save_pretrained(tmp_path / "sd3")
    flux, sd3 = folder_spec(str(tmp_path / "flux")), folder_spec(str(tmp_path / "sd3"))
    assert (flux.family, flux.guidance, flux.default_steps) == ("flux", "none", 4)  # no guidance embedding
    assert (sd3.family, sd3.guidance, sd3.default_steps, sd3.default_guidance_scale) == (
        "sd3",
        "cfg",
        28,
        7.0,
    )
    assert flux.license == "unknown" and not flux.open_license
    config = tmp_path / "flux" / "transformer" / "config.json"
    config.write_text(json.dumps(json.loads(config.read_text()) | {"guidance_embeds": True}))
    dev = folder_spec(str(tmp_path / "flux"))
    assert (dev.guidance, dev.default_steps, dev.default_guidance_scale) == ("embedded", 28, 3.5)


def test_a_folder_of_a_pipeline_no_family_runs_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "model_index.json").write_text(json.dumps({"_class_name": "StableDiffusionPipeline"}))
    with pytest.raises(ModelUnavailable) as refused:
        folder_spec(str(tmp_path))
    assert "holds a StableDiffusionPipeline, which no family here runs" in refused.value.message
    with pytest.raises(ModelUnavailable, match="not a diffusers folder"):
        folder_spec(str(tmp_path / ".."))


def test_weights_are_in_code_present_or_missing(tiny_engine: DiffusersEngine, tmp_path: Path) -> None:
    save(tiny_engine, tmp_path / "here")
    assert weights_here(MODELS["tiny-sd3"], OFFLINE) == IN_CODE
    assert weights_here(folder_spec(str(tmp_path / "here")), OFFLINE) == PRESENT
    assert weights_here(MODELS["sdxl-lightning"], OFFLINE) == MISSING
