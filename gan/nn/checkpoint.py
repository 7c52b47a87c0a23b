"""Save and load models and optimisers to one ``.npz`` file, atomically."""

import zipfile
import zlib
from pathlib import Path

import numpy as np

from gan.device import to_host
from gan.files import atomic_file, open_regular


def save_checkpoint(path: str | Path, parts: dict) -> None:
    """Write ``parts`` (name -> object with ``state_dict()``) to ``path``.

    Keys are stored as '<part>/<key>'.  The file is written under a temporary
    name and renamed, so a crash never leaves half a file.
    """
    arrays = {f"{name}/{key}": to_host(value) for name, part in parts.items()
              for key, value in part.state_dict().items()}
    with atomic_file(path) as tmp, open(tmp, "wb") as f:
        np.savez(f, **arrays)


def load_checkpoint(path: str | Path, parts: dict) -> None:
    """Load ``path`` into ``parts`` (name -> object with ``state_dict`` and
    ``load_state_dict``).  Only the members ``parts`` expect are read, each
    after its .npy header has declared the expected shape and dtype; unknown
    or missing members, and NaN or Inf, are refused.  ValueError (without
    the path) says what is wrong; OSError if the file cannot be opened,
    GanError if it is not a regular file."""
    expected = {f"{name}/{key}": value for name, part in parts.items() for key, value in part.state_dict().items()}
    try:
        with open_regular(path) as f, zipfile.ZipFile(f) as archive:
            names = archive.namelist()
            absent = [name for name in parts if not any(n.startswith(f"{name}/") for n in names)]
            if absent:
                raise ValueError(f"no '{absent[0]}' in checkpoint")
            unknown = sorted(set(names) - {f"{key}.npy" for key in expected})
            missing = sorted(key for key in expected if f"{key}.npy" not in names)
            if unknown or missing or len(set(names)) < len(names):
                raise ValueError(f"members do not fit the model (missing {missing}, unknown {unknown}, "
                                 f"{len(names) - len(set(names))} repeated)")
            arrays = {key: _read_member(archive, archive.getinfo(f"{key}.npy"), key, value)
                      for key, value in expected.items()}
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
        raise ValueError(f"not a readable .npz file ({exc})") from None
    for name, part in parts.items():
        prefix = f"{name}/"
        part.load_state_dict({k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)})


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, key: str, expected: np.ndarray) -> np.ndarray:
    """The array in the .npy member ``info``, whose data is read only if its
    header declares ``expected``'s shape and dtype (and C order)."""
    with archive.open(info) as f:
        version = np.lib.format.read_magic(f)
        if version not in ((1, 0), (2, 0)):
            raise ValueError(f"'{key}' is a .npy file of version {version}, expected 1.0 or 2.0")
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else \
            np.lib.format.read_array_header_2_0
        shape, fortran_order, dtype = read_header(f)
        if (shape, fortran_order, dtype) != (expected.shape, False, expected.dtype):
            raise ValueError(f"'{key}' is {dtype} of shape {shape}, expected {expected.dtype} of shape "
                             f"{expected.shape}")
        data = f.read(expected.nbytes + 1)
    if len(data) != expected.nbytes:
        raise ValueError(f"'{key}' holds {len(data)} bytes of data, expected {expected.nbytes}")
    array = np.frombuffer(data, dtype).reshape(shape)
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        raise ValueError(f"'{key}' holds NaN or Inf")
    return array
