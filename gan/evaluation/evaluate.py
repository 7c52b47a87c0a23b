"""Evaluate one trained experiment: samples.npy, metrics.json and figures/ in its results folder."""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gan.datasets import FAMILIES, load_dataset
from gan.errors import GanError
from gan.evaluation import figures
from gan.evaluation.families import MEASURES, Drawn, measure_without_figures, rounded
from gan.files import load_arrays, save_array, write_json
from gan.params import in_range, non_negative, param, read_section
from gan.training.config import ExperimentConfig
from gan.training.model import GAN, load_gan, sample_noise
from gan.training.objectives import OBJECTIVES

LOGGED = ("d_loss", "g_loss", "d_real", "d_fake")  # every objective logs these; its own columns follow


@dataclass(frozen=True, kw_only=True)
class EvaluateParams:
    """The ``evaluate`` params: how many samples each experiment is measured on, and their seed."""
    samples: int = param(check=in_range(10, 100_000))
    seed: int = param(0, non_negative)


def read_log(path: Path) -> dict[str, np.ndarray]:
    """The per-epoch log as columns."""
    if not path.is_file():
        raise GanError(f"{path}: no training log; run 'gan train' first")
    try:
        columns = path.read_text().split("\n", 1)[0].split("\t")
        table = np.loadtxt(path, delimiter="\t", skiprows=1, ndmin=2)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise GanError(f"{path}: not a readable training log ({exc})") from None
    if table.shape[1] != len(columns) or not len(table) or "seconds" not in columns:
        raise GanError(f"{path}: not a training log (expected a header and one row per epoch)")
    return {name: table[:, i] for i, name in enumerate(columns)}


def describe(name: str, config: ExperimentConfig) -> str:
    """A figure title: the experiment and the params that distinguish it."""
    parts = [f"{config.dataset}", f"{config.epochs} ep", f"batch {config.batch_size}",
             f"lr D {config.lr_d:g} G {config.lr_g:g}", OBJECTIVES[config.loss].describe(config)]
    if config.conditional:
        parts.append("conditional")
    if config.sigma_start:
        parts.append(f"instance noise {config.sigma_start:g}")
    if config.lambda_tv:
        parts.append(f"TV {config.lambda_tv:g}")
    if any(str(s).startswith("conv") for s in config.generator + config.discriminator):
        parts.append("convolutional")
    if any(str(s).startswith("batchnorm") for s in config.generator):
        parts.append("batch norm in G")
    if any(str(s).startswith("minibatch") for s in config.discriminator):
        parts.append("minibatch disc.")
    if config.digits:
        parts.append(f"digits {config.digits}")
    if config.pac > 1:
        parts.append(f"pac {config.pac}")
    if config.ema:
        parts.append(f"EMA {config.ema:g}")
    return f"{name} ({', '.join(p for p in parts if p)})"


def evaluation_draw(gan: GAN, count: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray | None]:
    """What an evaluation samples ``gan`` on: ``count`` noise rows drawn from
    ``rng`` and, for a conditional G, ``count`` labels balanced over its classes."""
    labels = np.arange(count) % gan.classes if gan.classes else None
    return sample_noise(gan.config, count, rng), labels


def _without_average(gan: GAN, noise, labels, dataset, reference: Path) -> dict:
    """The family's metrics of ``gan``'s trained weights (not its average) on ``noise``."""
    samples = gan.sample(noise, labels, network=gan.generator)
    return measure_without_figures(samples, labels, dataset, reference, gan.config.digits)


def evaluate_experiment(name: str, params_file: str | Path, cache: str | Path, reference: str | Path,
                        out: str | Path) -> str:
    """Measure the model in ``out``/train (logged in ``out``/log.tsv) against
    the evaluation reference in the folder ``reference``, with the training
    cache in ``cache`` for the 'real' panels; write ``out``/metrics.json,
    ``out``/samples.npy and ``out``/figures/.  With a weight average
    (``ema``) the samples come from it, and metrics.json's ``without_ema``
    holds the family's metrics of the trained weights on the same noise."""
    p = read_section(EvaluateParams, "evaluate", params_file)
    out, reference = Path(out), Path(reference)
    gan = load_gan(out / "train")
    config, family = gan.config, FAMILIES[gan.space.family]
    if not reference.is_dir():
        raise GanError(f"{reference}: missing; run 'gan evaluator {config.dataset}' first")
    dataset = load_dataset(family.name, cache, config.digits)
    rng = np.random.default_rng(p.seed)
    noise, labels = evaluation_draw(gan, p.samples, rng)
    samples = gan.sample(noise, labels)
    title, figs = describe(name, config), out / "figures"
    figs.mkdir(parents=True, exist_ok=True)
    metrics = MEASURES[family.name].measure(Drawn(samples, labels, dataset, reference, config.digits, title, figs))
    without_ema = _without_average(gan, noise, labels, dataset, reference) if gan.average else None
    if gan.classes:
        figures.digits_figure(gan.draw(10 * gan.classes, rng, np.repeat(np.arange(gan.classes), 10)), title,
                              figs / "digits.png")

    log = read_log(out / "log.tsv")
    logged = (*LOGGED, *OBJECTIVES[config.loss].columns)
    metrics |= {key: log[key][-1] for key in logged} | {"train_seconds": log["seconds"][-1]}
    metrics = rounded(metrics) | ({"without_ema": without_ema} if without_ema else {})

    snapshots = load_arrays(out / "train" / "snapshots.npz", "snapshots file", ("epochs", "samples"))
    real = dataset.data()
    shown = real if real.ndim == 2 else real[np.random.default_rng(0).permutation(len(real))[:64]]
    figures.samples_figure(samples, shown, title, figs / "samples.png")  # caches are sorted by class
    figures.losses_figure(log, logged[:2] + logged[4:], title, figs / "losses.png")
    figures.progress_figures(snapshots["epochs"], snapshots["samples"], title, figs / "progress.png",
                             figs / "progress.gif")
    save_array(out / "samples.npy", samples)
    write_json(out / "metrics.json", metrics)
    return f"{out}: " + ", ".join(f"{k} {v}" for k, v in metrics.items())
