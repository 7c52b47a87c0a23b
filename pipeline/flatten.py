"""DVC stage flatten@NAME: decode the images of SRC into a cache (images.npy, labels.npy, manifest.json) in DST.

Usage: python pipeline/flatten.py SRC DST
"""

from gan.command import run_stage
from gan.data.flatten import flatten_folder


def main(src, dst):
    return flatten_folder(src, dst)


if __name__ == "__main__":
    run_stage(main)
