"""Layers with explicit forward/backward; parameters and gradients side by side.

Every layer maps a batch ``x`` of shape (N, ...) to ``y`` and back:

* ``forward(x)`` caches what ``backward`` needs and returns ``y``;
* ``backward(dy, param_grads=True, input_grad=True)`` returns ``dx`` and,
  when ``param_grads`` is true, *adds* the parameter gradients into
  ``self.grads`` (call ``zero_grad`` first).  With ``param_grads=False`` only
  ``dx`` is computed, which is what the generator step needs when it
  back-propagates through the discriminator.  With ``input_grad=False`` a
  layer may skip ``dx`` and return None (the first layer of a network whose
  input is data or noise).

``params`` and ``grads`` are dicts with the same keys and shapes; ``buffers``
holds non-trained state (running statistics) that is saved with the model.
Gradients computed outside ``backward`` (the WGAN-GP penalty's) are added
with ``add_grad``.  Layers are built on the host and moved with ``to``; at
run time each takes its array module from its input (``gan.device``).
"""

import numpy as np

from gan.device import array_module, to_device
from gan.nn.init import init_weight
from gan.nn.kernel import Kernel, elementwise, fuses


class Layer:
    """Base class: no parameters, train mode on."""

    def __init__(self):
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.buffers: dict[str, np.ndarray] = {}
        self.training = True
        self._grads_zero = True  # grads hold zeros: Linear's backward may write instead of add

    def forward(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def backward(self, dy: np.ndarray, param_grads: bool = True, input_grad: bool = True) -> np.ndarray | None:
        raise NotImplementedError

    def _add_param(self, name: str, value: np.ndarray) -> None:
        self.params[name] = value
        self.grads[name] = np.zeros_like(value)

    def to(self, xp) -> "Layer":
        """Move parameters, gradients and buffers to the array module ``xp`` (numpy or cupy); returns self."""
        for arrays in (self.params, self.grads, self.buffers):
            arrays.update({k: to_device(v, xp) for k, v in arrays.items()})
        return self

    def zero_grad(self, fill: bool = True) -> None:
        """Set the gradients to zero; ``fill=False`` when the caller has
        already zeroed their arrays (one fill over a packed buffer)."""
        if fill:
            for g in self.grads.values():
                g.fill(0)
        self._grads_zero = True

    def add_grad(self, name: str, value: np.ndarray) -> None:
        """grads[name] += value, for a gradient computed outside ``backward``."""
        self.grads[name] += value
        self._grads_zero = False

    def __repr__(self) -> str:
        shapes = ", ".join(f"{k}{tuple(v.shape)}" for k, v in self.params.items())
        return f"{type(self).__name__}({shapes})"


class Linear(Layer):
    """y = x @ W + b.  x: (N, in_features) -> y: (N, out_features).

    ``init`` is one of ``gan.nn.init.INITS`` ('xavier', 'he', 'normal').
    """

    def __init__(self, in_features: int, out_features: int, rng: np.random.Generator,
                 init: str = "xavier", scale: float = 0.02, dtype=np.float32):
        super().__init__()
        self._add_param("W", init_weight(init, (in_features, out_features), rng, scale, dtype))
        self._add_param("b", np.zeros(out_features, dtype=dtype))
        self._x = None

    def forward(self, x):
        self._x = x
        y = x @ self.params["W"]
        y += self.params["b"]
        return y

    def backward(self, dy, param_grads=True, input_grad=True):
        if param_grads and self._grads_zero:   # first backward since zero_grad: no temporaries
            xp = array_module(dy)
            xp.matmul(self._x.T, dy, out=self.grads["W"])
            xp.sum(dy, axis=0, out=self.grads["b"])
            self._grads_zero = False
        elif param_grads:
            self.grads["W"] += self._x.T @ dy
            self.grads["b"] += dy.sum(axis=0)
        return dy @ self.params["W"].T if input_grad else None


class ReLU(Layer):
    """y = max(x, 0), elementwise."""

    def forward(self, x):
        y, self._mask = elementwise(RELU_KERNEL, _relu, x)
        return y

    def backward(self, dy, param_grads=True, input_grad=True):
        return dy * self._mask


def _relu(x):
    """(y, mask): mask = x > 0 (bool here; RELU_KERNEL writes it as 1s and 0s of x's dtype), y = x * mask."""
    mask = x > 0
    return x * mask, mask


RELU_KERNEL = Kernel("relu", ("x", "y", "mask"), ("y", "mask"), "", "mask = T(x > T(0)); y = x * mask;")


class LeakyReLU(Layer):
    """y = x for x > 0, alpha * x otherwise (0 <= alpha <= 1)."""

    def __init__(self, alpha: float = 0.2):
        super().__init__()
        if not 0 <= alpha <= 1:
            raise ValueError(f"leaky_relu alpha must be in [0, 1], got {alpha}")
        self.alpha = alpha

    def forward(self, x):
        y, self._slope = elementwise(LEAKY_RELU_KERNEL, _leaky_relu, x, alpha=self.alpha)
        return y

    def backward(self, dy, param_grads=True, input_grad=True):
        return dy * self._slope


def _leaky_relu(x, alpha):
    """(y, slope): slope = 1 where x > 0, else alpha; y = x * slope."""
    slope = (x > 0).astype(x.dtype)
    array_module(x).maximum(slope, x.dtype.type(alpha), out=slope)
    return x * slope, slope


LEAKY_RELU_KERNEL = Kernel("leaky_relu", ("x", "y", "slope"), ("y", "slope"), "T alpha",
                           "slope = max(T(x > T(0)), alpha); y = x * slope;")


class Tanh(Layer):
    """y = tanh(x), elementwise; dy/dx = 1 - y^2."""

    def forward(self, x):
        self._y = array_module(x).tanh(x)
        return self._y

    def backward(self, dy, param_grads=True, input_grad=True):
        return elementwise(TANH_GRAD_KERNEL, _tanh_grad, dy, self._y)


def _tanh_grad(dy, y):
    return dy * (1 - y * y)


TANH_GRAD_KERNEL = Kernel("tanh_grad", ("dy", "y", "dx"), ("dx",), "", "dx = dy * (T(1) - y * y);")


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic function without overflow: exp is only taken of -|x|."""
    return elementwise(SIGMOID_KERNEL, _sigmoid, x)


def _sigmoid(x):
    xp = array_module(x)
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1 / (1 + e), e / (1 + e))


SIGMOID_BODY = "y = exp(-fabs(x)); y = where(x >= T(0), T(1) / (T(1) + y), y / (T(1) + y));"  # y: a temporary first
SIGMOID_KERNEL = Kernel("sigmoid", ("x", "y"), ("y",), "", SIGMOID_BODY)


class Sigmoid(Layer):
    """y = 1 / (1 + exp(-x)), stable for any |x|; dy/dx = y (1 - y)."""

    def forward(self, x):
        self._y = sigmoid(x)
        return self._y

    def backward(self, dy, param_grads=True, input_grad=True):
        return elementwise(SIGMOID_GRAD_KERNEL, _sigmoid_grad, dy, self._y)


def _sigmoid_grad(dy, y):
    return dy * y * (1 - y)


SIGMOID_GRAD_KERNEL = Kernel("sigmoid_grad", ("dy", "y", "dx"), ("dx",), "", "dx = dy * y * (T(1) - y);")


class Dropout(Layer):
    """Inverted dropout: in train mode zero each unit with probability ``p`` and
    scale the survivors by 1 / (1 - p); identity in eval mode.

    The mask is drawn from ``rng`` (a ``numpy.random.Generator``), one draw
    per forward call, so a run is reproducible from its seed.
    """

    def __init__(self, p: float, rng: np.random.Generator):
        super().__init__()
        if not 0 <= p < 1:
            raise ValueError(f"dropout probability must be in [0, 1), got {p}")
        self.p = p
        self.rng = rng
        self._mask = None

    def forward(self, x):
        if not self.training or self.p == 0:
            self._mask = None
            return x
        xp = array_module(x)
        draws = self.rng.random(x.shape, dtype=np.float32)  # drawn on the host
        if fuses(xp):  # a kernel's arrays share one dtype; exact, and p stays float32 (DROPOUT_KERNEL)
            draws = draws.astype(x.dtype, copy=False)
        y, self._mask = elementwise(DROPOUT_KERNEL, _dropout, x, to_device(draws, xp), p=np.float32(self.p),
                                    scale=x.dtype.type(1 - self.p))
        return y

    def backward(self, dy, param_grads=True, input_grad=True):
        return dy if self._mask is None else dy * self._mask


def _dropout(x, draws, p, scale):
    """(y, mask): mask = (draws >= p) / scale, y = x * mask; ``draws``:
    uniform in [0, 1), float32 values; ``p``: a float32."""
    mask = (draws >= p).astype(x.dtype) / scale
    return x * mask, mask


DROPOUT_KERNEL = Kernel("dropout", ("x", "draws", "y", "mask"), ("y", "mask"), "float32 p, T scale",
                        "mask = T(draws >= p) / scale; y = x * mask;")


class Reshape(Layer):
    """(N, *in_shape) -> (N, *shape), e.g. Reshape(128, 7, 7) after a Linear of 6272 units."""

    def __init__(self, *shape: int):
        super().__init__()
        self.shape = shape

    def forward(self, x):
        self._in_shape = x.shape
        return x.reshape(len(x), *self.shape)

    def backward(self, dy, param_grads=True, input_grad=True):
        return dy.reshape(self._in_shape)


class Flatten(Reshape):
    """(N, C, H, W) -> (N, C*H*W)."""

    def __init__(self):
        super().__init__(-1)
