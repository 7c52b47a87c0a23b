"""The tools that set a GPU session's figures beside the CPU's:
tools/metric_spread.py (the CPU run's metrics after each of its last
epochs), tools/gpu_lab.py's check of its inputs against dvc.lock (the CPU
run's data and evaluator references) and tools/gpu_tables.py (the markdown
tables)."""

import hashlib
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from tests.conftest import run
from tests.test_training import DATASETS, SINE, workdir  # noqa: F401  (workdir is a fixture)

TOOLS = Path(__file__).resolve().parents[1] / "tools"
TOOL = TOOLS / "gpu_tables.py"


def gpu_lab():
    """tools/gpu_lab.py as a module (tools/ is not a package)."""
    spec = importlib.util.spec_from_file_location("gpu_lab", TOOLS / "gpu_lab.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_dvc_md5_is_the_hash_dvc_records(tmp_path):
    folder = tmp_path / "cache"
    (folder / "sub").mkdir(parents=True)
    (folder / ".gan-output").write_text("")
    (folder / "images.npy").write_bytes(bytes(range(256)) * 40)
    (folder / "sub" / "b.json").write_text('{"a": 1}\r\n')  # DVC 3's md5 keeps CRLF as it is
    (folder / "a-b.json").write_text("[]")
    (tmp_path / "file.txt").write_text("x\r\n")
    run(["dvc", "init", "--no-scm", "-q"], tmp_path)
    run(["dvc", "add", "cache", "file.txt"], tmp_path)
    for name in ("cache", "file.txt"):
        recorded = yaml.safe_load((tmp_path / f"{name}.dvc").read_text())["outs"][0]["md5"]
        assert gpu_lab().dvc_md5(tmp_path / name) == recorded, name


def test_a_stage_whose_outputs_are_the_locks_is_kept_and_the_others_are_told_apart(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    script = tmp_path / "stage.py"
    script.write_text("import pathlib, sys\npathlib.Path(sys.argv[1]).write_text(sys.argv[2])\n")
    (tmp_path / "kept.txt").write_text("cpu")
    (tmp_path / "stale.txt").write_text("old")

    def locked(path, text):
        return {"outs": [{"path": path, "md5": hashlib.md5(text.encode()).hexdigest()}]}
    lock = {"a": locked("kept.txt", "cpu"), "b": locked("stale.txt", "cpu"), "c": locked("made.txt", "cpu"),
            "d": locked("other.txt", "cpu")}
    inputs = {}
    lab = gpu_lab()
    for label, path, text in [("a", "kept.txt", "gpu"), ("b", "stale.txt", "cpu"), ("c", "made.txt", "cpu"),
                              ("d", "other.txt", "gpu"), ("e", "new.txt", "gpu")]:
        lab.prepare(label, lock, inputs, str(script), path, text)
    assert inputs == {"kept.txt": "kept", "stale.txt": "made", "made.txt": "made", "other.txt": "differs",
                      "e": "not in dvc.lock"}
    assert (tmp_path / "kept.txt").read_text() == "cpu", "a stage with the lock's outputs does not run"
    assert (tmp_path / "new.txt").read_text() == "gpu"


def test_the_spreads_last_epoch_is_what_the_evaluate_stage_measured(workdir, gan_cli):  # noqa: F811
    (workdir / "params.yaml").write_text(yaml.safe_dump({
        "datasets": DATASETS, "experiments": {"sine": SINE | {"epochs": 6, "snapshot_every": 2}},
        "evaluator": {"epochs": 1, "seed": 0}, "evaluate": {"samples": 200, "seed": 5}}))
    for args in (["train", "sine"], ["evaluator", "sine"], ["evaluate", "sine"]):
        code, _, err = gan_cli(*args)
        assert code == 0, (args, err)
    done = subprocess.run([sys.executable, str(TOOLS / "metric_spread.py"), "spread.tsv", "--last", "3"],
                          capture_output=True, text=True, check=True,
                          env=os.environ | {"PYTHONPATH": str(TOOLS.parent)})
    assert done.stdout.strip() == "sine: last epoch equals results/sine/metrics.json"
    rows = [line.split("\t") for line in (workdir / "spread.tsv").read_text().splitlines()]
    assert rows[0] == ["experiment", "epoch", "metric", "value"]
    assert [(r[1], r[2]) for r in rows[1:]] == [(e, m) for e in ("4", "5", "6") for m in ("sine_mae", "x_ks")], \
        "the last 3 epochs only"
    metrics = json.loads((workdir / "results/sine/metrics.json").read_text())
    assert float(rows[-1][3]) == metrics["x_ks"] and rows[1][3] != rows[-2][3]


REPORT = """# Report

## Budget

| experiment | epochs | train_seconds | share |
|---|---|---|---|
| sine | 200 | 26 | 20% |
| mnist | 160 | 104 | 80% |
| **total** | | 130 (2.2 min) | 100% |

## Samples and losses
"""

SPREAD = """experiment\tepoch\tmetric\tvalue
sine\t120\tsine_mae\t0.06
sine\t200\tsine_mae\t0.05
mnist\t80\tfcd\t30
mnist\t160\tfcd\t25
mnist\t160\trecall\t0.4
"""


def test_tables_put_gpu_figures_beside_the_cpus(tmp_path):
    (tmp_path / "report.md").write_text(REPORT)
    (tmp_path / "spread.tsv").write_text(SPREAD)
    (tmp_path / "gpu_lab.json").write_text(json.dumps({
        "jobs": 8, "train_seconds": {"sine": 2.0}, "failed": {"mnist": "CalledProcessError: exit 1"},
        "metrics": {"sine": {"sine_mae": 0.055, "train_seconds": 2.0}, "mnist": {"fcd": 31.0}},
        "train_seconds_total": 2.0, "wall_seconds": 40.0,
        "inputs": {"data/processed/sine": "kept", "data/raw/mnist": "made",
                   "results/evaluator/mnist_train": "differs"}}))
    (tmp_path / "bench_cuda.json").write_text(json.dumps({"device": "cuda", "mlp_step": [
        {"batch": 64, "samples_per_s": 12000.0, "torch_samples_per_s": 15000.0, "ratio_to_torch": 0.8},
        {"batch": 1024, "samples_per_s": 200000.0, "torch_samples_per_s": 250000.0, "ratio_to_torch": 0.8}]}))
    done = subprocess.run([sys.executable, str(TOOL), str(tmp_path), "--report", str(tmp_path / "report.md"),
                           "--spread", str(tmp_path / "spread.tsv")], capture_output=True, text=True, check=True)
    rows = done.stdout.splitlines()
    assert "| mlp step | 64 | 12,000 | 15,000 | 0.80x | 1.0x |" in rows
    assert "| mlp step | 1024 | 200,000 | 250,000 | 0.80x |  |" in rows, "goals hold at B64 and B128 only"
    assert "| sine | 26 | 2.0 | 13.0x |" in rows
    assert "| mnist | 104 | failed: CalledProcessError: exit 1 |  |" in rows
    assert "| sine | sine_mae | 0.05 | 0.05 .. 0.06 (2) | 0.055 | yes |" in rows
    assert "| mnist | fcd | 25 | 25 .. 30 (2) | 31 | **no** |" in rows
    assert "| mnist | recall | 0.4 | 0.4 .. 0.4 (1) |  |  |" in rows, "a metric the GPU run lacks stays blank"
    assert any(r.startswith("| **total** | 130 | 2.0 (wall 40 s") for r in rows)
    assert rows[-1] == ("The GPU run's data caches and evaluator references: 2 of 3 as in dvc.lock (1 there already, "
                        "the rest made on the GPU machine). **Not as in dvc.lock:** results/evaluator/mnist_train "
                        "(differs); what depends on them is not measured with the CPU run's ruler.")


def test_nothing_measured_says_so(tmp_path):
    """A phase cut by its time limit leaves an empty or partial JSON file."""
    (tmp_path / "bench_cuda.json").write_text('{"device": "cuda", "mlp_')
    done = subprocess.run([sys.executable, str(TOOL), str(tmp_path)], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == f"{tmp_path}: no readable bench_cuda.json or gpu_lab.json"
