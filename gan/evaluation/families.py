"""How each dataset family (``gan.datasets.FAMILIES``) is measured.

``build`` makes the evaluation reference of a dataset, what its samples are
measured against (``gan evaluator``, stage ``evaluator@<dataset>``), from the
training cache and the reference cache params.yaml names:

* sine: the law of x (uniform on [0, 2 pi]);
* mixture: the mode centres and their std, from the reference cache;
* digits: a NumPy classifier trained on the training cache, its accuracy on
  the reference (test) cache, and its features of that cache;
* flags: the reference flags and their names.

``measure`` computes the family's metrics of generated samples and, given a
figures folder, draws its own figure; its metric and figure names are the
ones FAMILIES declares.
``build_reference`` also measures ``samples`` training rows as if a
generator had drawn them (``training.json``): the scores of a generator that
reproduces its training data, beside which the report lists the experiments.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gan.data.cache import to_pixels, to_unit_range
from gan.datasets import Dataset, dataset_entry, load_dataset
from gan.errors import GanError
from gan.evaluation import figures
from gan.evaluation.classifier import Classifier, build_classifier, train_classifier
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
from gan.files import atomic_dir, load_array, read_json, save_array, write_json
from gan.nn import load_checkpoint, save_checkpoint
from gan.params import load_params, naming_file, non_negative, param, parse, positive, section


@dataclass(frozen=True, kw_only=True)
class EvaluatorParams:
    """The ``evaluator`` params: epochs and seed of the digits classifier;
    ``samples``: training rows measured for the 'training data' reference
    (drawn without replacement with ``seed``; all rows when fewer)."""
    epochs: int = param(check=positive)
    seed: int = param(0, non_negative)
    samples: int = param(1000, positive)


@dataclass
class Drawn:
    """What ``measure`` gets: ``samples`` in data units, the ``labels`` they
    were asked for (conditional generators), the training ``dataset``, the
    ``reference`` folder, the ``digits`` the experiment trains on (labelled
    data), a figure ``title`` and the ``figures`` folder (None: draw none)."""
    samples: np.ndarray
    labels: np.ndarray | None
    dataset: Dataset
    reference: Path
    digits: list[int]
    title: str
    figures: Path | None


class Sine:
    def build(self, dataset: Dataset, reference: Dataset, out: Path, params: EvaluatorParams) -> str:
        write_json(out / "reference.json", {"x_law": "uniform", "low": 0, "high": 2 * np.pi})
        return "x ~ uniform on [0, 2 pi]"

    def measure(self, drawn: Drawn) -> dict:
        if drawn.figures:
            figures.sine_figure(drawn.samples, drawn.dataset.data(), drawn.title, drawn.figures / "sine.png")
        return sine_scores(drawn.samples)


class Mixture:
    def build(self, dataset, reference, out, params):
        modes = {"centers": reference.manifest["centers"], "mode_std": reference.manifest["mode_std"]}
        write_json(out / "modes.json", modes)
        return f"{len(modes['centers'])} modes of std {modes['mode_std']}"

    def measure(self, drawn):
        modes = read_json(drawn.reference / "modes.json", "evaluation reference")
        centers = np.array(modes["centers"])
        if drawn.figures:
            figures.modes_figure(drawn.samples, centers, modes["mode_std"], drawn.title, drawn.figures / "modes.png")
        return mode_scores(drawn.samples, centers, modes["mode_std"])


class Digits:
    def build(self, dataset, reference, out, params):
        classifier = train_classifier(dataset.data(), dataset.labels, params.epochs, params.seed)
        test = reference.data()
        accuracy = classifier.accuracy(test, reference.labels)
        save_checkpoint(out / "classifier.npz", {"classifier": classifier.model})
        save_array(out / "test_features.npy", classifier.features(test))
        save_array(out / "test_labels.npy", reference.labels)
        write_json(out / "metrics.json", {"test_accuracy": accuracy})
        return f"test accuracy {accuracy:.4f} on {len(test)} test images"

    def measure(self, drawn):
        model = build_classifier(np.random.default_rng(0))
        try:
            load_checkpoint(drawn.reference / "classifier.npz", {"classifier": model})
        except ValueError as exc:
            raise GanError(f"{drawn.reference / 'classifier.npz'}: not a readable classifier ({exc}); "
                           "rebuild it with gan evaluator") from None
        classifier = Classifier(model.eval())
        test_features = load_array(drawn.reference / "test_features.npy", "evaluation reference")
        if drawn.digits:
            labels = load_array(drawn.reference / "test_labels.npy", "evaluation reference")
            test_features = test_features[np.isin(labels, drawn.digits)]
        features = classifier.features(drawn.samples)
        probs = classifier.probabilities(drawn.samples)
        precision, recall = precision_recall(test_features, features)
        if drawn.figures:
            figures.class_histogram(probs.argmax(axis=1), drawn.title, drawn.figures / "classes.png")
        metrics = {"fcd": frechet_distance_of(features, test_features), **classifier_scores(probs),
                   "precision": precision, "recall": recall}
        if drawn.labels is not None:
            metrics["label_accuracy"] = label_accuracy(probs, drawn.labels)
        return metrics


class Flags:
    def build(self, dataset, reference, out, params):
        names = reference.manifest.get("names") or [Path(f).stem for f in reference.manifest["files"]]
        save_array(out / "images.npy", to_pixels(reference.data()))
        write_json(out / "names.json", names)
        return f"{len(names)} reference flags"

    def measure(self, drawn):
        real = to_unit_range(load_array(drawn.reference / "images.npy", "evaluation reference"))
        names = read_json(drawn.reference / "names.json", "evaluation reference")
        index, dist = nearest_neighbours(drawn.samples, real)
        if drawn.figures:
            figures.nearest_figure(drawn.samples, real, index, dist, names, drawn.title,
                                   drawn.figures / "nearest.png")
        return flag_scores(drawn.samples, real, nearest=(index, dist))


MEASURES = {"sine": Sine(), "mixture": Mixture(), "digits": Digits(), "flags": Flags()}


def build_reference(dataset: str, params_file: str | Path, data_root: str | Path, out: str | Path) -> str:
    """Build the evaluation reference of ``datasets.<dataset>`` (params
    ``evaluator`` and the entry's family) from the caches in ``data_root``
    into the folder ``out``."""
    with naming_file(params_file):
        params = load_params(params_file)
        entry = dataset_entry(params, dataset, "dataset")
        settings = parse(EvaluatorParams, section(params, "evaluator"), "evaluator")
    caches = [Path(data_root) / name for name in (dataset, entry.reference)]
    train, reference = (load_dataset(entry.family, cache) for cache in caches)
    with atomic_dir(out, caches) as folder:
        summary = MEASURES[entry.family].build(train, reference, folder, settings)
        write_json(folder / "training.json", measure_training_rows(train, folder, settings))
    return f"{out}: {summary}"


def measure_training_rows(train: Dataset, reference: Path, settings: EvaluatorParams) -> dict:
    """The family's metrics of ``settings.samples`` rows of ``train`` against
    the evaluation reference in the folder ``reference``."""
    rng = np.random.default_rng(settings.seed)
    rows = rng.choice(len(train.rows), min(settings.samples, len(train.rows)), replace=False)
    return measure_without_figures(train.space.to_data(train.rows[rows]), None, train, reference, [])


def measure_without_figures(samples: np.ndarray, labels: np.ndarray | None, dataset: Dataset, reference: Path,
                            digits: list[int]) -> dict:
    """``measure`` of the family of ``dataset`` (arguments as in ``Drawn``),
    rounded to 6 digits, without drawing its figures."""
    drawn = Drawn(samples, labels, dataset, reference, digits, "", None)
    return rounded(MEASURES[dataset.space.family].measure(drawn))


def rounded(metrics: dict) -> dict:
    """Metrics as JSON numbers: ints kept, floats to 6 decimals."""
    return {k: (int(v) if isinstance(v, int) else round(float(v), 6)) for k, v in metrics.items()}
