"""DVC stage evaluate@NAME: measure the model in OUT/train against the reference REFERENCE
(params evaluate), with its training cache CACHE; write OUT/metrics.json, samples.npy, figures/.

Usage: python pipeline/evaluate.py NAME CACHE REFERENCE OUT
"""

from gan.command import run_stage
from gan.evaluation.evaluate import evaluate_experiment


def main(name, cache, reference, out):
    return evaluate_experiment(name, "params.yaml", cache, reference, out)


if __name__ == "__main__":
    run_stage(main)
