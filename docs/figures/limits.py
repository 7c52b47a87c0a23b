"""The figures of docs/limits.md, from the curves measured at every snapshot
(``*_curves.tsv`` here: one row per experiment, variant and epoch, each
metric of G's weight average ``_ema`` and of its trained weights ``_raw``)
and from the default run's results/.

    python docs/figures/limits.py      # from the project root, after dvc repro
"""

import csv
from pathlib import Path

import numpy as np

from gan.data.cache import to_unit_range
from gan.evaluation.figures import plt, save_figure
from gan.evaluation.metrics import colour_histogram, palette_distance
from gan.files import read_json
from gan.params import load_params

HERE = Path(__file__).parent


def curves(name: str) -> dict[str, list[dict]]:
    """Rows of ``HERE/name``, grouped by variant, each value a float."""
    grouped: dict[str, list[dict]] = {}
    with open(HERE / name, newline="") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            grouped.setdefault(row["variant"], []).append({k: v if k in ("experiment", "variant") else float(v)
                                                           for k, v in row.items()})
    return grouped


def plot_curves(ax, grouped: dict[str, list[dict]], metric: str, labels: dict[str, str]) -> None:
    for variant, label in labels.items():
        rows = grouped[variant]
        ax.plot([r["epoch"] for r in rows], [r[metric] for r in rows], marker=".", label=label)
    ax.set_xlabel("epoch")
    ax.grid(alpha=0.3)


def plot_default_run(ax, grouped: dict[str, list[dict]], variant: str, metric: str, experiment: str) -> None:
    """``metric`` of G's weight average and of its trained weights per epoch in
    ``variant``'s curve, and the default run's value at its epochs (a star)."""
    plot_curves(ax, grouped, f"{metric}_ema", {variant: "G's weight average (the samples)"})
    plot_curves(ax, grouped, f"{metric}_raw", {variant: "G's trained weights"})
    epochs = load_params("params.yaml")["experiments"][experiment]["epochs"]
    value = read_json(f"results/{experiment}/metrics.json", "metrics file")[metric]
    ax.plot([epochs], [value], "k*", markersize=12, label=f"default run: {epochs} epochs, {metric} {value:.3f}")
    ax.legend(fontsize=8)


def dcgan_figure() -> None:
    fig, ax = plt.subplots(figsize=(7, 4))
    plot_curves(ax, curves("mnist_dcgan_curves.tsv"), "fcd_ema", {
        "base60": "default (20 epochs in the run)", "drop": "dropout 0.3 in D", "lrd1": "lr_d 1e-4",
        "lrg4": "lr_g 4e-4", "noise1": "instance noise 0.1"})
    cgan = read_json("results/mnist_cgan/metrics.json", "metrics file")["fcd"]
    floor = read_json("results/evaluator/mnist_train/training.json", "metrics file")["fcd"]
    for y, text in ((15, "goal 15"), (cgan, f"mnist_cgan (MLP) {cgan:.2f}"), (floor, f"training digits {floor:.2f}")):
        ax.axhline(y, color="grey", linestyle=":")
        ax.text(1, y + 0.5, text, color="grey", fontsize=8)
    ax.set_ylim(0, 50)
    ax.set_ylabel("fcd of G's weight average (lower is better)")
    ax.set_title("mnist_dcgan on the 4,000-digit sample")
    ax.legend(fontsize=8)
    save_figure(fig, HERE / "mnist_dcgan_fcd.png")


def mnist_figure() -> None:
    fig, ax = plt.subplots(figsize=(7, 4))
    plot_default_run(ax, curves("mnist_curves.tsv"), "e200", "recall", "mnist")
    ax.axhline(0.3, color="grey", linestyle=":")
    ax.text(5, 0.31, "goal 0.3", color="grey", fontsize=8)
    ax.set_ylabel("recall (1,000 samples against the test digits)")
    ax.set_title("mnist (the seed's MLP, pac 2, ema 0.999)")
    save_figure(fig, HERE / "mnist_recall.png")


def flags_figure() -> None:
    real = to_unit_range(np.load("results/evaluator/flags_rgb/images.npy"))
    samples = np.load("results/flags_rgb_dcgan/samples.npy").reshape(-1, *real.shape[1:])
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4))
    bins = np.arange(12)
    colours = plt.get_cmap("hsv")((bins + 0.5) / 12)
    for offset, images, label, fill in ((-0.2, real, "training flags", True), (0.2, samples, "flags_rgb_dcgan", False)):
        left.bar(bins + offset, colour_histogram(images), width=0.4, color=colours if fill else "none",
                 edgecolor=colours, hatch=None if fill else "//", label=label)
    left.set_xticks(bins, [f"{30 * b}" for b in bins], fontsize=8)
    left.set_xlabel("hue bin start (degrees) of the saturated pixels")
    left.set_ylabel("share")
    left.set_title("hues: training flags (filled), samples (hatched)")
    plot_default_run(right, curves("flags_rgb_dcgan_curves.tsv"), "e700", "palette_distance", "flags_rgb_dcgan")
    halves = [palette_distance(real[order[:128]], real[order[128:]])
              for order in (np.random.default_rng(seed).permutation(len(real)) for seed in range(5))]
    right.axhspan(min(halves), max(halves), color="green", alpha=0.2)
    right.text(5, max(halves) + 0.01, "two random halves of the training flags", color="green", fontsize=8)
    right.set_ylim(0, 0.6)
    right.set_ylabel("palette_distance")
    right.set_title("flags_rgb_dcgan: palette per epoch")
    save_figure(fig, HERE / "flags_palette.png")


if __name__ == "__main__":
    dcgan_figure()
    mnist_figure()
    flags_figure()
