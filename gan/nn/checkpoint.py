"""Save and load models and optimisers to one ``.npz`` file, atomically."""

from pathlib import Path

import numpy as np

from gan.files import atomic_file


def save_checkpoint(path: str | Path, parts: dict) -> None:
    """Write ``parts`` (name -> object with ``state_dict()``) to ``path``.

    Keys are stored as '<part>/<key>'.  The file is written under a temporary
    name and renamed, so a crash never leaves half a file.
    """
    arrays = {f"{name}/{key}": value for name, part in parts.items()
              for key, value in part.state_dict().items()}
    with atomic_file(path) as tmp, open(tmp, "wb") as f:
        np.savez(f, **arrays)


def load_checkpoint(path: str | Path, parts: dict) -> None:
    """Load ``path`` into ``parts`` (name -> object with ``load_state_dict``)."""
    with open(path, "rb") as f, np.load(f) as data:  # our own handle: closed even if the file is not a zip
        stored = {key: data[key] for key in data.files}
    for name, part in parts.items():
        prefix = f"{name}/"
        state = {k[len(prefix):]: v for k, v in stored.items() if k.startswith(prefix)}
        if not state:
            raise ValueError(f"{path}: no '{name}' in checkpoint")
        part.load_state_dict(state)
