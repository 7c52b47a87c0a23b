"""DVC stage: fetch the dataset params.yaml names under data.<NAME> into data/raw/<NAME>.

Usage: python pipeline/download.py NAME
"""

import sys

from gan.cli import run_or_exit
from gan.data.download import DataSource, download
from gan.params import read_section


def main(name: str) -> str:
    return download(read_section(DataSource, f"data.{name}"), f"data/raw/{name}")


if __name__ == "__main__":
    run_or_exit(main, *sys.argv[1:])
