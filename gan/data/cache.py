"""The ``.npy`` caches that ``flatten`` and the toy stage write, checked
against their manifest when loaded, and the one place where pixels are scaled
for training.

An image cache holds images.npy (N, C, H, W) uint8, labels.npy (N,) int64
when the images have classes, and manifest.json; a point cache holds
points.npy (N, 2) float32 and manifest.json.  Each manifest records the
count, shape, dtype and sha256 of its arrays, and a cache that disagrees with
its manifest is refused with the file and the mismatch named.
"""

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gan.errors import GanError
from gan.files import open_regular, read_json

MAX_CLASSES = 1000  # classes a labelled cache (and a model's sample space) may have: a one-hot label is as wide


@dataclass
class Cache:
    """images: (N, C, H, W) uint8; labels: (N,) int64 or None; manifest: dict."""
    images: np.ndarray
    labels: np.ndarray | None
    manifest: dict


def array_sha256(array: np.ndarray) -> str:
    """sha256 of the array's bytes in C order."""
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def _manifest(folder: Path, kind: str) -> dict:
    path = folder / "manifest.json"
    if not path.is_file():
        raise GanError(f"{folder}: not {kind} cache (no manifest.json); build it first "
                       f"({'gan data flatten' if kind == 'an image' else 'dvc repro'})")
    manifest = read_json(path, "cache manifest")
    if not isinstance(manifest, dict):
        raise GanError(f"{path}: expected a JSON object")
    return manifest


def _load(path: Path, manifest: dict, key: str, dtype: str, ndim: int) -> np.ndarray:
    """``path`` as an array that has ``dtype``, ``ndim`` axes and the sha256 the manifest records under ``key``."""
    try:
        with open_regular(path) as f:
            array = np.load(f)
    except FileNotFoundError:
        raise GanError(f"{path}: missing, though manifest.json lists it") from None
    except (OSError, ValueError, EOFError) as exc:
        raise GanError(f"{path}: not a readable .npy array ({exc})") from None
    if array.dtype != np.dtype(dtype) or array.ndim != ndim:
        raise GanError(f"{path}: {array.dtype} array of shape {array.shape}, expected {dtype} with {ndim} axes")
    sums = manifest.get("sha256")
    expected = sums.get(key) if isinstance(sums, dict) else None
    if expected is None:
        raise GanError(f"{path.parent / 'manifest.json'}: no sha256 of {key}; rebuild the cache")
    if array_sha256(array) != expected:
        raise GanError(f"{path}: contents differ from the sha256 in manifest.json (edited or corrupt); "
                       "rebuild the cache")
    return array


def _check_shape(path: Path, array: np.ndarray, manifest: dict) -> None:
    if list(array.shape) != manifest.get("shape") or len(array) != manifest.get("count"):
        raise GanError(f"{path}: shape {array.shape}, but manifest.json says shape {manifest.get('shape')} "
                       f"and count {manifest.get('count')}")


def load_cache(folder: str | Path) -> Cache:
    """The image cache in ``folder``, checked against its manifest."""
    folder = Path(folder)
    manifest = _manifest(folder, "an image")
    images = _load(folder / "images.npy", manifest, "images", "uint8", 4)
    _check_shape(folder / "images.npy", images, manifest)
    if images.shape[1] not in (1, 3):
        raise GanError(f"{folder / 'images.npy'}: {images.shape[1]} channels, expected 1 (grey) or 3 (RGB)")
    classes = manifest.get("classes") or []
    if not isinstance(classes, list) or len(classes) > MAX_CLASSES:
        raise GanError(f"{folder / 'manifest.json'}: 'classes' must be a list of at most {MAX_CLASSES} names")
    labels = None
    if classes:
        labels = _load(folder / "labels.npy", manifest, "labels", "int64", 1)
        if len(labels) != len(images) or (len(labels) and (labels.min() < 0 or labels.max() >= len(classes))):
            raise GanError(f"{folder / 'labels.npy'}: expected {len(images)} labels in 0..{len(classes) - 1}")
    return Cache(images, labels, manifest)


def load_points(folder: str | Path) -> tuple[np.ndarray, dict]:
    """The (N, 2) float32 points of the toy cache in ``folder`` and its manifest
    (whose ``mean`` and ``std`` standardise them), checked."""
    folder = Path(folder)
    manifest = _manifest(folder, "a point")
    points = _load(folder / "points.npy", manifest, "points", "float32", 2)
    _check_shape(folder / "points.npy", points, manifest)
    for key in ("mean", "std"):
        value = np.asarray(manifest.get(key), dtype=object)
        if value.shape != (points.shape[1],) or not all(isinstance(v, int | float) and math.isfinite(v)
                                                         for v in value) \
                or (key == "std" and not all(v > 0 for v in value)):
            raise GanError(f"{folder / 'manifest.json'}: '{key}' must be {points.shape[1]} finite numbers"
                           + (" above 0" if key == "std" else ""))
    return points, manifest


def to_unit_range(images: np.ndarray) -> np.ndarray:
    """uint8 pixels 0..255 -> float32 in [-1, 1] (x / 127.5 - 1), the range of
    a tanh generator's output."""
    return images.astype(np.float32) / np.float32(127.5) - np.float32(1)


def to_pixels(images: np.ndarray) -> np.ndarray:
    """Inverse of ``to_unit_range``: [-1, 1] -> uint8, clipped and rounded."""
    return np.clip(np.rint((images + 1) * 127.5), 0, 255).astype(np.uint8)
