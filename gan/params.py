"""Read params.yaml, with errors that name the file and the key."""

from pathlib import Path

import yaml

from gan.errors import GanError

PARAMS_FILE = "params.yaml"


def load_params(path: str | Path = PARAMS_FILE) -> dict:
    path = Path(path)
    try:
        params = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise GanError(f"{path}: no such file (run from the project root)") from None
    except yaml.YAMLError as exc:
        raise GanError(f"{path}: not valid YAML ({exc})") from exc
    if not isinstance(params, dict):
        raise GanError(f"{path}: expected a mapping at the top level")
    return params


def section(params: dict, dotted: str, path: str | Path = PARAMS_FILE) -> dict:
    """The mapping at ``dotted`` (e.g. 'data.flags'), or a GanError naming the key."""
    node = params
    for i, key in enumerate(dotted.split(".")):
        if not isinstance(node, dict) or key not in node:
            raise GanError(f"{path}: missing key '{'.'.join(dotted.split('.')[:i + 1])}'")
        node = node[key]
    if not isinstance(node, dict):
        raise GanError(f"{path}: '{dotted}' must be a mapping")
    return node


def check_keys(values: dict, allowed: set[str], where: str, required: set[str] = frozenset(),
               path: str | Path = PARAMS_FILE) -> None:
    """Reject keys of ``values`` outside ``allowed`` and missing ``required``
    ones, naming the first such key."""
    unknown = sorted(set(values) - allowed - required)
    if unknown:
        raise GanError(f"{path}: unknown key '{where}.{unknown[0]}' "
                       f"(allowed: {', '.join(sorted(allowed | required))})")
    missing = sorted(required - set(values))
    if missing:
        raise GanError(f"{path}: missing key '{where}.{missing[0]}'")
