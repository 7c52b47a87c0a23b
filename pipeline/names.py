"""DVC stage names: refuse params.yaml unless every name DVC pastes into a stage's shell command is a
plain name (gan.params.NAMED), then write the constant file OUT that every generated stage depends on.
DVC runs this stage first whenever those sections change, and runs no stage that depends on OUT while
it fails, so a key such as 'x;rm -rf ~' never reaches a shell.

Usage: python pipeline/names.py OUT
"""

from gan.command import run_stage
from gan.files import write_text
from gan.params import load_params


def main(out):
    load_params("params.yaml")
    write_text(out, "Every name in params.yaml that DVC pastes into a command was checked.\n")
    return "params.yaml: every name is plain"


if __name__ == "__main__":
    run_stage(main)
