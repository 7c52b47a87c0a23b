#!/usr/bin/env bash
# The one prepared script for a lent GPU machine (the device tool: Python 3.12,
# CuPy, NumPy, PyTorch, pytest, click, pillow, matplotlib, pyyaml, tqdm,
# threadpoolctl, requests; no DVC, no network).  Run from the repository root:
#
#     bash tools/gpu_check.sh "$OUT" [EXPERIMENT ...] [--jobs N]
#
# Four phases, each under its own time limit so that a slow one cannot take
# the others' results with it (a command may run 600 s): the GPU tests
# (150 s), the bench (150 s), the profile of the MLP and DCGAN steps (60 s),
# then the EXPERIMENTs (default: all) trained and evaluated on the GPU, 8 at a
# time (200 s; tools/gpu_lab.py writes after each one).  OUT gets env.txt, gpu_tests.txt,
# bench_cuda.json, profile_cuda.json, gpu_lab.json, log.txt and tables.md (tools/gpu_tables.py:
# the bench's ratios, each experiment's GPU seconds and metrics beside the CPU's).
# Record what it measured, and this command, in docs/performance.md.
#
# Bring the CPU run's data caches and evaluator references along, so that the
# GPU run trains on the same data and is measured with the same classifier
# (tools/gpu_lab.py keeps them when they are dvc.lock's). Here, before the call:
#
#     dvc repro evaluator && echo /.carry/ >> .git/info/exclude && mkdir -p .carry/data .carry/results &&
#     cp -a data/processed .carry/data/ && cp -a results/evaluator .carry/results/
#
# and name .carry in the device call's carry (8 MB); this script puts it in place.
set -uo pipefail
out=${1:?usage: bash tools/gpu_check.sh OUT [EXPERIMENT ...]}
shift
export PYTHONPATH=$PWD PYTHONUNBUFFERED=1
exec > >(tee "$out/log.txt") 2>&1

gan() { python -c 'from gan.cli import main; main()' "$@"; }

if [ -d .carry ]; then
  cp -a .carry/. . && echo "== carried: $(cd .carry && find . -mindepth 2 -maxdepth 2 -type d | sort | xargs)"
fi

{ nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv; python -c \
  'import cupy, numpy, sys; print(sys.version); print("numpy", numpy.__version__, "cupy", cupy.__version__)'; \
  python -c 'import torch; print("torch", torch.__version__)'; } > "$out/env.txt" 2>&1

echo "== GPU tests"
timeout 150 python -m pytest -o addopts= -q -rs -m gpu tests/test_device.py 2>&1 | tee "$out/gpu_tests.txt"

echo "== the bench (the sample's mnist cache first, unless carried)"
{ [ -f data/processed/mnist_train/manifest.json ] ||
  { gan data download data/sample/mnist-jpg-sample.zip data/raw/mnist --strip-components 1 &&
    gan data flatten "data/raw/mnist/MNIST - JPG - training" data/processed/mnist_train; }; } &&
timeout 150 python -c 'from gan.cli import main; main()' bench --device cuda --repeats 5 > "$out/bench_cuda.json"

echo "== where a step's time goes (launch costs, operations, each layer)"
timeout 60 python tools/gpu_profile.py cuda mnist mnist_dcgan > "$out/profile_cuda.json"

echo "== the lab on the GPU"
time timeout 200 python tools/gpu_lab.py cuda "$out" --jobs 8 "$@"

python tools/gpu_tables.py "$out" > "$out/tables.md"
