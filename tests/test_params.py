"""params.yaml: every float spelling loads as a float, every section's keys
and types are checked, and errors name the params file actually read."""

import math

import pytest
import yaml

from gan.data.download import DataSource
from gan.data.pad import PadOptions
from gan.data.toy import toy_params
from gan.datasets import FAMILIES
from gan.errors import GanError
from gan.evaluation.evaluate import EvaluateParams
from gan.evaluation.families import EvaluatorParams
from gan.params import ParamsError, load_params, load_yaml, parse, read_section
from gan.training.config import ExperimentConfig, experiment_config
from tests.conftest import ROOT, one_line_error, run

SPELLINGS = {"1e-5": 1e-5, "1e-05": 1e-5, "2E-4": 2e-4, ".5": 0.5, "1.0e-3": 1e-3, "-3e2": -300.0, "+1E+2": 100.0,
             "2.5": 2.5, "1e5": 1e5}


@pytest.mark.parametrize("text,value", SPELLINGS.items())
def test_float_spellings_load_as_floats(text, value):
    loaded = load_yaml(f"x: {text}\n")["x"]
    assert isinstance(loaded, float) and math.isclose(loaded, value)


def test_ints_strings_and_special_floats_keep_their_types():
    loaded = load_yaml("a: 12\nb: 0x10\nc: e5\nd: 1e\ne: .inf\nf: '1e-5'\ng: 1_000\n")
    assert loaded == {"a": 12, "b": 16, "c": "e5", "d": "1e", "e": math.inf, "f": "1e-5", "g": 1000}


SECTIONS = [  # (class, where, a valid section, a float key in it)
    (ExperimentConfig, "experiments.x", {"dataset": "sine", "generator": ["linear out"],
                                         "discriminator": ["linear out"], "epochs": 1, "batch_size": 4}, "lr_d"),
    (DataSource, "data.mnist", {"source": "a.zip"}, "deadline_s"),
    (PadOptions, "data.pad", {}, "max_bad_fraction"),
    (EvaluatorParams, "evaluator", {"epochs": 1}, None),
    (EvaluateParams, "evaluate", {"samples": 100}, None),
]


@pytest.mark.parametrize("cls,where,values,key", [s for s in SECTIONS if s[3]])
@pytest.mark.parametrize("text", ["1e-1", "1e-01", "1E-1", ".1", "1.0e-1"])
def test_every_section_takes_every_float_spelling(tmp_path, cls, where, values, key, text):
    path = tmp_path / "params.yaml"
    path.write_text((yaml.safe_dump(values) if values else "") + f"{key}: {text}\n")
    assert getattr(parse(cls, load_params(path), where), key) == pytest.approx(0.1)


def test_toy_sections_take_exponent_floats():
    params = toy_params(load_yaml("layout: ring\nmodes: 8\nradius: 2e0\nstd: 2e-2\npoints: 10\n"), "data.toy.g")
    assert params.std == pytest.approx(0.02) and params.radius == 2.0


@pytest.mark.parametrize("cls,where,values,key", SECTIONS)
def test_every_section_refuses_unknown_keys_and_wrong_types(cls, where, values, key):
    with pytest.raises(ParamsError, match=f"unknown key '{where}.colour'"):
        parse(cls, values | {"colour": "red"}, where)
    name = next(iter(values), "canvas")
    with pytest.raises(ParamsError, match=f"'{where}.{name}' must be"):
        parse(cls, values | {name: {"a": 1}}, where)


@pytest.mark.parametrize("change,message", [
    ({"seed": -1}, "'experiments.x.seed' must be >= 0, got -1"),
    ({"digits": ["3"]}, "'experiments.x.digits' must be list\\[int\\], got \\['3'\\]"),
    ({"digits": [3, 12]}, "'experiments.x.digits' takes distinct digits 0..9$"),
    ({"generator": []}, "'experiments.x.generator' must list at least one layer"),
    ({"beta1": 1.5}, "'experiments.x.beta1' must be in \\[0, 1\\)"),
    ({"lr_d": float("nan")}, "'experiments.x.lr_d' must be a finite number, got nan"),
    ({"lr_g": float("inf")}, "'experiments.x.lr_g' must be a finite number"),
    ({"epochs": 2.0}, "'experiments.x.epochs' must be int"),
    ({"momentum": 1.0}, "'experiments.x.momentum' must be in \\[0, 1\\)"),
    ({"snapshot_count": 100_000}, "'experiments.x.snapshot_count' must be in \\[1, 1024\\]"),
])
def test_experiment_values_are_checked(change, message):
    values = {"dataset": "mnist_train", "generator": ["linear out"], "discriminator": ["linear out"], "epochs": 1,
              "batch_size": 4}
    with pytest.raises(ParamsError, match=message):
        ExperimentConfig.from_params("x", values | change)


@pytest.mark.parametrize("section,change,message", [
    ("data.pad", {"canvas": "28"}, "'data.pad.canvas' must be int, got '28'"),
    ("data.pad", {"canvas": 100_000}, "'data.pad.canvas' must be in \\[1, 1024\\]"),
    ("data.pad", {"background": "red"}, "'data.pad.background' must be list\\[int\\]"),
    ("data.pad", {"background": [0, 0]}, "'data.pad.background' must be three values in 0..255"),
    ("data.mnist", {"strip_components": "one"}, "'data.mnist.strip_components' must be int"),
    ("data.mnist", {"sha256": "abc"}, "'data.mnist.sha256' must be 64 hex digits"),
    ("data.mnist", {"each": "https://x/{cod}.png"}, "'data.mnist.each' must be an http\\(s\\) URL with \\{code\\}"),
    ("data.mnist", {"allow_missing": "no"}, "'data.mnist.allow_missing' must be bool"),
    ("evaluator", {"seed": -2}, "'evaluator.seed' must be >= 0"),
    ("evaluate", {"samples": 5}, "'evaluate.samples' must be in \\[10, 100000\\]"),
])
def test_data_and_evaluation_params_are_checked(section, change, message):
    cls, values = {"data.pad": (PadOptions, {}), "data.mnist": (DataSource, {"source": "a.zip"}),
                   "evaluator": (EvaluatorParams, {"epochs": 1}),
                   "evaluate": (EvaluateParams, {"samples": 10})}[section]
    with pytest.raises(ParamsError, match=message):
        parse(cls, values | change, section)


def test_errors_name_the_params_file_read(tmp_path):
    other = tmp_path / "other.yaml"
    other.write_text("evaluator:\n  epochs: 0\n")
    with pytest.raises(GanError, match=f"^{other}: 'evaluator.epochs' must be positive"):
        read_section(EvaluatorParams, "evaluator", other)
    with pytest.raises(GanError, match=f"^{other}: missing key 'evaluate'"):
        read_section(EvaluateParams, "evaluate", other)


def test_unreadable_params_files(tmp_path):
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("evaluator:\n  note: caf\xe9\n".encode("latin-1"))
    with pytest.raises(GanError, match="latin.yaml: not UTF-8 text"):
        load_params(latin)
    broken = tmp_path / "broken.yaml"
    broken.write_text("a: [1, 2\n")
    with pytest.raises(GanError, match="broken.yaml: not valid YAML"):
        load_params(broken)
    with pytest.raises(GanError, match="nothing.yaml: no such file"):
        load_params(tmp_path / "nothing.yaml")


def test_stage_scripts_report_bad_data_params_in_one_line(project_copy):
    params = yaml.safe_load((project_copy / "params.yaml").read_text())
    params["data"]["pad"]["canvas"] = "28"
    params["data"]["sources"]["flags"]["strip_components"] = -1
    (project_copy / "params.yaml").write_text(yaml.safe_dump(params))
    pad = run(["python", "pipeline/pad.py", "L", "data/raw/flags", "data/interim/flags_bw"], project_copy, check=False)
    one_line_error(pad.returncode, pad.stderr, "params.yaml: 'data.pad.canvas' must be int, got '28'")
    download = run(["python", "pipeline/download.py", "flags", "data/raw/flags"], project_copy, check=False)
    one_line_error(download.returncode, download.stderr, "'data.sources.flags.strip_components' must be >= 0")
    usage = run(["python", "pipeline/download.py", "flags"], project_copy, check=False)
    assert usage.returncode == 2 and usage.stderr.startswith("usage: python pipeline/download.py NAME DEST")


def test_the_gan_cli_names_params_errors_in_one_line(tmp_path, gan_cli, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine.yaml").write_text("experiments:\n  x: {dataset: sine, generator: [linear -4], "
                                        "discriminator: [linear out], epochs: 1, batch_size: 4}\nevaluator: {}\n"
                                        "datasets: {mnist_train: {family: digits, reference: mnist_test}}\n")
    code, _, err = gan_cli("train", "x", "--params", "mine.yaml")
    one_line_error(code, err, "mine.yaml: 'experiments.x.generator' item 0, 'linear -4', is not a layer spec",
                   "-4 is outside 1..65536")
    code, _, err = gan_cli("evaluator", "mnist_train", "--params", "mine.yaml")
    one_line_error(code, err, "mine.yaml: missing key 'evaluator.epochs'")
    (tmp_path / "empty.yaml").write_text("experiments: {}\n")
    code, _, err = gan_cli("report", "--params", "empty.yaml")
    one_line_error(code, err, "no experiments to report")
    assert not (tmp_path / "results").exists()


def test_project_params_are_valid():
    params = load_params(ROOT / "params.yaml")
    families = {experiment_config(name, params)[1].name for name in params["experiments"]}
    assert families == set(FAMILIES), "every dataset family is in the default run"
