"""The resume state of a training run: written at every snapshot into a
folder of its own outside the run's outputs (``STATE_ROOT``/NAME/ by
default, so DVC never sees it), restored only into a run of the same
settings on the same data with the same code, removed when the run ends.

What it holds is all a run carries from one epoch to the next: both networks
with their buffers, both optimisers, the random generator's state, the log
rows and snapshots so far, and the seconds already spent.  A resumed run
therefore ends with the same model, byte for byte, as one never interrupted.
``DIGEST``, written last, holds the sha256 of each file: a state damaged or
edited since, by hand or by another program, is not resumed from, nor one
that is or holds a link (the digest has no key: it catches accidents, and the
checks of every value read catch what a resealed state could still hold).
"""

import copy
import hashlib
import json
import math
import shutil
import zipfile
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

import numpy as np

from gan.device import device_name
from gan.errors import GanError
from gan.files import MARKER, atomic_dir, read_json, write_json
from gan.nn import load_checkpoint, save_checkpoint
from gan.params import shown
from gan.training.trainer import Trainer

STATE_ROOT = Path(".gan-state")
COSMETIC = {"log_every"}  # settings a resumed run may change
FILES = ("state.json", "parts.npz", "snapshots.npz")
DIGEST = "sha256.json"  # {file: sha256} of FILES


class CannotResume(GanError):
    """The saved state belongs to other settings or data, or is unreadable."""


def data_fingerprint(trainer: Trainer) -> str:
    """sha256 of the training rows (and labels) as the networks see them."""
    digest = hashlib.sha256(np.ascontiguousarray(trainer.data.rows).tobytes())
    if trainer.data.labels is not None:
        digest.update(np.ascontiguousarray(trainer.data.labels).tobytes())
    return digest.hexdigest()


def code_fingerprint() -> str:
    """sha256 of the gan package's Python sources (a resumed run must run the same code)."""
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def run_origin(trainer: Trainer) -> dict:
    """What a resumed run must share with the interrupted one besides its
    settings: the fingerprints of its data and of the code (taken once a
    run), and the array module it runs on (numbers differ between devices)."""
    return {"data": data_fingerprint(trainer), "code": code_fingerprint(), "device": device_name(trainer.gan.xp)}


def save_state(folder: Path, trainer: Trainer, seconds: float, origin: dict) -> None:
    """Replace ``folder`` with ``trainer``'s state after its last finished
    epoch; ``origin``: ``run_origin(trainer)``."""
    history = trainer.history
    with atomic_dir(folder) as tmp:
        save_checkpoint(tmp / "parts.npz", trainer.gan.parts())
        np.savez(tmp / "snapshots.npz", epochs=np.array(history.snapshot_epochs),
                 samples=np.stack(history.snapshots))
        write_json(tmp / "state.json", {
            "experiment": asdict(trainer.config), **origin, "epoch": len(history.rows), "seconds": seconds,
            "rng": trainer.rng.bit_generator.state,
            "rows": [[float(v) for v in row] for row in history.rows]})
        write_json(tmp / DIGEST, {name: _sha256(tmp / name) for name in FILES})


def _sha256(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _check_files(folder: Path) -> None:
    """CannotResume unless ``folder``'s files are regular files, not links,
    each with the sha256 that ``DIGEST`` records."""
    for name in (DIGEST, *FILES):
        path = folder / name
        if path.is_symlink() or not path.is_file():
            raise CannotResume(f"{path}: missing, a link or not a regular file")
    with _reading(folder / DIGEST), open(folder / DIGEST, "rb") as f:
        sums = json.loads(f.read(1 << 12))
    for name in FILES:
        if not isinstance(sums, dict) or sums.get(name) != _sha256(folder / name):
            raise CannotResume(f"{folder / name}: differs from its sha256 in {DIGEST} (edited or damaged)")


@contextmanager
def _reading(path: Path):
    """Turn a failure to read the resume state's file ``path`` into CannotResume naming it."""
    try:
        yield
    except (OSError, ValueError, KeyError, TypeError, EOFError, RecursionError, zipfile.BadZipFile) as exc:
        raise CannotResume(f"{path}: unreadable resume state ({exc})") from None


def _differences(saved: dict, config: dict) -> list[str]:
    keys = sorted((saved.keys() | config.keys()) - COSMETIC)
    return [f"{k} {saved.get(k)!r} -> {config.get(k)!r}" for k in keys if saved.get(k) != config.get(k)]


def load_state(folder: Path, trainer: Trainer, origin: dict) -> float:
    """Restore the state in ``folder`` into a fresh ``trainer`` whose
    ``run_origin`` is ``origin``; returns the seconds the interrupted run had
    spent.  CannotResume says why not (``check_state_folder`` comes first)."""
    _check_files(folder)
    try:
        state = read_json(folder / "state.json", "resume state")
    except GanError as exc:
        raise CannotResume(str(exc)) from None
    config = asdict(trainer.config)
    if not isinstance(state, dict) or not isinstance(state.get("experiment"), dict):
        raise CannotResume(f"{folder}/state.json: not a resume state")
    changed = _differences(state["experiment"], config)
    if changed:
        raise CannotResume(f"{folder}: the interrupted run had other settings ({'; '.join(changed)})")
    if state.get("data") != origin["data"]:
        raise CannotResume(f"{folder}: the interrupted run trained on other data")
    if state.get("code") != origin["code"]:
        raise CannotResume(f"{folder}: the interrupted run ran another version of the gan package")
    if state.get("device") != origin["device"]:
        raise CannotResume(f"{folder}: the interrupted run ran on {state.get('device')}, not {origin['device']}")
    with _reading(folder / "snapshots.npz"), np.load(folder / "snapshots.npz") as snaps:
        epochs, samples = snaps["epochs"], snaps["samples"]
    with _reading(folder / "state.json"):
        bits = copy.deepcopy(trainer.rng.bit_generator)  # the trainer changes only once all is read
        bits.state = state["rng"]
        rows = [_row(row, len(trainer.history.columns)) for row in state["rows"]]
        seconds = float(state["seconds"])
    shape = (len(epochs), trainer.config.snapshot_count, *trainer.data.space.shape)
    if len(rows) != state.get("epoch") or not rows or not 0 <= seconds < math.inf \
            or epochs.dtype.kind != "i" or samples.dtype != np.float32 or samples.shape != shape \
            or list(epochs) != sorted(set(epochs)) or epochs[-1] != len(rows):
        raise CannotResume(f"{folder}: inconsistent resume state")
    with _reading(folder / "parts.npz"):
        load_checkpoint(folder / "parts.npz", trainer.gan.parts())
    trainer.rng.bit_generator.state = bits.state
    trainer.restore(rows, [int(e) for e in epochs], list(samples))
    return seconds


def _row(row, columns: int) -> tuple:
    """A log row of the state: its epoch, then finite numbers, ``columns`` in all."""
    if not isinstance(row, list) or len(row) != columns \
            or not all(isinstance(v, int | float) and math.isfinite(v) for v in row):
        raise ValueError(f"a log row must be {columns} finite numbers, got {shown(row)}")
    return (int(row[0]), *row[1:])


def check_state_folder(folder: Path) -> None:
    """A GanError if the state folder ``folder`` or the folder it sits in is a
    link: gan never reads, writes or removes a resume state through one."""
    for path in (folder, folder.parent):
        if path.is_symlink():
            raise GanError(f"{path}: the resume state folder is a link; remove it (gan neither follows nor removes it)")


def remove_state(folder: Path) -> None:
    """Delete ``folder`` if it is a state folder gan made (never through a link)."""
    if not folder.is_symlink() and (folder / MARKER).is_file() and (folder / "state.json").is_file():
        shutil.rmtree(folder)
