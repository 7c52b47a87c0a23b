"""The whole pipeline under real DVC with one-epoch experiments: outputs exist,
one experiment's params invalidate only its stages, and `dvc exp run -S`
with `dvc metrics diff` shows the metric that param moves."""

import json

import yaml

from tests.conftest import run

FIGURES = {"samples.png", "losses.png", "progress.png", "progress.gif"}
FAMILY_FIGURE = {"sine": "sine.png", "gmm8": "modes.png", "gmm25": "modes.png", "mnist_train": "classes.png",
                 "flags_bw": "nearest.png", "flags_rgb": "nearest.png"}
FAMILY_METRIC = {"sine": "sine_mae", "gmm8": "modes_covered", "gmm25": "modes_covered", "mnist_train": "fcd",
                 "flags_bw": "tv_ratio", "flags_rgb": "tv_ratio"}


def shrink(project):
    """One quick epoch per experiment and for the evaluator."""
    params = yaml.safe_load((project / "params.yaml").read_text())
    for exp in params["experiments"].values():
        exp.update(epochs=1, snapshot_every=1)
    params["evaluator"]["epochs"] = 1
    params["evaluate"]["samples"] = 200
    (project / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    return params


def test_pipeline_outputs_invalidation_and_experiments(project_copy):
    project = project_copy
    params = shrink(project)
    repro = run(["dvc", "repro"], project)
    assert "Warning" not in repro.stderr + repro.stdout, "numpy, Pillow or matplotlib warnings leaked"
    for name, exp in params["experiments"].items():
        out = project / "results" / name
        assert (out / "train/model.npz").is_file() and (out / "samples.npy").is_file()
        assert len((out / "log.tsv").read_text().splitlines()) == 2
        conditional = exp.get("conditional", False)
        assert {p.name for p in (out / "figures").iterdir()} == \
            FIGURES | {FAMILY_FIGURE[exp["dataset"]]} | ({"digits.png"} if conditional else set())
        metrics = json.loads((out / "metrics.json").read_text())
        assert {"d_loss", "g_loss", "d_real", "d_fake", "train_seconds", FAMILY_METRIC[exp["dataset"]]} \
            <= metrics.keys()
        assert ("label_accuracy" in metrics) == conditional
        assert ("wasserstein" in metrics) == (exp.get("loss") == "wgan_gp")
    report = (project / "results/report.md").read_text()
    assert all(f"| {name} |" in report for name in params["experiments"])
    assert (project / "results/summary.png").stat().st_size > 10_000
    assert json.loads(run(["dvc", "status", "--json"], project).stdout) == {}

    shown = json.loads(run(["dvc", "metrics", "show", "--json"], project).stdout)
    assert "tv_ratio" in json.dumps(shown) and "test_accuracy" in json.dumps(shown)

    params["experiments"]["sine"]["lr_g"] = 0.002
    (project / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    # the report lists the experiments, so it depends on the whole section
    assert set(json.loads(run(["dvc", "status", "--json"], project).stdout)) == {"train@sine", "report"}
    dry = run(["dvc", "repro", "--dry"], project).stdout
    ran = {line.split("'")[1] for line in dry.splitlines() if line.startswith("Running stage")}
    assert ran == {"train@sine", "report"}  # evaluate@sine follows once train@sine changes its outputs
    params["experiments"]["sine"]["lr_g"] = 0.001
    (project / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))

    run(["git", "add", "-A"], project)
    run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "baseline"], project)
    run(["dvc", "exp", "run", "-S", "experiments.flags_rgb_tv.lambda_tv=1e-5"], project)
    assert "lambda_tv: 1e-05" in (project / "params.yaml").read_text()  # DVC's spelling, read as a float
    diff = json.loads(run(["dvc", "metrics", "diff", "--json"], project).stdout)
    changed = diff["results/flags_rgb_tv/metrics.json"]
    assert changed["tv_ratio"]["diff"] != 0
    assert set(diff) == {"results/flags_rgb_tv/metrics.json"}, "only the edited experiment may move"
