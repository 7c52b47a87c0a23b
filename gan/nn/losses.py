"""Losses.  Each returns ``(value, gradient)``: a float64 scalar on the
input's device (``gan.device.logged``: on the host a ``numpy.float64``, on a
GPU a 0-d array read only when the log needs it) and dL/d(input) with the
input's shape and dtype."""

import numpy as np

from gan.device import array_module, logged
from gan.nn.kernel import Kernel, elementwise
from gan.nn.layers import sigmoid


def bce_with_logits(logits: np.ndarray, target) -> tuple[np.float64, np.ndarray]:
    """Mean binary cross-entropy of sigmoid(logits) against ``target``.

    Uses max(z, 0) - z t + log(1 + exp(-|z|)), exact for logits of any size.
    ``target`` is a scalar or an array broadcastable to ``logits``, e.g. 0.9
    for one-sided label smoothing of the real labels.
    """
    target = array_module(logits).asarray(target, dtype=logits.dtype)
    losses, grad = elementwise(BCE_KERNEL, _bce_terms, logits, target, count=logits.size)
    return logged(losses.mean()), grad


def _bce_terms(z, target, count):
    """(losses, gradient): each logit's loss and d(mean loss)/dz."""
    xp = array_module(z)
    losses = xp.maximum(z, 0) - z * target + xp.log1p(xp.exp(-xp.abs(z)))
    grad = (sigmoid(z) - target) / z.dtype.type(count)
    return losses, grad.astype(z.dtype, copy=False)


BCE_KERNEL = Kernel(  # the gradient holds exp(-|z|) first, as SIGMOID_KERNEL's y does
    "bce", ("z", "target", "losses", "grad"), ("losses", "grad"), "T count",
    "losses = max(z, T(0)) - z * target + log1p(exp(-fabs(z))); grad = exp(-fabs(z));"
    " grad = (where(z >= T(0), T(1) / (T(1) + grad), grad / (T(1) + grad)) - target) / count;")


def generator_nonsaturating(fake_logits: np.ndarray) -> tuple[np.float64, np.ndarray]:
    """-mean log D(G(z)): the generator pretends its samples are real (target 1)."""
    return bce_with_logits(fake_logits, 1.0)


def total_variation(images: np.ndarray, kind: str = "l1") -> tuple[np.float64, np.ndarray]:
    """Total variation of (N, C, H, W) images, summed per image, mean over N.

    ``l1``: sum |x[h+1, w] - x[h, w]| + |x[h, w+1] - x[h, w]|;
    ``l2``: the same with squared differences.
    """
    xp = array_module(images)
    if images.ndim != 4:
        raise ValueError(f"total_variation expects (N, C, H, W) images, got shape {images.shape}")
    if kind not in ("l1", "l2"):
        raise ValueError(f"unknown total variation kind {kind!r}; choose 'l1' or 'l2'")
    dh = images[:, :, 1:, :] - images[:, :, :-1, :]
    dw = images[:, :, :, 1:] - images[:, :, :, :-1]
    n = images.shape[0]
    if kind == "l1":
        value = xp.abs(dh).sum() + xp.abs(dw).sum()
        gh, gw = xp.sign(dh), xp.sign(dw)
    else:
        value = (dh * dh).sum() + (dw * dw).sum()
        gh, gw = 2 * dh, 2 * dw
    grad = xp.zeros_like(images)
    grad[:, :, 1:, :] += gh
    grad[:, :, :-1, :] -= gh
    grad[:, :, :, 1:] += gw
    grad[:, :, :, :-1] -= gw
    grad /= images.dtype.type(n)
    return logged(value) / n, grad


def wasserstein_critic(real_scores: np.ndarray, fake_scores: np.ndarray
                       ) -> tuple[np.float64, tuple[np.ndarray, np.ndarray]]:
    """Critic loss mean(D(fake)) - mean(D(real)); gradients for both inputs."""
    xp = array_module(real_scores)
    value = logged(fake_scores.mean() - real_scores.mean())
    grad_real = xp.full_like(real_scores, -1 / real_scores.size)
    grad_fake = xp.full_like(fake_scores, 1 / fake_scores.size)
    return value, (grad_real, grad_fake)


def wasserstein_generator(fake_scores: np.ndarray) -> tuple[np.float64, np.ndarray]:
    """Generator loss -mean(D(G(z)))."""
    xp = array_module(fake_scores)
    return logged(-fake_scores.mean()), xp.full_like(fake_scores, -1 / fake_scores.size)


def hinge_critic(real_scores: np.ndarray, fake_scores: np.ndarray
                 ) -> tuple[np.float64, tuple[np.ndarray, np.ndarray]]:
    """Hinge loss of a critic: mean relu(1 - D(real)) + mean relu(1 + D(fake));
    gradients for both inputs (0 where a margin is met)."""
    xp = array_module(real_scores)
    real_gap, fake_gap = 1 - real_scores, 1 + fake_scores
    value = logged(xp.maximum(real_gap, 0).mean() + xp.maximum(fake_gap, 0).mean())
    grad_real = -(real_gap > 0).astype(real_scores.dtype) / real_scores.dtype.type(real_scores.size)
    grad_fake = (fake_gap > 0).astype(fake_scores.dtype) / fake_scores.dtype.type(fake_scores.size)
    return value, (grad_real, grad_fake)


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax of (N, K) logits, shifted by the row maximum (no overflow)."""
    xp = array_module(logits)
    e = xp.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> tuple[np.float64, np.ndarray]:
    """Mean -log softmax(logits)[label] over (N, K) logits and (N,) int labels."""
    xp = array_module(logits)
    n = len(labels)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - xp.log(xp.exp(shifted).sum(axis=1, keepdims=True))
    grad = xp.exp(log_probs)
    grad[xp.arange(n), labels] -= 1
    return logged(-log_probs[xp.arange(n), labels].mean()), (grad / logits.dtype.type(n)).astype(logits.dtype)
