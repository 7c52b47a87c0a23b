"""Count the device operations of one training step, without a GPU: a proxy
for kernel launches, which bound a GPU step at small batches.

Usage: python tools/count_launches.py [--params FILE] [--data DIR] EXPERIMENT ...

Each experiment's second step runs on the strict stand-in for a GPU's arrays
(tests/strict_device.py) and every operation that would run on the device is
counted: ufunc calls, NumPy functions, module calls (``xp.zeros``,
``xp.asarray`` ...), fused kernels, ``astype``, ``fill`` and ``copy``,
assignments into arrays (not the one of ``a[k] += b`` that writes ``a[k]``
into itself, which CuPy skips as NumPy does) and indexing that copies.  Views and reads of shapes
are free, as on a GPU; a reshape that has to copy is not counted.  Prints one JSON
object: per experiment the total, each operation's count (commonest first),
the reads back to the host (each a synchronisation on a GPU), and the steps
of a whole run with their operations (the step's times the steps).
"""

import argparse
import collections
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from gan.datasets import load_dataset  # noqa: E402
from gan.errors import GanError  # noqa: E402
from gan.training.config import read_experiment  # noqa: E402
from gan.training.trainer import Trainer  # noqa: E402
from tests import strict_device  # noqa: E402
from tests.strict_device import ElementwiseKernel, StrictArray, strict  # noqa: E402

counts: collections.Counter = collections.Counter()


def _counting(name: str, method, label):
    def wrapper(*args, **kwargs):
        counts[label(*args)] += 1
        return method(*args, **kwargs)
    wrapper.__name__ = name
    return wrapper


def _count_everything() -> None:
    """Wrap the stand-in's entry points so that each device operation is counted."""
    array, module = StrictArray, type(strict)
    array.__array_ufunc__ = _counting("__array_ufunc__", array.__array_ufunc__,
                                      lambda self, ufunc, method, *a: f"{ufunc.__name__}.{method}")
    array.__array_function__ = _counting("__array_function__", array.__array_function__,
                                         lambda self, func, *a: func.__name__)
    setitem = array.__setitem__

    def assignment(self, key, value):
        target = np.ndarray.__getitem__(self.view(np.ndarray), key)
        if not (isinstance(value, np.ndarray) and isinstance(target, np.ndarray) and value.shape == target.shape
                and value.strides == target.strides
                and value.ctypes.data == target.ctypes.data):  # 'a[k] += b' writes a[k] into itself: CuPy skips that
            counts["assignment"] += 1
        return setitem(self, key, value)
    array.__setitem__ = assignment
    for method in ("astype", "fill", "copy"):
        setattr(array, method, _counting(method, getattr(array, method), lambda *a, m=method: m))
    ElementwiseKernel.__call__ = _counting("__call__", ElementwiseKernel.__call__,
                                           lambda kernel, *a: f"kernel {kernel.name}")
    getitem, getattr_ = array.__getitem__, module.__getattr__

    def indexing(self, key):
        result = getitem(self, key)
        if isinstance(result, np.ndarray) and result.size and not np.shares_memory(
                result.view(np.ndarray), self.view(np.ndarray)):
            counts["indexing that copies"] += 1
        return result

    def module_call(self, name):
        value = getattr_(self, name)
        if callable(value) and not isinstance(value, type):
            return _counting(name, value, lambda *a: f"xp.{name}")
        return value
    array.__getitem__, module.__getattr__ = indexing, module_call


def count_trainer_step(trainer: Trainer) -> dict:
    """The device operations of ``trainer``'s second step (the first
    allocates the buffers a run reuses); ``trainer`` runs on the strict
    stand-in and ``_count_everything`` has been called."""
    config, batches = trainer.config, trainer.batches()
    for step in range(2):
        chosen = batches[step * config.d_steps:(step + 1) * config.d_steps]
        counts.clear()
        reads = StrictArray.to_host
        trainer.step([trainer.rows[i] for i in chosen],
                     [trainer.labels[i] for i in chosen] if trainer.gan.classes else None)
    steps = len(range(0, len(batches) - config.d_steps + 1, config.d_steps)) * config.epochs
    return {"batch_size": config.batch_size, "d_steps": config.d_steps, "operations": sum(counts.values()),
            "reads_to_host": StrictArray.to_host - reads, "steps_per_run": steps,
            "operations_per_run": steps * sum(counts.values()), "each": dict(counts.most_common())}


def count_step(name: str, params: str, data_root: str) -> dict:
    """``count_trainer_step`` of experiment ``name`` of ``params`` on its cache under ``data_root``."""
    config, family = read_experiment(name, params)
    data = load_dataset(family.name, f"{data_root}/{config.dataset}", config.digits)
    return count_trainer_step(Trainer(config, data, name, strict))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", default="params.yaml")
    parser.add_argument("--data", default="data/processed")
    parser.add_argument("experiments", nargs="+")
    args = parser.parse_args()
    assert strict_device.DEVICE_MODULES[StrictArray] is strict
    _count_everything()
    try:
        counted = {name: count_step(name, args.params, args.data) for name in args.experiments}
    except GanError as exc:  # no cache yet, an unknown experiment ...
        sys.exit(f"count_launches: {exc}")
    print(json.dumps(counted, indent=1))


if __name__ == "__main__":
    main()
