#!/usr/bin/env bash
# Every GPU row of docs/benchmarks.md in one run, on a fresh GPU machine, within a time budget.
#
#   bash bench/gpu.sh [--out FOLDER] [--budget SECONDS] [--dry-run]
#
# On the device tool's machine (no network; Python 3.12 with torch): build the wheels here first
# (bench/wheels.sh), then `run` with carry [".whl"] and the command `bash bench/gpu.sh` (timeout_s 600).
# The wheels in .whl/ are installed into a folder of /tmp; Sfumato runs from this tree's src/.
# Results go to --out (default: $OUT, the folder the device tool brings back, else bench/results/gpu-<time>):
# at most 8 files, as that tool brings back: one JSON a step, the sweep's plot, and gpu.log.
#
# The steps, in order, each given what is left of --budget (540 s: 9 minutes, compilation included)
# and skipped when too little is left:
#   1. engine-compiled-1024   bench.engine, compile on, 1024x1024, 4 steps, an empty compile cache: the
#                             first start's load and warm-up (compilation), then the batch sweep
#   2. engine-restart-1024    the same in a new process on the same cache: a restart's time to ready
#   3. engine-eager-1024      compile off, the batch sweep 1..16: images/s and peak memory
#   4. serve-sweep            bench.serve at 1 and 16 clients (eager), against the plain server; its plot
#   5. precision              bench.precision: fp8 against bf16, speed and relative error
#   6. engine-eager-512       compile off, 512x512, the batch sweep
# --dry-run: the same steps and files with the `tiny` model at 256x256 (128x128 for the second size),
# compilation off, seconds each, on whatever device is here: it proves the plumbing, not the speed.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${OUT:-$root/bench/results/gpu-$(date -u +%Y%m%dT%H%M%SZ)}
budget=540
dry=0
while [ $# -gt 0 ]; do
    case $1 in
        --out) out=$2; shift 2 ;;
        --budget) budget=$2; shift 2 ;;
        --dry-run) dry=1; shift ;;
        *) echo "usage: bash bench/gpu.sh [--out FOLDER] [--budget SECONDS] [--dry-run]" >&2; exit 2 ;;
    esac
done
mkdir -p "$out"
log=$out/gpu.log
: > "$log"
python=${PYTHON:-python3}
say() { echo "gpu.sh [$((SECONDS))s] $*" | tee -a "$log" >&2; }

if compgen -G "$root/.whl/*.whl" > /dev/null; then
    site=/tmp/sfumato-gpu-site
    "$python" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$site" \
        "$root"/.whl/*.whl >> "$log" 2>&1 || { say "the wheels did not install (see above)"; exit 1; }
    export PYTHONPATH=$root/src:$root:$site${PYTHONPATH:+:$PYTHONPATH}
else
    export PYTHONPATH=$root/src:$root${PYTHONPATH:+:$PYTHONPATH}
fi
export PYTHONUNBUFFERED=1 TRANSFORMERS_VERBOSITY=error
cd "$root" || exit 1

if [ "$dry" = 1 ]; then
    model=tiny big=256 small=128 compile=off batches=1,2 repeats=1 clients=1,2 duration=5 warmup=2
    precision=(--batches 1 --repeats 1)
else
    model=sdxl-random big=1024 small=512 compile=on batches=1,2,4,8,16 repeats=3 clients=1,16 duration=15 warmup=5
    precision=(--batches 1,4 --repeats 5)
fi
cache=$(mktemp -d /tmp/sfumato-compile-cache.XXXX)
# Everything the steps import, first: a missing or too old package stops the run in seconds, not per step.
if ! "$python" -c '
import sys, torch, diffusers, fastapi, pydantic, sqlalchemy, uvicorn, matplotlib, sfumato.app, bench.engine
print("torch", torch.__version__, "diffusers", diffusers.__version__, "cuda", torch.cuda.is_available(),
      torch.cuda.get_device_name(0) if torch.cuda.is_available() else "", file=sys.stderr)' 2>> "$log"; then
    say "the steps cannot import what they need (see $log); bench/wheels.sh fetches it"
    tail -5 "$log" >&2
    exit 1
fi

failed=0
step() {  # NAME LEAST_SECONDS COMMAND...: run it within what is left of the budget, or skip it
    local name=$1 least=$2 left=$((budget - SECONDS))
    shift 2
    if [ "$left" -lt "$least" ]; then
        say "$name: skipped, ${left}s left of the budget (it needs about ${least}s)"
        return
    fi
    say "$name: $*"
    timeout --signal=TERM --kill-after=10 "$left" "$@" >> "$log" 2>&1
    local status=$?
    [ "$status" = 0 ] || failed=$((failed + 1))
    say "$name: exit $status"
}

engine=("$python" -m bench.engine --model "$model" --repeats "$repeats")
step engine-compiled-1024 120 "${engine[@]}" --size "$big" --batches "$batches" --compile "$compile" \
    --compile-cache "$cache" --json "$out/engine-compiled-$big.json"
step engine-restart-1024 30 "${engine[@]}" --size "$big" --batches 1,4 --compile "$compile" \
    --compile-cache "$cache" --json "$out/engine-restart-$big.json"
step engine-eager-1024 40 "${engine[@]}" --size "$big" --batches "$batches" --compile off \
    --json "$out/engine-eager-$big.json"
step serve-sweep 100 "$python" -m bench.serve --model "$model" --size "$big" --sweep "$clients" \
    --duration "$duration" --warmup "$warmup" --json "$out/serve-sweep.json" --plot "$out/serve-sweep.png"
step precision 40 "$python" -m bench.precision --model "$model" --size "$big" "${precision[@]}" \
    --json "$out/precision.json"
step engine-eager-512 30 "${engine[@]}" --size "$small" --batches "$batches" --compile off \
    --json "$out/engine-eager-$small.json"
rm -rf "$cache"
say "done: $failed step(s) failed; files in $out: $(cd "$out" && ls | tr '\n' ' ')"
[ "$failed" = 0 ]
