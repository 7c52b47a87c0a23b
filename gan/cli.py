"""The ``gan`` command line: one click group, one sub-command per job."""

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


def run_or_exit(func, *args) -> None:
    """Call ``func(*args)`` and print what it returns; a GanError becomes a
    one-line 'error: ...' on stderr and exit status 1, Ctrl-C exit status 130."""
    try:
        result = func(*args)
    except GanError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except (KeyboardInterrupt, click.exceptions.Abort):
        click.echo("interrupted; earlier outputs are left as they were", err=True)
        sys.exit(130)
    if result is not None:
        click.echo(result)


def main() -> None:
    """Entry point of the ``gan`` console script."""
    run_or_exit(_cli_main)


def _cli_main() -> None:
    """Run the click group, letting GanError through to ``run_or_exit``."""
    try:
        code = cli.main(standalone_mode=False)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    if isinstance(code, int) and code:
        sys.exit(code)
