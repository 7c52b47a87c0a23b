"""Synthetic 2-D datasets, written as caches like the image ones."""

import json
from pathlib import Path

import numpy as np

from gan.atomic import atomic_dir


def sine_points(n: int, rng: np.random.Generator) -> np.ndarray:
    """(n, 2) float32 points (x, sin x), x uniform in [0, 2 pi]."""
    x = rng.uniform(0.0, 2 * np.pi, n)
    return np.stack([x, np.sin(x)], axis=1).astype(np.float32)


def write_points(points: np.ndarray, dst: str | Path, description: str) -> str:
    """Write ``points.npy`` (N, 2) float32 in data units and ``manifest.json``
    with the per-column mean and std used to standardise them for training."""
    manifest = {"count": len(points), "shape": list(points.shape), "dtype": str(points.dtype),
                "description": description,
                "mean": points.mean(axis=0).tolist(), "std": points.std(axis=0).tolist()}
    with atomic_dir(dst) as out:
        np.save(out / "points.npy", points)
        (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return f"{dst}: {len(points)} points ({description})"
