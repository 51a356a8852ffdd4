"""The tokenizer of the text encoder that reads furthest into a model's prompt, found without loading the
model (for the studio's token count): SDXL's CLIP (75 tokens of text), FLUX's and SD3's T5 (the model's
sequence length less its end token), as each family's loaded pipeline reads them (engine/families/,
`reader`). The random-weight models' tokenizers are built here, as their pipelines' are; a pretrained
model's are read from its folder or the hub's cache, never downloaded."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sfumato.domain import families
from sfumato.domain.models import LIGHTNING, PRETRAINED, ModelSpec
from sfumato.engine.options import WeightSources

T5_SEQUENCE = 512  # FLUX's own when a model says nothing (engine/families/flux.py)


@dataclass(frozen=True)
class PromptReader:
    tokenizer: Any
    tokens: int  # of text, its special tokens left out
    specials: int  # the tokens the tokenizer adds around the text (CLIP: start and end; T5: end)


def prompt_reader(spec: ModelSpec, weights: WeightSources) -> PromptReader | None:
    """None when the tokenizer is not on this machine (an API process with no weights): nothing is counted."""
    try:
        return _reader(spec, weights)
    except (OSError, ValueError):
        return None


def _reader(spec: ModelSpec, weights: WeightSources) -> PromptReader:
    t5 = spec.family in (families.FLUX.name, families.SD3.name)
    sequence = spec.text_sequence or T5_SEQUENCE
    if spec.weights not in (LIGHTNING, PRETRAINED):  # built in code, as the pipeline's own
        if t5:
            from sfumato.engine.t5_tokenizer import build_t5_tokenizer

            return PromptReader(build_t5_tokenizer(), sequence - 1, 1)
        from sfumato.engine.tokenizer import build_tokenizer

        return _clip(build_tokenizer())
    from transformers import CLIPTokenizer, T5TokenizerFast

    source = weights.base_model if spec.weights == LIGHTNING else spec.source
    if t5:
        subfolder = "tokenizer_2" if spec.family == families.FLUX.name else "tokenizer_3"
        try:
            return PromptReader(T5TokenizerFast.from_pretrained(_folder(source, subfolder)), sequence - 1, 1)
        except OSError:
            if spec.family == families.FLUX.name:
                raise
            # an SD3 folder without T5: its CLIP encoders read alone (engine/families/sd3.py)
    return _clip(CLIPTokenizer.from_pretrained(_folder(source, "tokenizer")))


def _folder(source: str, subfolder: str) -> Path:
    """A tokenizer's folder, in a local diffusers folder or the hub's cache; OSError when it is in neither.
    (transformers' `from_pretrained(..., local_files_only=True)` of a repository it does not have builds a
    tokenizer with no vocabulary, which counts every word as one unknown token a character.)"""
    local = Path(source).expanduser()
    if not local.is_dir():
        from huggingface_hub import snapshot_download

        try:
            local = Path(snapshot_download(source, allow_patterns=[f"{subfolder}/*"], local_files_only=True))
        except Exception as error:  # not in the cache: huggingface_hub's errors are of several kinds
            raise OSError(f"{source} is not in the local cache") from error
    if not (local / subfolder).is_dir():
        raise OSError(f"{source} has no {subfolder}")
    return local / subfolder


def _clip(tokenizer: Any) -> PromptReader:
    return PromptReader(tokenizer, tokenizer.model_max_length - 2, 2)
