"""The report of every experiment: report.md (one table per dataset family,
one row per experiment and one per training set measured the same way; the
weight average's effect; the training budget),
summary.png (a panel of samples per experiment) and
losses/<family>.tsv (every experiment's per-epoch D and G losses, long
format, for ``dvc plots``)."""

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from gan.datasets import FAMILIES  # noqa: E402
from gan.errors import GanError  # noqa: E402
from gan.evaluation.evaluate import LOGGED, read_log  # noqa: E402
from gan.evaluation.figures import save_figure, show_grid  # noqa: E402
from gan.files import atomic_dir, load_array, read_json, write_text  # noqa: E402
from gan.params import load_params, naming_file, section  # noqa: E402
from gan.training.model import read_model_config  # noqa: E402
from gan.training.objectives import OBJECTIVES  # noqa: E402


def experiment_names(params_file: str | Path) -> list[str]:
    """The experiments of the params file, in its order."""
    with naming_file(params_file):
        return list(section(load_params(params_file), "experiments"))


def metrics_table(rows: dict[str, dict], columns: list[str]) -> str:
    """A Markdown table of ``columns``; metrics an experiment lacks are left blank."""
    lines = ["| experiment | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for name, metrics in rows.items():
        cells = [_fmt(metrics[c]) if c in metrics else "" for c in columns]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _fmt(value) -> str:
    return str(value) if isinstance(value, int) else f"{value:.4g}"


def write_report(experiments: list[str], results: str | Path, out: str | Path) -> str:
    """Read ``results``/<name>/ of each experiment (and ``results``/evaluator/)
    and write the report folder ``out``."""
    results = Path(results)
    if not experiments:
        raise GanError("no experiments to report; 'experiments' in the params file is empty")
    missing = [name for name in experiments if not (results / name / "metrics.json").is_file()]
    if missing:
        raise GanError(f"no metrics for {', '.join(missing)} in {results}; run 'gan evaluate' on them first")
    out = Path(out)
    runs = {name: read_model_config(results / name / "train") for name in experiments}
    families = {family.name: members for family in FAMILIES.values()
                if (members := [name for name, (_, space) in runs.items() if space.family == family.name])}
    lines = ["# Results", "", "![summary](summary.png)", ""]
    for family, members in families.items():  # every table is read before anything is written
        lines += [f"## {family}", "", _family_table(FAMILIES[family], members, runs, results), ""]
        lines += _evaluator_lines(results, {runs[name][0].dataset for name in members})
    lines += _average_lines(runs, results) + _budget_lines(runs, results)
    with atomic_dir(out / "losses") as losses:
        for family, members in families.items():
            _write_losses(members, results, losses / f"{family}.tsv")
    link = Path(os.path.relpath(results, out))
    lines += ["## Samples and losses", ""]
    for name in experiments:
        lines += [f"### {name}", "", f"![samples]({link / name / 'figures/samples.png'}) "
                  f"![losses]({link / name / 'figures/losses.png'})", ""]
    write_text(out / "report.md", "\n".join(lines))
    _summary(experiments, results, out / "summary.png")
    return f"{out / 'report.md'}: {len(experiments)} experiments"


def _family_table(family, members: list[str], runs: dict, results: Path) -> str:
    """The metrics of ``members``, then the same metrics of the training rows of
    their datasets (``training.json`` of each evaluator): what a generator that
    reproduced its data would score."""
    rows = {name: read_json(results / name / "metrics.json", "metrics file") for name in members}
    for dataset in dict.fromkeys(runs[name][0].dataset for name in members):
        rows[f"*training data ({dataset})*"] = read_json(results / "evaluator" / dataset / "training.json",
                                                         f"training-data metrics; run 'gan evaluator {dataset}'")
    extra = [c for name in members for c in OBJECTIVES[runs[name][0].loss].columns]
    columns = [*family.metrics, *family.conditional_metrics, *LOGGED, *dict.fromkeys(extra), "train_seconds"]
    return metrics_table(rows, [c for c in columns if any(c in m for m in rows.values())])


def _average_lines(runs: dict, results: Path) -> list[str]:
    """'## Weight average': each family metric with and without it, for the experiments that keep one."""
    lines = []
    for name, (config, space) in runs.items():
        metrics = read_json(results / name / "metrics.json", "metrics file")
        if "without_ema" in metrics:
            without = metrics["without_ema"]
            lines += [f"| {name} | {config.ema:g} | {key} | {_fmt(metrics[key])} | {_fmt(without[key])} |"
                      for key in FAMILIES[space.family].metrics if key in without]
    if not lines:
        return []
    return ["## Weight average", "", "Samples of G's moving average (`ema`) against those of its trained weights, "
            "on the same noise.", "", "| experiment | ema | metric | with ema | without |", "|---|---|---|---|---|",
            *lines, ""]


def _budget_lines(runs: dict, results: Path) -> list[str]:
    """'## Budget': each experiment's epochs and training seconds, its share, and the total."""
    seconds = {name: float(read_json(results / name / "metrics.json", "metrics file")["train_seconds"])
               for name in runs}
    total = sum(seconds.values())
    lines = ["## Budget", "", "Training time of each experiment (evaluation and data stages not included).", "",
             "| experiment | epochs | train_seconds | share |", "|---|---|---|---|"]
    lines += [f"| {name} | {runs[name][0].epochs} | {s:.0f} | {s / total:.0%} |" for name, s in seconds.items()]
    return lines + [f"| **total** | | {total:.0f} ({total / 60:.1f} min) | 100% |", ""]


def _evaluator_lines(results: Path, datasets: set[str]) -> list[str]:
    """'<dataset> evaluator test accuracy: ...' for the datasets whose evaluator reports one."""
    lines = []
    for dataset in sorted(datasets):
        path = results / "evaluator" / dataset / "metrics.json"
        if path.is_file():
            accuracy = read_json(path, "metrics file")["test_accuracy"]
            lines += [f"{dataset} evaluator test accuracy: {accuracy:.4f}", ""]
    return lines


def _write_losses(members: list[str], results: Path, path: Path) -> None:
    """experiment, network (D or G), epoch, loss: one row per experiment, network and epoch."""
    lines = ["experiment\tnetwork\tepoch\tloss"]
    for name in members:
        log = read_log(results / name / "log.tsv")
        for network, column in (("D", "d_loss"), ("G", "g_loss")):
            lines += [f"{name}\t{network}\t{int(e)}\t{v:.6g}" for e, v in zip(log["epoch"], log[column])]
    write_text(path, "\n".join(lines) + "\n")


def _summary(experiments: list[str], results: Path, path: Path) -> None:
    cols = min(4, len(experiments))
    rows = (len(experiments) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 3.4 * rows), squeeze=False)
    for ax, name in zip(axes.ravel(), experiments):
        samples = load_array(results / name / "samples.npy", "samples file")
        if samples.ndim == 4:
            show_grid(ax, samples[:36], 6, name)
        else:
            ax.scatter(samples[:, 0], samples[:, 1], s=2)
            ax.set_title(name)
    for ax in axes.ravel()[len(experiments):]:
        ax.axis("off")
    save_figure(fig, path)
