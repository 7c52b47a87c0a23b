"""Synthetic 2-D datasets, written as caches like the image ones."""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gan.data.cache import array_sha256
from gan.files import atomic_dir, save_array, write_json
from gan.params import (
    PARAMS_FILE,
    ParamsError,
    load_params,
    naming_file,
    non_negative,
    one_of,
    param,
    parse,
    positive,
    section,
)


@dataclass(frozen=True, kw_only=True)
class SineParams:
    """A ``data.toy.<name>`` section without ``layout``: points (x, sin x)."""
    points: int = param(check=positive)
    seed: int = param(0, non_negative)


@dataclass(frozen=True, kw_only=True)
class MixtureParams:
    """A ``data.toy.<name>`` section with ``layout``: equal Gaussians of std
    ``std`` on a ring of ``radius`` or a square grid ``spacing`` apart."""
    layout: str = param(check=one_of("ring", "grid"))
    modes: int = param(check=positive)
    radius: float | None = param(None)
    spacing: float | None = param(None)
    std: float = param(check=positive)
    points: int = param(check=positive)
    seed: int = param(0, non_negative)

    def check_values(self, where: str) -> None:
        size_key, other = ("radius", "spacing") if self.layout == "ring" else ("spacing", "radius")
        if getattr(self, size_key) is None:
            raise ParamsError(f"missing key '{where}.{size_key}'")
        if getattr(self, size_key) <= 0:
            raise ParamsError(f"'{where}.{size_key}' must be positive, got {getattr(self, size_key)}")
        if getattr(self, other) is not None:
            raise ParamsError(f"'{where}.{other}' applies to layout {'grid' if other == 'spacing' else 'ring'}")
        side = round(self.modes ** 0.5)
        if self.layout == "grid" and side * side != self.modes:
            raise ParamsError(f"'{where}.modes': a grid needs a square number of modes, got {self.modes}")


def toy_params(values: dict, where: str) -> SineParams | MixtureParams:
    """The settings of one toy dataset: a mixture when ``layout`` is given, else the sine."""
    return parse(MixtureParams if isinstance(values, dict) and "layout" in values else SineParams, values, where)


def read_toy(dotted: str, params_file: str | Path = PARAMS_FILE) -> SineParams | MixtureParams:
    """``toy_params`` of the section ``dotted`` of the params file, errors naming it."""
    with naming_file(params_file):
        return toy_params(section(load_params(params_file), dotted), dotted)


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


def write_toy(params: SineParams | MixtureParams, dst: str | Path) -> str:
    """Draw the points ``params`` describe and write them as a cache in ``dst``."""
    rng = np.random.default_rng(params.seed)
    if isinstance(params, SineParams):
        return write_points(sine_points(params.points, rng), dst, "x uniform in [0, 2 pi], y = sin x")
    if params.layout == "ring":
        centers, size = ring_centers(params.modes, params.radius), f"radius {params.radius}"
    else:
        centers, size = grid_centers(params.modes, params.spacing), f"spacing {params.spacing}"
    points = mixture_points(params.points, centers, params.std, rng)
    description = f"{params.modes} Gaussians of std {params.std} on a {params.layout} ({size})"
    return write_points(points, dst, description, centers=centers.tolist(), mode_std=params.std)


def write_points(points: np.ndarray, dst: str | Path, description: str, **extra) -> str:
    """Write ``points.npy`` (N, 2) float32 in data units and ``manifest.json``
    with the per-column mean and std used to standardise them for training,
    plus ``extra`` entries (a mixture's centers and mode_std)."""
    manifest = {"count": len(points), "shape": list(points.shape), "dtype": str(points.dtype),
                "description": description, "sha256": {"points": array_sha256(points)},
                "mean": points.mean(axis=0).tolist(), "std": points.std(axis=0).tolist(), **extra}
    with atomic_dir(dst) as out:
        save_array(out / "points.npy", points)
        write_json(out / "manifest.json", manifest)
    return f"{dst}: {len(points)} points ({description})"
