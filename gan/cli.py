"""The ``gan`` command line: one click group, one sub-command per job."""

import click

from gan import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="gan")
def main():
    """A reproducible GAN lab in pure NumPy.

    The DVC pipeline (dvc.yaml) calls these commands; each also works alone.
    """
