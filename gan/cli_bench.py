"""``gan bench``: the speed benchmark, printed as one JSON object."""

import json

import click

from gan.bench import run_bench
from gan.training.run import experiment_config


@click.command("bench")
@click.option("--params", "params_file", default="params.yaml", show_default=True,
              type=click.Path(dir_okay=False), help="Params file with the mnist, flags_rgb, "
              "flags_rgb_tv_mbd and mnist_dcgan experiments whose steps are timed.")
@click.option("--repeats", default=10, show_default=True, type=click.IntRange(3),
              help="Timed repeats per figure (after a warm-up); the median is reported.")
@click.option("--flatten-images", default=70_000, show_default=True, type=click.IntRange(100),
              help="JPGs to synthesise from the sample for the flatten figure.")
def bench(params_file, repeats, flatten_images):
    """Measure sgemm GFLOP/s, full training steps (samples/s, FLOPs per step,
    achieved GFLOP/s and its ratio to sgemm), minibatch discrimination against
    a per-kernel loop, and flatten images/s; print one JSON object."""
    configs = {name: experiment_config(name, params_file)
               for name in ("mnist", "flags_rgb", "flags_rgb_tv_mbd", "mnist_dcgan")}
    result = run_bench(configs, repeats, flatten_images, log=lambda line: click.echo(line, err=True))
    click.echo(json.dumps(result, indent=1))
