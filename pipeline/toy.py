"""DVC stage: write the 2-D toy dataset data.toy.<NAME> to data/processed/<NAME>.

Usage: python pipeline/toy.py NAME

``sine`` takes points and seed; a Gaussian mixture (``layout: ring`` or
``grid``) also takes modes, std and radius (ring) or spacing (grid).
"""

import sys

from gan.cli import run_or_exit
from gan.data.toy import toy_params, write_toy
from gan.params import PARAMS_FILE, load_params, naming_file, section


def main(name: str) -> str:
    where = f"data.toy.{name}"
    with naming_file(PARAMS_FILE):
        params = toy_params(section(load_params(PARAMS_FILE), where), where)
    return write_toy(params, f"data/processed/{name}")


if __name__ == "__main__":
    run_or_exit(main, *sys.argv[1:])
