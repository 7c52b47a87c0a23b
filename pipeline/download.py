"""DVC stage: fetch the dataset params.yaml names under data.<NAME> into data/raw/<NAME>.

Usage: python pipeline/download.py NAME
"""

import sys

from gan.cli import run_or_exit
from gan.data.download import download
from gan.params import check_keys, load_params, section

OPTIONAL = {"sha256", "strip_components", "max_extract_mb", "each", "allow_missing"}


def main(name: str) -> str:
    p = section(load_params(), f"data.{name}")
    check_keys(p, OPTIONAL, f"data.{name}", required={"source"})
    return download(p["source"], f"data/raw/{name}", sha256=p.get("sha256") or None,
                    strip_components=p.get("strip_components", 0),
                    max_bytes=p.get("max_extract_mb", 4096) << 20, each=p.get("each") or None,
                    allow_missing=p.get("allow_missing", False))


if __name__ == "__main__":
    run_or_exit(main, *sys.argv[1:])
