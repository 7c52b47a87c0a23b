"""A small shared thread pool for elementwise NumPy work (ufuncs release the
GIL, so independent slices run in parallel on several cores)."""

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cache

WORKERS = max(1, min(os.cpu_count() or 1, 4))


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

