"""``gan train``: train one experiment of params.yaml."""

from pathlib import Path

import click

from gan.cli.options import DATA, PARAMS, RESULTS
from gan.training.config import read_experiment
from gan.training.run import train_experiment


@click.command("train")
@click.argument("experiment")
@PARAMS
@DATA
@RESULTS
def train(experiment, params_file, data_root, results):
    """Train EXPERIMENT (a key under 'experiments:' in the params file) on
    DATA/<its dataset>.

    Writes OUT/EXPERIMENT/train/ (model.npz with both networks and optimiser
    states, config.json with the settings and sample space, snapshots.npz,
    snapshot grids) and OUT/EXPERIMENT/log.tsv (per-epoch losses, mean D
    outputs, the objective's own columns, seconds).  Exits 1 if training
    diverges, keeping that run's last finite state in OUT/EXPERIMENT/train-diverged/.
    """
    config, _ = read_experiment(experiment, params_file)
    click.echo(train_experiment(experiment, params_file, Path(data_root) / config.dataset,
                                Path(results) / experiment))
