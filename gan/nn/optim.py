"""Optimisers that update (parameter, gradient) pairs in place and carry their
own state, which ``state_dict``/``load_state_dict`` save and restore."""

import numpy as np

from gan.device import array_module, to_device
from gan.nn.chunked import ChunkedUpdate
from gan.nn.flat import zeros_like_each
from gan.nn.kernel import Kernel


class Optimizer:
    """Base: holds the (param, grad) pairs of one model."""

    def __init__(self, parameters: list[tuple[np.ndarray, np.ndarray]], lr: float):
        self.parameters = list(parameters)
        self.lr = lr

    def step(self) -> None:
        raise NotImplementedError

    def end_epoch(self, epoch: int) -> None:
        """Hook called after each epoch (0-based); learning-rate schedules live here."""

    def state_dict(self) -> dict[str, np.ndarray]:
        raise NotImplementedError

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        raise NotImplementedError

    def _load_slots(self, state: dict, slots: dict[str, list[np.ndarray]]) -> None:
        for name, arrays in slots.items():
            for i, target in enumerate(arrays):
                key = f"{name}.{i}"
                if key not in state or state[key].shape != target.shape:
                    raise ValueError(f"optimiser state {key!r} is missing or has the wrong shape")
                target[...] = to_device(state[key], array_module(target))


class SGD(Optimizer):
    """v = momentum * v - lr * g;  p += v.

    With ``decay`` > 0 the learning rate follows the step decay of the vanilla
    NumPy GAN, applied after each epoch: lr_t = lr_{t-1} / (1 + decay * epoch).
    The update runs chunk by chunk (``gan.nn.chunked``).
    """

    def __init__(self, parameters, lr: float, momentum: float = 0.0, decay: float = 0.0):
        super().__init__(parameters, lr)
        self.momentum, self.decay = momentum, decay
        self.velocity = zeros_like_each([p for p, _ in self.parameters])
        self._chunks = ChunkedUpdate([(p, g, v) for (p, g), v in zip(self.parameters, self.velocity)])

    def step(self):
        self._chunks.run(_sgd_update, SGD_KERNEL, momentum=self.momentum, lr=self.lr)

    def end_epoch(self, epoch):
        self.lr = self.lr / (1 + self.decay * epoch)

    def state_dict(self):
        return {"lr": np.float64(self.lr)} | {f"velocity.{i}": v for i, v in enumerate(self.velocity)}

    def load_state_dict(self, state):
        self._load_slots(state, {"velocity": self.velocity})
        self.lr = float(state["lr"])


def _sgd_update(slices, scratch, momentum, lr) -> None:
    """The SGD update on (p, g, v) slices, in place."""
    for p, g, v in slices:
        tmp = scratch[:p.size]
        array_module(p).multiply(g, lr, out=tmp)
        v *= momentum
        v -= tmp
        p += v


SGD_KERNEL = Kernel("sgd", ("p", "g", "v"), ("p", "v"), "T momentum, T lr", "v = momentum * v - lr * g; p += v;")


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015) with bias correction, updating in place:

    m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
    p -= lr * m_hat / (sqrt(v_hat) + eps), written as
    p -= lr_t * m / (sqrt(v) + eps_t), lr_t = lr sqrt(1 - b2^t) / (1 - b1^t),
    eps_t = eps sqrt(1 - b2^t), which is the same update exactly.

    The update is elementwise and memory-bound: it runs chunk by chunk
    (``gan.nn.chunked``).
    """

    def __init__(self, parameters, lr: float = 1e-3, beta1: float = 0.9,
                 beta2: float = 0.999, eps: float = 1e-8):
        super().__init__(parameters, lr)
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.t = 0
        self.m = zeros_like_each([p for p, _ in self.parameters])
        self.v = zeros_like_each([p for p, _ in self.parameters])
        self._chunks = ChunkedUpdate([(p, g, m, v) for (p, g), m, v in zip(self.parameters, self.m, self.v)])

    def step(self):
        self.t += 1
        root = np.sqrt(1 - self.beta2 ** self.t)  # float64 scalars, as ADAM_KERNEL declares them
        lr_t, eps_t = np.float64(self.lr * root / (1 - self.beta1 ** self.t)), np.float64(self.eps * root)
        self._chunks.run(_adam_update, ADAM_KERNEL, m_rate=1 - self.beta1, v_rate=1 - self.beta2,
                         lr_t=lr_t, eps_t=eps_t)

    def state_dict(self):
        slots = {f"m.{i}": m for i, m in enumerate(self.m)} | {f"v.{i}": v for i, v in enumerate(self.v)}
        return {"t": np.int64(self.t)} | slots

    def load_state_dict(self, state):
        self._load_slots(state, {"m": self.m, "v": self.v})
        self.t = int(state["t"])


def _adam_update(slices, scratch, m_rate, v_rate, lr_t, eps_t) -> None:
    """The Adam update on (p, g, m, v) slices, in place, 10 ufunc passes each
    (``m_rate`` = 1 - beta1, ``v_rate`` = 1 - beta2)."""
    for p, g, m, v in slices:
        tmp, xp = scratch[:p.size], array_module(p)
        xp.subtract(g, m, out=tmp)          # m += (1 - b1)(g - m)
        tmp *= m_rate
        m += tmp
        xp.multiply(g, g, out=tmp)          # v += (1 - b2)(g^2 - v)
        tmp -= v
        tmp *= v_rate
        v += tmp
        xp.sqrt(v, out=tmp)                 # p -= lr_t m / (sqrt(v) + eps_t)
        tmp += eps_t
        xp.divide(m, tmp, out=tmp)
        tmp *= lr_t
        p -= tmp


ADAM_KERNEL = Kernel(  # lr_t and eps_t are float64, as in the ufunc form, which rounds after each use
    "adam", ("p", "g", "m", "v"), ("p", "m", "v"), "T m_rate, T v_rate, float64 lr_t, float64 eps_t",
    "m += m_rate * (g - m); v += v_rate * (g * g - v); p -= T(lr_t * (m / T(T(sqrt(v)) + eps_t)));")
