"""Train one experiment of params.yaml with overrides and print, at every
snapshot, its family's metrics of G's weight average (``_ema``) and of its
trained weights (``_raw``): the evaluator's 1,000 noise vectors (evaluate
seed), against the references in results/evaluator/.  Rows are tab-separated
as in ``*_curves.tsv`` (3 significant digits).

    python docs/figures/curve.py mnist_dcgan '{"epochs": 60, "snapshot_every": 5}' base60

Run it alone (it uses the process's thread budget, GAN_THREADS).
"""

import json
import sys
from pathlib import Path

import numpy as np

from gan.datasets import load_dataset
from gan.evaluation.evaluate import evaluation_draw
from gan.evaluation.families import measure_without_figures
from gan.params import load_params
from gan.threads import apply_budget
from gan.training.config import ExperimentConfig
from gan.training.trainer import Trainer

KEYS = {"digits": ["fcd", "precision", "recall"], "flags": ["palette_distance", "tv_ratio", "distinct_modes"]}


def main(name: str, overrides: str, variant: str) -> None:
    apply_budget()
    params = load_params("params.yaml")
    settings = params["experiments"][name] | json.loads(overrides)
    config = ExperimentConfig.from_params(name, settings)
    family = params["datasets"][config.dataset]["family"]
    data = load_dataset(family, f"data/processed/{config.dataset}", config.digits)
    reference = Path("results/evaluator") / config.dataset
    trainer = Trainer(config, data, name)

    def measure(network) -> dict:
        noise, labels = evaluation_draw(trainer.gan, 1000, np.random.default_rng(params["evaluate"]["seed"]))
        samples = trainer.gan.sample(noise, labels, network=network)
        return measure_without_figures(samples, labels, data, reference, config.digits)

    def snapshot(seconds: float) -> None:
        gan = trainer.gan
        ema, raw = measure(gan.sampler), measure(gan.generator)
        values = [f"{float(m[k]):.3g}" for k in KEYS[family] for m in (ema, raw)]
        print("\t".join([name, variant, str(len(trainer.history.rows)), *values]), flush=True)

    print("\t".join(["experiment", "variant", "epoch", *(f"{k}_{w}" for k in KEYS[family] for w in ("ema", "raw"))]))
    trainer.fit(log=lambda line: None, on_snapshot=snapshot)


if __name__ == "__main__":
    main(*sys.argv[1:])
