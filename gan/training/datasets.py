"""Training data as float32 rows, plus what is needed to map samples back."""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gan.data.cache import load_cache, load_points, to_unit_range
from gan.errors import GanError

PROCESSED = Path("data/processed")


@dataclass
class TrainingData:
    """rows: (N, D) float32 the networks see.  Images: [-1, 1] pixels with
    ``image_shape`` (C, H, W); points: standardised with ``mean``/``std``
    (data units = rows * std + mean).  labels: (N,) int class of each row,
    0 .. classes - 1, for labelled datasets."""
    rows: np.ndarray
    image_shape: tuple[int, int, int] | None = None
    mean: np.ndarray | None = None
    std: np.ndarray | None = None
    labels: np.ndarray | None = None
    classes: int = 0

    def to_data_units(self, rows: np.ndarray) -> np.ndarray:
        """Generated rows -> (N, C, H, W) images in [-1, 1] or (N, 2) points in data units."""
        if self.image_shape is not None:
            return rows.reshape(-1, *self.image_shape)
        return rows * self.std + self.mean


def load_training_data(dataset: str, digits: list[int] = (), root: Path = PROCESSED) -> TrainingData:
    folder = root / dataset
    if (folder / "points.npy").is_file():
        points, manifest = load_points(folder)
        mean, std = (np.array(manifest[k], dtype=np.float32) for k in ("mean", "std"))
        return TrainingData(((points - mean) / std).astype(np.float32), mean=mean, std=std)
    cache = load_cache(folder)
    images, labels = cache.images, cache.labels
    if digits:
        if labels is None:
            raise GanError(f"{folder}: has no labels, cannot select digits {list(digits)}")
        keep = np.isin(labels, digits)
        images, labels = images[keep], labels[keep]
    classes = len(cache.manifest.get("classes", [])) if labels is not None else 0
    return TrainingData(to_unit_range(images).reshape(len(images), -1), image_shape=images.shape[1:],
                        labels=labels, classes=classes)
