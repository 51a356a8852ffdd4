"""`tiny-flux` and `tiny-sd3` (engine/tiny_flux.py, engine/tiny_sd3.py): real FLUX and SD3 pipelines with
small random weights, built in code, deterministic, with nothing fetched from anywhere."""

import socket
from typing import Any

import pytest
import torch

from sfumato.engine.flux_random import build_components
from sfumato.engine.pipeline import DiffusersEngine
from sfumato.engine.t5_tokenizer import build_t5_tokenizer, vocabulary_size
from sfumato.engine.tiny_flux import build_tiny_flux_pipeline
from sfumato.engine.tiny_sd3 import build_tiny_sd3_pipeline


def test_tiny_flux_is_a_real_flux_pipeline_of_schnells_kind(tiny_flux_engine: DiffusersEngine) -> None:
    pipe = tiny_flux_engine.pipe
    assert type(pipe).__name__ == "FluxPipeline" and type(pipe.tokenizer_2).__name__.startswith("T5Tokenizer")
    assert pipe.vae.config.latent_channels == 16 and pipe.vae_scale_factor == 8
    assert pipe.transformer.config.guidance_embeds is False  # schnell's: no guidance input
    assert (pipe.scheduler.config.shift, pipe.scheduler.config.use_dynamic_shifting) == (1.0, False)


def test_tiny_sd3_is_a_real_sd3_pipeline_with_three_encoders(tiny_sd3_engine: DiffusersEngine) -> None:
    pipe = tiny_sd3_engine.pipe
    assert type(pipe).__name__ == "StableDiffusion3Pipeline"
    assert type(pipe.text_encoder_3).__name__ == "T5EncoderModel"
    assert (pipe.vae.config.latent_channels, pipe.transformer.config.patch_size) == (16, 2)
    assert pipe.scheduler.config.shift == 3.0  # SD3.5's


@pytest.mark.parametrize("build", [build_tiny_flux_pipeline, build_tiny_sd3_pipeline])
def test_it_is_built_the_same_each_time_offline_and_leaves_the_callers_random_state(
    build: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_network(*_args: object) -> None:
        raise AssertionError("the tiny models must not reach the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    torch.manual_seed(123)
    expected = torch.rand(1)
    torch.manual_seed(123)
    first = build()
    assert torch.equal(torch.rand(1), expected)
    second = build()
    for name in ("transformer", "vae", "text_encoder", "text_encoder_2"):
        one, two = getattr(first, name).state_dict(), getattr(second, name).state_dict()
        assert all(torch.equal(one[key], two[key]) for key in one)


def test_the_offline_t5_tokenizer_splits_words_into_letters_with_t5s_special_ids() -> None:
    tokenizer = build_t5_tokenizer()
    ids = tokenizer("a cat").input_ids
    assert len(ids) == len("▁a▁cat") + 1 and ids[-1] == tokenizer.eos_token_id == 1
    assert (tokenizer.pad_token_id, tokenizer.unk_token_id) == (0, 2)
    assert tokenizer("☃").input_ids[1] == 2  # outside its letters: unknown
    assert tokenizer.decode(tokenizer("hello world").input_ids, skip_special_tokens=True) == "hello world"
    assert max(tokenizer("every printable letter ~ é ÿ").input_ids) < vocabulary_size()


def test_flux_random_has_the_exact_shapes_of_flux_schnell() -> None:
    # Built on the meta device: the real architecture, no memory spent on weights. FLUX.1 [dev]'s transformer
    # is 11,901,408,320; schnell's lacks its guidance embedding (256 -> 3072 -> 3072: 10,229,760).
    components = build_components("meta")
    counts = {name: sum(p.numel() for p in module.parameters()) for name, module in components.items()}
    assert counts == {
        "transformer": 11_901_408_320 - 10_229_760,
        "vae": 83_819_683,
        "text_encoder": 123_060_480,
        "text_encoder_2": 4_762_310_656,
    }
