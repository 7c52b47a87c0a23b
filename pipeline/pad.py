"""DVC stage pad@NAME: put every image under SRC on a square canvas (params data.pad) in MODE (L or RGB) into DST.

Usage: python pipeline/pad.py MODE SRC DST
"""

from gan.command import run_stage
from gan.data.pad import PadOptions, pad_folder
from gan.params import read_section


def main(mode, src, dst):
    return pad_folder(src, dst, read_section(PadOptions, "data.pad"), mode)


if __name__ == "__main__":
    run_stage(main)
