"""The kinds of dataset the lab trains on, and how each is loaded and scaled.

``FAMILIES`` is the registry: for each family, whether it is images or 2-D
points, whether it is labelled, and the metrics and figures its evaluation
gives (computed by ``gan.evaluation.families``, which is kept apart so that
training code does not depend on evaluation code).  The ``datasets`` section
of params.yaml says which family each cache in data/processed/ belongs to and
which cache its samples are measured against; a new dataset of a known
family is one entry there.

Scaling: image caches hold uint8 pixels and train as [-1, 1] (x / 127.5 - 1,
the range of a tanh generator); point caches train standardised by the mean
and std their manifest records.  ``SampleSpace`` holds exactly what is needed
to turn generated rows back into data, and is saved with every model.
"""

import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from gan.data.cache import MAX_CLASSES, load_cache, load_points, to_unit_range
from gan.errors import GanError
from gan.params import NAME, NAME_RULE, ParamsError, check_name, one_of, param, parse, section


@dataclass(frozen=True)
class Family:
    """One kind of dataset.  ``metrics`` and ``figures`` are what evaluation
    reports for it; ``conditional_*`` are added for a conditional generator."""
    name: str
    kind: str                          # "images" or "points"
    labelled: bool = False
    metrics: tuple[str, ...] = ()
    figures: tuple[str, ...] = ()
    conditional_metrics: tuple[str, ...] = ()
    conditional_figures: tuple[str, ...] = ()


FAMILIES = {f.name: f for f in (
    Family("sine", "points", metrics=("sine_mae", "x_ks"), figures=("sine.png",)),
    Family("mixture", "points", metrics=("modes_covered", "high_quality_rate", "mode_kl"), figures=("modes.png",)),
    Family("digits", "images", labelled=True,
           metrics=("fcd", "classifier_score", "mean_confidence", "class_coverage", "precision", "recall"),
           figures=("classes.png",), conditional_metrics=("label_accuracy",), conditional_figures=("digits.png",)),
    Family("flags", "images", metrics=("tv_ratio", "palette_distance", "distinct_modes", "nn_copy_rate", "precision",
                                        "recall"),
           figures=("nearest.png",)),
)}


def _cache_name(value: str) -> str | None:
    return None if NAME.fullmatch(value) else f"must be the name of a cache folder in data/processed ({NAME_RULE})"


@dataclass(frozen=True, kw_only=True)
class DatasetEntry:
    """A ``datasets.<name>`` params entry: the cache's family, and the cache
    its samples are measured against (itself, or a test split)."""
    family: str = param(check=one_of(*FAMILIES))
    reference: str = param(check=_cache_name)


def dataset_entries(params: dict) -> dict[str, DatasetEntry]:
    """Every checked entry of the ``datasets`` section of a loaded params file."""
    return {name: parse(DatasetEntry, values, f"datasets.{name}")
            for name, values in section(params, "datasets").items()}


def dataset_entry(params: dict, name: str, where: str) -> DatasetEntry:
    """The entry of dataset ``name``, or a ParamsError at ``where`` naming the known ones."""
    check_name(name, where)
    entries = dataset_entries(params)
    if name not in entries:
        raise ParamsError(f"'{where}' must be one of the datasets ({', '.join(entries)}), got {name!r}")
    return entries[name]


@dataclass(frozen=True)
class SampleSpace:
    """What one sample is: its family, per-sample ``shape`` ((C, H, W) images
    in [-1, 1], or (2,) points standardised with ``mean`` and ``std``), and
    the number of classes of a labelled dataset (0 otherwise)."""
    family: str
    shape: tuple[int, ...]
    mean: tuple[float, ...] = ()
    std: tuple[float, ...] = ()
    classes: int = 0

    @property
    def features(self) -> int:
        """Length of one row as the networks see it."""
        return math.prod(self.shape)

    @property
    def images(self) -> bool:
        return len(self.shape) == 3

    def to_data(self, rows: np.ndarray) -> np.ndarray:
        """(N, features) rows -> (N, C, H, W) images in [-1, 1] or (N, 2) points in data units."""
        if self.images:
            return rows.reshape(-1, *self.shape)
        return rows * np.asarray(self.std, dtype=rows.dtype) + np.asarray(self.mean, dtype=rows.dtype)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values) -> "SampleSpace":
        """The space ``to_dict`` wrote; ParamsError naming 'samples' if it is not one."""
        try:
            space = cls(values["family"], tuple(int(v) for v in values["shape"]),
                        tuple(float(v) for v in values.get("mean", ())), tuple(float(v) for v in values.get("std", ())),
                        int(values.get("classes", 0)))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ParamsError(f"'samples' is not a sample space ({exc!r})") from None
        if space.family not in FAMILIES or len(space.shape) not in (1, 3) or min(space.shape) < 1 \
                or len(space.mean) != len(space.std) or space.classes < 0:
            raise ParamsError(f"'samples' is not a sample space: {values}")
        stats = 0 if space.images else space.features  # points are standardised per coordinate
        if len(space.mean) != stats or not all(map(math.isfinite, space.mean + space.std)) \
                or not all(s > 0 for s in space.std):
            raise ParamsError(f"'samples.mean' and 'samples.std' must be {stats} finite numbers each, std above 0")
        if space.classes > MAX_CLASSES:
            raise ParamsError(f"'samples.classes' {space.classes} is above the ceiling of {MAX_CLASSES}")
        return space


@dataclass
class Dataset:
    """rows: (N, features) float32 as the networks see them; labels: (N,)
    class indices for labelled datasets, else None; manifest: the cache's."""
    rows: np.ndarray
    space: SampleSpace
    labels: np.ndarray | None = None
    manifest: dict = field(default_factory=dict)

    def data(self) -> np.ndarray:
        """The rows in data units (``SampleSpace.to_data``)."""
        return self.space.to_data(self.rows)


def load_dataset(family: str, cache: str | Path, digits: list[int] | tuple = ()) -> Dataset:
    """The cache in folder ``cache`` as a Dataset of ``family``; ``digits``
    keeps only those classes of a labelled dataset."""
    kind = FAMILIES[family]
    if kind.kind == "points":
        points, manifest = load_points(cache)
        mean, std = (np.array(manifest[k], dtype=np.float32) for k in ("mean", "std"))
        space = SampleSpace(family, points.shape[1:], tuple(manifest["mean"]), tuple(manifest["std"]))
        return Dataset(((points - mean) / std).astype(np.float32), space, manifest=manifest)
    loaded = load_cache(cache)
    images, labels = loaded.images, loaded.labels
    if kind.labelled and labels is None:
        raise GanError(f"{cache}: a {family} dataset needs class folders (labels), this cache has none")
    if digits:
        keep = np.isin(labels, digits)
        images, labels = images[keep], labels[keep]
    classes = len(loaded.manifest["classes"]) if kind.labelled else 0
    space = SampleSpace(family, tuple(images.shape[1:]), classes=classes)
    return Dataset(to_unit_range(images).reshape(len(images), -1), space, labels if kind.labelled else None,
                   loaded.manifest)
