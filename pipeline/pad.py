"""DVC stage: pad the raw flags to data/interim/flags_<VARIANT> (bw or rgb) with data.pad params.

Usage: python pipeline/pad.py VARIANT
"""

import sys

from gan.cli import run_or_exit
from gan.data.pad import PadOptions, pad_folder
from gan.errors import GanError
from gan.params import check_keys, load_params, section

MODES = {"bw": "L", "rgb": "RGB"}


def main(variant: str) -> str:
    if variant not in MODES:
        raise GanError(f"unknown flag variant {variant!r}; choose one of {', '.join(MODES)}")
    p = section(load_params(), "data.pad")
    check_keys(p, set(), "data.pad", required={"canvas", "policy", "background", "max_bad_fraction"})
    opts = PadOptions((p["canvas"], p["canvas"]), MODES[variant], p["policy"], tuple(p["background"]))
    return pad_folder("data/raw/flags", f"data/interim/flags_{variant}", opts, p["max_bad_fraction"])


if __name__ == "__main__":
    run_or_exit(main, *sys.argv[1:])
