"""Hostile names and params files: a params key is pasted by DVC into a
stage's shell command and becomes a folder, so only plain names pass, and
`dvc repro` / `dvc exp run` with any other key run none of the pipeline's
commands; a params file is read within bounds of size, depth and expanded
aliases, and a key written twice is refused."""

import json
import os
import time

import pytest
import yaml

from gan.data.toy import toy_params, write_toy
from gan.errors import GanError
from gan.evaluation.families import EvaluatorParams
from gan.params import MAX_PARAMS_BYTES, check_name, load_params, load_yaml, read_section
from tests.conftest import ROOT, deadline, one_line_error, run

INJECTION = "g;touch {tmp}/pwned;echo"
HOSTILE = ["/tmp/w/victim", "../victim", "a/b", "g;touch x", "$(touch x)", "`x`", "a b", "Mnist", "_x", "1x", "",
           "x" * 65, "a.b", "a\nb", "mnist\x00"]
NAMED_KEYS = [("experiments", None), ("datasets", None), ("data", "sources"), ("data", "toy")]


@pytest.mark.parametrize("name", HOSTILE)
def test_only_plain_names_pass(name):
    with pytest.raises(GanError, match="names are lowercase letters, digits and _"):
        check_name(name, "experiments")
    assert check_name("flags_rgb_tv2", "experiments") == "flags_rgb_tv2"


def _with_key(params: dict, section: str, sub: str | None, name: str) -> dict:
    """A copy of ``params`` whose section gains a key ``name``, a copy of its first entry."""
    node = params[section] if sub is None else params[section][sub]
    node[name] = dict(next(iter(node.values())))
    return params


@pytest.mark.parametrize("section,sub", NAMED_KEYS)
def test_every_command_refuses_a_params_file_with_a_hostile_name(tmp_path, gan_cli, monkeypatch, section, sub):
    monkeypatch.chdir(tmp_path)
    params = _with_key(yaml.safe_load((ROOT / "params.yaml").read_text()), section, sub, "/tmp/w/victim")
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    dotted = section if sub is None else f"{section}.{sub}"
    for args in (["train", "mnist"], ["evaluator", "mnist_train"], ["report"]):
        code, _, err = gan_cli(*args)
        one_line_error(code, err, f"params.yaml: '{dotted}' name '/tmp/w/victim' is refused")
    assert list(tmp_path.iterdir()) == [tmp_path / "params.yaml"]


def test_names_pasted_as_values_are_checked(tmp_path):
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    params["experiments"]["sine"]["dataset"] = "sine;touch x"
    (tmp_path / "p.yaml").write_text(yaml.safe_dump(params))
    with pytest.raises(GanError, match=r"'experiments.sine.dataset' name 'sine;touch x' is refused"):
        load_params(tmp_path / "p.yaml")


@pytest.mark.parametrize("args", [["train", "/tmp/w/victim"], ["sample", "/tmp/w/victim", "x.npy"],
                                  ["evaluate", "../w/victim"], ["evaluator", "/tmp/w/victim"]])
def test_gan_commands_refuse_a_path_as_a_name(tmp_path, gan_cli, monkeypatch, args):
    """A gan-made folder where a path-shaped name points (results/../w/victim too) stays as it was."""
    monkeypatch.chdir(tmp_path)
    victim = tmp_path / "w" / "victim"
    (victim / "train").mkdir(parents=True)
    (victim / ".gan-output").write_text("x")
    args = [a.replace("/tmp/w/victim", str(victim)) for a in args]
    code, _, err = gan_cli(*args)
    one_line_error(code, err, "name", "is refused")
    assert sorted(p.name for p in victim.iterdir()) == [".gan-output", "train"]


@pytest.mark.parametrize("script,section,sub,args", [
    ("train.py", "experiments", None, ["{name}", "data/processed/sine", "results/x"]),
    ("evaluator.py", "datasets", None, ["{name}", "data/processed", "results/evaluator/x"]),
    ("download.py", "data", "sources", ["{name}", "data/raw/x"]),
    ("toy.py", "data", "toy", ["{name}", "{name}"])])
def test_stage_scripts_refuse_a_hostile_name(project_copy, script, section, sub, args):
    """Even when params.yaml has the path-shaped key, the script writes nothing there."""
    victim = project_copy.parent / "victim"
    params = _with_key(yaml.safe_load((project_copy / "params.yaml").read_text()), section, sub, str(victim))
    (project_copy / "params.yaml").write_text(yaml.safe_dump(params))
    result = run(["python", f"pipeline/{script}", *[a.format(name=victim) for a in args]], project_copy, check=False)
    one_line_error(result.returncode, result.stderr, f"name '{victim}' is refused")
    assert not victim.exists()


def test_dvc_repro_and_exp_run_run_no_command_with_a_hostile_key(project_copy, tmp_path):
    """The key reaches DVC's generated command line; stage `names` stops the run first."""
    project = project_copy
    run(["git", "add", "-A"], project)
    run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "baseline"], project)
    key = INJECTION.format(tmp=tmp_path)
    for section, sub in NAMED_KEYS:
        params = _with_key(yaml.safe_load((project / "params.yaml").read_text()), section, sub, key)
        (project / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
        commands = [["dvc", "repro"]] + [["dvc", "repro", "--keep-going"], ["dvc", "exp", "run"]] * (sub is None)
        for command in commands:
            result = run(command, project, check=False)
            assert result.returncode != 0, f"{command} with a hostile {section} key succeeded"
            assert f"name '{key}' is refused" in result.stderr
            assert not (tmp_path / "pwned").exists(), f"{command} ran the key as a shell command"
            written = [p for folder in ("data/raw", "data/processed", "results") for p in project.glob(f"{folder}/**/*")
                       if p.is_file()]  # (dvc exp run leaves empty output folders)
            assert written == [], f"{command} ran stages after the names check failed"
        run(["git", "checkout", "-q", "params.yaml"], project)


def test_dvc_graph_every_command_with_a_pasted_name_depends_on_the_check():
    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    pasted = [name for name, stage in stages.items() if str(stage.get("foreach")).startswith("${")]  # from params
    assert {"download", "toy", "train", "evaluator", "evaluate"} <= set(pasted)
    for name in pasted:
        assert ".names-checked" in stages[name]["do"]["deps"], f"stage {name} can run before names are checked"
    names = stages["names"]
    assert names["outs"] == [{".names-checked": {"cache": False}}]
    assert set(names["params"]) == {"data.sources", "data.toy", "datasets", "experiments"}


# --- bounds on the params file ---------------------------------------------------------


def _timed_load(path):
    start = time.process_time()
    with pytest.raises(GanError) as raised:
        load_params(path)
    return str(raised.value), time.process_time() - start


def test_a_large_params_file_is_refused_unparsed(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_text("experiments:\n" + "".join(f"  e{i}: {{a: {i}}}\n" for i in range(4 * MAX_PARAMS_BYTES // 20)))
    message, seconds = _timed_load(big)
    assert message.startswith(f"{big}: larger than 1024 KiB") and seconds < 1


def test_an_alias_bomb_is_refused_not_expanded(tmp_path):
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("\n".join(lines) + "\nexperiments: {x: *a9}\n")
    message, seconds = _timed_load(bomb)
    assert message == f"{bomb}: more than 100,000 values with aliases expanded" and seconds < 1
    small = tmp_path / "shared.yaml"  # an alias used as a shorthand still loads
    small.write_text("g: &g [linear 8, relu]\nexperiments: {x: {generator: *g}}\n")
    assert load_params(small)["experiments"]["x"]["generator"] == ["linear 8", "relu"]


@pytest.mark.parametrize("text,message", [
    ("a: " + "[" * 5000 + "]" * 5000 + "\n", "nested too deeply to read"),
    ("a: " + "[" * 40 + "]" * 40 + "\n", "nested deeper than 32 levels"),
    ("a: &a [1, *a]\n", "nested deeper than 32 levels (or an alias refers to itself)"),
    ("experiments:\n  x: {epochs: 1}\n  x: {epochs: 2}\n", "duplicate key 'x'"),
    ("a: 1\nb:\n  c: 1\n  c: 2\n", "duplicate key 'c'"),
])
def test_deep_recursive_and_duplicate_params_are_one_error(tmp_path, text, message):
    path = tmp_path / "p.yaml"
    path.write_text(text)
    error, _ = _timed_load(path)
    assert error.startswith(f"{path}: ") and message in error and "\n" not in error


def test_a_fifo_as_params_file_is_refused_without_blocking(tmp_path, gan_cli, monkeypatch):
    monkeypatch.chdir(tmp_path)
    os.mkfifo("params.yaml")
    with deadline(5):
        code, _, err = gan_cli("train", "mnist")
    one_line_error(code, err, "params.yaml: not a regular file")


def test_a_hostile_value_in_an_error_is_shown_short(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("evaluator: [" + ", ".join(["long value"] * 50_000) + "]\n")
    with pytest.raises(GanError) as raised:
        read_section(EvaluatorParams, "evaluator", path)
    assert len(str(raised.value)) < 300


def test_the_evaluator_never_writes_over_its_input_cache(tmp_path, gan_cli, monkeypatch):
    """OUT/evaluator/DATASET may not be DATA/DATASET (or its reference): the cache stays."""
    monkeypatch.chdir(tmp_path)
    write_toy(toy_params({"points": 64}, "data.toy.sine"), "results/evaluator/sine")
    (tmp_path / "params.yaml").write_text("datasets: {sine: {family: sine, reference: sine}}\nevaluator: {epochs: 1}\n")
    before = {p.name: p.read_bytes() for p in (tmp_path / "results/evaluator/sine").iterdir()}
    code, _, err = gan_cli("evaluator", "sine", "--data", "results/evaluator", "--out", "results")
    one_line_error(code, err, "results/evaluator/sine: overlaps the input results/evaluator/sine")
    assert {p.name: p.read_bytes() for p in (tmp_path / "results/evaluator/sine").iterdir()} == before


DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize("place,args,fragment", [
    ("results/x/train/config.json", ["sample", "x", "s.npy"], "config.json: not a readable model config"),
    ("cache/manifest.json", ["data", "inspect", "cache"], "cache/manifest.json: not a readable cache manifest"),
])
def test_deeply_nested_json_is_one_error(tmp_path, gan_cli, monkeypatch, place, args, fragment):
    monkeypatch.chdir(tmp_path)
    (tmp_path / place).parent.mkdir(parents=True)
    (tmp_path / place).write_text(DEEP)
    (tmp_path / "results/x/train/model.npz").parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / "results/x/train/model.npz").write_bytes(b"PK")
    code, _, err = gan_cli(*args)
    one_line_error(code, err, fragment, "nested too deeply")


def test_a_fifo_as_a_json_file_is_refused_without_blocking(tmp_path, gan_cli, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "results/x/train").mkdir(parents=True)
    (tmp_path / "results/x/train/model.npz").write_bytes(b"PK")
    os.mkfifo(tmp_path / "results/x/train/config.json")
    with deadline(5):
        code, _, err = gan_cli("sample", "x", "s.npy")
    one_line_error(code, err, "results/x/train/config.json: not a regular file")


def test_yaml_merge_keys_still_load_and_override():
    loaded = load_yaml("d: &d {epochs: 1, seed: 0}\ne: {<<: *d, seed: 3}\n")
    assert loaded["e"] == {"epochs": 1, "seed": 3}


def test_the_evaluator_folder_is_not_an_experiment_name():
    with pytest.raises(GanError, match="'experiments' name 'evaluator' is reserved"):
        check_name("evaluator", "experiments")
    assert check_name("evaluator", "datasets") == "evaluator"


def test_a_model_config_naming_a_path_as_its_dataset_is_refused(tmp_path, gan_cli, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "results/x/train").mkdir(parents=True)
    (tmp_path / "results/x/train/config.json").write_text(json.dumps({
        "experiment": {"dataset": "../../outside", "generator": ["linear out"], "discriminator": ["linear out"],
                       "epochs": 1, "batch_size": 4}, "samples": {"family": "sine", "shape": [2]}}))
    code, _, err = gan_cli("evaluate", "x")
    one_line_error(code, err, "config.json: 'experiment.dataset' must be a dataset name")
