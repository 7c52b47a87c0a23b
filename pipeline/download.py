"""DVC stage download@NAME: fetch the dataset data.sources.NAME describes into the folder DEST.

Usage: python pipeline/download.py NAME DEST
"""

from gan.command import run_stage
from gan.data.download import DataSource, download
from gan.params import check_name, read_section


def main(name, dest):
    return download(read_section(DataSource, f"data.sources.{check_name(name, 'data.sources')}"), dest)


if __name__ == "__main__":
    run_stage(main)
