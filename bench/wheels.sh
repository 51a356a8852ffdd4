#!/usr/bin/env bash
# Fetches, here (with PyPI), the wheels bench/gpu.sh installs on a GPU machine that has no network.
#
#   bench/wheels.sh [FOLDER]          (default: .whl in the repository, which .gitignore ignores)
#
# The GPU machine (the device tool's nvidia-h200 or nvidia-h100) has Python 3.12 with torch, transformers,
# safetensors, numpy, Pillow, httpx, jinja2, rich, typer, matplotlib and more, but not diffusers nor the
# service's web and database stack. This fetches those, at the versions of constraints.txt (the ones the
# test suite passed with), as cp312 manylinux x86-64 wheels without their dependencies, plus torchao for
# SFUMATO_PRECISION=fp8 (TORCHAO_VERSION; 0.18.0 is built for torch 2.11, the GPU machine's). Sfumato
# itself needs no wheel: bench/gpu.sh runs it from the carried tree's src/.
#
# Then: `run` with carry [".whl"] and the command `bash bench/gpu.sh` (docs/benchmarks.md).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
folder=${1:-$root/.whl}
python=${PYTHON:-python3}
torchao=${TORCHAO_VERSION:-0.18.0}

# What sfumato needs (pyproject.toml, and what those need) that the GPU machine lacks: compared, by name,
# with the device README's list of its packages.
needed=(
    alembic annotated-types boto3 botocore deprecated diffusers fastapi httpcore2 httptools httpx2
    importlib-metadata itsdangerous jmespath lazy-importer limits mako opentelemetry-api psycopg
    psycopg-binary pydantic pydantic-core pydantic-settings python-dotenv python-multipart redis
    s3transfer sqlalchemy standardwebhooks starlette truststore typing-inspection uvicorn watchfiles
    websockets
    typing-extensions  # there, but pydantic wants a newer one (>= 4.16) than such an image may hold
)

pinned() {  # NAME -> NAME==VERSION from constraints.txt (names compared as pip does)
    local want=${1//[-_.]/-}
    while IFS='=' read -r name _ version; do
        local have=${name//[-_.]/-}
        if [ "${have,,}" = "${want,,}" ]; then
            echo "$1==$version"
            return
        fi
    done < <(grep -v '^#' "$root/constraints.txt")
    echo "sfumato: $1 is not pinned in constraints.txt" >&2
    return 1
}

specs=("torchao==$torchao")
for name in "${needed[@]}"; do
    specs+=("$(pinned "$name")")
done
mkdir -p "$folder"
platforms=()
for tag in manylinux_2_28_x86_64 manylinux_2_27_x86_64 manylinux_2_24_x86_64 manylinux_2_17_x86_64 \
    manylinux2014_x86_64 manylinux1_x86_64; do
    platforms+=(--platform "$tag")
done
"$python" -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    "${platforms[@]}" -d "$folder" "${specs[@]}"
echo "sfumato: $(ls "$folder"/*.whl | wc -l) wheels, $(du -sh "$folder" | cut -f1), in $folder" >&2
