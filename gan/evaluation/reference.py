"""What each dataset's samples are measured against, built once per dataset
by the ``evaluator@<dataset>`` stage into results/evaluator/<dataset>/.

* mnist_train: a NumPy classifier trained on the training cache, its test
  accuracy, and its features of the testing cache;
* flags_bw / flags_rgb: the flag names, in cache order;
* sine: the law of x (uniform on [0, 2 pi]);
* Gaussian mixtures (gmm8, gmm25): the mode centres and their std, from the toy cache.
"""

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gan.data.cache import load_cache, load_points, to_unit_range
from gan.errors import GanError
from gan.evaluation.classifier import Classifier, build_classifier, train_classifier
from gan.files import atomic_dir, read_json, save_array
from gan.nn import load_checkpoint, save_checkpoint
from gan.params import non_negative, param, positive

PROCESSED, RAW = Path("data/processed"), Path("data/raw")


@dataclass(frozen=True, kw_only=True)
class EvaluatorParams:
    """The ``evaluator`` params: epochs and seed of the MNIST classifier."""
    epochs: int = param(check=positive)
    seed: int = param(0, non_negative)


def build_reference(dataset: str, out: Path, epochs: int, seed: int, log=print) -> str:
    with atomic_dir(out) as folder:
        if dataset == "mnist_train":
            train, test = load_cache(PROCESSED / "mnist_train"), load_cache(PROCESSED / "mnist_test")
            classifier = train_classifier(to_unit_range(train.images), train.labels, epochs, seed, log=log)
            test_images = to_unit_range(test.images)
            accuracy = classifier.accuracy(test_images, test.labels)
            save_checkpoint(folder / "classifier.npz", {"classifier": classifier.model})
            save_array(folder / "test_features.npy", classifier.features(test_images))
            save_array(folder / "test_labels.npy", test.labels)
            (folder / "metrics.json").write_text(json.dumps({"test_accuracy": accuracy}) + "\n")
            summary = f"test accuracy {accuracy:.4f} on {len(test_images)} testing images"
        elif dataset in ("flags_bw", "flags_rgb"):
            codes_file = RAW / "flags" / "codes.json"
            codes = read_json(codes_file, "codes list") if codes_file.is_file() else {}
            files = load_cache(PROCESSED / dataset).manifest["files"]
            names = [codes.get(Path(f).stem, Path(f).stem) for f in files]
            (folder / "names.json").write_text(json.dumps(names, indent=0) + "\n")
            summary = f"{len(names)} flag names"
        elif dataset == "sine":
            (folder / "reference.json").write_text(json.dumps({"x_law": "uniform", "low": 0, "high": 2 * np.pi}))
            summary = "x ~ uniform on [0, 2 pi]"
        else:
            modes = _mixture_modes(dataset)
            (folder / "modes.json").write_text(json.dumps(modes) + "\n")
            summary = f"{len(modes['centers'])} modes of std {modes['mode_std']}"
    return f"{out}: {summary}"


def _mixture_modes(dataset: str) -> dict:
    """{"centers": [[x, y], ...], "mode_std": s} from a Gaussian-mixture toy cache's manifest."""
    _, manifest = load_points(PROCESSED / dataset)
    if "centers" not in manifest:
        raise GanError(f"no evaluation reference for dataset {dataset!r}")
    return {"centers": manifest["centers"], "mode_std": manifest["mode_std"]}


def load_classifier(folder: Path) -> Classifier:
    model = build_classifier(np.random.default_rng(0))
    load_checkpoint(folder / "classifier.npz", {"classifier": model})
    return Classifier(model.eval())
