"""The CPU run's epoch-to-epoch spread of every experiment's metrics: the
yardstick that a GPU run's metrics are read against (#24).  A GPU run
follows the CPU run's random stream but not its rounding, so its trajectory
parts from the CPU's and ends somewhere in the same neighbourhood.

Usage: python tools/metric_spread.py OUT.tsv [EXPERIMENT ...] [--last N]

Trains each EXPERIMENT of params.yaml (default: all) on the CPU exactly as
the train stage does, and after each of its last N epochs (default 10)
measures its family's metrics as the evaluate stage does (the evaluate
params' noise, G's weight average where there is one).  Run it from a DVC
workspace after `dvc repro` (it reads data/processed/ and
results/evaluator/), alone, with the stage's thread budget.  After the last
epoch it has the default run's model, so that row must equal
results/EXPERIMENT/metrics.json: the tool says whether it does.  OUT.tsv
gets one row per experiment, epoch and metric, written after each
experiment; tools/gpu_tables.py reads it.
"""

import argparse
import json
from pathlib import Path

import numpy as np

from gan.datasets import load_dataset
from gan.evaluation.evaluate import EvaluateParams, evaluation_draw
from gan.evaluation.families import measure_without_figures
from gan.files import write_text
from gan.params import load_params, read_section
from gan.threads import apply_budget
from gan.training.config import read_experiment
from gan.training.trainer import Trainer


def last_epochs_metrics(name: str, evaluate: EvaluateParams, last: int) -> list[tuple[int, dict]]:
    """(epoch, metrics) after each of ``name``'s ``last`` epochs."""
    config, family = read_experiment(name, "params.yaml")
    data = load_dataset(family.name, f"data/processed/{config.dataset}", config.digits)
    reference = Path("results/evaluator") / config.dataset
    trainer, measured = Trainer(config, data, name), []

    def after_epoch(epoch: int, row: tuple) -> None:
        if epoch + last >= config.epochs:
            noise, labels = evaluation_draw(trainer.gan, evaluate.samples, np.random.default_rng(evaluate.seed))
            samples = trainer.gan.sample(noise, labels)
            measured.append((epoch + 1, measure_without_figures(samples, labels, data, reference, config.digits)))

    trainer.fit(after_epoch, log=lambda line: None)
    return measured


def check_last(name: str, metrics: dict) -> None:
    """Say whether ``metrics`` (the last epoch's) equal the default run's metrics.json, where there is one."""
    saved = Path(f"results/{name}/metrics.json")
    if saved.is_file():
        stored = json.loads(saved.read_text())
        differ = {k: (v, stored.get(k)) for k, v in metrics.items() if stored.get(k) != v}
        print(f"{name}: last epoch {'differs from' if differ else 'equals'} {saved}"
              + (f": {differ}" if differ else ""), flush=True)


def main(out: Path, names: list[str], last: int) -> None:
    apply_budget()
    evaluate = read_section(EvaluateParams, "evaluate", "params.yaml")
    lines = ["experiment\tepoch\tmetric\tvalue"]
    for name in names or list(load_params("params.yaml")["experiments"]):
        measured = last_epochs_metrics(name, evaluate, last)
        lines += [f"{name}\t{epoch}\t{key}\t{value}" for epoch, metrics in measured for key, value in metrics.items()]
        write_text(out, "\n".join(lines) + "\n")
        check_last(name, measured[-1][1])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("experiments", nargs="*")
    parser.add_argument("--last", type=int, default=10, help="epochs measured at the end of each run (default 10)")
    arguments = parser.parse_intermixed_args()
    if arguments.last < 1:
        parser.error("--last must be at least 1")
    main(arguments.out, arguments.experiments, arguments.last)
