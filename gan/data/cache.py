"""Load the ``.npy`` caches that ``flatten`` writes, and the one place where
pixels are scaled for training."""

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gan.errors import GanError


@dataclass
class Cache:
    """images: (N, C, H, W) uint8; labels: (N,) int64 or None; manifest: dict."""
    images: np.ndarray
    labels: np.ndarray | None
    manifest: dict


def load_cache(folder: str | Path) -> Cache:
    folder = Path(folder)
    manifest_path = folder / "manifest.json"
    if not manifest_path.is_file():
        raise GanError(f"{folder}: not a flattened cache (no manifest.json); run 'gan data flatten' first")
    manifest = json.loads(manifest_path.read_text())
    labels_path = folder / "labels.npy"
    labels = np.load(labels_path) if labels_path.is_file() else None
    return Cache(np.load(folder / "images.npy"), labels, manifest)


def to_unit_range(images: np.ndarray) -> np.ndarray:
    """uint8 pixels 0..255 -> float32 in [-1, 1] (x / 127.5 - 1), the range of
    a tanh generator's output."""
    return images.astype(np.float32) / np.float32(127.5) - np.float32(1)


def to_pixels(images: np.ndarray) -> np.ndarray:
    """Inverse of ``to_unit_range``: [-1, 1] -> uint8, clipped and rounded."""
    return np.clip(np.rint((images + 1) * 127.5), 0, 255).astype(np.uint8)
