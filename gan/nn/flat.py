"""A model's arrays as views of one flat buffer, on a GPU.

An elementwise update of every parameter (Adam's, SGD's, the weight
average's) and the zeroing of every gradient would be one kernel launch per
array on a GPU, and at small batches the launches are the step's time.
``Sequential.to`` packs a network's parameters and its gradients, and the
optimisers their slots (Adam's m and v), each kind into one buffer, in the
order of ``Sequential.parameters``: then ``joined`` sees each kind as one
flat array and the update is one launch.  Only on a device that fuses
kernels (``gan.nn.kernel.fuses``): on the host each array stays its own, as
built.  The numbers do not change, only how many arrays an update is
handed.

Each view starts a multiple of ``ALIGN`` bytes from the buffer's start (GPU
allocations are aligned to more), so matrix products get aligned matrices.
The gaps between views hold zeros in every kind of buffer, and the updates
keep them zero (Adam, SGD and the average all map zeros to zeros).
"""

from gan.device import address, allocation, array_module, as_strided
from gan.nn.kernel import fuses

ALIGN = 256  # bytes


def _starts(arrays: list) -> list[int]:
    """Where each of ``arrays`` starts in its packed buffer and where the last ends, in elements."""
    step, start, starts = ALIGN // arrays[0].itemsize, 0, []
    for array in arrays:
        starts.append(start)
        start = -(-(start + array.size) // step) * step
    return starts + [starts[-1] + arrays[-1].size]


def packed_zeros(arrays: list, xp) -> list:
    """Zero arrays shaped like ``arrays`` (of one dtype), as C-ordered views
    of one new zeroed flat buffer of the array module ``xp``, in order, each
    aligned."""
    starts = _starts(arrays)
    flat = xp.zeros(starts[-1], dtype=arrays[0].dtype)
    return [flat[start:start + a.size].reshape(a.shape) for start, a in zip(starts, arrays)]


def _packable(arrays: list) -> bool:
    return bool(arrays) and len({a.dtype for a in arrays}) == 1


def pack(arrays: list, xp) -> list:
    """Copies of ``arrays`` laid out as ``packed_zeros`` lays them out;
    ``arrays`` itself when they differ in dtype or there are none."""
    if not _packable(arrays):
        return arrays
    views = packed_zeros(arrays, xp)
    for view, array in zip(views, arrays):
        view[...] = array
    return views


def zeros_like_each(arrays: list) -> list:
    """A zero array shaped like each of ``arrays`` (an optimiser's slots): on
    a device that fuses kernels, packed into one buffer."""
    xp = array_module(*arrays)
    if fuses(xp) and _packable(arrays):
        return packed_zeros(arrays, xp)
    return [xp.zeros_like(a) for a in arrays]


def joined(arrays: list):
    """``arrays`` as one flat array over their buffer (a view, written
    through; the gaps included) when they lie in it where ``pack`` puts them:
    C-contiguous, one dtype, one allocation, in order.  Else None."""
    if not arrays or not all(a.flags.c_contiguous and a.dtype == arrays[0].dtype for a in arrays):
        return None
    first, owner = address(arrays[0]), allocation(arrays[0])
    starts = _starts(arrays)
    if any(allocation(a) is not owner or address(a) != first + start * a.itemsize
           for start, a in zip(starts, arrays)):
        return None
    return as_strided(arrays[0], (starts[-1],), (arrays[0].itemsize,))
