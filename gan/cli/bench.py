"""``gan bench``: the speed benchmark, printed as one JSON object."""

import json
from pathlib import Path

import click

from gan.bench import EXPERIMENTS, load_experiment, run_bench
from gan.bench_device import device_bench
from gan.cli.options import DATA, PARAMS
from gan.device import DEVICES, device_module


@click.command("bench")
@PARAMS
@DATA
@click.option("--sample", default="data/sample/mnist-jpg-sample.zip", show_default=True,
              type=click.Path(exists=True, dir_okay=False), help="MNIST-JPG zip whose JPGs the flatten figure copies.")
@click.option("--repeats", default=10, show_default=True, type=click.IntRange(3),
              help="Timed repeats per figure (after a warm-up); the median is reported.")
@click.option("--flatten-images", default=70_000, show_default=True, type=click.IntRange(100),
              help="JPGs to synthesise from the sample for the flatten figure.")
@click.option("--device", type=click.Choice(DEVICES), default=None,
              help="Instead, time the MLP step (B64, B128, B1024) and the DCGAN step (B64, B128) on this device "
                   "with a synchronising timer, against PyTorch eager on the same networks where it imports.")
def bench(params_file, data_root, sample, repeats, flatten_images, device):
    """Measure sgemm GFLOP/s, full training steps of the experiments
    mnist, flags_rgb, flags_rgb_tv_mbd and mnist_dcgan on their datasets in
    DATA (samples/s, FLOPs per step, achieved GFLOP/s and its ratio to
    sgemm), the flags_rgb and mnist steps with OpenBLAS's own spin time
    against the lab's (OPENBLAS_THREAD_TIMEOUT), minibatch discrimination
    against a per-kernel loop, and flatten images/s; print one JSON object.
    With --device, the device figures of gan/bench_device.py instead."""
    def log(line):
        click.echo(line, err=True)

    if device:
        xp = device_module(device, "--device")
        click.echo(json.dumps(device_bench(params_file, data_root, device, xp, repeats, log), indent=1))
        return
    experiments = {name: load_experiment(params_file, data_root, name) for name in EXPERIMENTS}
    result = run_bench(experiments, Path(sample), (params_file, data_root), repeats, flatten_images,
                       log=log)
    click.echo(json.dumps(result, indent=1))
