"""DVC stage: pad the raw flags to data/interim/flags_<VARIANT> (bw or rgb) with data.pad params.

Usage: python pipeline/pad.py VARIANT
"""

import sys

from gan.cli import run_or_exit
from gan.data.pad import PadOptions, pad_folder
from gan.errors import GanError
from gan.params import read_section

MODES = {"bw": "L", "rgb": "RGB"}


def main(variant: str) -> str:
    if variant not in MODES:
        raise GanError(f"unknown flag variant {variant!r}; choose one of {', '.join(MODES)}")
    opts = read_section(PadOptions, "data.pad")
    return pad_folder("data/raw/flags", f"data/interim/flags_{variant}", opts, MODES[variant])


if __name__ == "__main__":
    run_or_exit(main, *sys.argv[1:])
