"""Where a training step's time goes on a device: what a GPU session records
when ``gan bench --device cuda`` misses its goals (tools/gpu_check.sh runs it).

Usage: python tools/gpu_profile.py DEVICE [--params FILE] [--data DIR] [--batch N] EXPERIMENT ...

Each EXPERIMENT is set up as ``gan bench --device`` sets it up (one pack, no
weight average) at BATCH rows (default 64).  Prints one JSON object:

- ``launch_us``: microseconds per call of one device operation, each call
  synchronised in batches of 200 (median): a ufunc on one element, a fused
  kernel (the weight average's) on one element, a 1 x 1 matmul;
- per experiment: ``step_ms``, a training step (synchronised, median);
  ``operations``, that step's device operations counted on the strict
  stand-in (tools/count_launches.py); ``launch_bound_ms``, operations times
  the ufunc's ``launch_us``: the step's time if launches alone set it; and
  ``layers``, each layer of G and D with its forward and backward
  milliseconds on a batch of its inputs (each call synchronised, median).

A step_ms near launch_bound_ms is bound by launches (fuse more); far above
it, the layers with the largest times hold the step back.
"""

import argparse
import dataclasses
import json
import statistics
import sys
import time
from functools import partial
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import count_launches  # noqa: E402

from gan.bench import STEP_WARMUP, load_experiment  # noqa: E402
from gan.bench_device import lab_step  # noqa: E402
from gan.device import device_module, synchronize  # noqa: E402
from gan.errors import GanError  # noqa: E402
from gan.nn.average import AVERAGE_KERNEL  # noqa: E402
from gan.nn.kernel import compiled, fuses  # noqa: E402
from gan.training.trainer import Trainer  # noqa: E402
from tests.strict_device import strict  # noqa: E402


def per_call_ms(func, xp, calls: int = 200, repeats: int = 5) -> float:
    """Median milliseconds of one ``func()``, timed ``calls`` at a time and synchronised, after a warm-up."""
    func()
    synchronize(xp)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            func()
        synchronize(xp)
        times.append((time.perf_counter() - start) / calls * 1e3)
    return statistics.median(times)


def launch_costs(xp) -> dict[str, float]:
    """Microseconds per call of a ufunc, a fused kernel (where ``xp`` fuses) and a matmul, on one element."""
    one, other, square = xp.ones(1, dtype=np.float32), xp.ones(1, dtype=np.float32), xp.ones((1, 1), np.float32)
    costs = {"ufunc": per_call_ms(lambda: xp.add(one, other, out=one), xp) * 1e3}
    if fuses(xp):
        kernel, weight = compiled(AVERAGE_KERNEL, xp), np.float32(0.5)
        costs["fused_kernel"] = per_call_ms(lambda: kernel(other, weight, one), xp) * 1e3
    costs["matmul"] = per_call_ms(lambda: square @ square, xp) * 1e3
    return costs


def layer_times(network, x, xp) -> tuple[list[dict], object]:
    """Forward and backward milliseconds of each layer of ``network`` on input ``x``; and the output."""
    rows = []
    for layer in network.layers:
        y = layer.forward(x)
        dy = xp.ones_like(y)
        rows.append({"layer": repr(layer), "forward_ms": per_call_ms(partial(layer.forward, x), xp, calls=20),
                     "backward_ms": per_call_ms(partial(layer.backward, dy), xp, calls=20)})
        x = layer.forward(x)  # the cache backward reads is this input's again
    return rows, x


def profile(name: str, params: str, data_root: str, batch: int, xp, ufunc_us: float) -> dict:
    config, data = load_experiment(params, data_root, name)
    config = dataclasses.replace(config, batch_size=batch, pac=1, ema=0.0)
    counted = count_launches.count_trainer_step(Trainer(config, data, name, strict))["operations"]
    trainer = Trainer(config, data, name, xp)
    step_ms = lab_step(trainer, batch, repeats=5, warmup=min(STEP_WARMUP, 10)) * 1e3
    generator, discriminator = trainer.gan.generator, trainer.gan.discriminator
    width = next(layer for layer in generator.layers if "W" in layer.params).params["W"].shape[0]
    noise = xp.asarray(np.random.default_rng(0).standard_normal((batch, width), dtype=np.float32))
    g_layers, fake = layer_times(generator, noise, xp)
    d_layers, _ = layer_times(discriminator, fake, xp)
    return {"batch": batch, "step_ms": step_ms, "operations": counted, "launch_bound_ms": counted * ufunc_us / 1e3,
            "layers": {"generator": g_layers, "discriminator": d_layers}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("device", choices=("cpu", "cuda"))
    parser.add_argument("--params", default="params.yaml")
    parser.add_argument("--data", default="data/processed")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("experiments", nargs="+")
    args = parser.parse_args()
    count_launches._count_everything()
    try:
        xp = device_module(args.device, "DEVICE")
        result = {"device": args.device, "launch_us": launch_costs(xp)}
        for name in args.experiments:
            print(f"{name} at batch {args.batch} ...", file=sys.stderr)
            result[name] = profile(name, args.params, args.data, args.batch, xp, result["launch_us"]["ufunc"])
    except GanError as exc:
        sys.exit(f"gpu_profile: {exc}")
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
