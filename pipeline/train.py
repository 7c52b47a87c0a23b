"""DVC stage train@NAME: train experiments.NAME on the cache CACHE into OUT (OUT/train/, OUT/log.tsv).

Usage: python pipeline/train.py NAME CACHE OUT
"""

from gan.command import run_stage
from gan.training.run import train_experiment


def main(name, cache, out):
    return train_experiment(name, "params.yaml", cache, out)


if __name__ == "__main__":
    run_stage(main)
