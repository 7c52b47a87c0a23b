"""A strict stand-in for a GPU's array module, on the host, to catch GPU bugs
without a GPU.  ``StrictArray`` behaves as CuPy's arrays do where it matters:
any operation that mixes it with a NumPy array is refused (``MixedArrays``),
reductions return 0-d device arrays, an element ``a[i]`` is a 0-d view of
``a`` (not a copy), and every conversion to the host
(``float``, ``bool``, ``item``, ``get``) is counted in ``StrictArray.to_host``.
``strict`` is its module (``xp``): NumPy's functions on unwrapped arrays,
results wrapped; ``asarray`` and ``array`` are the host-to-device copies."""

import numpy as np

from gan.device import DEVICE_MODULES


class MixedArrays(TypeError):
    """A host (NumPy) array met a device array."""


def _unwrap(value, where: str):
    if isinstance(value, StrictArray):
        return value.view(np.ndarray)
    if isinstance(value, np.ndarray):
        raise MixedArrays(f"{where}: a NumPy array of shape {value.shape} mixed with device arrays")
    if isinstance(value, list | tuple):
        return type(value)(_unwrap(v, where) for v in value)
    return value


def _wrap(value):
    if isinstance(value, np.ndarray):
        return value.view(StrictArray)
    if isinstance(value, np.generic):  # a device reduction stays on the device
        return np.asarray(value).view(StrictArray)
    if isinstance(value, tuple):
        return tuple(_wrap(v) for v in value)
    return value


class StrictArray(np.ndarray):
    to_host = 0  # conversions to the host so far, all arrays together

    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        where = f"{ufunc.__name__}.{method}"
        if out is not None:
            kwargs["out"] = tuple(_unwrap(o, where) for o in out)
        result = getattr(ufunc, method)(*(_unwrap(x, where) for x in inputs), **kwargs)
        if out is not None:
            return out[0] if len(out) == 1 else out
        return _wrap(result)

    def __array_function__(self, func, types, args, kwargs):
        where = func.__name__
        result = func(*_unwrap(args, where), **{k: _unwrap(v, where) for k, v in kwargs.items()})
        return _wrap(result)

    def __getitem__(self, key):
        key = _unwrap(key, "indexing")
        if all(isinstance(k, int | np.integer) for k in (key if isinstance(key, tuple) else (key,))):
            key = (*(key if isinstance(key, tuple) else (key,)), Ellipsis)  # an element is a 0-d view, as in CuPy
        return _wrap(np.ndarray.__getitem__(self.view(np.ndarray), key))

    def __setitem__(self, key, value):
        np.ndarray.__setitem__(self.view(np.ndarray), _unwrap(key, "indexing"), _unwrap(value, "assignment"))

    def _host(self):
        StrictArray.to_host += 1
        return self.view(np.ndarray)

    def __float__(self):
        return float(self._host())

    def __int__(self):
        return int(self._host())

    def __bool__(self):
        return bool(self._host())

    def item(self, *args):
        return self._host().item(*args)

    def tolist(self):
        return self._host().tolist()

    def get(self):
        """A NumPy copy, as ``cupy.ndarray.get``."""
        return self._host().copy()


class _StrictModule:
    """``xp`` for StrictArray: numpy's names, with arrays unwrapped and results wrapped."""
    __name__ = "strict"
    ndarray = StrictArray

    def __getattr__(self, name):
        value = getattr(np, name)
        if not callable(value) or isinstance(value, type):
            return value  # dtypes, constants

        def call(*args, **kwargs):
            if name in ("asarray", "array"):  # the host-to-device copy
                args = (args[0].view(np.ndarray) if isinstance(args[0], StrictArray) else args[0], *args[1:])
                return np.array(*args, **kwargs).view(StrictArray)
            return _wrap(value(*_unwrap(args, name), **{k: _unwrap(v, name) for k, v in kwargs.items()}))
        return call


strict = _StrictModule()
DEVICE_MODULES[StrictArray] = strict
