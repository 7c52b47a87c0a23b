"""The DVC graph is complete and derived: every stage runs one pipeline/
script, depends on every gan module that script imports (so an edit
re-runs exactly the stages it can change), and no experiment is listed by
hand in dvc.yaml."""

import ast
import re
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT

DVC = yaml.safe_load((ROOT / "dvc.yaml").read_text())
STAGES = {name: stage.get("do", stage) for name, stage in DVC["stages"].items()}


def module_file(name: str) -> Path | None:
    """The file of the module ``name`` (a package's __init__.py), if it is one of ours."""
    path = ROOT.joinpath(*name.split("."))
    for candidate in (path / "__init__.py", path.with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


def imported_files(path: Path) -> set[Path]:
    """The gan modules ``path`` imports anywhere in its code, with the packages they sit in."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    files = set()
    for name in names:
        parts = name.split(".")
        if parts[0] == "gan":
            files |= {f for i in range(1, len(parts) + 1) if (f := module_file(".".join(parts[:i])))}
    return files


def import_closure(script: Path) -> set[Path]:
    seen, todo = set(), [script]
    while todo:
        path = todo.pop()
        if path not in seen:
            seen.add(path)
            todo += imported_files(path)
    return seen


def test_the_closure_follows_imports_inside_functions(tmp_path, monkeypatch):
    """The walker itself: it must see a late import, and a package's __init__."""
    script = tmp_path / "s.py"
    script.write_text("def main():\n    from gan.nn.penalty import gradient_penalty\n")
    files = {str(p.relative_to(ROOT)) for p in import_closure(script) if p != script}
    assert {"gan/__init__.py", "gan/nn/__init__.py", "gan/nn/penalty.py", "gan/nn/layers.py"} <= files


@pytest.mark.parametrize("stage", STAGES)
def test_stage_runs_a_pipeline_script_and_depends_on_its_code(stage):
    definition = STAGES[stage]
    match = re.fullmatch(r"python (pipeline/\w+\.py) .*", " ".join(definition["cmd"].split()))
    assert match, f"{stage}: the command must be 'python pipeline/<script>.py ...', got {definition['cmd']!r}"
    script = ROOT / match[1]
    deps = [ROOT / d for d in definition["deps"] if "${" not in d]
    uncovered = sorted(str(f.relative_to(ROOT)) for f in import_closure(script)
                       if not any(f == d or d in f.parents for d in deps))
    assert not uncovered, f"{stage} imports code its deps do not cover: {uncovered}"


def test_no_experiment_is_listed_by_hand():
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    text = (ROOT / "dvc.yaml").read_text()
    own_names = set(params["datasets"]) | set(params["data"]["sources"]) | set(params["data"]["toy"])
    listed = [name for name in params["experiments"]
              if name not in own_names and re.search(rf"(?<![\w.]){re.escape(name)}(?![\w])", text)]
    assert listed == [], f"dvc.yaml names experiments by hand: {listed}"
    for stage in ("train", "evaluate"):
        assert DVC["stages"][stage]["foreach"] == "${experiments}"
    assert DVC["stages"]["evaluator"]["foreach"] == "${datasets}"
