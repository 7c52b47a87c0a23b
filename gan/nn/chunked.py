"""Memory-bound elementwise updates over many arrays (Adam's, the weight
average's), run slice by slice: ``CHUNK`` elements at a time, so the
temporaries stay in cache and each array is read and written once per update,
spread over the thread pool (NumPy releases the GIL).  The result does not
depend on the split."""

from collections.abc import Callable, Sequence

import numpy as np

from gan.device import array_module
from gan.threads import WORKERS, run_parallel

CHUNK = 1 << 17


class ChunkedUpdate:
    """``arrays``: tuples of same-sized arrays (for Adam (p, g, m, v) of each
    parameter).  ``run(func)`` calls ``func(slices, scratch)`` once per
    worker, where ``slices`` is that worker's list of tuples of flat views of
    at most ``CHUNK`` elements and ``scratch`` a float buffer of ``CHUNK``
    elements to use as a temporary.  Models smaller than two chunks run on
    the calling thread: handing them to the pool costs more than it saves.
    Device arrays are not split: one slice per array, on the calling thread
    (a GPU runs each whole-array pass as one kernel)."""

    def __init__(self, arrays: Sequence[tuple[np.ndarray, ...]]):
        xp = array_module(*[group[0] for group in arrays])
        chunk = CHUNK if xp is np else max([group[0].size for group in arrays], default=1)
        slices = [tuple(a.reshape(-1)[i:i + chunk] for a in group)
                  for group in arrays for i in range(0, group[0].size, chunk)]
        chunks = sum(group[0].size for group in arrays) // chunk if xp is np else 0
        workers = max(1, min(WORKERS, chunks))
        self.groups = [slices[i::workers] for i in range(workers)]
        dtype = np.result_type(*[group[0].dtype for group in arrays]) if arrays else np.float32
        self.scratch = [xp.empty(chunk, dtype=dtype) for _ in self.groups]

    def run(self, func: Callable[[list[tuple[np.ndarray, ...]], np.ndarray], None]) -> None:
        run_parallel(func, self.groups, self.scratch)
