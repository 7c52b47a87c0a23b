"""Evaluate one trained experiment: samples, metrics.json and figures under results/<name>/."""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gan.errors import GanError
from gan.evaluation import figures
from gan.evaluation.metrics import (
    classifier_scores,
    flag_scores,
    frechet_distance_of,
    label_accuracy,
    mode_scores,
    nearest_neighbours,
    precision_recall,
    sine_scores,
)
from gan.evaluation.reference import load_classifier
from gan.files import read_json, save_array, write_json
from gan.params import in_range, non_negative, param, read_section
from gan.training.config import MIXTURE_DATASETS, ExperimentConfig
from gan.training.run import load_trained
from gan.training.trainer import sample_noise


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
             f"lr D {config.lr_d:g} G {config.lr_g:g}"]
    if config.loss == "wgan_gp":
        parts.append(f"WGAN-GP {config.gp_weight:g}, n_critic {config.d_steps}")
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
    return f"{name} ({', '.join(parts)})"


def _mnist_metrics(samples, labels, config, reference: Path, title: str, figs: Path) -> dict:
    classifier = load_classifier(reference)
    test_features = np.load(reference / "test_features.npy")
    if config.digits:
        test_features = test_features[np.isin(np.load(reference / "test_labels.npy"), config.digits)]
    features = classifier.features(samples)
    probs = classifier.probabilities(samples)
    precision, recall = precision_recall(test_features, features)
    figures.class_histogram(probs.argmax(axis=1), title, figs / "classes.png")
    metrics = {"fcd": frechet_distance_of(features, test_features), **classifier_scores(probs),
               "precision": precision, "recall": recall}
    if labels is not None:
        metrics["label_accuracy"] = label_accuracy(probs, labels)
    return metrics


def _mode_metrics(samples, reference: Path, title: str, figs: Path) -> dict:
    modes = read_json(reference / "modes.json", "evaluation reference")
    centers = np.array(modes["centers"])
    figures.modes_figure(samples, centers, modes["mode_std"], title, figs / "modes.png")
    return mode_scores(samples, centers, modes["mode_std"])


def _flag_metrics(samples, real, reference: Path, title: str, figs: Path) -> dict:
    names = read_json(reference / "names.json", "evaluation reference")
    index, dist = nearest_neighbours(samples, real)
    figures.nearest_figure(samples, real, index, dist, names, title, figs / "nearest.png")
    return flag_scores(samples, real, nearest=(index, dist))


def evaluate_experiment(name: str, params_file: str | Path = "params.yaml", out_root: str | Path = "results") -> str:
    p = read_section(EvaluateParams, "evaluate", params_file)
    config, gan, data = load_trained(name, out_root)
    out, reference = Path(out_root) / name, Path(out_root) / "evaluator" / config.dataset
    figs = out / "figures"
    if not reference.is_dir():
        raise GanError(f"{reference}: missing; run 'gan evaluator {config.dataset}' first")
    gan.generator.eval()
    rng = np.random.default_rng(p.seed)
    labels = np.arange(p.samples) % gan.classes if gan.classes else None  # conditional: balanced labels
    samples = data.to_data_units(gan.generate(sample_noise(config, p.samples, rng), labels)).astype(np.float32)
    real = data.to_data_units(data.rows)
    title = describe(name, config)
    figs.mkdir(parents=True, exist_ok=True)

    if config.dataset == "sine":
        metrics = sine_scores(samples)
        figures.sine_figure(samples, real, title, figs / "sine.png")
    elif config.dataset in MIXTURE_DATASETS:
        metrics = _mode_metrics(samples, reference, title, figs)
    elif config.dataset == "mnist_train":
        metrics = _mnist_metrics(samples, labels, config, reference, title, figs)
    else:
        metrics = _flag_metrics(samples, real, reference, title, figs)
    if gan.classes:
        rows = np.repeat(np.arange(gan.classes), 10)
        images = data.to_data_units(gan.generate(sample_noise(config, len(rows), rng), rows))
        figures.digits_figure(images, title, figs / "digits.png")

    log = read_log(out / "log.tsv")
    logged = ("d_loss", "g_loss", "d_real", "d_fake", "wasserstein")
    metrics |= {key: log[key][-1] for key in logged if key in log} | {"train_seconds": log["seconds"][-1]}
    metrics = {k: (int(v) if isinstance(v, int) else round(float(v), 6)) for k, v in metrics.items()}

    snapshots = np.load(out / "train" / "snapshots.npz")
    shown = real if real.ndim == 2 else real[np.random.default_rng(0).permutation(len(real))[:64]]
    figures.samples_figure(samples, shown, title, figs / "samples.png")  # caches are sorted by class
    figures.losses_figure(log, title, figs / "losses.png")
    figures.progress_figures(snapshots["epochs"], snapshots["samples"], title, figs / "progress.png",
                             figs / "progress.gif")
    save_array(out / "samples.npy", samples)
    write_json(out / "metrics.json", metrics)
    return f"{out}: " + ", ".join(f"{k} {v}" for k, v in metrics.items())
