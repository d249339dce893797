#!/usr/bin/env bash
# The GPU figures of issue 17 in one run on a lent GPU machine (no network, under 8 minutes):
#   OUT=/some/folder bash benchmarks/gpu_check.sh          # or PYTHON=/path/to/python ...
# Checks that there is a GPU and a Python with CUDA torch and the package's dependencies, then runs
# benchmarks/gpu_check.py on this checkout (PYTHONPATH=src), which writes $OUT/train_speed-cuda.md
# and .json after every measurement. Exit 2: no GPU or no usable Python, nothing measured.
set -u
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}"
PYTHON=${PYTHON:-python3}
if ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi -L >/dev/null 2>&1; then
    echo "gpu_check: no NVIDIA GPU here (nvidia-smi missing or failing): nothing measured"
    exit 2
fi
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
if ! "$PYTHON" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)"; then
    echo "gpu_check: $PYTHON has no torch that sees the GPU (a CUDA build of torch is needed): nothing measured"
    exit 2
fi
if ! "$PYTHON" -c "import landmarks, lightning, av, scipy"; then
    echo "gpu_check: $PYTHON lacks the package's dependencies (pip install -e . from a wheel cache): nothing measured"
    exit 2
fi
mkdir -p "${OUT:-.}"
exec timeout 480 "$PYTHON" benchmarks/gpu_check.py "$@"
