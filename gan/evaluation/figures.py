"""Figures of one experiment, written as PNG (and one GIF) with matplotlib's Agg backend."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from gan.data.cache import to_pixels  # noqa: E402
from gan.files import atomic_file  # noqa: E402
from gan.image_grid import grid_picture, image_grid  # noqa: E402


def save_figure(fig, path: Path) -> None:
    with atomic_file(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)


def show_grid(ax, images: np.ndarray, cols: int | None = None, title: str = "") -> None:
    grid = image_grid(to_pixels(images), cols, fill=255)
    ax.imshow(grid[..., 0] if grid.shape[2] == 1 else grid, cmap="gray", vmin=0, vmax=255,
              interpolation="nearest")
    ax.set_title(title)
    ax.axis("off")


def samples_figure(generated: np.ndarray, real: np.ndarray, title: str, path: Path) -> None:
    """Images: 64 generated beside 64 real.  Points: generated over real scatter."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 5.4))
    if generated.ndim == 4:
        show_grid(axes[0], generated[:64], 8, "generated")
        show_grid(axes[1], real[:64], 8, "real")
    else:
        for ax, pts, name in ((axes[0], generated, "generated"), (axes[1], real, "real")):
            ax.scatter(pts[:, 0], pts[:, 1], s=3, alpha=0.5)
            ax.set_title(name)
        lims = [min(a.get_xlim()[0] for a in axes), max(a.get_xlim()[1] for a in axes)]
        for ax in axes:
            ax.set_xlim(lims)
    fig.suptitle(title)
    save_figure(fig, path)


def losses_figure(log: dict[str, np.ndarray], columns: tuple[str, ...], title: str, path: Path) -> None:
    """The per-epoch ``columns`` of the training log (D and G loss, and the objective's own)."""
    fig, ax = plt.subplots(figsize=(8, 4))
    for column in columns:
        ax.plot(log["epoch"], log[column], label=column)
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss (per-epoch mean)")
    ax.legend()
    ax.set_title(title)
    save_figure(fig, path)


def progress_figures(epochs: np.ndarray, snapshots: np.ndarray, title: str, png: Path, gif: Path) -> None:
    """One row per snapshot of the fixed noise batch (images) or one scatter per
    snapshot (points), plus an animated GIF of the same frames."""
    rows = len(epochs)
    frames = []
    if snapshots.ndim == 5:  # (S, N, C, H, W)
        per_row = min(16, snapshots.shape[1])
        fig, axes = plt.subplots(rows, 1, figsize=(per_row * 0.6, rows * 0.75 + 0.6), squeeze=False)
        for ax, epoch, batch in zip(axes[:, 0], epochs, snapshots):
            show_grid(ax, batch[:per_row], per_row)
            ax.text(-2, 14, f"epoch {epoch}", ha="right", va="center", fontsize=8)
            frames.append(grid_picture(to_pixels(batch[:64]), 8, fill=255))
    else:  # (S, N, 2)
        cols = min(rows, 6)
        fig, axes = plt.subplots((rows + cols - 1) // cols, cols, figsize=(3 * cols, 2.6 * ((rows + cols - 1) // cols)),
                                 squeeze=False)
        lo, hi = np.percentile(snapshots[-1], [0.5, 99.5], axis=0)
        for ax, epoch, pts in zip(axes.ravel(), epochs, snapshots):
            ax.scatter(pts[:, 0], pts[:, 1], s=2)
            ax.set_title(f"epoch {epoch}", fontsize=9)
            ax.set_xlim(lo[0] - 1, hi[0] + 1)
            ax.set_ylim(lo[1] - 1, hi[1] + 1)
        for ax in axes.ravel()[rows:]:
            ax.axis("off")
        for epoch, pts in zip(epochs, snapshots):
            f, a = plt.subplots(figsize=(4, 3))
            a.scatter(pts[:, 0], pts[:, 1], s=2)
            a.set_xlim(lo[0] - 1, hi[0] + 1)
            a.set_ylim(lo[1] - 1, hi[1] + 1)
            a.set_title(f"epoch {epoch}")
            f.canvas.draw()
            frames.append(Image.fromarray(np.asarray(f.canvas.buffer_rgba())[..., :3].copy()))
            plt.close(f)
    fig.suptitle(title)
    save_figure(fig, png)
    # GIF frames hold 256 colours: octree quantisation is over 10x faster than PIL's default median cut
    frames = [f.quantize(method=Image.Quantize.FASTOCTREE) if f.mode == "RGB" else f for f in frames]
    with atomic_file(gif) as tmp:
        frames[0].save(tmp, format="GIF", save_all=True, append_images=frames[1:], duration=400, loop=0)


def sine_figure(points: np.ndarray, real: np.ndarray, title: str, path: Path) -> None:
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.scatter(real[:, 0], real[:, 1], s=3, alpha=0.3, label="real")
    ax.scatter(points[:, 0], points[:, 1], s=3, alpha=0.5, label="generated")
    x = np.linspace(0, 2 * np.pi, 200)
    ax.plot(x, np.sin(x), "k--", lw=1, label="sin x")
    ax.legend()
    ax.set_title(title)
    save_figure(fig, path)


def class_histogram(predicted: np.ndarray, title: str, path: Path) -> None:
    fig, ax = plt.subplots(figsize=(6, 3.5))
    counts = np.bincount(predicted, minlength=10)
    ax.bar(range(10), counts / counts.sum())
    ax.axhline(0.05, color="k", ls="--", lw=1, label="5% (coverage threshold)")
    ax.set_xticks(range(10))
    ax.set_xlabel("predicted digit")
    ax.set_ylabel("share of samples")
    ax.legend()
    ax.set_title(title)
    save_figure(fig, path)


def nearest_figure(samples: np.ndarray, train: np.ndarray, index: np.ndarray, dist: np.ndarray,
                   names: list[str], title: str, path: Path, count: int = 24) -> None:
    """Pairs: generated flag | nearest training flag, named with the distance,
    drawn as one picture (an axes per flag takes seconds to lay out)."""
    cols, gap, band = 6, 8, 10  # pairs per row; pixels between pairs and above each pair for its labels
    n = min(count, len(samples))
    pixels = to_pixels(np.stack([samples[:n], train[index[:n]]], axis=1).reshape(2 * n, *samples.shape[1:]))
    c, h, w = pixels.shape[1:]
    pairs = np.stack([np.pad(image_grid(pixels[2 * i:2 * i + 2], 2, fill=255), ((band, 0), (0, 0), (0, 0)),
                             constant_values=255).transpose(2, 0, 1) for i in range(n)])
    picture = image_grid(pairs, cols, gap=gap, fill=255)
    fig, ax = plt.subplots(figsize=(13, 13 * picture.shape[0] / picture.shape[1] + 0.6))
    ax.imshow(picture[..., 0] if c == 1 else picture, cmap="gray", vmin=0, vmax=255, interpolation="nearest")
    for i in range(n):
        y, x = (i // cols) * (h + band + gap) + band - 1, (i % cols) * (2 * w + 1 + gap)
        ax.text(x + w / 2, y, f"d={dist[i]:.1f}", ha="center", va="bottom", fontsize=7)
        ax.text(x + w * 1.5 + 1, y, names[index[i]][:14], ha="center", va="bottom", fontsize=7)
    ax.axis("off")
    ax.set_title(title)
    save_figure(fig, path)


def modes_figure(points: np.ndarray, centers: np.ndarray, std: float, title: str, path: Path) -> None:
    """Generated points over the mixture's centres, each ringed at 3 std (the high-quality radius)."""
    fig, ax = plt.subplots(figsize=(5.5, 5.5))
    ax.scatter(points[:, 0], points[:, 1], s=3, alpha=0.4, label="generated")
    ax.scatter(centers[:, 0], centers[:, 1], marker="x", color="red", s=30, label="mode centre")
    for cx, cy in centers:
        ax.add_patch(plt.Circle((cx, cy), 3 * std, color="red", fill=False, lw=0.8))
    span = np.abs(centers).max() + 1
    ax.set_xlim(-span, span)
    ax.set_ylim(-span, span)
    ax.set_aspect("equal")
    ax.legend(loc="upper right", fontsize=8)
    ax.set_title(title, fontsize=9)
    save_figure(fig, path)


def digits_figure(images: np.ndarray, title: str, path: Path) -> None:
    """A conditional generator's (10 K, C, H, W) samples, 10 per row, row k asked for class k."""
    rows, height = len(images) // 10, images.shape[2]
    fig, ax = plt.subplots(figsize=(6, 0.6 * rows + 0.4))
    show_grid(ax, images, 10)
    for k in range(rows):
        ax.text(-3, (height + 1) * k + height / 2, str(k), ha="right", va="center", fontsize=10)
    ax.set_title(title, fontsize=9)
    save_figure(fig, path)
