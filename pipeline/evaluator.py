"""DVC stage evaluator@DATASET: build what datasets.DATASET's samples are measured against
(params evaluator) from the caches in DATA into OUT.

Usage: python pipeline/evaluator.py DATASET DATA OUT
"""

from gan.command import run_stage
from gan.evaluation.families import build_reference


def main(dataset, data, out):
    return build_reference(dataset, "params.yaml", data, out)


if __name__ == "__main__":
    run_stage(main)
