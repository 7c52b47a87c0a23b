"""The metrics must be able to fail: known answers on small synthetic data."""

import numpy as np
import pytest

from gan.data.toy import mixture_points, ring_centers
from gan.evaluation.metrics import (
    classifier_scores,
    colour_histogram,
    copy_threshold,
    flag_scores,
    frechet_distance,
    frechet_distance_of,
    label_accuracy,
    mode_scores,
    nearest_neighbours,
    pairwise_distances,
    palette_distance,
    precision_recall,
    sine_scores,
)


def rotation(theta):
    return np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])


def test_frechet_distance_by_hand():
    # 1-D: |0 - 1|^2 + 1 + 4 - 2 sqrt(1 * 4) = 2
    assert frechet_distance(np.zeros(1), np.eye(1), np.ones(1), 4 * np.eye(1)) == pytest.approx(2.0)
    # diagonal 2-D: |(1, 2)|^2 + (1 + 4) + (9 + 1) - 2 (3 + 2) = 10
    c1, c2 = np.diag([1.0, 4.0]), np.diag([9.0, 1.0])
    assert frechet_distance(np.zeros(2), c1, np.array([1.0, 2.0]), c2) == pytest.approx(10.0)
    # a common rotation of both covariances changes nothing
    r = rotation(0.7)
    assert frechet_distance(np.zeros(2), r @ c1 @ r.T, r @ np.array([1.0, 2.0]), r @ c2 @ r.T) \
        == pytest.approx(10.0)


def test_frechet_distance_near_singular():
    c1, c2 = np.diag([1.0, 1e-12]), np.diag([4.0, 0.0])  # 1 + 4 - 2 * 2 (+ 1e-12)
    assert frechet_distance(np.zeros(2), c1, np.zeros(2), c2) == pytest.approx(1.0, abs=1e-9)
    rank_one = np.outer([1.0, 2.0], [1.0, 2.0])
    value = frechet_distance(np.zeros(2), rank_one, np.zeros(2), rank_one)
    assert np.isfinite(value) and value == pytest.approx(0.0, abs=1e-6)


def test_frechet_distance_of_samples():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((4000, 3)), rng.standard_normal((4000, 3))
    shifted = b + np.array([3.0, 0, 0])
    assert frechet_distance_of(a, b) < 0.05
    assert frechet_distance_of(a, shifted) == pytest.approx(9.0, rel=0.05)


def test_precision_recall_same_law_vs_far_vs_collapsed():
    rng = np.random.default_rng(1)
    real = rng.standard_normal((500, 4))
    same = rng.standard_normal((500, 4))
    far = rng.standard_normal((500, 4)) + 20
    collapsed = np.repeat(real[:1], 500, axis=0)
    p_same, r_same = precision_recall(real, same)
    assert p_same > 0.7 and r_same > 0.7
    assert precision_recall(real, far) == (0.0, 0.0)
    p_col, r_col = precision_recall(real, collapsed)
    assert p_col == 1.0 and r_col <= 0.01  # every copy is realistic, but it covers one point


def test_classifier_scores():
    one_class = np.tile(np.eye(10)[3], (200, 1))
    scores = classifier_scores(one_class)
    assert scores["class_coverage"] == 1 and scores["classifier_score"] == pytest.approx(1.0)
    assert scores["mean_confidence"] == 1.0
    balanced = np.tile(np.eye(10), (20, 1))
    scores = classifier_scores(balanced)
    assert scores["class_coverage"] == 10 and scores["classifier_score"] == pytest.approx(10.0, rel=1e-6)
    unsure = np.full((200, 10), 0.1)
    assert classifier_scores(unsure)["classifier_score"] == pytest.approx(1.0)


def stripe_flags(n, rng, size=12):
    """Three-band 'flags' in [-1, 1]: smooth, distinct images."""
    flags = np.empty((n, 3, size, size), dtype=np.float32)
    for i in range(n):
        colours = rng.uniform(-1, 1, (3, 3))
        for band in range(3):
            flags[i, :, band * size // 3:(band + 1) * size // 3, :] = colours[band][:, None, None]
    return flags


def test_flag_scores_training_set_noise_and_collapse():
    rng = np.random.default_rng(2)
    train = stripe_flags(40, rng)
    itself = flag_scores(train, train)
    assert itself["nn_copy_rate"] == 1.0 and itself["distinct_modes"] == 40
    assert itself["tv_ratio"] == pytest.approx(1.0) and itself["precision"] == 1.0 and itself["recall"] == 1.0
    noise = rng.uniform(-1, 1, (100, 3, 12, 12)).astype(np.float32)
    noisy = flag_scores(noise, train)
    assert noisy["nn_copy_rate"] == 0.0 and noisy["tv_ratio"] > 10 and noisy["precision"] == 0.0
    assert flag_scores(noise, train, nearest=nearest_neighbours(noise, train)) == noisy
    collapsed = flag_scores(np.repeat(train[5:6], 50, axis=0), train)
    assert collapsed["distinct_modes"] == 1 and collapsed["recall"] <= 0.05
    assert itself["palette_distance"] == 0.0 and collapsed["palette_distance"] > 0.5


def solid(rgb, n=4, size=6):
    """n images of one colour, ``rgb`` in [0, 1], as (n, 3, size, size) in [-1, 1]."""
    return np.broadcast_to(np.array(rgb, np.float32)[None, :, None, None] * 2 - 1, (n, 3, size, size)).copy()


def test_colour_histogram_puts_hues_in_their_bins():
    for rgb, bin_ in (((1, 0, 0), 0), ((1, 1, 0), 2), ((0, 1, 0), 4), ((0, 1, 1), 6), ((0, 0, 1), 8),
                      ((1, 0, 1), 10), ((0.9, 0.45, 0.45), 0)):
        assert colour_histogram(solid(rgb)).argmax() == bin_, rgb
    assert not colour_histogram(solid((0.5, 0.5, 0.5))).any(), "grey pixels have no hue"
    assert not colour_histogram(solid((0.1, 0, 0))).any(), "near-black pixels have no hue"
    grey = np.full((3, 1, 4, 4), 0.0, np.float32)
    assert colour_histogram(grey).tolist() == [0, 0, 0, 0, 1, 0, 0, 0]


def test_palette_distance_catches_a_palette_collapse():
    """Flags of every hue against samples in red, white and blue only."""
    rng = np.random.default_rng(5)
    train = stripe_flags(200, rng)
    assert palette_distance(train, train) == 0.0
    assert palette_distance(train[:100], train[100:]) < 0.15
    red_white_blue = np.concatenate([solid((0.8, 0.1, 0.1), 30), solid((1, 1, 1), 30), solid((0.1, 0.1, 0.7), 30)])
    assert palette_distance(red_white_blue, train) > 0.6
    assert palette_distance(solid((0.5, 0.5, 0.5)), train) == 1.0, "no colour at all is as far as it gets"


def test_sine_scores():
    rng = np.random.default_rng(3)
    x = rng.uniform(0, 2 * np.pi, 2000)
    exact = sine_scores(np.stack([x, np.sin(x)], axis=1))
    assert exact["sine_mae"] < 1e-12 and exact["x_ks"] < 0.05
    noise = sine_scores(rng.uniform(-3, 3, (2000, 2)))
    assert noise["sine_mae"] > 0.8 and noise["x_ks"] > 0.4


def test_mode_scores():
    centers = ring_centers(8, 2.0)
    rng = np.random.default_rng(0)
    balanced = mixture_points(4000, centers, 0.02, rng)
    scores = mode_scores(balanced, centers, 0.02)
    assert scores["modes_covered"] == 8 and scores["high_quality_rate"] > 0.98 and scores["mode_kl"] < 0.01
    collapsed = mode_scores(mixture_points(4000, centers[:1], 0.02, rng), centers, 0.02)
    assert collapsed["modes_covered"] == 1 and collapsed["mode_kl"] == pytest.approx(np.log(8))
    # half the points between modes (not high quality), the rest on two modes
    between = ring_centers(8, 1.0)[:2].repeat(25, axis=0)
    two = np.concatenate([between, centers[[2, 5]].repeat(25, axis=0)])
    assert mode_scores(two, centers, 0.02) == pytest.approx(
        {"modes_covered": 2, "high_quality_rate": 0.5, "mode_kl": np.log(4)})
    far = np.full((10, 2), 10.0)
    assert mode_scores(far, centers, 0.02) == {"modes_covered": 0, "high_quality_rate": 0.0, "mode_kl": np.log(8)}


def test_label_accuracy():
    probs = np.eye(3)[[0, 1, 2, 2]]
    assert label_accuracy(probs, np.array([0, 1, 2, 0])) == 0.75


def test_copies_count_when_a_training_flag_appears_twice():
    """Equal rows are rounding noise apart, not 0: the copy threshold must not shrink to that noise."""
    rng = np.random.default_rng(4)
    train = rng.uniform(-1, 1, (30, 3, 12, 12)).astype(np.float32)
    train[7] = train[3]
    assert 0 < pairwise_distances(train, train)[3, 7] < 1e-3, "equal rows: rounding noise, not 0"
    assert copy_threshold(train) > 1
    assert flag_scores(train[rng.integers(0, 30, 200)], train)["nn_copy_rate"] == 1.0
