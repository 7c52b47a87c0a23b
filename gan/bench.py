"""``gan bench``: how fast this machine's NumPy is, and how close the training
step comes to it.  Every figure is the median of several timed repeats after
a warm-up, with min and max; ratios are taken within one run."""

import dataclasses
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from gan.data.flatten import flatten_folder
from gan.datasets import Dataset, load_dataset
from gan.nn import Conv2d, ConvTranspose2d, Linear, MinibatchDiscrimination, Sequential
from gan.threads import BLAS_SPIN, apply_budget
from gan.training.config import ExperimentConfig, read_experiment
from gan.training.trainer import Trainer

STEPS = (("mnist_step", "mnist", (128, 32)), ("flags_rgb_step", "flags_rgb", (32,)),
         ("flags_rgb_tv_mbd_step", "flags_rgb_tv_mbd", (32,)), ("mnist_dcgan_step", "mnist_dcgan", (64,)))
EXPERIMENTS = tuple(name for _, name, _ in STEPS)  # whose training steps are timed
SPIN_STEPS = (("flags_rgb", 32), ("mnist", 128))  # timed with OpenBLAS's spin time and the lab's
STEP_WARMUP = 30  # untimed steps before a step is timed
OPENBLAS_SPIN = "28"  # OpenBLAS's own OPENBLAS_THREAD_TIMEOUT: 2^28 cycles


def timed(func: Callable[[], object], repeats: int, warmup: int = 1) -> dict[str, float]:
    """Median, min and max seconds of ``func()`` over ``repeats`` runs after ``warmup``."""
    for _ in range(warmup):
        func()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return {"median_s": statistics.median(times), "min_s": min(times), "max_s": max(times)}


def sgemm_gflops(n: int = 2048, repeats: int = 7) -> dict[str, float]:
    """float32 matrix-multiply rate on n x n matrices: the ceiling for the step."""
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal((n, n), dtype=np.float32) for _ in range(2))
    out = np.empty((n, n), dtype=np.float32)
    t = timed(lambda: np.matmul(a, b, out=out), repeats)
    flops = 2 * n**3
    return {"n": n, "gflops": flops / t["median_s"] / 1e9, "min_gflops": flops / t["max_s"] / 1e9,
            "max_gflops": flops / t["min_s"] / 1e9}


def _matmul_macs(model: Sequential) -> list[int]:
    """Multiply-adds per sample of each matrix multiply in ``model``'s forward
    (convolutions: per output pixel of Conv2d, per input pixel of
    ConvTranspose2d; read from the shapes of the last forward)."""
    macs = []
    for layer in model.layers:
        if isinstance(layer, Linear | MinibatchDiscrimination):
            macs.append(layer.params["W" if isinstance(layer, Linear) else "T"].size)
        elif isinstance(layer, Conv2d | ConvTranspose2d):  # the valid output pixels of its windows
            macs.append(layer.params["W"].size * layer.windows.oh * layer.windows.ow)
    return macs


def step_flops(trainer: Trainer, batch: int) -> int:
    """Matrix-multiply FLOPs one training step needs, counted analytically.

    Each matmul of m multiply-adds per row costs 2m per row forward, 2m for its
    weight gradient and 2m for its input gradient; the first layer of a
    network needs no input gradient when its input is data or noise.
    D sees R = B / pac rows of each kind (packing).
    D step: G forward on B rows, D forward + weight and input gradients on 2R
    rows (real and generated), first layer without input gradient.
    G step: D forward and input gradients on R rows (through its first
    layer), G weight and input gradients on B rows, first layer without input gradient.
    """
    g, d = _matmul_macs(trainer.gan.generator), _matmul_macs(trainer.gan.discriminator)
    k, rows = trainer.config.d_steps, batch // trainer.config.pac
    d_step = batch * sum(g) + 2 * rows * (2 * sum(d) + sum(d) - d[0])
    g_step = rows * 2 * sum(d) + batch * (sum(g) + sum(g) - g[0])
    return 2 * (k * d_step + g_step)


def bench_step(name: str, config: ExperimentConfig, data: Dataset, batch: int, repeats: int) -> dict:
    """Samples/s and achieved GFLOP/s of full training steps of ``config`` at
    ``batch`` on ``data``, timed after ``STEP_WARMUP`` untimed steps (a new
    model's first steps run slower: the flags step took 39 ms over steps 3
    to 13 and 32.5 ms from step 30 on)."""
    config = dataclasses.replace(config, batch_size=batch)
    trainer = Trainer(config, data, name)
    reals = [data.rows[i * batch:(i + 1) * batch] for i in range(config.d_steps)]
    t = timed(lambda: trainer.step(reals), repeats, warmup=STEP_WARMUP)
    flops = step_flops(trainer, batch)
    return {"batch": batch, "samples_per_s": batch / t["median_s"], "step_ms": 1e3 * t["median_s"],
            "step_ms_min": 1e3 * t["min_s"], "step_ms_max": 1e3 * t["max_s"], "gflop_per_step": flops / 1e9,
            "gflops": flops / t["median_s"] / 1e9}


def load_experiment(params_file: str | Path, data_root: str | Path, name: str) -> tuple[ExperimentConfig, Dataset]:
    """Experiment ``name``'s settings and its training data under ``data_root``."""
    config, family = read_experiment(name, params_file)
    return config, load_dataset(family.name, Path(data_root) / config.dataset)


def print_step_ms(params_file: str, data_root: str, name: str, batch: int, repeats: int) -> None:
    """Print ``bench_step``'s JSON for experiment ``name``: what ``bench_blas_spin`` runs in each child."""
    apply_budget()
    print(json.dumps(bench_step(name, *load_experiment(params_file, data_root, name), batch, repeats)))


def bench_blas_spin(params_file: str | Path, data_root: str | Path, repeats: int) -> dict:
    """Step ms of each of ``SPIN_STEPS`` with OpenBLAS's spin time and with
    the lab's ``BLAS_SPIN``, each in a fresh process (OpenBLAS reads
    OPENBLAS_THREAD_TIMEOUT when it loads), one after the other."""
    result = {}
    for name, batch in SPIN_STEPS:
        runs = {}
        for label, spin in (("openblas_spin", OPENBLAS_SPIN), ("lab_spin", BLAS_SPIN)):
            code = ("from gan.bench import print_step_ms; "
                    f"print_step_ms({str(params_file)!r}, {str(data_root)!r}, {name!r}, {batch}, {repeats})")
            child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                                   env=os.environ | {"OPENBLAS_THREAD_TIMEOUT": spin})
            runs[label] = json.loads(child.stdout)["step_ms"]
        result[name] = {"batch": batch, "openblas_spin_ms": runs["openblas_spin"], "lab_spin_ms": runs["lab_spin"],
                        "speedup": runs["openblas_spin"] / runs["lab_spin"]}
    return {"openblas_thread_timeout": {"openblas": OPENBLAS_SPIN, "lab": BLAS_SPIN}} | result


def minibatch_loop_reference(layer: MinibatchDiscrimination, x: np.ndarray, dy: np.ndarray) -> np.ndarray:
    """The layer written plainly, one kernel at a time: forward, then backward."""
    n, a = x.shape
    T = layer.params["T"]
    m = (x @ T).reshape(n, layer.kernels, layer.kernel_dim)
    grad_m = np.zeros_like(m)
    for b in range(layer.kernels):
        diff = m[:, None, b, :] - m[None, :, b, :]                  # (N, N, C)
        close = np.exp(-np.abs(diff).sum(axis=2))                   # (N, N)
        weight = (dy[:, a + b][:, None] + dy[:, a + b][None, :]) * close
        grad_m[:, b, :] = -(weight[:, :, None] * np.sign(diff)).sum(axis=1)
    grad_m = grad_m.reshape(n, -1)
    return dy[:, :a] + grad_m @ T.T


def bench_minibatch(repeats: int, n: int = 64, features: int = 256, kernels: int = 32, dim: int = 4) -> dict:
    rng = np.random.default_rng(0)
    layer = MinibatchDiscrimination(features, kernels, dim, rng)
    x = rng.standard_normal((n, features), dtype=np.float32)
    dy = rng.standard_normal((n, features + kernels), dtype=np.float32)

    def project():
        layer.forward(x)
        return layer.backward(dy)

    ours = timed(project, repeats, warmup=2)
    loop = timed(lambda: minibatch_loop_reference(layer, x, dy), repeats, warmup=2)
    return {"batch": n, "in_features": features, "kernels": kernels, "kernel_dim": dim,
            "layer_ms": 1e3 * ours["median_s"], "loop_ms": 1e3 * loop["median_s"],
            "speedup": loop["median_s"] / ours["median_s"]}


def bench_flatten(sample: Path, count: int = 70_000, repeats: int = 3) -> dict:
    """Images/s of ``flatten`` on ``count`` 28x28 JPGs copied from the MNIST-JPG zip ``sample``."""
    with zipfile.ZipFile(sample) as zf:
        jpgs = [(name.split("/")[-2], zf.read(name)) for name in zf.namelist() if name.endswith(".jpg")]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "images"
        for digit in {d for d, _ in jpgs}:
            (root / digit).mkdir(parents=True)
        for i in range(count):
            digit, data = jpgs[i % len(jpgs)]
            (root / digit / f"{i}.jpg").write_bytes(data)
        result = {"images": count, "cores": os.cpu_count()}
        for label, workers in (("one_process", 1), ("all_cores", os.cpu_count())):
            t = timed(lambda w=workers: flatten_folder(root, Path(tmp) / "cache", w), repeats, warmup=0)
            result[label] = {"images_per_s": count / t["median_s"], "seconds": t["median_s"],
                             "seconds_min": t["min_s"], "seconds_max": t["max_s"]}
        return result


def run_bench(experiments: dict[str, tuple[ExperimentConfig, Dataset]], sample: Path, spin_from: tuple[str, str],
              repeats: int = 10, flatten_images: int = 70_000, log=print) -> dict:
    """The whole benchmark as one JSON-ready dict; ``experiments`` maps each
    of ``EXPERIMENTS`` to its settings and training data, ``spin_from`` is
    the (params file, data root) the spin figure's child processes read."""
    log("sgemm ...")
    sgemm = sgemm_gflops()
    result = {"sgemm_gflops": sgemm["gflops"], "sgemm": sgemm}
    for key, name, batches in STEPS:
        runs = []
        for batch in batches:
            log(f"{name} step at batch {batch} ...")
            run = bench_step(name, *experiments[name], batch, repeats)
            run["ratio_to_sgemm"] = run["gflops"] / sgemm["gflops"]
            runs.append(run)
        result[key] = runs if len(runs) > 1 else runs[0]
    log("OpenBLAS spin time: steps in fresh processes ...")
    result["blas_spin"] = bench_blas_spin(*spin_from, repeats)
    log("minibatch discrimination ...")
    result["minibatch_discrimination"] = bench_minibatch(repeats)
    log(f"flatten of {flatten_images} JPGs ...")
    result["flatten"] = bench_flatten(sample, flatten_images)
    return result
