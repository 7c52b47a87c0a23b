"""DVC stage: write the 2-D toy dataset data.toy.<NAME> to data/processed/<NAME>.

Usage: python pipeline/toy.py NAME

``sine`` takes points and seed; a Gaussian mixture (``layout: ring`` or
``grid``) also takes modes, std and radius (ring) or spacing (grid).
"""

import sys

import numpy as np

from gan.cli import run_or_exit
from gan.data.toy import grid_centers, mixture_points, ring_centers, sine_points, write_points
from gan.errors import GanError
from gan.params import check_keys, load_params, section

LAYOUTS = {"ring": (ring_centers, "radius"), "grid": (grid_centers, "spacing")}


def main(name: str) -> str:
    where = f"data.toy.{name}"
    p = section(load_params(), where)
    dst = f"data/processed/{name}"
    if "layout" not in p:
        check_keys(p, set(), where, required={"points", "seed"})
        points = sine_points(p["points"], np.random.default_rng(p["seed"]))
        return write_points(points, dst, "x uniform in [0, 2 pi], y = sin x")
    if p["layout"] not in LAYOUTS:
        raise GanError(f"params.yaml: '{where}.layout' must be one of {', '.join(LAYOUTS)}, got {p['layout']!r}")
    make_centers, size_key = LAYOUTS[p["layout"]]
    check_keys(p, set(), where, required={"layout", "modes", size_key, "std", "points", "seed"})
    try:
        centers = make_centers(p["modes"], p[size_key])
    except ValueError as exc:
        raise GanError(f"params.yaml: '{where}.modes': {exc}") from exc
    points = mixture_points(p["points"], centers, p["std"], np.random.default_rng(p["seed"]))
    description = f"{p['modes']} Gaussians of std {p['std']} on a {p['layout']} ({size_key} {p[size_key]})"
    return write_points(points, dst, description, centers=centers.tolist(), mode_std=p["std"])


if __name__ == "__main__":
    run_or_exit(main, *sys.argv[1:])
