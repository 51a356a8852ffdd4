"""Where torch.compile keeps what it compiled between starts: a folder of the data directory.

Inductor keeps its compiled graphs (the FX graph and AOTAutograd caches) and its autotuning results under
`TORCHINDUCTOR_CACHE_DIR`, Triton its GPU kernels under `TRITON_CACHE_DIR`; by default both lie in the
system's temporary folder, which a container loses at every restart, so each start compiled again (minutes
on the SDXL UNet). With SFUMATO_COMPILE the engine points each at a folder of `<data_dir>/compile-cache`
before it compiles, unless the operator has set the variable. PyTorch keys every entry by its own
version, the GPU and the graph, so an entry made for another model, torch or GPU is never read: it only
takes room, and deleting the folder is always safe. Dynamo still traces the model at each start (tens of
seconds); what the folder saves is the compilation of the kernels (docs/models.md).
"""

import logging
import os
from collections.abc import MutableMapping
from pathlib import Path

log = logging.getLogger(__name__)

FOLDER = "compile-cache"
# Each variable, and its folder inside the cache's.
VARIABLES = {"TORCHINDUCTOR_CACHE_DIR": "inductor", "TRITON_CACHE_DIR": "triton"}


def prepare(folder: Path, environ: MutableMapping[str, str] | None = None) -> dict[str, str]:
    """Create `folder` and point there each cache the operator has not placed; returns what it set.

    Called before anything compiles: Inductor and Triton read the variables when they first cache."""
    environ = os.environ if environ is None else environ
    chosen: dict[str, str] = {}
    for variable, part in VARIABLES.items():
        if environ.get(variable):
            log.info("compile cache: %s is the operator's (%s)", variable, environ[variable])
            continue
        path = folder / part
        path.mkdir(parents=True, exist_ok=True)
        environ[variable] = chosen[variable] = str(path)
    if chosen:
        log.info("compile cache: %s", ", ".join(f"{name}={path}" for name, path in chosen.items()))
    return chosen
