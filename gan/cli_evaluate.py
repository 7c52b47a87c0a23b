"""``gan evaluator``, ``gan evaluate`` and ``gan report``."""

from pathlib import Path

import click

from gan.evaluation.evaluate import evaluate_experiment
from gan.evaluation.reference import EvaluatorParams, build_reference
from gan.evaluation.report import write_report
from gan.params import load_params, naming_file, read_section, section

_PARAMS = click.option("--params", "params_file", default="params.yaml", show_default=True,
                       type=click.Path(dir_okay=False), help="Params file.")
_OUT = click.option("--out", "out_root", default="results", show_default=True,
                     type=click.Path(file_okay=False), help="Results folder.")


@click.command("evaluator")
@click.argument("dataset")
@_PARAMS
@_OUT
def evaluator(dataset, params_file, out_root):
    """Build what DATASET's samples are measured against, in OUT/evaluator/DATASET/.

    For mnist_train this trains the NumPy MNIST classifier (params 'evaluator')
    and records its test accuracy; for flags, the flag names; for sine, the law
    of x; for the Gaussian mixtures gmm8/gmm25, the mode centres and std.
    """
    p = read_section(EvaluatorParams, "evaluator", params_file)
    click.echo(build_reference(dataset, Path(out_root) / "evaluator" / dataset, p.epochs, p.seed))


@click.command("evaluate")
@click.argument("experiment")
@_PARAMS
@_OUT
def evaluate(experiment, params_file, out_root):
    """Sample a trained EXPERIMENT and write OUT/EXPERIMENT/metrics.json,
    samples.npy and figures (samples, losses, progress PNG and GIF, and the
    family's own figure)."""
    click.echo(evaluate_experiment(experiment, params_file, out_root))


@click.command("report")
@_PARAMS
@_OUT
def report(params_file, out_root):
    """Write OUT/report.md (metrics of every experiment) and OUT/summary.png."""
    with naming_file(params_file):
        experiments = list(section(load_params(params_file), "experiments"))
    click.echo(write_report(experiments, out_root))
