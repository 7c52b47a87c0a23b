"""This process's thread budget, and a small pool for elementwise NumPy work.

A run may use ``BUDGET`` threads: the environment variable GAN_THREADS if set,
otherwise the cores the process may run on (its CPU affinity).
``apply_budget`` limits BLAS to it, and the pool (ufuncs release the GIL, so
independent slices run in parallel) has at most that many threads.  Two runs
side by side, such as ``GAN_THREADS=1 dvc queue start -j 2`` on 2 cores, then
share the cores instead of fighting over them.

OpenBLAS's idle threads spin for about 2^28 cycles (0.1 s) after each
multiply before they sleep, and a training step does elementwise work between
its multiplies: the spinning thread takes a core from it.  ``BLAS_SPIN`` sets
OPENBLAS_THREAD_TIMEOUT (2^16 cycles, some 25 microseconds) unless the
environment already does.  OpenBLAS reads it when NumPy loads it, so
``gan/__init__.py`` imports this module before anything imports NumPy
(docs/performance.md measures it; ``gan bench`` reports it).
"""

import os

BLAS_SPIN = "16"
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", BLAS_SPIN)

from collections.abc import Callable, Sequence  # noqa: E402
from concurrent.futures import ThreadPoolExecutor  # noqa: E402
from functools import cache  # noqa: E402

import numpy as np  # noqa: E402, F401  (loads BLAS, so that its threads can be limited)
from threadpoolctl import threadpool_limits  # noqa: E402


def _budget() -> int:
    value = os.environ.get("GAN_THREADS", "")
    if value.strip():
        if not value.strip().isdigit() or int(value) < 1:
            raise SystemExit(f"error: GAN_THREADS must be a whole number of threads, at least 1, got {value!r}")
        return int(value)
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


BUDGET = _budget()
WORKERS = max(1, min(BUDGET, 4))  # threads of the elementwise pool


def apply_budget() -> None:
    """Limit BLAS to ``BUDGET`` threads for the rest of the process."""
    threadpool_limits(limits=BUDGET, user_api="blas")


@cache
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="gan-nn")


def run_parallel(func: Callable, *arg_lists: Sequence) -> None:
    """Call ``func(*args)`` for each tuple of ``zip(*arg_lists)``, on the pool
    when there is more than one call; results are discarded."""
    calls = list(zip(*arg_lists))
    if len(calls) == 1:
        func(*calls[0])
    else:
        list(_pool().map(lambda args: func(*args), calls))
