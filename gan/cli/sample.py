"""``gan sample``: draw samples from a trained experiment (no pipeline stage runs it)."""

from pathlib import Path

import click

from gan.cli.options import EXPERIMENT, RESULTS, device_option
from gan.sampling import write_samples


@click.command("sample")
@EXPERIMENT
@click.argument("output", type=click.Path(dir_okay=False))
@click.option("--count", default=64, show_default=True, type=click.IntRange(1, 100_000), help="Samples to draw.")
@click.option("--label", type=click.IntRange(0), default=None,
              help="Class (digit) to generate; conditional experiments only.  [default: random labels]")
@click.option("--seed", default=0, show_default=True, type=click.IntRange(0),
              help="Seed of the noise (and of random labels).")
@RESULTS
@device_option("cpu", "sampling")
def sample(experiment, output, count, label, seed, results, device):
    """Draw COUNT samples from the trained EXPERIMENT (OUT/EXPERIMENT/train/,
    which is all it reads) into OUTPUT: a PNG grid (.png, image experiments,
    at most 1024 samples) or an array (.npy: images in [-1, 1] or points in
    data units).

    Example: gan sample mnist_cgan sevens.png --label 7
    """
    click.echo(write_samples(Path(results) / experiment / "train", output, count, seed, label, device))
