"""Minibatch discrimination (Salimans et al. 2016, "Improved techniques for
training GANs", section 3.2)."""

import numpy as np

from gan.device import array_module
from gan.nn.init import init_weight
from gan.nn.layers import Layer


class MinibatchDiscrimination(Layer):
    """Appends to each sample how close it is to the rest of its minibatch.

    x: (N, A).  M = x @ T reshaped to (N, B, C): B kernels of dimension C.
    c_b(i, j) = exp(-sum_c |M[i,b,c] - M[j,b,c]|), o[i, b] = sum_j c_b(i, j)
    (j = i included, as in the paper).  y = concat[x, o]: (N, A + B).

    Vectorised over samples and kernels; the only Python loop runs over the
    C dimensions of a kernel, so forward and backward hold four (B, N, N)
    work arrays (reused across calls), never (N, N, B, C).
    """

    def __init__(self, in_features: int, kernels: int, kernel_dim: int,
                 rng: np.random.Generator, scale: float = 0.02, dtype=np.float32):
        super().__init__()
        self.kernels, self.kernel_dim = kernels, kernel_dim
        self._add_param("T", init_weight("normal", (in_features, kernels * kernel_dim),
                                         rng, scale, dtype))
        self._work = None

    def _buffers(self, n: int, dtype) -> tuple[np.ndarray, ...]:
        """Four (B, N, N) work arrays, reused while the batch size stays the same."""
        shape = (self.kernels, n, n)
        xp = array_module(self._x)
        if self._work is None or self._work[0].shape != shape or self._work[0].dtype != dtype \
                or array_module(self._work[0]) is not xp:
            self._work = tuple(xp.empty(shape, dtype=dtype) for _ in range(4))
        return self._work

    def _pair_differences(self, c: int, out: np.ndarray) -> np.ndarray:
        """out[b, i, j] = M[i, b, c] - M[j, b, c]."""
        mc = self._mt[c]                                  # (B, N), contiguous rows
        return array_module(mc).subtract(mc[:, :, None], mc[:, None, :], out=out)

    def forward(self, x):
        n, xp = x.shape[0], array_module(x)
        m = (x @ self.params["T"]).reshape(n, self.kernels, self.kernel_dim)
        self._x, self._mt = x, xp.ascontiguousarray(m.transpose(2, 1, 0))   # (C, B, N)
        close, tmp, _, _ = self._buffers(n, x.dtype)
        xp.abs(self._pair_differences(0, close), out=close)
        for c in range(1, self.kernel_dim):
            close += xp.abs(self._pair_differences(c, tmp), out=tmp)
        xp.exp(xp.negative(close, out=close), out=close)       # c_b(i, j): (B, N, N)
        return xp.concatenate([x, close.sum(axis=2).T], axis=1)

    def backward(self, dy, param_grads=True, input_grad=True):
        x, xp = self._x, array_module(dy)
        n, a = x.shape
        close, tmp, weight, sign = self._buffers(n, x.dtype)
        do = xp.ascontiguousarray(dy[:, a:].T)                 # (B, N)
        # o[i] and o[j] both depend on dist(i, j): d/d dist(i,j) = -(do_i + do_j) c(i,j)
        xp.add(do[:, :, None], do[:, None, :], out=weight)
        weight *= close
        dmt = xp.empty_like(self._mt)                          # (C, B, N)
        for c in range(self.kernel_dim):
            xp.sign(self._pair_differences(c, tmp), out=sign)  # in place (out=tmp) is 6x slower
            dmt[c] = -xp.einsum("bij,bij->bi", weight, sign)
        dm = dmt.transpose(2, 1, 0).reshape(n, -1)             # (N, B*C)
        if param_grads:
            self.grads["T"] += x.T @ dm
        return dy[:, :a] + dm @ self.params["T"].T if input_grad else None
