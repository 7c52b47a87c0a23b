"""Numerical behaviour of the losses at the extremes."""

import numpy as np
import pytest

from gan.nn import Sigmoid, bce_with_logits, sigmoid

EXTREME = [-1000.0, -100.0, -30.0, -1.0, 0.0, 1.0, 30.0, 100.0, 1000.0]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("target", [0.0, 0.9, 1.0])
def test_bce_extreme_logits_match_float64_reference(dtype, target):
    z = np.array(EXTREME, dtype=dtype).reshape(-1, 1)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        value, grad = bce_with_logits(z, target)
    z64 = z.astype(np.float64)
    # -t log sigma(z) - (1 - t) log(1 - sigma(z)), each log written with logaddexp
    reference = np.mean(target * np.logaddexp(0, -z64) + (1 - target) * np.logaddexp(0, z64))
    assert np.isfinite(value) and np.all(np.isfinite(grad))
    assert value == pytest.approx(reference, rel=1e-6)
    expected_grad = (0.5 * (1 + np.tanh(z64 / 2)) - target) / z.size
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-6, atol=1e-12)


def test_bce_confident_and_wrong_is_large():
    value, _ = bce_with_logits(np.array([[-1000.0]]), 1.0)
    assert value == pytest.approx(1000.0)


def test_sigmoid_has_no_overflow_warnings():
    x = np.array([-1e4, -1000.0, -101.0, 0.0, 101.0, 1000.0, 1e4], dtype=np.float32)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        y = sigmoid(x)
        layer = Sigmoid()
        layer.forward(x)
        layer.backward(np.ones_like(x))
    assert y[0] == 0 and y[-1] == 1 and y[3] == 0.5
    assert y.dtype == np.float32
