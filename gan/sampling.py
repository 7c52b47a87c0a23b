"""Draw samples from a trained experiment, optionally of one class (conditional runs): ``gan sample``."""

from pathlib import Path

import numpy as np

from gan.data.cache import to_pixels
from gan.errors import GanError
from gan.files import save_array
from gan.images import save_grid
from gan.training.run import load_trained
from gan.training.trainer import sample_noise

MAX_GRID = 1024  # samples in one PNG grid (32 x 32 tiles)


def draw_samples(name: str, count: int, seed: int = 0, label: int | None = None,
                 out_root: str | Path = "results") -> np.ndarray:
    """(count, C, H, W) images in [-1, 1] or (count, 2) points in data units from
    results/<name>/train, G in eval mode; ``label`` picks the class of a conditional G."""
    config, gan, data = load_trained(name, out_root)
    if label is not None and not gan.classes:
        raise GanError(f"experiments.{name} is not conditional; a label applies only with 'conditional: true'")
    if label is not None and not 0 <= label < gan.classes:
        raise GanError(f"label {label} is outside 0..{gan.classes - 1} for experiments.{name}")
    rng = np.random.default_rng(seed)
    labels = None
    if gan.classes:
        labels = np.full(count, label) if label is not None else rng.integers(0, gan.classes, count)
    gan.generator.eval()
    return data.to_data_units(gan.generate(sample_noise(config, count, rng), labels)).astype(np.float32)


def write_samples(name: str, output: str | Path, count: int = 64, seed: int = 0, label: int | None = None,
                  out_root: str | Path = "results") -> str:
    """Write ``draw_samples`` to ``output``: a PNG grid (images only) or a .npy array."""
    output = Path(output)
    if output.suffix not in (".png", ".npy"):
        raise GanError(f"{output}: choose a .png (image grid) or .npy (array) output")
    if output.suffix == ".png" and count > MAX_GRID:
        raise GanError(f"{output}: a PNG grid shows at most {MAX_GRID} samples, asked for {count}; "
                       "write a .npy for more")
    samples = draw_samples(name, count, seed, label, out_root)
    if output.suffix == ".png":
        if samples.ndim != 4:
            raise GanError(f"{output}: experiments.{name} generates points, not images; write a .npy")
        save_grid(to_pixels(samples), output)
    else:
        save_array(output, samples)
    return f"{output}: {count} samples of {name}" + (f" with label {label}" if label is not None else "")
