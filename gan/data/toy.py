"""Synthetic 2-D datasets, written as caches like the image ones."""

import json
from pathlib import Path

import numpy as np

from gan.atomic import atomic_dir


def sine_points(n: int, rng: np.random.Generator) -> np.ndarray:
    """(n, 2) float32 points (x, sin x), x uniform in [0, 2 pi]."""
    x = rng.uniform(0.0, 2 * np.pi, n)
    return np.stack([x, np.sin(x)], axis=1).astype(np.float32)


def ring_centers(modes: int, radius: float) -> np.ndarray:
    """(modes, 2) points evenly spaced on a circle of ``radius`` around 0, the first at (radius, 0)."""
    angles = 2 * np.pi * np.arange(modes) / modes
    return radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)


def grid_centers(modes: int, spacing: float) -> np.ndarray:
    """(modes, 2) points of a square grid centred on 0, ``spacing`` apart; ``modes`` must be a square."""
    side = int(round(np.sqrt(modes)))
    if side * side != modes:
        raise ValueError(f"a grid needs a square number of modes, got {modes}")
    ticks = (np.arange(side) - (side - 1) / 2) * spacing
    return np.stack(np.meshgrid(ticks, ticks, indexing="ij"), axis=-1).reshape(-1, 2)


def mixture_points(n: int, centers: np.ndarray, std: float, rng: np.random.Generator) -> np.ndarray:
    """(n, 2) float32 points from the equal-weight mixture of N(center, std^2 I)."""
    chosen = centers[rng.integers(0, len(centers), n)]
    return (chosen + std * rng.standard_normal((n, 2))).astype(np.float32)


def write_points(points: np.ndarray, dst: str | Path, description: str, **extra) -> str:
    """Write ``points.npy`` (N, 2) float32 in data units and ``manifest.json``
    with the per-column mean and std used to standardise them for training,
    plus ``extra`` entries (a mixture's centers and mode_std)."""
    manifest = {"count": len(points), "shape": list(points.shape), "dtype": str(points.dtype),
                "description": description,
                "mean": points.mean(axis=0).tolist(), "std": points.std(axis=0).tolist(), **extra}
    with atomic_dir(dst) as out:
        np.save(out / "points.npy", points)
        (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return f"{dst}: {len(points)} points ({description})"
