"""Minibatch discrimination (Salimans et al. 2016, "Improved techniques for
training GANs", section 3.2)."""

import numpy as np

from gan.nn.init import init_weight
from gan.nn.layers import Layer


class MinibatchDiscrimination(Layer):
    """Appends to each sample how close it is to the rest of its minibatch.

    x: (N, A).  M = x @ T reshaped to (N, B, C): B kernels of dimension C.
    c_b(i, j) = exp(-sum_c |M[i,b,c] - M[j,b,c]|), o[i, b] = sum_j c_b(i, j)
    (j = i included, as in the paper).  y = concat[x, o]: (N, A + B).

    Vectorised over samples and kernels; the only Python loop runs over the
    C dimensions of a kernel, so forward and backward hold (N, N, B) arrays,
    never (N, N, B, C).
    """

    def __init__(self, in_features: int, kernels: int, kernel_dim: int,
                 rng: np.random.Generator, scale: float = 0.02, dtype=np.float32):
        super().__init__()
        self.kernels, self.kernel_dim = kernels, kernel_dim
        self._add_param("T", init_weight("normal", (in_features, kernels * kernel_dim),
                                         rng, scale, dtype))

    def forward(self, x):
        n = x.shape[0]
        m = (x @ self.params["T"]).reshape(n, self.kernels, self.kernel_dim)
        dist = np.zeros((n, n, self.kernels), dtype=x.dtype)
        for c in range(self.kernel_dim):
            dist += np.abs(m[:, None, :, c] - m[None, :, :, c])
        self._x, self._m = x, m
        self._close = np.exp(-dist)                      # c_b(i, j): (N, N, B)
        return np.concatenate([x, self._close.sum(axis=1)], axis=1)

    def backward(self, dy, param_grads=True):
        x, m, close = self._x, self._m, self._close
        n, a = x.shape
        do = dy[:, a:]                                    # (N, B)
        # o[i] and o[j] both depend on dist(i, j): d/d dist(i,j) = -(do_i + do_j) c(i,j)
        weight = (do[:, None, :] + do[None, :, :]) * close
        dm = np.empty_like(m)
        for c in range(self.kernel_dim):
            sign = np.sign(m[:, None, :, c] - m[None, :, :, c])
            dm[:, :, c] = -(weight * sign).sum(axis=1)
        dm = dm.reshape(n, -1)
        if param_grads:
            self.grads["T"] += x.T @ dm
        return dy[:, :a] + dm @ self.params["T"].T
