"""2-D convolution and transposed convolution on (N, C, H, W) arrays, by im2col / col2im.

Both layers turn the work into one matrix multiply per call.  ``im2col``
gathers every k x k window of a padded input into a column of a
(C*k*k, N*OH*OW) matrix; ``col2im`` is its adjoint: it adds such columns back
onto the padded canvas.  The only Python loop is over the k*k kernel offsets
in ``col2im``, never over samples, channels or pixels; both split the
samples into one block per core (NumPy copies and adds release the GIL).  Conv2d uses im2col
forward and col2im backward; ConvTranspose2d, the adjoint of Conv2d, the other
way round.

Outputs are channel-major in memory: an (N, C, H, W) view of a (C, N, H, W)
array, which is the layout the matrix products produce and the next
convolution's gradient reads without copying.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from gan.nn.init import init_weight
from gan.nn.layers import Layer
from gan.nn.threads import WORKERS, run_parallel


def conv_output_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """Output side of a convolution: floor((size + 2 padding - kernel) / stride) + 1."""
    return (size + 2 * padding - kernel) // stride + 1


class BufferPool:
    """Scratch arrays by (shape, dtype), at most ``size`` of them: a GAN step
    alternates two batch sizes (D's joint real + fake pass, G's pass), so two
    buffers per layer are reused for the whole run and memory stays bounded."""

    def __init__(self, size: int = 2):
        self.size, self.arrays = size, {}

    def get(self, shape: tuple[int, ...], dtype) -> np.ndarray:
        key = (shape, np.dtype(dtype))
        if key not in self.arrays:
            if len(self.arrays) >= self.size:
                self.arrays.pop(next(iter(self.arrays)))  # the oldest shape
            self.arrays[key] = np.empty(shape, dtype=dtype)
        return self.arrays[key]


def im2col(x: np.ndarray, kernel: int, stride: int, padding: int, pool: BufferPool | None = None) -> np.ndarray:
    """(N, C, H, W) -> (C*k*k, N*OH*OW): column (n, i, j) holds the window of
    output pixel (i, j) of sample n, rows ordered channel, kernel row, kernel
    column.  The result lives in a buffer of ``pool`` when given."""
    n, c = x.shape[:2]
    padded = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding))) if padding else x
    windows = sliding_window_view(padded, (kernel, kernel), axis=(2, 3))[:, :, ::stride, ::stride]
    oh, ow = windows.shape[2:4]
    shape = (c * kernel * kernel, n * oh * ow)
    out = pool.get(shape, x.dtype) if pool else np.empty(shape, dtype=x.dtype)
    target, source = out.reshape(c, kernel, kernel, n, oh, ow), windows.transpose(1, 4, 5, 0, 2, 3)
    run_parallel(lambda lo, hi: np.copyto(target[:, :, :, lo:hi], source[:, :, :, lo:hi]), *_sample_ranges(n))
    return out


def col2im(cols: np.ndarray, shape: tuple[int, int, int, int], kernel: int, stride: int, padding: int,
           canvas_extra: int = 0) -> np.ndarray:
    """Adjoint of ``im2col``: add each column of (C*k*k, N*OH*OW) ``cols`` back
    onto its window and return the (N, C, H, W) sum with the padding cropped.
    ``shape`` is the image shape before padding; ``canvas_extra`` rows and
    columns past the last window (a transposed convolution's output padding) stay 0."""
    n, c, h, w = shape
    hp, wp = h + 2 * padding, w + 2 * padding
    oh, ow = (hp - kernel - canvas_extra) // stride + 1, (wp - kernel - canvas_extra) // stride + 1
    blocks = cols.reshape(c, kernel, kernel, n, oh, ow)
    canvas = np.zeros((c, n, hp, wp), dtype=cols.dtype)

    def add_windows(lo: int, hi: int) -> None:
        for i in range(kernel):
            for j in range(kernel):
                canvas[:, lo:hi, i:i + stride * oh:stride, j:j + stride * ow:stride] += blocks[:, i, j, lo:hi]

    run_parallel(add_windows, *_sample_ranges(n))
    return canvas[:, :, padding:padding + h, padding:padding + w].transpose(1, 0, 2, 3)


def _sample_ranges(n: int) -> tuple[list[int], list[int]]:
    """Split samples 0..n into one contiguous range per worker thread: (starts, stops)."""
    bounds = np.linspace(0, n, min(WORKERS, n) + 1).astype(int).tolist()
    return bounds[:-1], bounds[1:]


def channel_rows(x: np.ndarray) -> np.ndarray:
    """(N, C, H, W) -> (C, N*H*W); free when ``x`` is already channel-major."""
    return x.transpose(1, 0, 2, 3).reshape(x.shape[1], -1)


def from_channel_rows(rows: np.ndarray, n: int, h: int, w: int) -> np.ndarray:
    """(C, N*H*W) -> an (N, C, H, W) view."""
    return rows.reshape(len(rows), n, h, w).transpose(1, 0, 2, 3)


class Conv2d(Layer):
    """y[n, o] = b[o] + sum_c W[o, c] (*) x[n, c] (cross-correlation), square
    kernel, stride and zero padding.  x: (N, C_in, H, W) -> (N, C_out, OH, OW),
    OH = floor((H + 2 padding - kernel) / stride) + 1.  W: (C_out, C_in, k, k)."""

    def __init__(self, in_channels: int, out_channels: int, kernel: int, rng: np.random.Generator,
                 stride: int = 1, padding: int = 0, init: str = "normal", scale: float = 0.02, dtype=np.float32):
        super().__init__()
        self.kernel, self.stride, self.padding = kernel, stride, padding
        fans = (in_channels * kernel * kernel, out_channels * kernel * kernel)
        self._add_param("W", init_weight(init, (out_channels, in_channels, kernel, kernel), rng, scale, dtype, fans))
        self._add_param("b", np.zeros(out_channels, dtype=dtype))
        self._pool = BufferPool()  # im2col buffers, reused across calls

    def forward(self, x):
        n, _, h, w = self._shape = x.shape
        self._cols = im2col(x, self.kernel, self.stride, self.padding, self._pool)
        oc = len(self.params["W"])
        y = self.params["W"].reshape(oc, -1) @ self._cols  # (C_out, N*OH*OW)
        y += self.params["b"][:, None]
        oh, ow = (conv_output_size(size, self.kernel, self.stride, self.padding) for size in (h, w))
        return from_channel_rows(y, n, oh, ow)

    def backward(self, dy, param_grads=True, input_grad=True):
        rows = channel_rows(dy)  # (C_out, N*OH*OW)
        weight = self.params["W"].reshape(len(rows), -1)
        if param_grads:
            self.grads["W"] += (rows @ self._cols.T).reshape(self.params["W"].shape)
            self.grads["b"] += rows.sum(axis=1)
        if not input_grad:
            return None
        return col2im(weight.T @ rows, self._shape, self.kernel, self.stride, self.padding)


class ConvTranspose2d(Layer):
    """The adjoint (gradient) of Conv2d with the same kernel, stride and padding,
    plus a bias: x: (N, C_in, H, W) -> (N, C_out, OH, OW),
    OH = (H - 1) stride - 2 padding + kernel + output_padding.  W: (C_in, C_out, k, k),
    as in PyTorch, so ``ConvTranspose2d`` with Conv2d's W computes conv's input gradient."""

    def __init__(self, in_channels: int, out_channels: int, kernel: int, rng: np.random.Generator,
                 stride: int = 1, padding: int = 0, output_padding: int = 0, init: str = "normal",
                 scale: float = 0.02, dtype=np.float32):
        super().__init__()
        if not 0 <= output_padding < max(stride, 1):
            raise ValueError(f"output_padding must be in [0, stride), got {output_padding} with stride {stride}")
        self.kernel, self.stride, self.padding, self.output_padding = kernel, stride, padding, output_padding
        fans = (in_channels * kernel * kernel, out_channels * kernel * kernel)
        self._add_param("W", init_weight(init, (in_channels, out_channels, kernel, kernel), rng, scale, dtype, fans))
        self._add_param("b", np.zeros(out_channels, dtype=dtype))
        self._pool = BufferPool()  # im2col buffers of the output gradient, reused across calls

    def output_size(self, size: int) -> int:
        return (size - 1) * self.stride - 2 * self.padding + self.kernel + self.output_padding

    def forward(self, x):
        n, ci, h, w = self._shape = x.shape
        self._rows = channel_rows(x)  # (C_in, N*H*W)
        co = self.params["W"].shape[1]
        cols = self.params["W"].reshape(ci, -1).T @ self._rows  # (C_out*k*k, N*H*W)
        y = col2im(cols, (n, co, self.output_size(h), self.output_size(w)), self.kernel, self.stride,
                   self.padding, canvas_extra=self.output_padding)
        y += self.params["b"][:, None, None]
        return y

    def backward(self, dy, param_grads=True, input_grad=True):
        n, ci, h, w = self._shape
        # one window of the padded output gradient per input pixel (the output padding starts none)
        cols = im2col(dy, self.kernel, self.stride, self.padding, self._pool)  # (C_out*k*k, N*H*W)
        if param_grads:
            self.grads["W"] += (self._rows @ cols.T).reshape(self.params["W"].shape)
            self.grads["b"] += dy.sum(axis=(0, 2, 3))
        if not input_grad:
            return None
        return from_channel_rows(self.params["W"].reshape(ci, -1) @ cols, n, h, w)
