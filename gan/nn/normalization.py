"""Batch normalisation over the feature axis of (N, F) inputs."""

import numpy as np

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
        if self.training:
            mean = x.mean(axis=0)
            var = x.var(axis=0)
            for name, batch in (("running_mean", mean), ("running_var", var)):
                running = self.buffers[name]
                running *= self.momentum
                running += (1 - self.momentum) * batch
        else:
            mean = self.buffers["running_mean"]
            var = self.buffers["running_var"]
        self._inv_std = 1 / np.sqrt(var + self.eps)
        self._xhat = (x - mean) * self._inv_std
        return self._xhat * self.params["gamma"] + self.params["beta"]

    def backward(self, dy, param_grads=True, input_grad=True):
        gamma = self.params["gamma"]
        if param_grads:
            self.grads["gamma"] += (dy * self._xhat).sum(axis=0)
            self.grads["beta"] += dy.sum(axis=0)
        if not self.training:
            return dy * gamma * self._inv_std
        dxhat = dy * gamma
        return self._inv_std * (dxhat - dxhat.mean(axis=0)
                                - self._xhat * (dxhat * self._xhat).mean(axis=0))


class BatchNorm2d(BatchNorm1d):
    """BatchNorm1d per channel of (N, C, H, W) inputs: statistics over N, H and W."""

    def forward(self, x):
        n, c, h, w = x.shape
        y = super().forward(x.transpose(0, 2, 3, 1).reshape(-1, c))
        return y.reshape(n, h, w, c).transpose(0, 3, 1, 2)

    def backward(self, dy, param_grads=True, input_grad=True):
        n, c, h, w = dy.shape
        dx = super().backward(dy.transpose(0, 2, 3, 1).reshape(-1, c), param_grads, input_grad)
        return dx.reshape(n, h, w, c).transpose(0, 3, 1, 2)
