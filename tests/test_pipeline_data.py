"""The data stages under real `dvc repro` in a temporary copy of the project."""

import json

import numpy as np
import yaml

from tests.conftest import run

DATA_STAGES = ["download@mnist", "download@flags", "pad@flags_bw", "pad@flags_rgb", "flatten@mnist_train",
               "flatten@mnist_test", "flatten@flags_bw", "flatten@flags_rgb"]


def changed_stages(project) -> set[str]:
    """Data stages that `dvc status` reports as changed."""
    status = json.loads(run(["dvc", "status", "--json", *DATA_STAGES], project).stdout)
    return set(status)


def edit_params(project, update):
    params = yaml.safe_load((project / "params.yaml").read_text())
    update(params)
    (project / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))


def test_data_stages_build_caches_and_rerun_only_what_changed(project_copy):
    project = project_copy
    stages = ["flatten@mnist_train", "flatten@mnist_test", "flatten@flags_bw", "flatten@flags_rgb"]
    run(["dvc", "repro", *stages], project)
    images = {name: np.load(project / f"data/processed/{name}/images.npy")
              for name in ["mnist_train", "mnist_test", "flags_bw", "flags_rgb"]}
    assert images["mnist_train"].shape == (4000, 1, 28, 28)
    assert images["mnist_test"].shape == (1000, 1, 28, 28)
    assert images["flags_bw"].shape == (256, 1, 28, 28)
    assert images["flags_rgb"].shape == (256, 3, 28, 28)
    labels = np.load(project / "data/processed/mnist_train/labels.npy")
    assert np.array_equal(np.bincount(labels), [400] * 10)

    again = run(["dvc", "repro", *stages], project).stdout
    assert "didn't change, skipping" in again and "Running stage" not in again
    assert changed_stages(project) == set()

    edit_params(project, lambda p: p["data"]["pad"].update(canvas=32))
    assert changed_stages(project) == {"pad@flags_bw", "pad@flags_rgb"}
    run(["dvc", "repro", "flatten@flags_rgb"], project)
    assert np.load(project / "data/processed/flags_rgb/images.npy").shape == (256, 3, 32, 32)

    manifest = json.loads((project / "data/processed/flags_rgb/manifest.json").read_text())
    assert manifest["names"][manifest["files"].index("fr.png")] == "France", "flag names travel into the cache"
    edit_params(project, lambda p: p["data"]["sources"]["mnist"].update(max_extract_mb=100))
    assert changed_stages(project) == {"download@mnist", "pad@flags_bw"}


def test_bad_checksum_fails_the_stage_with_one_line(project_copy):
    edit_params(project_copy, lambda p: p["data"]["sources"]["flags"].update(sha256="0" * 64))
    result = run(["python", "pipeline/download.py", "flags", "data/raw/flags"], project_copy, check=False)
    assert result.returncode == 1
    assert result.stderr.strip().startswith("error: data/sample/flags-w20.zip: checksum mismatch")
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (project_copy / "data/raw/flags").exists()


def test_unknown_params_key_is_named(project_copy):
    edit_params(project_copy, lambda p: p["data"]["pad"].update(colour="red"))
    result = run(["python", "pipeline/pad.py", "L", "data/raw/flags", "data/interim/flags_bw"], project_copy,
                 check=False)
    assert result.returncode == 1 and "unknown key 'data.pad.colour'" in result.stderr
