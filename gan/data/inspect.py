"""Summaries of a flattened cache or an image folder."""

from pathlib import Path

import numpy as np

from gan.data.cache import load_cache
from gan.data.flatten import list_images, read_images
from gan.image_grid import save_grid


def inspect(path: str | Path, preview: str | Path | None = None, count: int = 64) -> str:
    """Count, shape, dtype, value range and per-class counts of ``path`` (a
    cache folder with manifest.json, or an image folder) as text; with
    ``preview``, also a PNG grid of the first ``count`` images."""
    path = Path(path)
    if (path / "manifest.json").is_file():
        cache = load_cache(path)
        images, labels, classes = cache.images, cache.labels, cache.manifest.get("classes", [])
        kind = "cache"
    else:
        files, classes, labels = list_images(path)
        images, kind = read_images(files), "image folder"
    lines = [f"{path} ({kind})",
             f"  count:  {images.shape[0]}",
             f"  shape:  {tuple(images.shape)} (N, C, H, W)",
             f"  dtype:  {images.dtype}",
             f"  range:  {images.min()} .. {images.max()} (mean {images.mean():.1f})"]
    if labels is not None:
        counts = np.bincount(labels, minlength=len(classes))
        lines.append("  classes: " + ", ".join(f"{c}: {n}" for c, n in zip(classes, counts)))
    if preview:
        save_grid(images[:count], preview)
        lines.append(f"  preview: {preview}")
    return "\n".join(lines)
