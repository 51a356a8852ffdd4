"""The SDXL-Lightning loader, run for real on tiny weights saved in the published layout."""

from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from sfumato.domain.errors import ModelUnavailable
from sfumato.domain.models import MODELS
from sfumato.engine.base import RenderJob
from sfumato.engine.families import family
from sfumato.engine.lightning import build_lightning_pipeline, locate_weights, unet_filename
from sfumato.engine.options import EngineOptions, WeightSources
from sfumato.engine.pipeline import DiffusersEngine
from sfumato.engine.registry import check_available, load_engine, spec_for

LIGHTNING = MODELS["sdxl-lightning"]


@pytest.fixture(scope="module")
def weights_folders(
    tmp_path_factory: pytest.TempPathFactory, tiny_engine: DiffusersEngine
) -> tuple[Path, Path]:
    """SDXL base's layout (fp16 variant files, no UNet weights) and ByteDance's UNet file, tiny-sized."""
    root = tmp_path_factory.mktemp("weights")
    base, repo = root / "sdxl-base", root / "sdxl-lightning"
    tiny_engine.pipe.save_pretrained(base, variant="fp16")
    for unet_weights in (base / "unet").glob("*.safetensors"):
        unet_weights.unlink()  # the loader must take the UNet from the Lightning file alone
    repo.mkdir()
    state = {name: tensor.contiguous() for name, tensor in tiny_engine.pipe.unet.state_dict().items()}
    save_file(state, repo / unet_filename(4))
    return base, repo


def test_local_folders_load_into_a_pipeline_that_matches_the_saved_one(
    weights_folders: tuple[Path, Path], tiny_engine: DiffusersEngine
) -> None:
    base, repo = weights_folders
    sources = WeightSources(base_model=str(base), lightning_repo=str(repo), allow_download=False)
    pipe = build_lightning_pipeline(locate_weights(LIGHTNING, sources), torch.device("cpu"), torch.float32)
    assert pipe.scheduler.config.timestep_spacing == "trailing"
    job = RenderJob("a lighthouse", None, 256, 256, 4, 0.0, [3])
    loaded = np.asarray(DiffusersEngine(family("sdxl").adapt(pipe, LIGHTNING)).generate(job)[0])
    expected = np.asarray(tiny_engine.generate(job)[0])
    assert np.array_equal(loaded, expected)


def test_load_engine_builds_sdxl_lightning_from_local_folders(weights_folders: tuple[Path, Path]) -> None:
    base, repo = weights_folders
    options = EngineOptions(
        device="cpu", weights=WeightSources(base_model=str(base), lightning_repo=str(repo))
    )
    engine = load_engine("sdxl-lightning", options)
    assert engine.spec is LIGHTNING
    check_available("sdxl-lightning", options)  # no error


def test_a_folder_without_model_index_is_named_in_one_line(tmp_path: Path) -> None:
    sources = WeightSources(base_model=str(tmp_path), lightning_repo=str(tmp_path), allow_download=False)
    with pytest.raises(ModelUnavailable) as caught:
        locate_weights(LIGHTNING, sources)
    message = caught.value.message
    assert "\n" not in message
    assert f"{tmp_path} is not a diffusers folder" in message
    assert "--model tiny" in message and "SFUMATO_BASE_MODEL" in message


def test_a_missing_unet_file_is_named(weights_folders: tuple[Path, Path], tmp_path: Path) -> None:
    base, _ = weights_folders
    options = EngineOptions(
        weights=WeightSources(base_model=str(base), lightning_repo=str(tmp_path), allow_download=False)
    )
    with pytest.raises(ModelUnavailable, match=f"{tmp_path / unet_filename(4)} does not exist"):
        check_available("sdxl-lightning", options)


@pytest.mark.parametrize(("name", "steps"), [("sdxl-lightning-2step", 2), ("sdxl-lightning-8step", 8)])
def test_each_step_count_reads_its_own_checkpoint(name: str, steps: int) -> None:
    assert spec_for(name).lightning_steps == steps
    assert unet_filename(steps) == f"sdxl_lightning_{steps}step_unet.safetensors"


def test_unknown_models_are_refused_with_the_known_ones() -> None:
    with pytest.raises(ModelUnavailable, match="unknown model 'sdxl-vintage'; known models: sdxl-lightning"):
        spec_for("sdxl-vintage")
