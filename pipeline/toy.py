"""DVC stage toy@NAME: write the 2-D toy dataset data.toy.NAME as a point cache in the folder DEST.

Usage: python pipeline/toy.py NAME DEST
"""

from gan.command import run_stage
from gan.data.toy import read_toy, write_toy
from gan.params import check_name


def main(name, dest):
    return write_toy(read_toy(f"data.toy.{check_name(name, 'data.toy')}"), dest)


if __name__ == "__main__":
    run_stage(main)
