"""The MNIST evaluator on the embedded sample: accuracy, and its feature-space
metrics separate real digits from noise and from a collapsed generator."""

import numpy as np
import pytest

from gan.data.cache import load_cache, to_unit_range
from gan.data.download import DataSource, download
from gan.data.flatten import flatten_folder
from gan.evaluation.classifier import shift_images, train_classifier
from gan.evaluation.metrics import classifier_scores, frechet_distance_of, precision_recall
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def mnist(tmp_path_factory):
    root = tmp_path_factory.mktemp("mnist")
    download(DataSource(source=str(ROOT / "data/sample/mnist-jpg-sample.zip"), strip_components=1), root / "raw")
    for split in ("training", "testing"):
        flatten_folder(root / "raw" / f"MNIST - JPG - {split}", root / split)
    train, test = load_cache(root / "training"), load_cache(root / "testing")
    classifier = train_classifier(to_unit_range(train.images), train.labels, epochs=30, seed=0, log=lambda s: None)
    return classifier, to_unit_range(train.images), to_unit_range(test.images), test.labels


def test_evaluator_accuracy_on_the_sample(mnist):
    classifier, _, test, labels = mnist
    assert classifier.accuracy(test, labels) >= 0.93


def test_real_digits_beat_noise(mnist):
    classifier, train, test, _ = mnist
    noise = np.random.default_rng(0).uniform(-1, 1, test.shape).astype(np.float32)
    real_f, test_f, noise_f = (classifier.features(x) for x in (train[::4], test, noise))  # every 4th: all classes
    fcd_real, fcd_noise = frechet_distance_of(real_f, test_f), frechet_distance_of(noise_f, test_f)
    assert fcd_real * 10 < fcd_noise, (fcd_real, fcd_noise)
    p_real, r_real = precision_recall(test_f, real_f)
    p_noise, r_noise = precision_recall(test_f, noise_f)
    assert p_real > p_noise + 0.5 and r_real > r_noise + 0.5, (p_real, r_real, p_noise, r_noise)


def test_collapsed_generator(mnist):
    classifier, _, test, _ = mnist
    collapsed = np.repeat(test[:1], 1000, axis=0)
    scores = classifier_scores(classifier.probabilities(collapsed))
    assert scores["class_coverage"] == 1 and scores["classifier_score"] == pytest.approx(1.0)
    _, recall = precision_recall(classifier.features(test), classifier.features(collapsed))
    assert recall <= 0.01


def test_shift_images_moves_pixels():
    image = -np.ones((1, 1, 28, 28), dtype=np.float32)
    image[0, 0, 10, 12] = 1
    rng = np.random.default_rng(0)
    moved = shift_images(np.repeat(image, 50, axis=0), rng)
    positions = {tuple(np.argwhere(m[0] == 1)[0]) for m in moved}
    assert len(positions) > 5 and all(abs(r - 10) <= 2 and abs(c - 12) <= 2 for r, c in positions)
    assert all((m == 1).sum() == 1 for m in moved)
