"""The loaders of FLUX.1-schnell and SD3.5 Large Turbo (engine/hub.py, engine/families/), run for real on tiny
weights saved in the published layouts, as tests/engine/test_lightning.py does for SDXL-Lightning."""

import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from huggingface_hub.utils import filter_repo_objects

from sfumato.domain.errors import ModelUnavailable
from sfumato.domain.models import MODELS
from sfumato.engine.base import RenderJob
from sfumato.engine.families import family
from sfumato.engine.options import EngineOptions, WeightSources
from sfumato.engine.pipeline import DiffusersEngine
from sfumato.engine.registry import check_available, load_engine

# black-forest-labs/FLUX.1-schnell's files: the diffusers layout, and BFL's single-file checkpoints at the
# root (the diffusers list as Hugging Face's tree of the repository shows it).
FLUX_DIFFUSERS = [
    "model_index.json",
    "scheduler/scheduler_config.json",
    "text_encoder/config.json",
    "text_encoder/model.safetensors",
    "text_encoder_2/config.json",
    "text_encoder_2/model-00001-of-00002.safetensors",
    "text_encoder_2/model-00002-of-00002.safetensors",
    "text_encoder_2/model.safetensors.index.json",
    "tokenizer/merges.txt",
    "tokenizer/special_tokens_map.json",
    "tokenizer/tokenizer_config.json",
    "tokenizer/vocab.json",
    "tokenizer_2/special_tokens_map.json",
    "tokenizer_2/spiece.model",
    "tokenizer_2/tokenizer.json",
    "tokenizer_2/tokenizer_config.json",
    "transformer/config.json",
    "transformer/diffusion_pytorch_model-00001-of-00003.safetensors",
    "transformer/diffusion_pytorch_model-00002-of-00003.safetensors",
    "transformer/diffusion_pytorch_model-00003-of-00003.safetensors",
    "transformer/diffusion_pytorch_model.safetensors.index.json",
    "vae/config.json",
    "vae/diffusion_pytorch_model.safetensors",
]
FLUX_ELSE = [
    ".gitattributes",
    "README.md",
    "LICENSE.md",
    "ae.safetensors",
    "flux1-schnell.safetensors",
    "schnell_grid.jpeg",
]

# stabilityai/stable-diffusion-3.5-large-turbo's: the diffusers layout (its text encoders also in fp16 copies
# of the same size), the single-file checkpoint, and ComfyUI's encoders in `text_encoders/`.
SD3_DIFFUSERS = [
    "model_index.json",
    "scheduler/scheduler_config.json",
    "text_encoder/config.json",
    "text_encoder/model.safetensors",
    "text_encoder_2/config.json",
    "text_encoder_2/model.safetensors",
    "text_encoder_3/config.json",
    "text_encoder_3/model-00001-of-00002.safetensors",
    "text_encoder_3/model-00002-of-00002.safetensors",
    "text_encoder_3/model.safetensors.index.json",
    "tokenizer/merges.txt",
    "tokenizer/special_tokens_map.json",
    "tokenizer/tokenizer_config.json",
    "tokenizer/vocab.json",
    "tokenizer_2/merges.txt",
    "tokenizer_2/special_tokens_map.json",
    "tokenizer_2/tokenizer_config.json",
    "tokenizer_2/vocab.json",
    "tokenizer_3/special_tokens_map.json",
    "tokenizer_3/spiece.model",
    "tokenizer_3/tokenizer.json",
    "tokenizer_3/tokenizer_config.json",
    "transformer/config.json",
    "transformer/diffusion_pytorch_model-00001-of-00002.safetensors",
    "transformer/diffusion_pytorch_model-00002-of-00002.safetensors",
    "transformer/diffusion_pytorch_model.safetensors.index.json",
    "vae/config.json",
    "vae/diffusion_pytorch_model.safetensors",
]
SD3_ELSE = [
    ".gitattributes",
    "LICENSE.md",
    "README.md",
    "sd3.5_large_turbo.safetensors",
    "text_encoder/model.fp16.safetensors",
    "text_encoder_2/model.fp16.safetensors",
    "text_encoder_3/model.fp16-00001-of-00002.safetensors",
    "text_encoder_3/model.fp16-00002-of-00002.safetensors",
    "text_encoder_3/model.safetensors.index.fp16.json",
    "text_encoders/clip_g.safetensors",
    "text_encoders/clip_l.safetensors",
    "text_encoders/t5xxl_fp16.safetensors",
    "text_encoders/t5xxl_fp8_e4m3fn.safetensors",
]


@pytest.mark.parametrize(
    ("name", "wanted", "left"),
    [("flux", FLUX_DIFFUSERS, FLUX_ELSE), ("sd3", SD3_DIFFUSERS, SD3_ELSE)],
)
def test_a_download_fetches_the_diffusers_layout_and_nothing_beside_it(
    name: str, wanted: list[str], left: list[str]
) -> None:
    # huggingface_hub's own selection, as snapshot_download makes it from the patterns.
    runs = family(name)
    chosen = filter_repo_objects(
        wanted + left, allow_patterns=list(runs.hub_files), ignore_patterns=list(runs.hub_skip)
    )
    assert sorted(chosen) == sorted(wanted)


@pytest.fixture(scope="module")
def published(
    tmp_path_factory: pytest.TempPathFactory,
    tiny_flux_engine: DiffusersEngine,
    tiny_sd3_engine: DiffusersEngine,
) -> dict[str, Path]:
    """Each tiny model saved in its family's layout, with a published repository's other files beside it."""
    root = tmp_path_factory.mktemp("published")
    folders = {}
    for name, engine, extras in (
        ("flux", tiny_flux_engine, ["flux1-schnell.safetensors", "ae.safetensors"]),
        ("sd3", tiny_sd3_engine, ["sd3.5_large_turbo.safetensors", "text_encoders/clip_l.safetensors"]),
    ):
        folder = root / name
        engine.pipe.save_pretrained(folder)
        for extra in extras:  # never read: bytes that are not a checkpoint at all
            (folder / extra).parent.mkdir(exist_ok=True)
            (folder / extra).write_bytes(b"not weights")
        if name == "sd3":  # the fp16 copies beside the text encoders' files, left unread too
            for encoder in ("text_encoder", "text_encoder_2", "text_encoder_3"):
                shutil.copy(
                    folder / encoder / "model.safetensors", folder / encoder / "model.fp16.safetensors"
                )
        folders[name] = folder
    return folders


@pytest.mark.parametrize(
    ("model", "layout", "tiny"),
    [("flux.1-schnell", "flux", "tiny_flux_engine"), ("sd3.5-large-turbo", "sd3", "tiny_sd3_engine")],
)
def test_a_published_layout_loads_into_a_pipeline_that_makes_the_saved_ones_images(
    request: pytest.FixtureRequest, published: dict[str, Path], model: str, layout: str, tiny: str
) -> None:
    spec = replace(MODELS[model], source=str(published[layout]))
    options = EngineOptions(device="cpu", weights=WeightSources(allow_download=False))
    check_available(spec, options)  # no error
    loaded = load_engine(spec, options)
    assert loaded.spec is spec and loaded.model.denoiser.dtype.is_floating_point
    job = RenderJob("a lighthouse", None, 256, 256, 2, 0.0, [3])
    saved: DiffusersEngine = request.getfixturevalue(tiny)
    assert np.array_equal(np.asarray(loaded.generate(job)[0]), np.asarray(saved.generate(job)[0]))


def test_a_folder_that_is_not_there_is_one_line_saying_what_to_do(tmp_path: Path) -> None:
    spec = replace(MODELS["flux.1-schnell"], source=str(tmp_path / "nowhere"))
    with pytest.raises(ModelUnavailable) as refused:
        check_available(spec, EngineOptions(weights=WeightSources(allow_download=False)))
    message = refused.value.message
    assert "\n" not in message and f"{tmp_path / 'nowhere'} does not exist" in message
    assert "sfumato models save" in message


def test_a_folder_without_model_index_is_named(tmp_path: Path) -> None:
    spec = replace(MODELS["sd3.5-large-turbo"], source=str(tmp_path))
    with pytest.raises(ModelUnavailable, match=f"{tmp_path} is not a diffusers folder"):
        check_available(spec, EngineOptions(weights=WeightSources(allow_download=False)))
