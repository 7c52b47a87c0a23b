"""``gan evaluator``, ``gan evaluate`` and ``gan report``."""

from pathlib import Path

import click

from gan.cli.options import DATA, DATASET, EXPERIMENT, PARAMS, RESULTS
from gan.evaluation.evaluate import evaluate_experiment
from gan.evaluation.families import build_reference
from gan.evaluation.report import experiment_names, write_report
from gan.training.model import read_model_config


@click.command("evaluator")
@DATASET
@PARAMS
@DATA
@RESULTS
def evaluator(dataset, params_file, data_root, results):
    """Build what DATASET's samples are measured against, in OUT/evaluator/DATASET/.

    DATASET is an entry of 'datasets:' in the params file; its family says
    what is built: for digits, a NumPy classifier trained on DATA/DATASET and
    tested on its reference cache (params 'evaluator'); for flags, the
    reference flags and their names; for a Gaussian mixture, the mode centres
    and std; for sine, the law of x.
    """
    click.echo(build_reference(dataset, params_file, data_root, Path(results) / "evaluator" / dataset))


@click.command("evaluate")
@EXPERIMENT
@PARAMS
@DATA
@RESULTS
def evaluate(experiment, params_file, data_root, results):
    """Sample the trained EXPERIMENT and write OUT/EXPERIMENT/metrics.json,
    samples.npy and figures (samples, losses, progress PNG and GIF, and the
    family's own figure)."""
    config, _ = read_model_config(Path(results) / experiment / "train")
    click.echo(evaluate_experiment(experiment, params_file, Path(data_root) / config.dataset,
                                   Path(results) / "evaluator" / config.dataset, Path(results) / experiment))


@click.command("report")
@PARAMS
@RESULTS
@click.option("--to", "report_dir", default="report", show_default=True, type=click.Path(file_okay=False),
              help="Folder of the report: report.md, summary.png, losses/.")
def report(params_file, results, report_dir):
    """Write TO/report.md (the metrics of every experiment, a table per
    dataset family), TO/summary.png and TO/losses/<family>.tsv."""
    click.echo(write_report(experiment_names(params_file), results, report_dir))
