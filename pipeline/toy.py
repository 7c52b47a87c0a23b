"""DVC stage: write the 2-D toy dataset data.toy.<NAME> to data/processed/<NAME>.

Usage: python pipeline/toy.py NAME
"""

import sys

import numpy as np

from gan.cli import run_or_exit
from gan.data.toy import sine_points, write_points
from gan.errors import GanError
from gan.params import check_keys, load_params, section

MAKERS = {"sine": (sine_points, "x uniform in [0, 2 pi], y = sin x")}


def main(name: str) -> str:
    if name not in MAKERS:
        raise GanError(f"unknown toy dataset {name!r}; choose one of {', '.join(MAKERS)}")
    p = section(load_params(), f"data.toy.{name}")
    check_keys(p, set(), f"data.toy.{name}", required={"points", "seed"})
    make, description = MAKERS[name]
    return write_points(make(p["points"], np.random.default_rng(p["seed"])), f"data/processed/{name}", description)


if __name__ == "__main__":
    run_or_exit(main, *sys.argv[1:])
