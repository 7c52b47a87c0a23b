"""Shared fixtures."""

import os
import shutil
import signal
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(cmd: list[str], cwd: Path, check: bool = True) -> subprocess.CompletedProcess:
    """Run a command with this interpreter's bin folder first on PATH (so
    `gan` and `dvc` resolve to the environment under test)."""
    env = os.environ | {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
                        "DVC_NO_ANALYTICS": "1"}
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def as_in_a_terminal() -> None:
    """Popen's preexec_fn for a child that Ctrl-C must reach: a shell without
    job control starts background jobs with SIGINT ignored, and Python then
    installs no KeyboardInterrupt handler, so restore the default first."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@contextmanager
def deadline(seconds: int):
    """Raise TimeoutError in a call that blocks for longer than ``seconds`` (a FIFO opened for reading)."""
    def expire(signum, frame):
        raise TimeoutError(f"blocked for {seconds} s")
    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@contextmanager
def interrupted_in_epoch(monkeypatch, index: int):
    """Inside the block, Trainer.train_epoch raises KeyboardInterrupt at epoch
    ``index`` (0-based), as Ctrl-C would; the block must meet it."""
    from gan.training.trainer import Trainer
    epoch = Trainer.train_epoch

    def train_epoch(self, i):
        if i == index:
            raise KeyboardInterrupt
        return epoch(self, i)
    with monkeypatch.context() as patch:
        patch.setattr(Trainer, "train_epoch", train_epoch)
        with pytest.raises(KeyboardInterrupt):
            yield


@pytest.fixture
def project_copy(tmp_path) -> Path:
    """The project's files (tracked and untracked, not ignored) in a fresh git
    repository under tmp_path, without any pipeline outputs."""
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout.splitlines()
    dest = tmp_path / "project"
    for name in listed:
        source = ROOT / name
        if source.is_file() and not name.startswith(("data/raw", "data/interim", "data/processed", "results")):
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    run(["git", "init", "-q"], dest)
    return dest


@pytest.fixture
def gan_cli(monkeypatch, capsys):
    """Run the real `gan` entry point in-process: gan_cli(*args) -> (exit code, stdout, stderr)."""
    from gan.cli import main

    def call(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        monkeypatch.setattr(sys, "argv", ["gan", *map(str, args)])
        previous = signal.getsignal(signal.SIGTERM)
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        finally:
            signal.signal(signal.SIGTERM, previous)
        out, err = capsys.readouterr()
        return code, out, err

    return call


def one_line_error(code: int, err: str, *fragments: str) -> None:
    """Assert a failed command printed exactly one 'error: ...' line holding every fragment."""
    lines = err.strip().splitlines()
    assert code != 0, f"exit code 0, stderr {err!r}"
    assert len(lines) == 1 and lines[0].startswith("error: "), f"not one error line: {err!r}"
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0], f"{fragment!r} not in {lines[0]!r}"
