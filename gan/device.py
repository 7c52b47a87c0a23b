"""Where the arrays live: NumPy on the host (``cpu``) or CuPy, NumPy's API on
CUDA, on a GPU (``cuda``).

The layers, losses and optimisers are written once: each takes its array
module from its inputs (``array_module(x)``, as Chainer's
``get_array_module`` and DeZero's ``cuda.py`` do), so the same code runs on
either.  Networks are built on the host and moved with ``to_device``; what
goes to disk (checkpoints, snapshots, samples, the resume state) is brought
back with ``to_host``.  Randomness is drawn on the host from the run's seeded
``numpy.random.Generator`` and copied, so a CPU and a GPU run share one
random stream.

``DEVICE_MODULES`` maps an array type to its module: CuPy's is added when
``cuda`` is first asked for, and the tests add a strict host-side stand-in.
"""

import numpy as np

from gan.errors import GanError

DEVICES = ("cpu", "cuda")
DEVICE_MODULES: dict[type, object] = {}  # array type -> its NumPy-like module (numpy's is the default)


def array_module(*arrays):
    """The module (numpy, or the device's) of the first array in ``arrays`` that is not a NumPy array."""
    for array in arrays:
        for kind, module in DEVICE_MODULES.items():
            if isinstance(array, kind):
                return module
        if type(array).__module__.startswith("cupy"):  # made before device_module('cuda') was asked
            return device_module("cuda")
    return np


def device_module(device: str, where: str = "device"):
    """numpy for 'cpu'; for 'cuda', cupy once it is known to reach a GPU,
    else a GanError naming the key ``where``, the extra to install and what
    was found."""
    if device == "cpu":
        return np
    if device != "cuda":
        raise GanError(f"'{where}' must be one of {', '.join(DEVICES)}, got {device!r}")
    try:
        import cupy
    except ImportError as exc:
        raise GanError(f"'{where}' is cuda, but CuPy is not installed ({exc}); install the extra for the CUDA "
                       "of this machine: pip install -e '.[cuda12]' or '.[cuda13]'") from None
    try:
        if cupy.cuda.runtime.getDeviceCount() < 1:
            raise RuntimeError("no device")
        (cupy.arange(3) * 2).sum().item()  # a kernel compiled and run: CUDA, NVRTC and the driver work
    except Exception as exc:  # CUDARuntimeError, CompileException and friends
        raise GanError(f"'{where}' is cuda, but CuPy {cupy.__version__} finds no working GPU "
                       f"({' '.join(str(exc).split())[:200]})") from None
    DEVICE_MODULES[cupy.ndarray] = cupy
    return cupy


def device_name(xp) -> str:
    """What numbers depend on: 'numpy', or the module and the GPU's name ('cupy on NVIDIA H200')."""
    if hasattr(xp, "cuda"):
        return f"{xp.__name__} on {xp.cuda.runtime.getDeviceProperties(xp.cuda.Device().id)['name'].decode()}"
    return xp.__name__


def synchronize(xp) -> None:
    """Wait for the work queued on ``xp``'s device (a no-op on the host): what a timer must do first."""
    if hasattr(xp, "cuda"):
        xp.cuda.get_current_stream().synchronize()


def as_strided(array, shape: tuple[int, ...], strides: tuple[int, ...]):
    """A view of ``array``'s memory with ``shape`` and byte ``strides``
    (``numpy.lib.stride_tricks.as_strided``, or the device's).  Where its
    elements overlap, read it, never write it."""
    return array_module(array).lib.stride_tricks.as_strided(array, shape, strides)


def address(array) -> int:
    """Where ``array``'s first element lies in its device's memory, in bytes."""
    pointer = getattr(array.data, "ptr", None)  # a CuPy array's data is a MemoryPointer, NumPy's a memoryview
    return array.__array_interface__["data"][0] if pointer is None else pointer


def allocation(array):
    """What owns ``array``'s memory: the same object for every view of one buffer."""
    memory = getattr(array.data, "mem", None)  # CuPy: the allocation behind a MemoryPointer
    if memory is not None:
        return memory
    while isinstance(array.base, np.ndarray):  # NumPy: the array at the root of its views
        array = array.base
    return array


def to_device(array, xp):
    """``array`` as an array of the module ``xp`` (the same object when it is one already)."""
    return array if xp is np and type(array) is np.ndarray else xp.asarray(array)


def logged(value):
    """``value``, a float scalar of any dtype (a 0-d array on a device, a
    NumPy scalar on the host), as a float64 on its own device: a number for
    the log that costs no read from a GPU until the log reads it (on the host
    a ``numpy.float64``, which is a Python float)."""
    return value.astype(np.float64)


def to_host(array) -> np.ndarray:
    """A NumPy copy (or the array itself) of a device or host array."""
    return array.get() if hasattr(array, "get") else np.asarray(array)
