"""Resumable training: a run interrupted with SIGINT continues from its last
snapshot and ends with the model an uninterrupted run makes, byte for byte;
a run with other settings refuses to resume and says why."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import yaml

from tests.conftest import ROOT, as_in_a_terminal, one_line_error
from tests.test_training import DATASETS, SINE, workdir  # noqa: F401  (workdir is a fixture)

LONG_SINE = SINE | {"epochs": 150, "snapshot_every": 5, "log_every": 50}
ENV = os.environ | {"PYTHONPATH": str(ROOT), "GAN_THREADS": "1"}


def gan(*args, cwd):
    return subprocess.run([sys.executable, "-m", "gan", *args], cwd=cwd, env=ENV, capture_output=True, text=True)


def write_params(folder, experiment):
    (folder / "params.yaml").write_text(yaml.safe_dump({"datasets": DATASETS, "experiments": {"sine": experiment}}))


def interrupt_training(folder, after_epoch: int) -> str:
    """Start `gan train sine --out cut`, SIGINT it once its resume state has
    passed ``after_epoch``; returns stderr."""
    state = folder / ".gan-state/sine/state.json"
    process = subprocess.Popen([sys.executable, "-m", "gan", "train", "sine", "--out", "cut"], cwd=folder,
                               env=ENV, stderr=subprocess.PIPE, text=True, preexec_fn=as_in_a_terminal)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            if state.is_file() and '"epoch": ' in (text := state.read_text()) and \
                    int(text.split('"epoch": ')[1].split(",")[0]) >= after_epoch:
                break
            time.sleep(0.02)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 130, err
    return err


def test_an_interrupted_run_resumes_to_the_same_model(workdir):  # noqa: F811
    write_params(workdir, LONG_SINE)
    err = interrupt_training(workdir, after_epoch=10)
    assert "Traceback" not in err and "gan train sine --resume" in err
    assert not (workdir / "cut/sine/train").exists(), "an interrupted run writes no outputs"
    saved = yaml.safe_load((workdir / ".gan-state/sine/state.json").read_text())["epoch"]
    assert 10 <= saved < 150 and saved % 5 == 0

    write_params(workdir, LONG_SINE | {"lr_g": 0.003})
    refused = gan("train", "sine", "--out", "cut", "--resume", cwd=workdir)
    one_line_error(refused.returncode, refused.stderr, ".gan-state/sine", "lr_g 0.002 -> 0.003", "without --resume")

    write_params(workdir, LONG_SINE | {"log_every": 10})  # cosmetic settings may change
    resumed = subprocess.run([sys.executable, str(ROOT / "pipeline/train.py"), "sine", "data/processed/sine",
                              "cut/sine"], cwd=workdir, env=ENV, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming at epoch {saved}" in resumed.stdout and f"(resumed at epoch {saved})" in resumed.stdout
    assert not (workdir / ".gan-state/sine").exists(), "the state goes once the run has ended"

    whole = gan("train", "sine", "--out", "whole", cwd=workdir)
    assert whole.returncode == 0 and "resumed" not in whole.stdout, whole.stderr
    cut, uncut = (workdir / d / "sine/train" for d in ("cut", "whole"))
    assert (cut / "model.npz").read_bytes() == (uncut / "model.npz").read_bytes()
    with np.load(cut / "snapshots.npz") as a, np.load(uncut / "snapshots.npz") as b:
        assert a["epochs"].tolist() == b["epochs"].tolist() and np.array_equal(a["samples"], b["samples"])
    logs = [np.loadtxt(workdir / d / "sine/log.tsv", skiprows=1) for d in ("cut", "whole")]
    assert logs[0].shape == (150, logs[0].shape[1]) and np.array_equal(logs[0][:, :-1], logs[1][:, :-1])
    assert np.all(np.diff(logs[0][:, -1]) > 0), "seconds keep counting across the interruption"


def test_resume_needs_an_interrupted_run(workdir):  # noqa: F811
    write_params(workdir, SINE | {"epochs": 2})
    result = gan("train", "sine", "--resume", cwd=workdir)
    one_line_error(result.returncode, result.stderr, "experiments.sine: no interrupted run to resume",
                   ".gan-state/sine")
