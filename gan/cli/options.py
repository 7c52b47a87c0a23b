"""Options several ``gan`` commands share, defined once."""

import click

PARAMS = click.option("--params", "params_file", default="params.yaml", show_default=True,
                      type=click.Path(dir_okay=False), help="Params file.")
DATA = click.option("--data", "data_root", default="data/processed", show_default=True,
                    type=click.Path(file_okay=False), help="Folder of the dataset caches, one sub-folder each.")
RESULTS = click.option("--out", "results", default="results", show_default=True, type=click.Path(file_okay=False),
                       help="Results folder: OUT/NAME/ per experiment, OUT/evaluator/DATASET/ per dataset.")
