"""Run the pipeline of params.yaml without DVC (a lent GPU machine has none),
the experiments trained on DEVICE, and write what it measured as it goes.

Usage: python tools/gpu_lab.py DEVICE OUT [EXPERIMENT ...]

The stages run in dvc.yaml's order with the commands DVC would run (the
foreach lists of dvc.yaml, the names of params.yaml), in a copy of the params
whose top-level ``device`` is DEVICE; outputs go where DVC puts them.  Only
the EXPERIMENTs named are trained (default: all), each then evaluated.
OUT/gpu_lab.json is rewritten after every experiment with its training
seconds (as logged by the run itself) and metrics, or why it failed: a run
cut short by a time limit keeps what it measured.  tools/gpu_check.sh calls it.
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from gan.params import load_params


def stage(*args: str) -> None:
    """Run ``python ARGS...`` (a stage script and its arguments); CalledProcessError if it fails."""
    subprocess.run([sys.executable, *args], check=True)


def main(device: str, out: str, *names: str) -> None:
    out = Path(out)
    params = load_params("params.yaml")
    dvc = yaml.safe_load(Path("dvc.yaml").read_text())["stages"]
    shutil.copy("params.yaml", out / "params.cpu.yaml")
    Path("params.yaml").write_text(Path("params.yaml").read_text().replace("\ndevice: cpu\n", f"\ndevice: {device}\n"))
    if load_params("params.yaml").get("device") != device:
        raise SystemExit("params.yaml: no top-level 'device: cpu' line to switch")
    result = {"device": device, "train_seconds": {}, "metrics": {}, "failed": {}}
    try:
        stage("pipeline/names.py", ".names-checked")
        for name in params["data"]["sources"]:
            stage("pipeline/download.py", name, f"data/raw/{name}")
        for name in params["data"]["toy"]:
            stage("pipeline/toy.py", name, f"data/processed/{name}")
        for name, mode in dvc["pad"]["foreach"].items():
            stage("pipeline/pad.py", mode, "data/raw/flags", f"data/interim/{name}")
        for name, source in dvc["flatten"]["foreach"].items():
            stage("pipeline/flatten.py", source, f"data/processed/{name}")
        for name in params["datasets"]:
            stage("pipeline/evaluator.py", name, "data/processed", f"results/evaluator/{name}")
        for name in names or params["experiments"]:
            dataset = params["experiments"][name]["dataset"]
            try:
                stage("pipeline/train.py", name, f"data/processed/{dataset}", f"results/{name}")
                stage("pipeline/evaluate.py", name, f"data/processed/{dataset}", f"results/evaluator/{dataset}",
                      f"results/{name}")
            except subprocess.CalledProcessError as exc:
                result["failed"][name] = str(exc)
            else:
                metrics = json.loads(Path(f"results/{name}/metrics.json").read_text())
                result["train_seconds"][name], result["metrics"][name] = metrics["train_seconds"], metrics
            result["train_seconds_total"] = sum(result["train_seconds"].values())
            (out / "gpu_lab.json").write_text(json.dumps(result, indent=1))
    finally:
        shutil.copy(out / "params.cpu.yaml", "params.yaml")


if __name__ == "__main__":
    main(*sys.argv[1:])
