"""Elementwise work written once more as one GPU kernel.

On the host each update, activation or loss runs as NumPy ufunc passes,
which is the definition the lab reads.  On a GPU each pass would be a kernel
launch, and at small batches the launches are the step's time: there the
same arithmetic, written as a ``Kernel`` body, runs as one CuPy
``ElementwiseKernel``.  A body reads the same in C++ and in Python (the tests
run it through NumPy with ``HOST_NAMES``, tests/strict_device.py), rounds
where the ufunc form rounds and compiles without contracting a * b + c into
one FMA, so it computes the ufunc form's numbers; a GPU test compares each
body with its ufunc form on CuPy (exactly, or to a few ulp where ``exp``
and ``log1p`` are called).
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np

from gan.device import array_module

PREAMBLE = "template <typename T> __device__ T where(bool c, T a, T b) { return c ? a : b; }\n"
HOST_NAMES = {  # the functions a body may call, as NumPy runs them
    "sqrt": np.sqrt, "exp": np.exp, "log1p": np.log1p, "fabs": np.fabs, "max": np.maximum, "where": np.where}


@dataclass(frozen=True)
class Kernel:
    """Elementwise arithmetic as one kernel.  ``arrays`` names its arrays,
    ``written`` those it writes (a written array that is not passed in is
    made, of the inputs' shape), ``scalars`` its scalar parameters in CuPy's
    syntax (``T x`` for the arrays' dtype, ``float64 x``; "" for none), and
    ``body`` the work on one element: assignments of arithmetic, comparisons,
    casts ``T(...)`` and calls of ``HOST_NAMES`` (``where(c, a, b)`` is c ?
    a : b).  A written array may hold a temporary before its value."""
    name: str
    arrays: tuple[str, ...]
    written: tuple[str, ...]
    scalars: str
    body: str

    @property
    def read(self) -> tuple[str, ...]:
        return tuple(name for name in self.arrays if name not in self.written)

    @property
    def scalar_kinds(self) -> dict[str, str]:
        """Each scalar's name -> its declared type ('T' or a NumPy dtype name), in order."""
        return dict(reversed(param.split()) for param in self.scalars.split(",") if param.strip())

    def scalar_values(self, dtype: np.dtype, scalars: dict[str, float]) -> list:
        """``scalars`` in this kernel's order, each as its declared type (``T``: ``dtype``)."""
        return [(dtype.type if kind == "T" else np.dtype(kind).type)(scalars[name])
                for name, kind in self.scalar_kinds.items()]


def fuses(xp) -> bool:
    """Whether the array module ``xp`` compiles elementwise kernels (CuPy does; NumPy runs ufunc passes)."""
    return hasattr(xp, "ElementwiseKernel")


@cache
def compiled(kernel: Kernel, xp):
    """``kernel`` as ``xp.ElementwiseKernel``: read arrays, scalars, then the
    written arrays (compiled once per dtype, without FMA contraction)."""
    inputs = [f"T {name}" for name in kernel.read] + ([kernel.scalars] if kernel.scalar_kinds else [])
    return xp.ElementwiseKernel(", ".join(inputs), ", ".join(f"T {name}" for name in kernel.written),
                                kernel.body, f"gan_{kernel.name}", preamble=PREAMBLE, options=("--fmad=false",))


def elementwise(kernel: Kernel, ufunc_form: Callable, *arrays, out: tuple = (), **scalars):
    """``ufunc_form(*arrays, *out, **scalars)`` on the host; on a device that
    fuses, ``kernel`` in one launch over ``arrays`` (its read arrays, in
    order, that broadcast against ``arrays[0]``).  Both return the written
    arrays (a tuple if several): ``out``, updated in place, when given (all
    of them), else new ones of ``arrays[0]``'s shape, in its memory order
    when that is a permutation of a C order (a channel-major view stays one:
    the next layer reads it as such)."""
    xp = array_module(*arrays)
    if not fuses(xp):
        return ufunc_form(*arrays, *out, **scalars)
    first = arrays[0]
    values = kernel.scalar_values(first.dtype, scalars)
    order = None if out else _memory_order(first)
    if order is None:
        return compiled(kernel, xp)(*arrays, *values, *out)
    # run over the memory order, every array brought to first's rank, then turn the outputs back
    arrays = tuple(a.reshape((1,) * (first.ndim - a.ndim) + a.shape).transpose(order) for a in arrays)
    written = compiled(kernel, xp)(*arrays, *values)
    back = tuple(order.index(axis) for axis in range(len(order)))
    return tuple(w.transpose(back) for w in written) if isinstance(written, tuple) else written.transpose(back)


def _memory_order(array) -> list[int] | None:
    """The axes of ``array`` outermost in memory first, when they differ from
    its own order and make it C-contiguous (a transposed array); else None."""
    if array.flags.c_contiguous:
        return None
    order = sorted(range(array.ndim), key=lambda axis: -abs(array.strides[axis]))
    return order if array.transpose(order).flags.c_contiguous else None
