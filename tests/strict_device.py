"""A strict stand-in for a GPU's array module, on the host, to catch GPU bugs
without a GPU.  ``StrictArray`` behaves as CuPy's arrays do where it matters:
any operation that mixes it with a NumPy array is refused (``MixedArrays``),
reductions return 0-d device arrays, an element ``a[i]`` is a 0-d view of
``a`` (not a copy), and every conversion to the host
(``float``, ``bool``, ``item``, ``get``) is counted in ``StrictArray.to_host``.
``strict`` is its module (``xp``): NumPy's functions on unwrapped arrays,
results wrapped; ``asarray`` and ``array`` are the host-to-device copies, and
``ElementwiseKernel`` runs a kernel's body (``gan.nn.kernel.Kernel``:
arithmetic that reads the same in C++ and Python) through NumPy on whole
arrays."""

from types import SimpleNamespace

import numpy as np

from gan.device import DEVICE_MODULES
from gan.nn.kernel import HOST_NAMES


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


class ElementwiseKernel:
    """CuPy's ``ElementwiseKernel(in_params, out_params, operation, name,
    preamble, options)``: called with the inputs, then the outputs (those
    left out are made, C-ordered, of the inputs' broadcast shape); returns
    the outputs (a tuple if several).  Arrays are ``T``, device arrays of one
    dtype; each scalar must come as its declared type (``T`` or a dtype name
    such as ``float64``).  The body runs through NumPy with the functions of
    ``gan.nn.kernel.HOST_NAMES``."""
    launches = 0  # kernel calls so far, all kernels together

    def __init__(self, in_params: str, out_params: str, operation: str, name: str, *, preamble="", options=()):
        def declared(params):
            pairs = [p.split() for p in params.split(",") if p.strip()]
            assert all(len(p) == 2 for p in pairs), f"{name}: parameters are 'type name'"
            return {p[1]: p[0] for p in pairs}
        self.inputs, self.outputs = declared(in_params), declared(out_params)
        assert set(self.outputs.values()) == {"T"}, f"{name}: outputs are T arrays"
        self.operation, self.name = operation, name

    def __call__(self, *args):
        params = self.inputs | self.outputs
        assert len(args) in (len(self.inputs), len(params)), f"{self.name}: {len(args)} arguments for {len(params)}"
        arrays = [a for a in args if isinstance(a, np.ndarray)]
        dtype, shape = arrays[0].dtype, np.broadcast_shapes(*[a.shape for a in arrays])
        args = (*args, *[np.empty(shape, dtype).view(StrictArray) for _ in range(len(params) - len(args))])
        scope = HOST_NAMES | {"T": dtype.type, "__builtins__": {}}  # only what a CUDA body may call
        for (name, kind), value in zip(params.items(), args):
            if isinstance(value, np.ndarray):
                _unwrap(value, self.name)  # a NumPy array is refused
                assert kind == "T" and value.dtype == dtype, f"{self.name}: {name}"
                scope[name] = value.view(np.ndarray)
            else:
                expected = dtype.type if kind == "T" else np.dtype(kind).type
                assert type(value) is expected, f"{self.name}: scalar {name} is {type(value).__name__}"
                scope[name] = value
        outputs = {name: scope[name] for name in self.outputs}
        assert all(target.shape == shape for target in outputs.values()), f"{self.name}: outputs of shape {shape}"
        exec(self.operation, scope)
        for name, target in outputs.items():
            if scope[name] is not target:  # 'x = ...' rebinds where C would write the element
                target[...] = scope[name]
        ElementwiseKernel.launches += 1
        written = tuple(target.view(StrictArray) for target in outputs.values())
        return written if len(written) > 1 else written[0]


def _as_strided(x, shape=None, strides=None):
    """``cupy.lib.stride_tricks.as_strided``: a view of a device array, on the device."""
    return np.lib.stride_tricks.as_strided(_unwrap(x, "as_strided"), shape, strides).view(StrictArray)


class _StrictModule:
    """``xp`` for StrictArray: numpy's names, with arrays unwrapped and results wrapped."""
    __name__ = "strict"
    ndarray = StrictArray
    ElementwiseKernel = ElementwiseKernel
    lib = SimpleNamespace(stride_tricks=SimpleNamespace(as_strided=_as_strided))

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
