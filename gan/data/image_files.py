"""Image files as the data tools read them: which paths of a folder are read
(no hidden ones, no links), which suffixes count as images, and decoding that
turns every failure into an error naming the file."""

import warnings
from pathlib import Path

from PIL import Image

from gan.errors import GanError

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".tif", ".tiff"})


def visible_paths(src: Path) -> list[Path]:
    """The files and folders under ``src``, sorted, hidden ones (and what
    hidden folders hold) left out.  A symbolic link among them raises
    GanError naming it: it could bring in a file from outside ``src``; so
    does a FIFO, socket or device, which would be neither read nor copied."""
    paths = sorted(p for p in src.rglob("*") if not any(part.startswith(".") for part in p.relative_to(src).parts))
    for path in paths:
        if path.is_symlink():
            raise GanError(f"{path}: refusing a symbolic link, which could point outside {src}; "
                           "copy the file or folder in instead")
        if not (path.is_file() or path.is_dir()):
            raise GanError(f"{path}: not a regular file or folder (a FIFO, socket or device); remove it")
    return paths


def is_image_file(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_SUFFIXES and path.is_file()


def read_image(path: Path) -> Image.Image:
    """The decoded image at ``path``.  Unreadable, truncated and oversized
    files (over Pillow's decompression-bomb limit of about 89 million
    pixels) raise GanError naming the file."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                image.load()
                return image
    except (OSError, ValueError, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise GanError(f"{path}: cannot decode image ({exc})") from None
