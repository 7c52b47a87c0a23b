"""Reading and writing the lab's files safely.

* Outputs are written under a temporary name beside their destination and
  renamed into place, so a failed or interrupted run never leaves half a file
  or folder, and the previous output stays as it was.
* A folder is replaced only if gan made it (it holds the ``MARKER`` file
  that ``atomic_dir`` writes into every folder) or if it is absent or empty;
  the working folder, its parents and folders overlapping the inputs are
  never replaced.
* Temporary names carry the writer's process id; a later write to the same
  destination removes leftovers of processes that no longer run (a run killed
  with SIGKILL has no chance to clean up).
* New files and folders get the ordinary permissions the umask allows.
"""

import errno
import json
import os
import re
import secrets
import shutil
import signal
import stat
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from gan.errors import GanError

MARKER = ".gan-output"
MARKER_TEXT = "Written by the gan tools, which replace this folder as a whole when they write it again.\n"


def _temp_name(dest: Path, kind: str) -> Path:
    """A fresh hidden sibling of ``dest``: .<name>.gan-<pid>-<random>.<kind>."""
    return dest.with_name(f".{dest.name}.gan-{os.getpid()}-{secrets.token_hex(4)}.{kind}")


def _remove_leftovers(dest: Path) -> None:
    """Delete temporaries of ``dest`` left by processes that are gone."""
    pattern = re.compile(rf"\.{re.escape(dest.name)}\.gan-(\d+)-[0-9a-f]+\.(tmp|old)")
    for path in dest.parent.iterdir():
        match = pattern.fullmatch(path.name)
        if not match or _running(int(match[1])):
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def check_output_dir(dest: str | Path, inputs: Iterable[str | Path] = ()) -> None:
    """Raise GanError unless a gan tool may (re)place the folder ``dest``:
    not the working folder or one of its parents, not overlapping any of
    ``inputs`` (equal, inside or around), and absent, empty or made by gan."""
    dest = Path(dest)
    target, here = dest.resolve(), Path.cwd().resolve()
    if target == here or target in here.parents:
        raise GanError(f"{dest}: refusing to write over the working folder or one of its parents")
    for source in inputs:
        resolved = Path(source).resolve()
        if resolved == target or target in resolved.parents or resolved in target.parents:
            raise GanError(f"{dest}: overlaps the input {source}; choose an output folder outside it")
    if dest.is_symlink() or (dest.exists() and not dest.is_dir()):
        raise GanError(f"{dest}: exists and is not a folder")
    if dest.is_dir() and not (dest / MARKER).is_file() and any(dest.iterdir()):
        raise GanError(f"{dest}: exists, is not empty and was not made by gan (no {MARKER} inside); "
                       "remove it yourself or choose another folder")


WRITE_ERRORS = (errno.ENOSPC, errno.EFBIG, errno.EDQUOT, errno.EROFS)
_OPEN_FOLDERS: dict[Path, Path] = {}  # temporary folder being written -> the output it becomes


def _shown(path: Path) -> Path:
    """The name the user knows: a path inside an open temporary folder as inside its output."""
    for tmp, dest in _OPEN_FOLDERS.items():
        if path == tmp or tmp in path.parents:
            return _shown(dest / path.relative_to(tmp))
    return path


@contextmanager
def _naming(dest: Path, tmp: Path) -> Iterator[None]:
    """Turn a failure to write ``tmp`` (a full, read-only or missing folder)
    into a GanError naming ``dest``, the output the user asked for."""
    try:
        yield
    except OSError as exc:
        if exc.errno in WRITE_ERRORS or str(exc.filename or "").startswith(str(tmp)):
            raise GanError(f"{_shown(dest)}: cannot write ({exc.strerror})") from None
        raise


@contextmanager
def _signals_held() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back while a few renames must all happen."""
    held = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


@contextmanager
def atomic_dir(dest: str | Path, inputs: Iterable[str | Path] = ()) -> Iterator[Path]:
    """Yield an empty temporary folder beside ``dest``; on success it gets the
    marker and replaces ``dest``, on any exception (Ctrl-C and SIGTERM
    included) it is deleted and ``dest`` is left as it was.  ``inputs`` are
    the paths the caller reads, which ``dest`` may not overlap."""
    dest = Path(dest)
    check_output_dir(dest, inputs)
    tmp = _temp_name(dest, "tmp")
    with _naming(dest, tmp):
        dest.parent.mkdir(parents=True, exist_ok=True)
        _remove_leftovers(dest)
        tmp.mkdir()
    _OPEN_FOLDERS[tmp] = dest
    try:
        with _naming(dest, tmp):
            yield tmp
            (tmp / MARKER).write_text(MARKER_TEXT)
        check_output_dir(dest, inputs)  # nothing else took its place meanwhile
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        del _OPEN_FOLDERS[tmp]
    old = _temp_name(dest, "old")
    with _signals_held():
        if dest.exists():
            os.replace(dest, old)
        os.replace(tmp, dest)
    shutil.rmtree(old, ignore_errors=True)


@contextmanager
def atomic_file(dest: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``dest``; on success it is renamed to
    ``dest``, on any exception it is removed."""
    dest = Path(dest)
    if dest.is_dir():
        raise GanError(f"{dest}: is a folder; give a file name")
    tmp = _temp_name(dest, "tmp")
    try:
        with _naming(dest, tmp):
            dest.parent.mkdir(parents=True, exist_ok=True)
            _remove_leftovers(dest)
            os.close(os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))  # mode 0666 less the umask
            yield tmp
            os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


class _Writes:
    """Only a file's ``write``: numpy then writes .npy data through Python,
    whose errors carry their errno (its own writer raises a bare OSError)."""

    def __init__(self, file):
        self.write = file.write


def save_array(path: str | Path, array: np.ndarray) -> None:
    """Write ``array`` as a .npy file at ``path``, atomically."""
    with atomic_file(path) as tmp, open(tmp, "wb") as f:
        np.lib.format.write_array(_Writes(f), np.asanyarray(array), allow_pickle=False)


def write_text(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically."""
    with atomic_file(path) as tmp:
        tmp.write_text(text)


def write_json(path: str | Path, value) -> None:
    """Write ``value`` as indented JSON, atomically."""
    write_text(path, json.dumps(value, indent=1) + "\n")


MAX_JSON_BYTES = 64 << 20  # the lab's JSON files (configs, manifests, resume state) are far smaller


def open_regular(path: str | Path):
    """``path`` opened for binary reading, or a GanError if it is not a regular
    file (a FIFO or device would block or never end)."""
    f = open(path, "rb", opener=lambda name, flags: os.open(name, flags | os.O_NONBLOCK))
    if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
        f.close()
        raise GanError(f"{path}: not a regular file")
    return f


@contextmanager
def reading(path: str | Path, what: str) -> Iterator:
    """``path`` opened with ``open_regular``; a failure to open or parse it
    inside the block becomes a GanError naming the file and ``what`` it is."""
    try:
        with open_regular(path) as f:
            yield f
    except FileNotFoundError:
        raise GanError(f"{path}: missing {what}") from None
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as exc:
        raise GanError(f"{path}: not a readable {what} ({exc})") from None
    except RecursionError:
        raise GanError(f"{path}: not a readable {what} (nested too deeply)") from None


def read_json(path: str | Path, what: str = "JSON file"):
    """The JSON value in ``path``, or a GanError naming the file and what is
    wrong (a FIFO, over ``MAX_JSON_BYTES``, nested too deeply included)."""
    with reading(path, what) as f:
        raw = f.read(MAX_JSON_BYTES + 1)
        if len(raw) > MAX_JSON_BYTES:
            raise GanError(f"{path}: {what} larger than {MAX_JSON_BYTES >> 20} MiB")
        return json.loads(raw.decode("utf-8"))


def load_array(path: str | Path, what: str):
    """The array in the .npy file ``path`` (no pickles), read as ``reading`` says."""
    with reading(path, what) as f:
        return np.load(f, allow_pickle=False)


def load_arrays(path: str | Path, what: str, keys: Iterable[str]) -> dict:
    """The arrays ``keys`` of the .npz file ``path`` (no pickles), read as ``reading`` says."""
    with reading(path, what) as f, np.load(f, allow_pickle=False) as archive:
        return {key: archive[key] for key in keys}
