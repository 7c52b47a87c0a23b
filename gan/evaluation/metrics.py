"""Sample-quality metrics.  Each takes plain arrays, so each can be tested on
data whose answer is known (real vs noise, one image repeated, ...)."""

import numpy as np

from gan.nn import total_variation


def _psd_sqrt(matrix: np.ndarray) -> np.ndarray:
    """Square root of a symmetric positive semi-definite matrix (negative
    eigenvalues from round-off clipped to 0)."""
    values, vectors = np.linalg.eigh(matrix)
    return (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T


def frechet_distance(mu1: np.ndarray, cov1: np.ndarray, mu2: np.ndarray, cov2: np.ndarray) -> float:
    """||mu1 - mu2||^2 + tr(C1) + tr(C2) - 2 tr((C1 C2)^(1/2)) between two Gaussians.

    tr((C1 C2)^(1/2)) is computed as the sum of square roots of the
    eigenvalues of C1^(1/2) C2 C1^(1/2), which is symmetric PSD, so singular or
    near-singular covariances give a finite, non-negative answer.
    """
    root1 = _psd_sqrt(cov1)
    cross = np.sqrt(np.clip(np.linalg.eigvalsh(root1 @ cov2 @ root1), 0, None)).sum()
    value = float(np.sum((mu1 - mu2) ** 2) + np.trace(cov1) + np.trace(cov2) - 2 * cross)
    return max(value, 0.0)


def frechet_distance_of(features1: np.ndarray, features2: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to two (N, F) feature sets."""
    f1, f2 = features1.astype(np.float64), features2.astype(np.float64)
    return frechet_distance(f1.mean(0), np.cov(f1, rowvar=False), f2.mean(0), np.cov(f2, rowvar=False))


def pairwise_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(len(a), len(b)) Euclidean distances between rows, in float64."""
    a, b = a.astype(np.float64).reshape(len(a), -1), b.astype(np.float64).reshape(len(b), -1)
    squared = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2 * a @ b.T
    return np.sqrt(np.clip(squared, 0, None))


def _knn_radii(points: np.ndarray, k: int) -> np.ndarray:
    """Distance from each row to its k-th nearest other row."""
    d = pairwise_distances(points, points)
    np.fill_diagonal(d, np.inf)
    return np.partition(d, k - 1, axis=1)[:, k - 1]


def precision_recall(real: np.ndarray, fake: np.ndarray, k: int = 3) -> tuple[float, float]:
    """Improved precision and recall (Kynkäänniemi et al. 2019).

    Each real row gets a ball reaching its k-th nearest real neighbour;
    precision is the fraction of fake rows inside at least one real ball.
    Recall swaps the roles: real rows inside at least one fake ball.
    """
    real_radii, fake_radii = _knn_radii(real, k), _knn_radii(fake, k)
    d = pairwise_distances(fake, real)                       # (fake, real)
    precision = float((d <= real_radii[None, :]).any(axis=1).mean())
    recall = float((d <= fake_radii[:, None]).any(axis=0).mean())
    return precision, recall


def classifier_scores(probs: np.ndarray, classes: int = 10, min_share: float = 0.05) -> dict[str, float]:
    """From (N, classes) class probabilities of generated samples:

    * classifier_score: exp(mean_x KL(p(y|x) || p(y))), the Inception-score
      formula with the MNIST classifier; 1 (collapse) .. ``classes``;
    * mean_confidence: mean of max_y p(y|x);
    * class_coverage: number of classes predicted for at least ``min_share`` of samples.
    """
    p = np.clip(probs.astype(np.float64), 1e-12, 1)
    marginal = p.mean(axis=0)
    kl = (p * (np.log(p) - np.log(marginal))).sum(axis=1)
    shares = np.bincount(probs.argmax(axis=1), minlength=classes) / len(probs)
    return {"classifier_score": float(np.exp(kl.mean())),
            "mean_confidence": float(probs.max(axis=1).mean()),
            "class_coverage": int((shares >= min_share).sum())}


def nearest_neighbours(samples: np.ndarray, train: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of and distance to the nearest training row for each sample row."""
    d = pairwise_distances(samples, train)
    index = d.argmin(axis=1)
    return index, d[np.arange(len(samples)), index]


def copy_threshold(train: np.ndarray, fraction: float = 0.5, same: float = 1e-3) -> float:
    """Half the smallest distance between two distinct training rows: a sample
    this close to a training row is nearer to it than any two different
    training flags are to each other, i.e. a copy.  Rows closer than ``same``
    are one flag twice (``pairwise_distances`` of equal rows is rounding
    noise, about 1e-6, not 0; one pixel level apart is 2 / 255)."""
    d = pairwise_distances(train, train)
    np.fill_diagonal(d, np.inf)
    distinct = d[d > same]
    return float(fraction * distinct.min())


def colour_histogram(images: np.ndarray, hue_bins: int = 12, grey_bins: int = 8,
                     min_saturation: float = 0.3, min_value: float = 0.2) -> np.ndarray:
    """Shares of the colours in (N, C, H, W) images in [-1, 1]: for RGB, the
    HSV hue of the saturated pixels (saturation >= ``min_saturation``, value
    >= ``min_value``) in ``hue_bins`` equal bins; for grey, the grey level in
    ``grey_bins``.  All zeros when no pixel qualifies."""
    pixels = (images.astype(np.float64) + 1) / 2
    if pixels.shape[1] == 1:
        counts = np.histogram(np.clip(pixels, 0, 1), bins=grey_bins, range=(0, 1))[0]
    else:
        r, g, b = pixels[:, 0], pixels[:, 1], pixels[:, 2]
        high, low = pixels.max(axis=1), pixels.min(axis=1)
        spread = np.where(high > low, high - low, 1.0)
        hue = np.select([high == r, high == g], [(g - b) / spread, 2 + (b - r) / spread], 4 + (r - g) / spread)
        chosen = (high >= min_value) & (high - low >= min_saturation * np.maximum(high, 1e-12))
        counts = np.histogram((hue[chosen] / 6) % 1, bins=hue_bins, range=(0, 1))[0]
    return counts / max(counts.sum(), 1)


def palette_distance(samples: np.ndarray, train: np.ndarray) -> float:
    """Total-variation distance (0 = the same colours, 1 = disjoint, or no
    qualifying pixel) between the ``colour_histogram`` of samples and of training images."""
    a, b = colour_histogram(samples), colour_histogram(train)
    return 1.0 if not a.any() else float(np.abs(a - b).sum() / 2)


def flag_scores(samples: np.ndarray, train: np.ndarray,
                nearest: tuple[np.ndarray, np.ndarray] | None = None) -> dict[str, float]:
    """Metrics of (N, C, H, W) samples in [-1, 1] against training flags:
    nn_copy_rate, distinct_modes, tv_ratio, precision, recall (pixel space),
    palette_distance.  ``nearest`` is ``nearest_neighbours(samples, train)``
    when already computed."""
    index, dist = nearest if nearest is not None else nearest_neighbours(samples, train)
    tv_samples = total_variation(samples.astype(np.float64))[0]
    tv_train = total_variation(train.astype(np.float64))[0]
    precision, recall = precision_recall(train.reshape(len(train), -1), samples.reshape(len(samples), -1))
    return {"nn_copy_rate": float((dist < copy_threshold(train)).mean()),
            "distinct_modes": int(len(np.unique(index))),
            "tv_ratio": float(tv_samples / tv_train),
            "precision": precision, "recall": recall, "palette_distance": palette_distance(samples, train)}


def sine_scores(points: np.ndarray) -> dict[str, float]:
    """sine_mae: mean |y - sin x| in data units; x_ks: Kolmogorov-Smirnov
    distance between the generated x and the uniform law on [0, 2 pi]."""
    x = np.sort(points[:, 0].astype(np.float64))
    cdf = np.clip(x / (2 * np.pi), 0, 1)
    n = len(x)
    ks = max((np.arange(1, n + 1) / n - cdf).max(), (cdf - np.arange(n) / n).max())
    return {"sine_mae": float(np.abs(points[:, 1] - np.sin(points[:, 0])).mean()), "x_ks": float(ks)}


def mode_scores(points: np.ndarray, centers: np.ndarray, std: float, radius: float = 3.0) -> dict[str, float]:
    """Gaussian-mixture metrics of (N, 2) points against (M, 2) mode centres of
    std ``std`` (unrolled-GAN / VEEGAN / PacGAN): a point is high quality when
    within ``radius`` std of some centre.

    * modes_covered: modes with at least one high-quality point;
    * high_quality_rate: fraction of high-quality points;
    * mode_kl: KL(share of the high-quality points per mode || uniform), 0 for
      a perfectly balanced sampler, log M when all points sit on one mode
      (and when none is high quality)."""
    d = pairwise_distances(points, centers)
    nearest, close = d.argmin(axis=1), d.min(axis=1) <= radius * std
    counts = np.bincount(nearest[close], minlength=len(centers))
    share = counts[counts > 0] / max(counts.sum(), 1)
    kl = float((share * np.log(share * len(centers))).sum()) if close.any() else float(np.log(len(centers)))
    return {"modes_covered": int((counts > 0).sum()), "high_quality_rate": float(close.mean()), "mode_kl": kl}


def label_accuracy(probs: np.ndarray, labels: np.ndarray) -> float:
    """Fraction of samples generated for ``labels`` that the classifier assigns to that label."""
    return float((probs.argmax(axis=1) == labels).mean())
