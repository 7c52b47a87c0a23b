"""Run the pipeline of params.yaml without DVC (a lent GPU machine has none),
the experiments trained on DEVICE, and write what it measured as it goes.

Usage: python tools/gpu_lab.py DEVICE OUT [EXPERIMENT ...] [--jobs N]

The stages run in dvc.yaml's order with the commands DVC would run (the
foreach lists of dvc.yaml, the names of params.yaml), in a copy of the params
whose top-level ``device`` is DEVICE; outputs go where DVC puts them.  Only
the EXPERIMENTs named are trained (default: all), each then evaluated, N at a
time in processes of their own (as ``dvc queue start -j N`` would; each with
GAN_THREADS = cores / N): a small network's step is its kernel launches,
Python's work on the host, and N processes share the GPU.
The GPU run is to be measured with the CPU run's ruler: a stage before
training is skipped when its outputs are already those of dvc.lock (carried
from a workspace after `dvc repro evaluator`: the evaluator reference
retrained on another machine, with other BLAS threads, is another classifier
and moves classifier_score or recall by more than the CPU run's spread), and
``inputs`` records for each output whether it was there already as in
dvc.lock ("kept"), made here as in dvc.lock ("made"), or made here and
different ("differs").
OUT/gpu_lab.json is rewritten after that and after every experiment with its
training seconds (as logged by the run itself, beside N - 1 others when
N > 1), its metrics, or why it failed, and the wall seconds of training and
evaluating all of them: a run cut short by a time limit keeps what it
measured.  tools/gpu_check.sh calls it.
"""

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml

from gan.params import load_params


def stage(*args: str, env: dict | None = None) -> None:
    """Run ``python ARGS...`` (a stage script and its arguments); CalledProcessError if it fails."""
    subprocess.run([sys.executable, *args], check=True, env=env)


def dvc_md5(path: Path) -> str:
    """The md5 dvc.lock records for ``path``: a file's, or for a folder the md5
    of the JSON list of its files' {"md5", "relpath"}, sorted by relpath, plus ".dir"."""
    def md5(file: Path) -> str:
        with open(file, "rb") as f:
            return hashlib.file_digest(f, "md5").hexdigest()

    if path.is_file():
        return md5(path)
    files = sorted((file.relative_to(path).as_posix(), file) for file in path.rglob("*") if file.is_file())
    listing = [{"md5": md5(file), "relpath": relpath} for relpath, file in files]
    return hashlib.md5(json.dumps(listing, sort_keys=True).encode()).hexdigest() + ".dir"


def as_locked(outs: list[dict]) -> bool:
    """Whether each of a dvc.lock stage's ``outs`` is on disk with its recorded md5."""
    return all(Path(out["path"]).exists() and dvc_md5(Path(out["path"])) == out["md5"] for out in outs)


def prepare(label: str, lock: dict, inputs: dict, *args: str) -> None:
    """Run stage ``label`` of dvc.lock (``python ARGS...``) unless its outputs are
    the lock's already; record in ``inputs`` how each output came to be."""
    outs = lock.get(label, {}).get("outs", [])
    if outs and as_locked(outs):
        inputs.update({out["path"]: "kept" for out in outs})
        return
    stage(*args)
    inputs.update({out["path"]: "made" if as_locked([out]) else "differs" for out in outs})
    if not outs:
        inputs[label] = "not in dvc.lock"


def main(device: str, out: Path, names: list[str], jobs: int) -> None:
    params = load_params("params.yaml")
    dvc = yaml.safe_load(Path("dvc.yaml").read_text())["stages"]
    lock = yaml.safe_load(Path("dvc.lock").read_text())["stages"]  # read before params.yaml is switched
    shutil.copy("params.yaml", out / "params.cpu.yaml")
    Path("params.yaml").write_text(Path("params.yaml").read_text().replace("\ndevice: cpu\n", f"\ndevice: {device}\n"))
    if load_params("params.yaml").get("device") != device:
        raise SystemExit("params.yaml: no top-level 'device: cpu' line to switch")
    result = {"device": device, "jobs": jobs, "inputs": {}, "train_seconds": {}, "metrics": {}, "failed": {}}
    written = threading.Lock()
    env = os.environ | {"GAN_THREADS": str(max(1, len(os.sched_getaffinity(0)) // jobs))}

    def write() -> None:
        (out / "gpu_lab.json").write_text(json.dumps(result, indent=1))

    def experiment(name: str) -> None:
        try:
            dataset = params["experiments"][name]["dataset"]
            stage("pipeline/train.py", name, f"data/processed/{dataset}", f"results/{name}", env=env)
            stage("pipeline/evaluate.py", name, f"data/processed/{dataset}", f"results/evaluator/{dataset}",
                  f"results/{name}", env=env)
            metrics = json.loads(Path(f"results/{name}/metrics.json").read_text())
            outcome = {"train_seconds": metrics["train_seconds"], "metrics": metrics}
        except Exception as exc:  # a failed stage, an unknown name, no metrics: recorded, the others go on
            outcome = {"failed": f"{type(exc).__name__}: {exc}"}
        with written:
            for key, value in outcome.items():
                result[key][name] = value
            result["train_seconds_total"] = sum(result["train_seconds"].values())
            result["wall_seconds"] = time.perf_counter() - start
            write()

    try:
        inputs = result["inputs"]
        prepare("names", lock, inputs, "pipeline/names.py", ".names-checked")
        for name in params["data"]["sources"]:
            prepare(f"download@{name}", lock, inputs, "pipeline/download.py", name, f"data/raw/{name}")
        for name in params["data"]["toy"]:
            prepare(f"toy@{name}", lock, inputs, "pipeline/toy.py", name, f"data/processed/{name}")
        for name, mode in dvc["pad"]["foreach"].items():
            prepare(f"pad@{name}", lock, inputs, "pipeline/pad.py", mode, "data/raw/flags", f"data/interim/{name}")
        for name, source in dvc["flatten"]["foreach"].items():
            prepare(f"flatten@{name}", lock, inputs, "pipeline/flatten.py", source, f"data/processed/{name}")
        for name in params["datasets"]:
            prepare(f"evaluator@{name}", lock, inputs, "pipeline/evaluator.py", name, "data/processed",
                    f"results/evaluator/{name}")
        write()
        start = time.perf_counter()
        with ThreadPoolExecutor(jobs) as pool:  # each thread waits on its experiment's processes
            list(pool.map(experiment, names or list(params["experiments"])))
    finally:
        shutil.copy(out / "params.cpu.yaml", "params.yaml")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("device")
    parser.add_argument("out", type=Path)
    parser.add_argument("experiments", nargs="*")
    parser.add_argument("--jobs", type=int, default=1, help="experiments at a time (default 1)")
    arguments = parser.parse_intermixed_args()
    if arguments.jobs < 1:
        parser.error("--jobs must be at least 1")
    main(arguments.device, arguments.out, arguments.experiments, arguments.jobs)
