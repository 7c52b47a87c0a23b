"""DVC beyond one run, under real DVC on one-epoch experiments: the run cache
restores earlier results instead of re-training, a shared remote carries
results and run cache to another clone, and experiments travel with
`dvc exp push` / `dvc exp pull` through a git remote."""

import json

import pytest
import yaml

from tests.conftest import run

STAGES = ["evaluate@gmm8", "evaluate@gmm25"]


def commit(project, message="baseline"):
    run(["git", "add", "-A"], project)
    run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", message], project)


def edit(project, update):
    params = yaml.safe_load((project / "params.yaml").read_text())
    update(params)
    (project / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))


@pytest.fixture
def tiny(project_copy):
    """The project with one-epoch experiments and a small evaluation, committed
    without the lock of the full run (whose outputs this copy never had)."""
    (project_copy / "dvc.lock").unlink()

    def shrink(params):
        for exp in params["experiments"].values():
            exp.update(epochs=1, snapshot_every=1)
        params["evaluate"]["samples"] = 100
    edit(project_copy, shrink)
    commit(project_copy)
    return project_copy


def repro(project, *targets) -> str:
    return run(["dvc", "repro", *targets], project).stdout


def test_going_back_to_earlier_params_restores_instead_of_retraining(tiny):
    first = repro(tiny, "evaluate@gmm8")
    assert "Running stage 'train@gmm8'" in first
    model = (tiny / "results/gmm8/train/model.npz").read_bytes()
    metrics = (tiny / "results/gmm8/metrics.json").read_text()

    edit(tiny, lambda p: p["experiments"]["gmm8"].update(lr_g=0.002))
    assert "Running stage 'train@gmm8'" in repro(tiny, "evaluate@gmm8")
    assert (tiny / "results/gmm8/train/model.npz").read_bytes() != model

    edit(tiny, lambda p: p["experiments"]["gmm8"].update(lr_g=0.001))
    back = repro(tiny, "evaluate@gmm8")
    for stage in ("train@gmm8", "evaluate@gmm8"):
        assert f"Stage '{stage}' is cached - skipping run, checking out outputs" in back
    assert "epochs in" not in back, "the training command ran again"
    assert (tiny / "results/gmm8/train/model.npz").read_bytes() == model
    assert (tiny / "results/gmm8/metrics.json").read_text() == metrics


def test_a_shared_remote_carries_results_and_run_cache_to_another_clone(tiny, tmp_path):
    remote = tmp_path / "shared-cache"
    run(["dvc", "remote", "add", "-d", "shared", str(remote)], tiny)
    commit(tiny, "shared remote")
    machine_b = tmp_path / "machine-b"
    run(["git", "clone", "-q", str(tiny), str(machine_b)], tmp_path)

    repro(tiny, "--glob", "evaluate@gmm*")
    run(["dvc", "push", "--run-cache"], tiny)

    # `--pull` fetches the run cache and the outputs it names as it needs them
    # (`dvc pull --run-cache` alone fetches nothing for stages B's lock lacks)
    on_b = repro(machine_b, "--pull", "--glob", "evaluate@gmm*")
    for stage in ("toy@gmm8", "train@gmm8", "evaluate@gmm8", "train@gmm25", "evaluate@gmm25"):
        assert f"Stage '{stage}' is cached - skipping run, checking out outputs" in on_b, on_b
    assert "epochs in" not in on_b
    for name in ("gmm8", "gmm25"):
        for path in ("train/model.npz", "metrics.json"):
            assert (machine_b / "results" / name / path).read_bytes() == (tiny / "results" / name / path).read_bytes()


def test_experiments_travel_through_a_git_remote(tiny, tmp_path):
    origin, cache = tmp_path / "origin.git", tmp_path / "shared-cache"
    run(["git", "init", "-q", "--bare", str(origin)], tmp_path)
    run(["git", "remote", "add", "origin", str(origin)], tiny)
    run(["dvc", "remote", "add", "-d", "shared", str(cache)], tiny)
    commit(tiny, "remotes")
    run(["git", "push", "-q", "origin", "HEAD:main"], tiny)

    run(["dvc", "exp", "run", "-n", "seed3", "-S", "experiments.gmm8.seed=3", "evaluate@gmm8"], tiny)
    run(["dvc", "exp", "push", "origin", "seed3"], tiny)
    expected = json.loads((tiny / "results/gmm8/metrics.json").read_text())

    machine_b = tmp_path / "machine-b"
    run(["git", "clone", "-q", "-b", "main", str(origin), str(machine_b)], tmp_path)
    run(["dvc", "exp", "pull", "origin", "seed3"], machine_b)
    shown = json.loads(run(["dvc", "exp", "show", "--json"], machine_b).stdout)
    experiments = {exp["name"]: exp for row in shown for exp in (row.get("experiments") or [])}
    data = experiments["seed3"]["revs"][0]["data"]
    assert data["params"]["params.yaml"]["data"]["experiments"]["gmm8"]["seed"] == 3
    assert data["metrics"]["results/gmm8/metrics.json"]["data"] == expected
