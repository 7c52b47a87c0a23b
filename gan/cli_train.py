"""``gan train``: train one experiment of params.yaml."""

import click

from gan.training.run import train_experiment


@click.command("train")
@click.argument("experiment")
@click.option("--params", "params_file", default="params.yaml", show_default=True,
              type=click.Path(dir_okay=False), help="Params file holding experiments.EXPERIMENT.")
@click.option("--out", "out_root", default="results", show_default=True, type=click.Path(file_okay=False),
              help="Outputs go to OUT/EXPERIMENT/.")
def train(experiment, params_file, out_root):
    """Train EXPERIMENT (a key under 'experiments:' in params.yaml).

    Writes OUT/EXPERIMENT/train/ (model.npz with both networks and optimiser
    states, config.json, snapshots.npz, snapshot grids) and OUT/EXPERIMENT/log.tsv
    (per-epoch D loss, G loss, mean D(x), mean D(G(z)), for WGAN-GP the
    Wasserstein estimate and penalty, with instance noise its sigma, seconds).
    Exits 1 if training diverges, keeping the last finite state.
    """
    click.echo(train_experiment(experiment, params_file, out_root))
