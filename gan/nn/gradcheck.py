"""Finite-difference gradient checking, for float64 tests of every layer and loss."""

from collections.abc import Callable

import numpy as np

from gan.device import array_module


def numerical_gradient(f: Callable[[], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central differences of the scalar ``f()`` with respect to ``x``,
    perturbing ``x`` in place (it is restored afterwards)."""
    grad = array_module(x).zeros_like(x, dtype=np.float64)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i].copy()  # CuPy's flat[i] is a view of the element
        flat[i] = old + eps
        up = f()
        flat[i] = old - eps
        down = f()
        flat[i] = old
        gflat[i] = (up - down) / (2 * eps)
    return grad


def relative_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """||a - n|| / max(||a|| + ||n||, tiny): 0 when the two agree exactly."""
    xp = array_module(analytic, numeric)
    scale = float(xp.linalg.norm(analytic) + xp.linalg.norm(numeric))
    return float(xp.linalg.norm(analytic - numeric)) / max(scale, 1e-300)
