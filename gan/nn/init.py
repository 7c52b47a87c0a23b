"""Weight initialisers.  Each draws from an explicit ``numpy.random.Generator``."""

import numpy as np

INITS = ("xavier", "he", "normal")


def init_weight(kind: str, shape: tuple[int, ...], rng: np.random.Generator,
                scale: float = 0.02, dtype=np.float32, fans: tuple[int, int] | None = None) -> np.ndarray:
    """A weight array of ``shape``; ``fans`` = (fan_in, fan_out), by default
    (shape[0], shape[-1]) as for a (fan_in, fan_out) matrix.

    * ``xavier``: Glorot uniform, U(-a, a) with a = sqrt(6 / (fan_in + fan_out));
    * ``he``: He normal, N(0, 2 / fan_in);
    * ``normal``: N(0, scale^2).
    """
    fan_in, fan_out = fans or (shape[0], shape[-1])
    if kind == "xavier":
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        w = rng.uniform(-limit, limit, size=shape)
    elif kind == "he":
        w = rng.normal(0.0, np.sqrt(2.0 / fan_in), size=shape)
    elif kind == "normal":
        w = rng.normal(0.0, scale, size=shape)
    else:
        raise ValueError(f"unknown init {kind!r}; choose one of {', '.join(INITS)}")
    return w.astype(dtype)
