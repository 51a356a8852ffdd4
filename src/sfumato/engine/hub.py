"""A model's diffusers folder: a local one, or a hub repository's, found in the local cache or downloaded when
allowed (SFUMATO_ALLOW_DOWNLOAD), fetching only the files its family's layout needs (`hub_files`: the
diffusers parts, never a repository's single-file checkpoints beside them). Failures are one line that says
what to do (docs/models.md, "Model weights")."""

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from sfumato.domain.errors import ModelUnavailable
from sfumato.domain.models import ModelSpec
from sfumato.engine.options import WeightSources


def dtype_argument(dtype: torch.dtype) -> dict[str, Any]:
    """`from_pretrained`'s dtype argument, loading straight into it (a 12-billion-parameter model is never
    held in float32): diffusers named it `torch_dtype` until it followed transformers to `dtype`."""
    from diffusers.utils import deprecation_utils

    return {"dtype": dtype} if hasattr(deprecation_utils, "_resolve_dtype") else {"torch_dtype": dtype}


def reason(error: Exception) -> str:
    """A download's failure, in a few words an operator can act on."""
    text = str(error).strip().splitlines()
    first = text[0] if text else type(error).__name__
    if "outgoing traffic has been disabled" in first or "local_files_only" in first:
        return "not in the local cache, and downloads are off (HF_HUB_OFFLINE=1 or SFUMATO_ALLOW_DOWNLOAD=0)"
    if "gated" in first.lower() or "401" in first or "403" in first:
        return "the repository is gated: accept its licence on the hub and set HF_TOKEN"
    if "ConnectError" in first or "resolve" in first.lower() or "connection" in first.lower():
        return "not in the local cache, and the hub cannot be reached (no network)"
    return first[:200]


def locate(spec: ModelSpec, files: Sequence[str], sources: WeightSources, skip: Sequence[str] = ()) -> Path:
    """The model's folder: `spec.source` as a local folder, or its hub repository's `files` less `skip`
    (huggingface_hub's allow and ignore patterns)."""
    source = Path(spec.source).expanduser()
    if source.is_dir():
        if not (source / "model_index.json").is_file():
            raise _fix(spec, sources, f"{source} is not a diffusers folder (no model_index.json)")
        return source
    if spec.source.startswith(("/", ".", "~")):
        raise _fix(spec, sources, f"{spec.source} does not exist")
    # Imported here: huggingface_hub reads its environment (HF_HUB_OFFLINE, HF_HOME) at import.
    from huggingface_hub import snapshot_download

    try:
        return Path(
            snapshot_download(
                spec.source,
                allow_patterns=list(files),
                ignore_patterns=list(skip) or None,
                local_files_only=not sources.allow_download,
            )
        )
    except Exception as error:
        raise _fix(spec, sources, f"{spec.source} is not here: {reason(error)}") from None


def _fix(spec: ModelSpec, sources: WeightSources, problem: str) -> ModelUnavailable:
    fetch = (
        "start once with network access"
        if sources.allow_download
        else "start once with SFUMATO_ALLOW_DOWNLOAD=1 and network access"
    )
    return ModelUnavailable(
        f"model {spec.name!r} cannot start: {problem}. To fix: {fetch}, or fetch its diffusers folder with "
        f"`hf download {spec.source or 'REPO'}` (docs/models.md, 'Model weights') and name the folder in the "
        "catalogue, or write it with `sfumato models save` on a machine that has it"
    )
