"""The studio's token count reads a prompt as the encoder that reads furthest does (engine/prompt_reader.py):
CLIP's 75 tokens for SDXL, T5's sequence less its end token for FLUX and SD3; a pretrained model's tokenizer
from its folder or the hub's cache, and nothing at all when neither has it."""

from dataclasses import replace
from pathlib import Path

from sfumato.domain.models import MODELS, PRETRAINED
from sfumato.engine.options import WeightSources
from sfumato.engine.prompt_reader import prompt_reader
from sfumato.engine.t5_tokenizer import build_t5_tokenizer
from sfumato.engine.tokenizer import build_tokenizer

OFFLINE = WeightSources(base_model="nobody/no-such-model", allow_download=False)


def counted(reader: object, text: str) -> int:
    assert reader is not None
    ids = reader.tokenizer(text, truncation=False, verbose=False).input_ids  # type: ignore[attr-defined]
    return len(ids) - reader.specials  # type: ignore[attr-defined]


def test_the_tiny_models_count_with_their_own_tokenizers() -> None:
    clip = prompt_reader(MODELS["tiny"], OFFLINE)
    assert clip is not None and clip.tokens == 75 and counted(clip, "a red fox") == 7  # a token a letter
    t5 = prompt_reader(MODELS["tiny-flux"], OFFLINE)
    # T5's pieces: a word mark and a token a letter; tiny-flux reads 256 tokens, one of them its end.
    assert t5 is not None and t5.tokens == 255 and counted(t5, "a red fox") == 10


def test_a_pretrained_folder_gives_its_tokenizers(tmp_path: Path) -> None:
    folder = tmp_path / "model"
    build_tokenizer().save_pretrained(folder / "tokenizer")
    build_t5_tokenizer().save_pretrained(folder / "tokenizer_2")
    flux = replace(MODELS["flux.1-schnell"], weights=PRETRAINED, source=str(folder))
    reader = prompt_reader(flux, OFFLINE)
    assert reader is not None and reader.tokens == 255 and counted(reader, "ab cd") == 6
    sdxl = replace(MODELS["tiny"], weights=PRETRAINED, source=str(folder))
    reader = prompt_reader(sdxl, OFFLINE)
    assert reader is not None and reader.tokens == 75 and counted(reader, "ab cd") == 4
    # An SD3 folder without its T5 encoder: the CLIP encoders read alone.
    sd3 = replace(MODELS["sd3.5-large-turbo"], weights=PRETRAINED, source=str(folder))
    reader = prompt_reader(sd3, OFFLINE)
    assert reader is not None and reader.tokens == 75


def test_a_model_whose_tokenizer_is_not_on_this_machine_counts_nothing(tmp_path: Path) -> None:
    # transformers builds a tokenizer with no vocabulary for a repository it does not have: that one would
    # count "a red fox" as 7 unknown tokens.
    assert prompt_reader(MODELS["sdxl-lightning"], OFFLINE) is None
    gone = replace(MODELS["flux.1-schnell"], source="nobody/no-such-flux")
    assert prompt_reader(gone, OFFLINE) is None
    empty = tmp_path / "empty"
    empty.mkdir()
    assert prompt_reader(replace(MODELS["tiny"], weights=PRETRAINED, source=str(empty)), OFFLINE) is None
