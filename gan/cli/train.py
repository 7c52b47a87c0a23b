"""``gan train``: train one experiment of params.yaml."""

from pathlib import Path

import click

from gan.cli.options import DATA, EXPERIMENT, PARAMS, RESULTS, device_option
from gan.training.config import read_experiment
from gan.training.resume import STATE_ROOT
from gan.training.run import train_experiment


@click.command("train")
@EXPERIMENT
@PARAMS
@DATA
@RESULTS
@click.option("--resume", is_flag=True,
              help=f"Continue the interrupted run of EXPERIMENT from its last snapshot ({STATE_ROOT}/EXPERIMENT/); "
                   "refused if its settings or data differ.")
@device_option(None, "training")
def train(experiment, params_file, data_root, results, resume, device):
    """Train EXPERIMENT (a key under 'experiments:' in the params file) on
    DATA/<its dataset>.

    Writes OUT/EXPERIMENT/train/ (model.npz with both networks and optimiser
    states, config.json with the settings and sample space, snapshots.npz,
    snapshot grids) and OUT/EXPERIMENT/log.tsv (per-epoch losses, mean D
    outputs, the objective's own columns, seconds).  Exits 1 if training
    diverges, keeping that run's last finite state in OUT/EXPERIMENT/train-diverged/.

    Every snapshot also saves the run's whole state (networks, optimisers,
    random generator, log) to ./.gan-state/EXPERIMENT/, outside OUT, so that an
    interrupted run can continue with --resume and end exactly as an
    uninterrupted one; the state is removed when the run ends.

    It trains where the params say (the experiment's 'device', else the
    top-level 'device', else cpu) unless --device says otherwise.
    """
    config, _ = read_experiment(experiment, params_file)
    click.echo(train_experiment(experiment, params_file, Path(data_root) / config.dataset,
                                Path(results) / experiment, resume, device=device))
