"""2-D convolution and transposed convolution on (N, C, H, W) arrays, by im2col / col2im.

Both layers turn the work into one matrix multiply per call.  ``im2col``
gathers every k x k window of a zero-padded input into a column of a
(C*k*k, N*L) matrix; ``col2im`` is its adjoint: it adds such columns back
onto the padded canvas.

The columns follow ``Windows``' layout: the padded image is split into
stride x stride phases, so one kernel offset of all a sample's output pixels
is a single contiguous run of one flat phase, and im2col / col2im are k*k
long copies / adds.  When the kernel size is a multiple of the stride (every
DCGAN here) im2col is one copy from a strided view of all the runs and
col2im (k/s)^2 adds, one per set of offsets that fall in different phases:
on a GPU each copy or add is a kernel launch.  The price is a few wasted
columns per output row (see ``Windows``).  The only Python loops are over
kernel offsets and the stride x stride phases, never over samples, channels
or pixels.

Outputs are channel-major in memory: an (N, C, H, W) view of a (C, N, H, W)
array, which is the layout the matrix products produce and the next
convolution reads without a transpose.
"""

import numpy as np

from gan.device import array_module, as_strided
from gan.nn.init import init_weight
from gan.nn.layers import Layer


def conv_output_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """Output side of a convolution: floor((size + 2 padding - kernel) / stride) + 1."""
    return (size + 2 * padding - kernel) // stride + 1


class BufferPool:
    """Scratch arrays by role, shape and dtype, at most ``size`` shapes per
    role.  A GAN step alternates two batch sizes (D's joint real + fake pass,
    G's pass), so two buffers per role are reused for the whole run and memory
    stays bounded.  New buffers start zeroed: a role that writes only part of
    its buffer keeps zeros in the rest."""

    def __init__(self, size: int = 2):
        self.size, self.roles = size, {}

    def get(self, role: str, shape: tuple[int, ...], like: np.ndarray) -> np.ndarray:
        """The buffer of ``role`` and ``shape``, of the dtype and array module of ``like``."""
        arrays = self.roles.setdefault(role, {})
        xp = array_module(like)
        key = (shape, like.dtype)
        if key not in arrays or array_module(arrays[key]) is not xp:
            if len(arrays) >= self.size:
                arrays.pop(next(iter(arrays)))  # the oldest shape
            arrays[key] = xp.zeros(shape, dtype=like.dtype)
        return arrays[key]


class Windows:
    """Where the k x k, stride s windows of a convolution over (N, C, H, W)
    images with zero padding p lie, in the flat layout of im2col's columns.

    The padded image is stored as s x s phases, canvas[u, v, c, n] holding
    padded rows u, u + s, ... and columns v, v + s, ... (zeros around the
    image), each phase ``row`` = ceil((W + 2p) / s) wide.  Sample n's output
    pixel (i, j) is column n L + i ``row`` + j, so kernel offset (a, b) reads
    padded[s i + a, s j + b] = phase (a % s, b % s) at (i + a // s, j + b // s):
    for all L = OH ``row`` columns of the sample, one contiguous run of that
    flat phase.  Columns j >= OW of each output row are wasted work: im2col
    fills them with whatever the run holds, callers crop them from outputs and
    keep them 0 in gradients (``spread``), so col2im adds nothing through them.
    The phases have rows enough for the last run.
    """

    def __init__(self, shape: tuple[int, int, int, int], kernel: int, stride: int, padding: int):
        self.n, self.c, self.h, self.w = shape
        self.kernel, self.stride, self.padding = kernel, stride, padding
        self.oh, self.ow = (conv_output_size(size, kernel, stride, padding) for size in (self.h, self.w))
        if self.oh < 1 or self.ow < 1:
            raise ValueError(f"a {kernel}x{kernel} kernel does not fit a {self.h}x{self.w} image "
                             f"with padding {padding}")
        self.row = -(-(self.w + 2 * padding) // stride)  # output columns per output row, wasted ones included
        self.length = self.oh * self.row                 # L: columns per sample
        reach = (kernel - 1) // stride                   # phase rows and columns a window spans, less one
        last = reach * (self.row + 1) + self.length - 1  # the largest flat phase index read
        rows = max(-(-(self.h + 2 * padding) // stride), last // self.row + 1)
        self.canvas_shape = (stride, stride, self.c, self.n, rows, self.row)

    def _runs(self):
        """(a, b, u, v, run): for each kernel offset (a, b), its phase (u, v) and flat run."""
        s = self.stride
        for a in range(self.kernel):
            for b in range(self.kernel):
                start = a // s * self.row + b // s
                yield a, b, a % s, b % s, slice(start, start + self.length)

    def _phases(self):
        """(u, v, image index, phase index): the image pixels in phase (u, v) and where they lie in it."""
        s, p = self.stride, self.padding
        for u in range(s):
            for v in range(s):
                h0, w0 = (u - p) % s, (v - p) % s        # the first image row / column in this phase
                nh, nw = len(range(h0, self.h, s)), len(range(w0, self.w, s))
                q, r = (h0 + p) // s, (w0 + p) // s
                yield u, v, (slice(h0, None, s), slice(w0, None, s)), (slice(q, q + nh), slice(r, r + nw))

    def im2col(self, x: np.ndarray, pool: BufferPool) -> np.ndarray:
        """(N, C, H, W) -> (C*k*k, N*L), rows ordered channel, kernel row,
        kernel column; the result is a buffer of ``pool``."""
        canvas = pool.get("canvas", self.canvas_shape, x)  # its padding stays 0: only the image is written
        image = x.transpose(1, 0, 2, 3)
        for u, v, pixels, place in self._phases():
            canvas[u, v][(..., *place)] = image[(..., *pixels)]
        flat, k = canvas.reshape(self.canvas_shape[:4] + (-1,)), self.kernel
        cols = pool.get("cols", (self.c * k * k, self.n * self.length), x)
        if k % self.stride == 0:  # every window at once: one copy
            self._blocks(cols)[...] = self._all_runs(flat)
            return cols
        blocks = cols.reshape(self.c, k, k, self.n, self.length)
        for a, b, u, v, run in self._runs():
            blocks[:, a, b] = flat[u, v, :, :, run]
        return cols

    def col2im(self, cols: np.ndarray, pool: BufferPool) -> np.ndarray:
        """Adjoint of ``im2col``: add the columns of (C*k*k, N*L) ``cols`` back
        onto their windows; returns the image part of the sum, (N, C, H, W)."""
        canvas = pool.get("sums", self.canvas_shape, cols)
        canvas.fill(0)
        flat, k, s = canvas.reshape(self.canvas_shape[:4] + (-1,)), self.kernel, self.stride
        if k % s == 0:  # the offsets (a, b) of one (a // s, b // s) lie in different phases: one add for them all
            blocks = self._blocks(cols)
            for a, b in np.ndindex(k // s, k // s):
                start = a * self.row + b
                flat[..., start:start + self.length] += blocks[:, a, :, b].transpose(1, 2, 0, 3, 4)
        else:
            blocks = cols.reshape(self.c, k, k, self.n, self.length)
            for a, b, u, v, run in self._runs():
                flat[u, v, :, :, run] += blocks[:, a, b]
        image = array_module(cols).empty((self.c, self.n, self.h, self.w), dtype=cols.dtype)
        for u, v, pixels, place in self._phases():
            image[(..., *pixels)] = canvas[u, v][(..., *place)]
        return image.transpose(1, 0, 2, 3)

    def _blocks(self, cols: np.ndarray) -> np.ndarray:
        """(C*k*k, N*L) columns as (C, k / s, s, k / s, s, N, L): kernel row a = s a' + u, column b = s b' + v."""
        k, s = self.kernel, self.stride
        return cols.reshape(self.c, k // s, s, k // s, s, self.n, self.length)

    def _all_runs(self, flat: np.ndarray) -> np.ndarray:
        """Every window's run of the flat phases (s, s, C, N, rows * row) as
        one (C, k / s, s, k / s, s, N, L) view, to read: offset (a, b) of
        channel c, sample n reads phase (u, v) from a' row + b' on."""
        k, s, size = self.kernel, self.stride, flat.itemsize
        phase_u, phase_v, channel, sample, _ = flat.strides
        return as_strided(flat, (self.c, k // s, s, k // s, s, self.n, self.length),
                          (channel, self.row * size, phase_u, size, phase_v, sample, size))

    def outputs(self, rows: np.ndarray) -> np.ndarray:
        """(C', N*L) rows, one per output channel -> the (N, C', OH, OW) output pixels (a view)."""
        return rows.reshape(len(rows), self.n, self.oh, self.row)[..., :self.ow].transpose(1, 0, 2, 3)

    def spread(self, y: np.ndarray, pool: BufferPool, role: str) -> np.ndarray:
        """(N, C', OH, OW) -> (C', N*L), the wasted columns 0: a buffer of ``pool``."""
        rows = pool.get(role, (y.shape[1], self.n * self.length), y)  # wasted columns are never written
        self.outputs(rows)[...] = y
        return rows


class Conv2d(Layer):
    """y[n, o] = b[o] + sum_c W[o, c] (*) x[n, c] (cross-correlation), square
    kernel, stride and zero padding.  x: (N, C_in, H, W) -> (N, C_out, OH, OW),
    OH = floor((H + 2 padding - kernel) / stride) + 1.  W: (C_out, C_in, k, k).
    ``windows`` is the geometry of the last forward (its output size included)."""

    def __init__(self, in_channels: int, out_channels: int, kernel: int, rng: np.random.Generator,
                 stride: int = 1, padding: int = 0, init: str = "normal", scale: float = 0.02, dtype=np.float32):
        super().__init__()
        self.kernel, self.stride, self.padding = kernel, stride, padding
        fans = (in_channels * kernel * kernel, out_channels * kernel * kernel)
        self._add_param("W", init_weight(init, (out_channels, in_channels, kernel, kernel), rng, scale, dtype, fans))
        self._add_param("b", np.zeros(out_channels, dtype=dtype))
        self._pool = BufferPool()  # scratch arrays, reused across calls

    def forward(self, x):
        self.windows = Windows(x.shape, self.kernel, self.stride, self.padding)
        self._cols = self.windows.im2col(x, self._pool)
        y = self.params["W"].reshape(len(self.params["W"]), -1) @ self._cols  # (C_out, N*L)
        y += self.params["b"][:, None]
        return self.windows.outputs(y).copy(order="K")  # compact: the next layers' passes run faster

    def backward(self, dy, param_grads=True, input_grad=True):
        windows = self.windows
        rows = windows.spread(dy, self._pool, "dy")  # (C_out, N*L)
        if param_grads:
            self.grads["W"] += (self._cols @ rows.T).T.reshape(self.params["W"].shape)  # this order runs faster in BLAS
            self.grads["b"] += rows.sum(axis=1)
        if not input_grad:
            return None
        weight = self.params["W"].reshape(len(rows), -1)
        cols = self._pool.get("dcols", self._cols.shape, rows)
        return windows.col2im(array_module(rows).matmul(weight.T, rows, out=cols), self._pool)


class ConvTranspose2d(Layer):
    """The adjoint (gradient) of Conv2d with the same kernel, stride and padding,
    plus a bias: x: (N, C_in, H, W) -> (N, C_out, OH, OW),
    OH = (H - 1) stride - 2 padding + kernel + output_padding.  W: (C_in, C_out, k, k),
    as in PyTorch, so ``ConvTranspose2d`` with Conv2d's W computes conv's input gradient.
    ``windows`` is the geometry of the last forward: the windows of the output,
    one per input pixel."""

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
        self._pool = BufferPool()  # scratch arrays, reused across calls

    def output_size(self, size: int) -> int:
        return (size - 1) * self.stride - 2 * self.padding + self.kernel + self.output_padding

    def forward(self, x):
        n, ci, h, w = x.shape
        co = self.params["W"].shape[1]
        # the output's convolution windows: one per input pixel (the output padding starts none)
        self.windows = Windows((n, co, self.output_size(h), self.output_size(w)), self.kernel, self.stride,
                                self.padding)
        self._rows = self.windows.spread(x, self._pool, "x")  # (C_in, N*L)
        # scratch shared with backward's im2col ("cols"): each is dead once col2im / the products have read it
        cols = self._pool.get("cols", (co * self.kernel ** 2, self._rows.shape[1]), x)
        xp = array_module(x)
        y = self.windows.col2im(xp.matmul(self.params["W"].reshape(ci, -1).T, self._rows, out=cols), self._pool)
        y += self.params["b"][:, None, None]
        return y

    def backward(self, dy, param_grads=True, input_grad=True):
        cols = self.windows.im2col(dy, self._pool)  # (C_out*k*k, N*L)
        if param_grads:
            self.grads["W"] += (cols @ self._rows.T).T.reshape(self.params["W"].shape)
            self.grads["b"] += dy.sum(axis=(0, 2, 3))
        if not input_grad:
            return None
        return self.windows.outputs(self.params["W"].reshape(len(self._rows), -1) @ cols)
