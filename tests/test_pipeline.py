"""The whole pipeline under real DVC with one-epoch experiments: every
experiment trains, evaluates and reports from params.yaml alone (a new entry
included), one experiment's params invalidate only its stages, and `dvc exp
run -S` with DVC's own float spelling moves the metric that param moves."""

import json

import yaml

from gan.datasets import FAMILIES
from tests.conftest import run

FIGURES = {"samples.png", "losses.png", "progress.png", "progress.gif"}


def shrink(project):
    """One quick epoch per experiment (MNIST ones on two digits) and for the
    evaluator; a new experiment `extra`, a copy of gmm8 with another seed,
    added to params.yaml alone."""
    params = yaml.safe_load((project / "params.yaml").read_text())
    params["experiments"]["extra"] = params["experiments"]["gmm8"] | {"seed": 7}
    for exp in params["experiments"].values():
        exp.update(epochs=1, snapshot_every=1)
        if exp["dataset"] == "mnist_train":
            exp.update(digits=[3, 7])
    params["evaluator"]["epochs"] = 1
    params["evaluate"]["samples"] = 100
    (project / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    return params


def test_pipeline_outputs_invalidation_and_experiments(project_copy):
    project = project_copy
    params = shrink(project)
    repro = run(["dvc", "repro"], project)
    assert "Warning" not in repro.stderr + repro.stdout, "numpy, Pillow or matplotlib warnings leaked"
    for name, exp in params["experiments"].items():
        out = project / "results" / name
        family = FAMILIES[params["datasets"][exp["dataset"]]["family"]]
        conditional = exp.get("conditional", False)
        assert (out / "train/model.npz").is_file() and (out / "samples.npy").is_file()
        assert len((out / "log.tsv").read_text().splitlines()) == 2
        assert {p.name for p in (out / "figures").iterdir()} == \
            FIGURES | set(family.figures) | (set(family.conditional_figures) if conditional else set())
        metrics = json.loads((out / "metrics.json").read_text())
        expected = {"d_loss", "g_loss", "d_real", "d_fake", "train_seconds", *family.metrics}
        assert expected <= metrics.keys()
        assert ("label_accuracy" in metrics) == conditional
        assert ("wasserstein" in metrics) == (exp.get("loss") == "wgan_gp")
    report = (project / "report/report.md").read_text()
    assert all(f"| {name} |" in report for name in params["experiments"])
    assert (project / "report/summary.png").stat().st_size > 10_000
    losses = (project / "report/losses/mixture.tsv").read_text()
    assert "extra\tD\t1\t" in losses and "gmm25\tG\t1\t" in losses
    assert json.loads(run(["dvc", "status", "--json"], project).stdout) == {}

    shown = json.loads(run(["dvc", "metrics", "show", "--json"], project).stdout)
    assert "tv_ratio" in json.dumps(shown) and "test_accuracy" in json.dumps(shown)
    plots = run(["dvc", "plots", "show", "--json"], project).stdout
    assert "report/losses/mixture.tsv" in plots and "results/extra/figures/modes.png" in plots

    params["experiments"]["sine"]["lr_g"] = 0.002
    (project / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    # the report lists the experiments, so it depends on the whole section; so does the names check
    assert set(json.loads(run(["dvc", "status", "--json"], project).stdout)) == {"names", "train@sine", "report"}
    dry = run(["dvc", "repro", "--dry"], project).stdout
    ran = {line.split("'")[1] for line in dry.splitlines() if line.startswith("Running stage")}
    assert ran == {"names", "train@sine", "report"}  # evaluate@sine follows once train@sine changes its outputs
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
