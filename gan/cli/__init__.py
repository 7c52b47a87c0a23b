"""The ``gan`` command line: one click group, one sub-command per job, each a
user's tool over the same library functions the DVC stage scripts call."""

import sys

import click

from gan import __version__
from gan.cli.bench import bench
from gan.cli.data import data
from gan.cli.evaluate import evaluate, evaluator, report
from gan.cli.sample import sample
from gan.cli.train import train
from gan.command import run_or_exit


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="gan")
def cli():
    """A reproducible GAN lab in pure NumPy.

    The DVC pipeline (dvc.yaml) runs the same library code through
    pipeline/*.py; each command here also works alone.
    """


for command in (data, train, sample, evaluator, evaluate, report, bench):
    cli.add_command(command)


def main() -> None:
    """Entry point of the ``gan`` console script."""
    run_or_exit(_cli_main)


def _cli_main() -> None:
    """Run the click group; usage errors are one line with a pointer to the
    command's help, and Ctrl-C (which click turns into Abort) stays an interrupt."""
    try:
        code = cli.main(standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.UsageError as exc:
        hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx else ""
        click.echo(f"error: {exc.format_message()}{hint}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort as exc:
        raise (exc.__cause__ or KeyboardInterrupt()) from None  # the Ctrl-C (or SIGTERM) click wrapped
    except click.ClickException as exc:
        click.echo(f"error: {exc.format_message()}", err=True)
        sys.exit(exc.exit_code)
    if isinstance(code, int) and code:
        sys.exit(code)
