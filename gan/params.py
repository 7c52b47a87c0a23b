"""Read params.yaml into typed, validated settings.

Each params section is a frozen dataclass whose fields are declared with
``param(default, check)``: ``parse`` rejects unknown and missing keys, values
of the wrong type (floats must be finite) and values a field's check refuses,
then runs the class's own ``check_values`` for rules that span keys.  Errors
are ``ParamsError``s naming the key; ``read_section`` and ``naming_file``
prefix the params file that was actually read.

A params file is read within bounds (``MAX_PARAMS_BYTES``, ``MAX_DEPTH``,
``MAX_VALUES`` with aliases expanded), refuses duplicate keys, and every name
DVC pastes into a stage's shell command (``NAMED``) must match ``NAME``.
"""

import math
import re
import reprlib
import types
import typing
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import MISSING, field, fields
from pathlib import Path

import yaml

from gan.errors import GanError
from gan.files import open_regular

PARAMS_FILE = "params.yaml"


class ParamsError(GanError):
    """A bad setting; the message starts with the key in quotes."""


class _Loader(yaml.SafeLoader):
    """YAML with the floats people and DVC write: ``1e-5``, ``1e-05``, ``2E-4``
    (PyYAML's YAML 1.1 rules read exponents without a dot as strings)."""


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$"),
    list("-+0123456789."))


def _mapping_without_duplicates(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict:
    """A mapping, refusing a key written twice (plain YAML keeps the last)."""
    seen = set()
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue  # '<<: *defaults': keys written beside it override the merged ones
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, Hashable):
            continue  # construct_mapping refuses it with its own message
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {shown(key)}", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_duplicates)

MAX_PARAMS_BYTES = 1 << 20  # a params file over 1 MiB is refused unread (params.yaml is about 15 KB)
MAX_DEPTH = 32              # nesting of mappings and lists
MAX_VALUES = 100_000        # values with YAML aliases expanded: an alias bomb is refused, not expanded

# The sections whose keys DVC pastes into stages' shell commands (dvc.yaml's
# ${key}), and the values it pastes (${item.dataset}): all must be NAMEs.
NAMED = ("data.sources", "data.toy", "datasets", "experiments")
NAMED_VALUES = (("experiments", "dataset"), ("datasets", "reference"))
NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
NAME_RULE = "lowercase letters, digits and _, starting with a letter, at most 64"


_REPR = reprlib.Repr()  # (keyword arguments need Python 3.12)
_REPR.maxstring = _REPR.maxother = 200


def shown(value) -> str:
    """``repr(value)`` cut short, for error messages about values of any size."""
    return _REPR.repr(value)


def load_yaml(text: str):
    return yaml.load(text, Loader=_Loader)


def check_name(name, where: str) -> str:
    """``name`` if it is a NAME, else a GanError naming the key ``where``
    (e.g. 'experiments') it is a name of.  A name becomes a folder and a word
    of a shell command, so nothing else may pass."""
    if where == "experiments" and name == "evaluator":
        raise GanError(f"'{where}' name 'evaluator' is reserved: results/evaluator/ holds the datasets' references")
    if isinstance(name, str) and NAME.fullmatch(name):
        return name
    raise GanError(f"'{where}' name {shown(name)} is refused: names are {NAME_RULE}")


def check_names(params: dict) -> None:
    """Every key of the ``NAMED`` sections of loaded ``params``, and every
    ``NAMED_VALUES`` value, is a NAME; else a GanError naming the key."""
    for dotted in NAMED:
        node = params
        for key in dotted.split("."):
            node = node.get(key) if isinstance(node, dict) else None
        for name, entry in (node.items() if isinstance(node, dict) else ()):
            check_name(name, dotted)
            for owner, key in NAMED_VALUES:
                if owner == dotted and isinstance(entry, dict) and key in entry:
                    check_name(entry[key], f"{dotted}.{name}.{key}")


def _count_values(value, depth: int, counted: dict) -> int:
    """The values in ``value`` with shared (aliased) parts counted each time
    they appear; a GanError past ``MAX_DEPTH`` or ``MAX_VALUES``."""
    if depth > MAX_DEPTH:
        raise GanError(f"nested deeper than {MAX_DEPTH} levels (or an alias refers to itself)")
    if not isinstance(value, dict | list):
        return 1
    if id(value) not in counted:
        items = value.values() if isinstance(value, dict) else value
        total = 1
        for item in items:
            total += _count_values(item, depth + 1, counted)
            if total > MAX_VALUES:
                raise GanError(f"more than {MAX_VALUES:,} values with aliases expanded")
        counted[id(value)] = total
    return counted[id(value)]


def load_params(path: str | Path = PARAMS_FILE) -> dict:
    """The params file as a mapping, within the bounds above and with every
    name checked, or a GanError naming the file."""
    path = Path(path)
    try:
        with open_regular(path) as f:
            raw = f.read(MAX_PARAMS_BYTES + 1)
        if len(raw) > MAX_PARAMS_BYTES:
            raise GanError(f"{path}: larger than {MAX_PARAMS_BYTES // 1024} KiB; refusing to parse it")
        params = load_yaml(raw.decode("utf-8"))
    except FileNotFoundError:
        raise GanError(f"{path}: no such file (run from the project root, or pass --params)") from None
    except UnicodeDecodeError as exc:
        raise GanError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise GanError(f"{path}: cannot read ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise GanError(f"{path}: not valid YAML ({' '.join(str(exc).split())[:300]})") from None
    except RecursionError:
        raise GanError(f"{path}: nested too deeply to read") from None
    if not isinstance(params, dict):
        raise GanError(f"{path}: expected a mapping at the top level")
    try:
        _count_values(params, 0, {})
        check_names(params)
    except GanError as exc:
        raise GanError(f"{path}: {exc}") from None
    return params


def section(params: dict, dotted: str) -> dict:
    """The mapping at ``dotted`` (e.g. 'data.flags'), or a ParamsError naming the key."""
    node = params
    for i, key in enumerate(dotted.split(".")):
        if not isinstance(node, dict) or key not in node:
            raise ParamsError(f"missing key '{'.'.join(dotted.split('.')[:i + 1])}'")
        node = node[key]
    if not isinstance(node, dict):
        raise ParamsError(f"'{dotted}' must be a mapping, got {shown(node)}")
    return node


@contextmanager
def naming_file(path: str | Path) -> Iterator[None]:
    """Prefix the params file to ParamsErrors raised inside."""
    try:
        yield
    except ParamsError as exc:
        raise GanError(f"{path}: {exc}") from None


def read_section(cls, dotted: str, path: str | Path = PARAMS_FILE):
    """``parse(cls, ...)`` of the section ``dotted`` of the params file ``path``."""
    with naming_file(path):
        return parse(cls, section(load_params(path), dotted), dotted)


# --- declaring and checking fields ---------------------------------------------------

Check = Callable[[object], str | None]  # a value -> what is wrong with it, or None


def param(default=MISSING, check: Check | None = None):
    """A dataclass field with an optional value check; no default = required."""
    if isinstance(default, list):
        return field(default_factory=default.copy, metadata={"check": check})
    return field(default=default, metadata={"check": check})


def positive(value) -> str | None:
    return None if value > 0 else "must be positive"


def non_negative(value) -> str | None:
    return None if value >= 0 else "must be >= 0"


def one_of(*choices: str) -> Check:
    return lambda value: None if value in choices else f"must be one of {', '.join(choices)}"


def in_range(low: float, high: float, high_open: bool = False) -> Check:
    """low <= value <= high (or < high)."""
    def check(value):
        inside = low <= value < high if high_open else low <= value <= high
        return None if inside else f"must be in [{low:g}, {high:g}{')' if high_open else ']'}"
    return check


def _type_name(kind) -> str:
    if kind is float:
        return "a finite number"
    return getattr(kind, "__name__", None) if typing.get_origin(kind) is None else str(kind)


def _type_ok(value, kind) -> bool:
    """Whether ``value`` (from YAML or JSON) fits the annotation ``kind``."""
    if typing.get_origin(kind) is list:
        (item,) = typing.get_args(kind) or (object,)
        return isinstance(value, list) and all(_type_ok(v, item) for v in value)
    if kind is object:
        return True
    if kind is bool:
        return isinstance(value, bool)
    if kind is float:
        return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if isinstance(kind, types.UnionType):
        return any(_type_ok(value, k) for k in typing.get_args(kind))
    return isinstance(value, kind) and not isinstance(value, bool)


def parse(cls, values, where: str):
    """An instance of the dataclass ``cls`` from the mapping ``values`` found at
    ``where`` (e.g. 'experiments.mnist'), every key and value checked."""
    if not isinstance(values, dict):
        raise ParamsError(f"'{where}' must be a mapping, got {shown(values)}")
    known = {f.name: f for f in fields(cls)}
    unknown = [key for key in values if key not in known]
    if unknown:
        raise ParamsError(f"unknown key '{where}.{unknown[0]}' (allowed: {', '.join(known)})")
    hints = typing.get_type_hints(cls)
    for key, value in values.items():
        _check_field(known[key], hints[key], value, where)
    missing = [name for name, f in known.items()
               if f.default is MISSING and f.default_factory is MISSING and name not in values]
    if missing:
        raise ParamsError(f"missing key '{where}.{missing[0]}'")
    result = cls(**values)
    validate(result, where)
    return result


def validate(settings, where: str) -> None:
    """Check every field of the dataclass instance ``settings`` against its
    type and its declared check, then its ``check_values`` if it has one."""
    hints = typing.get_type_hints(type(settings))
    for f in fields(settings):
        _check_field(f, hints[f.name], getattr(settings, f.name), where)
    if hasattr(settings, "check_values"):
        settings.check_values(where)


def _check_field(f, kind, value, where: str) -> None:
    """ParamsError unless ``value`` has the field's type and passes its check."""
    if not _type_ok(value, kind):
        raise ParamsError(f"'{where}.{f.name}' must be {_type_name(kind)}, got {shown(value)}")
    check = f.metadata.get("check")
    problem = check(value) if check else None
    if problem:
        got = "" if isinstance(value, list) else f", got {shown(value)}"
        raise ParamsError(f"'{where}.{f.name}' {problem}{got}")
