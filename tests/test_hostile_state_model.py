"""Hostile model files: `gan sample` and `gan evaluate` refuse, in one line
naming the file, a model.npz whose members are unknown, missing, of another
shape or dtype, or not finite, and a config.json whose sample space or sizes
are out of bounds; unknown members are never decompressed."""

import io
import json
import os
import zipfile

import numpy as np
import pytest
import yaml

from tests.conftest import deadline, one_line_error
from tests.test_training import DATASETS, SINE, TINY_FLAGS, train, workdir  # noqa: F401  (workdir is a fixture)


@pytest.fixture
def results(workdir):  # noqa: F811
    """results/ with the trained 'tiny' (flags) and 'sine' experiments."""
    (workdir / "params.yaml").write_text(yaml.safe_dump({
        "datasets": DATASETS, "experiments": {"tiny": TINY_FLAGS, "sine": SINE | {"epochs": 2}},
        "evaluate": {"samples": 50, "seed": 0}}))
    train("tiny")
    train("sine")
    return workdir / "results"


def edit_model(path, change) -> None:
    with np.load(path) as model:
        arrays = dict(model)
    change(arrays)
    np.savez(path, **arrays)


def edit_config(path, change) -> None:
    config = json.loads(path.read_text())
    change(config)
    path.write_text(json.dumps(config))


def npy_header(shape, descr="<f4") -> bytes:
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": descr, "fortran_order": False, "shape": shape})
    return header.getvalue()


@pytest.mark.parametrize("command", [("sample", "tiny", "a.png"), ("evaluate", "tiny")])
@pytest.mark.parametrize("change,message", [
    (lambda arrays: arrays.update({"opt_g/t": np.zeros(3)}), "'opt_g/t' is float64 of shape (3,), expected int64 of "
                                                            "shape ()"),
    (lambda arrays: arrays.pop("opt_g/t"), "missing ['opt_g/t']"),
    (lambda arrays: arrays.update({"opt_d/m.0": arrays["opt_d/m.0"].astype(np.float64)}),
     "'opt_d/m.0' is float64 of shape (108, 16), expected float32"),
    (lambda arrays: arrays.update({"generator/0.W": np.full((8, 16), np.nan, np.float32)}),
     "'generator/0.W' holds NaN or Inf"),
    (lambda arrays: arrays["discriminator/4.b"].fill(np.inf), "'discriminator/4.b' holds NaN or Inf"),
], ids=["optimiser_t_shape", "optimiser_t_missing", "optimiser_m_dtype", "nan_weights", "inf_weights"])
def test_a_wrong_member_is_one_line_naming_the_model(results, gan_cli, change, message, command):
    edit_model(results / "tiny/train/model.npz", change)
    one_line_error(*gan_cli(*command)[::2], "results/tiny/train/model.npz: not a readable model", message)


def test_unknown_members_are_refused_unread(results, gan_cli, monkeypatch):
    model = results / "tiny/train/model.npz"
    with zipfile.ZipFile(model, "a", zipfile.ZIP_DEFLATED) as archive:  # 16 MiB of zeros in a few KB
        archive.writestr("extra.npy", npy_header((4 << 20,)) + bytes(16 << 20))
    opened = []
    real_open = zipfile.ZipFile.open
    monkeypatch.setattr(zipfile.ZipFile, "open", lambda self, member, *args, **kwargs: (
        opened.append(getattr(member, "filename", member)), real_open(self, member, *args, **kwargs))[1])
    one_line_error(*gan_cli("sample", "tiny", "a.png")[::2], "results/tiny/train/model.npz: not a readable model",
                   "unknown ['extra.npy']")
    assert "extra.npy" not in opened


def test_a_member_declaring_another_shape_is_refused_before_its_data_is_read(results, gan_cli):
    model = results / "tiny/train/model.npz"
    with np.load(model) as stored:
        arrays = dict(stored)
    with zipfile.ZipFile(model, "w") as archive:
        for key, value in arrays.items():
            member = io.BytesIO()
            np.lib.format.write_array(member, value)
            huge = npy_header((1 << 20, 16)) + bytes(64)  # declares 64 MiB, holds 64 bytes
            archive.writestr(f"{key}.npy", huge if key == "generator/0.W" else member.getvalue())
    one_line_error(*gan_cli("sample", "tiny", "a.png")[::2], "results/tiny/train/model.npz",
                   "'generator/0.W' is float32 of shape (1048576, 16), expected float32 of shape (8, 16)")


@pytest.mark.parametrize("mean,std", [([0, 0], ["nan", 1]), ([0, 0], [1, "inf"]), (["-inf", 0], [1, 1]),
                                      ([0, 0], [1, 0]), ([0, 0], [-1, 1]), ([], [])],
                         ids=["nan_std", "inf_std", "inf_mean", "zero_std", "negative_std", "no_stats"])
def test_a_sample_space_with_bad_statistics_is_refused(results, gan_cli, mean, std):
    edit_config(results / "sine/train/config.json", lambda config: config["samples"].update(mean=mean, std=std))
    one_line_error(*gan_cli("sample", "sine", "points.npy")[::2], "results/sine/train/config.json",
                   "'samples.mean' and 'samples.std' must be 2 finite numbers each, std above 0")
    assert not (results.parent / "points.npy").exists()


@pytest.mark.parametrize("change,message", [
    (lambda config: config["experiment"].update(noise_size=5000), "'experiment.noise_size' must be in 1..4096"),
    (lambda config: config["samples"].update(classes=2000), "'samples.classes' 2000 is above the ceiling of 1000"),
], ids=["noise_size", "classes"])
def test_sizes_a_model_config_asks_for_have_a_ceiling(results, gan_cli, change, message):
    edit_config(results / "tiny/train/config.json", change)
    one_line_error(*gan_cli("sample", "tiny", "a.png")[::2], "results/tiny/train/config.json", message)


def test_finite_weights_too_large_to_sample_with_are_refused(results, gan_cli):
    edit_model(results / "sine/train/model.npz", lambda arrays: arrays.update(
        {k: v * np.float32(1e30) for k, v in arrays.items() if k.startswith("generator/") and k.endswith(".W")}))
    one_line_error(*gan_cli("sample", "sine", "points.npy")[::2], "results/sine/train: the model draws NaN or Inf")
    assert not (results.parent / "points.npy").exists()


@pytest.fixture
def evaluated(results, gan_cli):
    """results/ with 'tiny' and 'sine' evaluated, so that the report can run."""
    params = results.parent / "params.yaml"
    params.write_text(yaml.safe_dump(yaml.safe_load(params.read_text()) | {"evaluator": {"epochs": 1, "seed": 0}}))
    for args in (["evaluator", "flags_rgb"], ["evaluator", "sine"], ["evaluate", "tiny"], ["evaluate", "sine"]):
        code, _, err = gan_cli(*args)
        assert code == 0, (args, err)
    return results


def as_fifo(path) -> None:
    path.unlink()
    os.mkfifo(path)


def truncated(path) -> None:
    path.write_bytes(path.read_bytes()[:40])


@pytest.mark.parametrize("damage", [as_fifo, truncated])
@pytest.mark.parametrize("command,path,what", [
    (("evaluate", "tiny"), "evaluator/flags_rgb/images.npy", "evaluation reference"),
    (("evaluate", "tiny"), "tiny/train/snapshots.npz", "snapshots file"),
    (("report",), "sine/samples.npy", "samples file"),
], ids=["reference", "snapshots", "samples"])
def test_a_damaged_file_the_evaluation_reads_is_one_line_naming_it(evaluated, gan_cli, damage, command, path,
                                                                   what):
    damage(evaluated / path)
    with deadline(60):  # a FIFO opened for reading would block for ever
        code, _, err = gan_cli(*command)
    one_line_error(code, err, f"results/{path}: ",
                   "not a regular file" if damage is as_fifo else f"not a readable {what}")
