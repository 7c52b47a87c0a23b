"""Batch normalisation per feature of (N, F) inputs and per channel of (N, C, H, W) ones."""

import numpy as np

from gan.device import array_module
from gan.nn.kernel import Kernel, elementwise
from gan.nn.layers import Layer


class BatchNorm1d(Layer):
    """y = gamma * (x - mean) / sqrt(var + eps) + beta, per feature.

    Train mode normalises with the batch statistics and updates the running
    ones Keras-style: ``running = momentum * running + (1 - momentum) * batch``
    (the biased batch variance).  Eval mode uses the running statistics.
    x: (N, F) -> y: (N, F).
    """

    def __init__(self, features: int, momentum: float = 0.8, eps: float = 1e-5,
                 dtype=np.float32):
        super().__init__()
        self.momentum = momentum
        self.eps = eps
        self._add_param("gamma", np.ones(features, dtype=dtype))
        self._add_param("beta", np.zeros(features, dtype=dtype))
        self.buffers["running_mean"] = np.zeros(features, dtype=dtype)
        self.buffers["running_var"] = np.ones(features, dtype=dtype)

    def forward(self, x):
        return self._normalize(x, axis=0)

    def backward(self, dy, param_grads=True, input_grad=True):
        return self._normalize_backward(dy, param_grads, axis=0)

    def _normalize(self, x: np.ndarray, axis: int) -> np.ndarray:
        """Normalise the features of 2-D ``x``, taking statistics along ``axis`` (0: (N, F), 1: (F, N))."""
        if self.training:
            mean = x.mean(axis=axis)
            var = x.var(axis=axis)
            elementwise(RUNNING_KERNEL, _update_running, mean, var, momentum=self.momentum, rate=1 - self.momentum,
                        out=(self.buffers["running_mean"], self.buffers["running_var"]))
        else:
            mean = self.buffers["running_mean"]
            var = self.buffers["running_var"].copy()  # backward's, whatever becomes of the buffer
        self._var = _per_feature(var, axis)
        self._xhat, y = elementwise(NORMALIZE_KERNEL, _normalize, x, _per_feature(mean, axis), self._var,
                                    _per_feature(self.params["gamma"], axis), _per_feature(self.params["beta"], axis),
                                    eps=self.eps)
        return y

    def _normalize_backward(self, dy: np.ndarray, param_grads: bool, axis: int) -> np.ndarray:
        gamma = _per_feature(self.params["gamma"], axis)
        if param_grads:
            self.grads["gamma"] += (dy * self._xhat).sum(axis=axis)
            self.grads["beta"] += dy.sum(axis=axis)
        if not self.training:
            return dy * gamma * _inverse_std(self._var, self.eps)
        dxhat = dy * gamma
        return elementwise(NORMALIZE_GRAD_KERNEL, _normalize_grad, dxhat, dxhat.mean(axis=axis, keepdims=True),
                           self._xhat, (dxhat * self._xhat).mean(axis=axis, keepdims=True), self._var, eps=self.eps)


def _update_running(mean, var, running_mean, running_var, momentum, rate):
    """running = momentum running + rate batch (rate = 1 - momentum), in place, for the mean and the variance."""
    for running, batch in ((running_mean, mean), (running_var, var)):
        running *= momentum
        running += rate * batch
    return running_mean, running_var


def _inverse_std(var, eps):
    return 1 / array_module(var).sqrt(var + eps)


def _normalize(x, mean, var, gamma, beta, eps):
    """(xhat, y): xhat = (x - mean) / sqrt(var + eps), y = gamma xhat + beta."""
    xhat = (x - mean) * _inverse_std(var, eps)
    return xhat, xhat * gamma + beta


def _normalize_grad(dxhat, dxhat_mean, xhat, dxhat_xhat_mean, var, eps):
    """dL/dx from dL/dxhat and its batch means (plain and times xhat)."""
    return _inverse_std(var, eps) * (dxhat - dxhat_mean - xhat * dxhat_xhat_mean)


RUNNING_KERNEL = Kernel("running", ("mean", "var", "running_mean", "running_var"), ("running_mean", "running_var"),
                        "T momentum, T rate", "running_mean = running_mean * momentum + rate * mean;"
                        " running_var = running_var * momentum + rate * var;")
NORMALIZE_KERNEL = Kernel(  # the statistics, gamma and beta broadcast per feature
    "normalize", ("x", "mean", "var", "gamma", "beta", "xhat", "y"), ("xhat", "y"), "T eps",
    "xhat = (x - mean) * (T(1) / sqrt(var + eps)); y = xhat * gamma + beta;")
NORMALIZE_GRAD_KERNEL = Kernel(
    "normalize_grad", ("dxhat", "dxhat_mean", "xhat", "dxhat_xhat_mean", "var", "dx"), ("dx",), "T eps",
    "dx = (T(1) / sqrt(var + eps)) * (dxhat - dxhat_mean - xhat * dxhat_xhat_mean);")


def _per_feature(v: np.ndarray, axis: int) -> np.ndarray:
    """(F,) statistics or parameters -> broadcastable against 2-D inputs whose features lie across ``axis``."""
    return v if axis == 0 else v[:, None]


class BatchNorm2d(BatchNorm1d):
    """BatchNorm1d per channel of (N, C, H, W) inputs: statistics over N, H and W.
    It works on the (C, N*H*W) channel rows, free to get from the channel-major
    arrays convolutions produce, and returns a channel-major view."""

    def forward(self, x):
        n, c, h, w = x.shape
        rows = self._normalize(x.transpose(1, 0, 2, 3).reshape(c, -1), axis=1)
        return rows.reshape(c, n, h, w).transpose(1, 0, 2, 3)

    def backward(self, dy, param_grads=True, input_grad=True):
        n, c, h, w = dy.shape
        rows = self._normalize_backward(dy.transpose(1, 0, 2, 3).reshape(c, -1), param_grads, axis=1)
        return rows.reshape(c, n, h, w).transpose(1, 0, 2, 3)
