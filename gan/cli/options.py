"""Options several ``gan`` commands share, defined once."""

import click

from gan.device import DEVICES
from gan.errors import GanError
from gan.params import check_name

PARAMS = click.option("--params", "params_file", default="params.yaml", show_default=True,
                      type=click.Path(dir_okay=False), help="Params file.")
DATA = click.option("--data", "data_root", default="data/processed", show_default=True,
                    type=click.Path(file_okay=False), help="Folder of the dataset caches, one sub-folder each.")
RESULTS = click.option("--out", "results", default="results", show_default=True, type=click.Path(file_okay=False),
                       help="Results folder: OUT/NAME/ per experiment, OUT/evaluator/DATASET/ per dataset.")


def _name_of(section: str):
    """A click callback refusing an argument that is not a safe name (gan.params.NAME) of ``section``."""
    def callback(ctx, param, value):
        try:
            return check_name(value, section)
        except GanError as exc:
            raise click.BadParameter(str(exc)) from None
    return callback


EXPERIMENT = click.argument("experiment", callback=_name_of("experiments"))
DATASET = click.argument("dataset", callback=_name_of("datasets"))


def device_option(default: str | None, what: str):
    """--device: where ``what`` runs (cpu, or cuda through CuPy)."""
    return click.option("--device", type=click.Choice(DEVICES), default=default, show_default=default is not None,
                        help=f"Where {what} runs: cpu, or cuda (a GPU through CuPy: pip install -e '.[cuda12]' "
                             "or '.[cuda13]').")
