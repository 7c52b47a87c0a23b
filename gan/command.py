"""How every command runs: the ``gan`` CLI and the DVC stage scripts in pipeline/.

``run_or_exit`` limits BLAS to the process's thread budget (``gan.threads``),
then runs the command: a GanError or an OSError (and, as a last resort,
MemoryError or RecursionError) becomes one line, ``error: ...``, on stderr
and exit status 1; Ctrl-C exits 130 and SIGTERM 143,
after the run's temporary outputs are removed.
"""

import inspect
import signal
import sys

from gan.errors import GanError
from gan.threads import apply_budget


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that temporary outputs are cleaned up."""


def _terminate(signum, frame):
    raise Terminated


def _os_error(exc: OSError) -> str:
    """'path: No space left on device' from an OSError."""
    where = " -> ".join(str(f) for f in (exc.filename, exc.filename2) if f is not None)
    return f"{where}: {exc.strerror}" if where and exc.strerror else str(exc)


def _fail(message: str, code: int):
    print(message, file=sys.stderr)
    sys.exit(code)


def run_or_exit(func, *args) -> None:
    """Call ``func(*args)`` and print what it returns; end as the module docstring says."""
    signal.signal(signal.SIGTERM, _terminate)
    apply_budget()
    try:
        result = func(*args)
    except GanError as exc:
        _fail(f"error: {exc}", 1)
    except OSError as exc:
        _fail(f"error: {_os_error(exc)}", 1)
    except MemoryError:  # the library bounds what inputs may ask for; this is the last line of defence
        _fail("error: out of memory; the inputs ask for more than this machine has", 1)
    except RecursionError:
        _fail("error: an input is nested too deeply to read", 1)
    except KeyboardInterrupt as exc:
        terminated = isinstance(exc, Terminated)
        _fail(f"{'terminated' if terminated else 'interrupted'}; earlier outputs are left as they were",
              143 if terminated else 130)
    if result is not None:
        print(result)


def run_stage(main) -> None:
    """Run a stage script's ``main`` with the command-line arguments, which
    must match its parameters; otherwise print its usage and exit 2."""
    args, names = sys.argv[1:], list(inspect.signature(main).parameters)
    if len(args) != len(names):
        _fail(f"usage: python {sys.argv[0]} {' '.join(n.upper() for n in names)}\n"
              f"{inspect.getmodule(main).__doc__.strip()}", 2)
    run_or_exit(main, *args)
