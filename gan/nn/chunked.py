"""Memory-bound elementwise updates over many arrays (Adam's, SGD's, the
weight average's).  On the host each runs as NumPy ufunc passes, slice by
slice: ``CHUNK`` elements at a time, so the temporaries stay in cache and
each array is read and written once per update, spread over the thread pool
(NumPy releases the GIL).  On a GPU each ufunc pass would be a kernel launch,
and at small batches the launches are the step's time: there the same update,
written once more as a ``Kernel`` body (``gan.nn.kernel``), runs as one CuPy
``ElementwiseKernel`` per array, or one for all of them where they are
packed into one buffer (``gan.nn.flat``).  The result does not depend on the split."""

from collections.abc import Callable, Sequence
from functools import partial

import numpy as np

from gan.device import array_module
from gan.nn.flat import joined
from gan.nn.kernel import Kernel, compiled, fuses
from gan.threads import WORKERS, run_parallel

CHUNK = 1 << 17


class ChunkedUpdate:
    """``arrays``: tuples of same-sized arrays (for Adam (p, g, m, v) of each
    parameter).  ``run(func, kernel, **scalars)`` calls ``func(slices,
    scratch, **scalars)`` once per worker, where ``slices`` is that worker's
    list of tuples of flat views of at most ``CHUNK`` elements and
    ``scratch`` a float buffer of ``CHUNK`` elements to use as a temporary.
    Models smaller than two chunks run on the calling thread: handing them to
    the pool costs more than it saves.  Device arrays are not split: where
    their module compiles elementwise kernels (CuPy does) ``kernel`` runs
    once per array instead of ``func``, else ``func`` runs on one slice per
    array, on the calling thread; where each kind of array (all the p, all
    the g ...) is packed into one buffer (``gan.nn.flat``), ``kernel`` runs
    once over the buffers."""

    def __init__(self, arrays: Sequence[tuple[np.ndarray, ...]]):
        if not all(a.flags.c_contiguous for group in arrays for a in group):
            raise ValueError("a chunked update writes through flat views: its arrays must be C-contiguous")
        self.xp = xp = array_module(*[group[0] for group in arrays])
        self.fused = fuses(xp)
        flats = [joined(list(kind)) for kind in zip(*arrays)] if self.fused else []
        if flats and all(flat is not None and flat.size == flats[0].size for flat in flats):  # packed: one launch
            arrays = [tuple(flats)]
        chunk = CHUNK if xp is np else max([group[0].size for group in arrays], default=1)
        slices = [tuple(a.reshape(-1)[i:i + chunk] for a in group)
                  for group in arrays for i in range(0, group[0].size, chunk)]
        chunks = sum(group[0].size for group in arrays) // chunk if xp is np else 0
        workers = max(1, min(WORKERS, chunks))
        self.groups = [slices[i::workers] for i in range(workers)]
        self.dtype = np.result_type(*[group[0].dtype for group in arrays]) if arrays else np.float32
        self.scratch = [] if self.fused else [xp.empty(chunk, dtype=self.dtype) for _ in self.groups]

    def run(self, func: Callable[..., None], kernel: Kernel, **scalars: float) -> None:
        if not self.fused:
            run_parallel(partial(func, **scalars), self.groups, self.scratch)
            return
        launch, values = compiled(kernel, self.xp), kernel.scalar_values(self.dtype, scalars)
        for group in self.groups[0]:
            named = dict(zip(kernel.arrays, group, strict=True))
            launch(*[named[name] for name in kernel.read], *values, *[named[name] for name in kernel.written])
