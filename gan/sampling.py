"""``gan sample``: draw samples from a trained model, optionally of one class
(conditional runs).  The model's folder alone is enough: no params or data."""

from pathlib import Path

import numpy as np

from gan.data.cache import to_pixels
from gan.device import device_module
from gan.errors import GanError
from gan.files import save_array
from gan.image_grid import save_grid
from gan.training.model import load_gan

MAX_GRID = 1024  # samples in one PNG grid (32 x 32 tiles)


def draw_samples(model: str | Path, count: int, seed: int = 0, label: int | None = None,
                 device: str = "cpu") -> np.ndarray:
    """(count, C, H, W) images in [-1, 1] or (count, 2) points in data units from
    the model saved in the folder ``model``, computed on ``device``; ``label``
    picks the class of a conditional G."""
    gan = load_gan(model, device_module(device, "--device"))
    if label is not None and not gan.classes:
        raise GanError(f"{model}: not a conditional model; a label applies only with 'conditional: true'")
    if label is not None and not 0 <= label < gan.classes:
        raise GanError(f"label {label} is outside 0..{gan.classes - 1} for {model}")
    rng = np.random.default_rng(seed)
    labels = None
    if gan.classes:
        labels = np.full(count, label) if label is not None else rng.integers(0, gan.classes, count)
    with np.errstate(over="ignore", invalid="ignore"):  # reported below, in one line
        samples = gan.draw(count, rng, labels)
    if not np.isfinite(samples).all():
        raise GanError(f"{model}: the model draws NaN or Inf samples (finite weights too large to compute with)")
    return samples


def write_samples(model: str | Path, output: str | Path, count: int = 64, seed: int = 0,
                  label: int | None = None, device: str = "cpu") -> str:
    """Write ``draw_samples`` to ``output``: a PNG grid (images only) or a .npy array."""
    output = Path(output)
    if output.suffix not in (".png", ".npy"):
        raise GanError(f"{output}: choose a .png (image grid) or .npy (array) output")
    if output.suffix == ".png" and count > MAX_GRID:
        raise GanError(f"{output}: a PNG grid shows at most {MAX_GRID} samples, asked for {count}; "
                       "write a .npy for more")
    samples = draw_samples(model, count, seed, label, device)
    if output.suffix == ".png":
        if samples.ndim != 4:
            raise GanError(f"{output}: {model} generates points, not images; write a .npy")
        save_grid(to_pixels(samples), output)
    else:
        save_array(output, samples)
    return f"{output}: {count} samples from {model}" + (f" with label {label}" if label is not None else "")
