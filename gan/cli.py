"""The ``gan`` command line: one click group, one sub-command per job."""

import signal
import sys

import click

from gan import __version__
from gan.cli_bench import bench
from gan.cli_data import data
from gan.cli_evaluate import evaluate, evaluator, report
from gan.cli_sample import sample
from gan.cli_train import train
from gan.errors import GanError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="gan")
def cli():
    """A reproducible GAN lab in pure NumPy.

    The DVC pipeline (dvc.yaml) calls these commands; each also works alone.
    """


cli.add_command(data)
cli.add_command(train)
cli.add_command(sample)
for command in (evaluator, evaluate, report, bench):
    cli.add_command(command)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that temporary outputs are cleaned up."""


def _terminate(signum, frame):
    raise Terminated


def _os_error(exc: OSError) -> str:
    """'path: No space left on device' from an OSError."""
    where = " -> ".join(str(f) for f in (exc.filename, exc.filename2) if f is not None)
    return f"{where}: {exc.strerror}" if where and exc.strerror else str(exc)


def run_or_exit(func, *args) -> None:
    """Call ``func(*args)`` and print what it returns.  A GanError (bad input,
    params or data) or an OSError (an unwritable or full output folder)
    becomes a one-line 'error: ...' on stderr and exit status 1; Ctrl-C exits
    130 and SIGTERM 143, both after the run's temporary outputs are removed."""
    signal.signal(signal.SIGTERM, _terminate)
    try:
        result = func(*args)
    except GanError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except OSError as exc:
        click.echo(f"error: {_os_error(exc)}", err=True)
        sys.exit(1)
    except (KeyboardInterrupt, click.exceptions.Abort) as exc:
        terminated = isinstance(exc, Terminated) or isinstance(exc.__context__, Terminated)  # click wraps it
        click.echo(f"{'terminated' if terminated else 'interrupted'}; earlier outputs are left as they were",
                   err=True)
        sys.exit(143 if terminated else 130)
    if result is not None:
        click.echo(result)


def main() -> None:
    """Entry point of the ``gan`` console script."""
    run_or_exit(_cli_main)


def _cli_main() -> None:
    """Run the click group, letting GanError through to ``run_or_exit``;
    usage errors are one line too, with a pointer to the command's help."""
    try:
        code = cli.main(standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.UsageError as exc:
        hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx else ""
        click.echo(f"error: {exc.format_message()}{hint}", err=True)
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        click.echo(f"error: {exc.format_message()}", err=True)
        sys.exit(exc.exit_code)
    if isinstance(code, int) and code:
        sys.exit(code)
