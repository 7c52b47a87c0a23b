"""results/report.md (one row per experiment, one column per metric) and
results/summary.png (one panel of samples per experiment)."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from gan.errors import GanError  # noqa: E402
from gan.evaluation.figures import save_figure, show_grid  # noqa: E402
from gan.files import atomic_file, read_json  # noqa: E402


def metrics_table(rows: dict[str, dict]) -> str:
    """A Markdown table; metrics an experiment lacks are left blank."""
    columns = list(dict.fromkeys(k for metrics in rows.values() for k in metrics))
    lines = ["| experiment | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for name, metrics in rows.items():
        cells = [_fmt(metrics[c]) if c in metrics else "" for c in columns]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _fmt(value) -> str:
    return str(value) if isinstance(value, int) else f"{value:.4g}"


def write_report(experiments: list[str], out_root: str | Path = "results") -> str:
    out_root = Path(out_root)
    if not experiments:
        raise GanError("no experiments to report; 'experiments' in the params file is empty")
    rows, missing = {}, []
    for name in experiments:
        path = out_root / name / "metrics.json"
        if path.is_file():
            rows[name] = read_json(path, "metrics file")
        else:
            missing.append(name)
    if missing:
        raise GanError(f"no metrics for {', '.join(missing)}; run 'gan evaluate' on them first")
    evaluator = out_root / "evaluator" / "mnist_train" / "metrics.json"
    lines = ["# Results", "", metrics_table(rows), ""]
    if evaluator.is_file():
        accuracy = read_json(evaluator, "metrics file")["test_accuracy"]
        lines += [f"MNIST evaluator test accuracy: {accuracy:.4f}", ""]
    lines += ["![summary](summary.png)", ""]
    for name in experiments:
        lines += [f"## {name}", "", f"![samples]({name}/figures/samples.png) ![losses]({name}/figures/losses.png)", ""]
    with atomic_file(out_root / "report.md") as tmp:
        tmp.write_text("\n".join(lines))
    _summary(experiments, out_root)
    return f"{out_root / 'report.md'}: {len(rows)} experiments"


def _summary(experiments: list[str], out_root: Path) -> None:
    cols = min(4, len(experiments))
    rows = (len(experiments) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 3.4 * rows), squeeze=False)
    for ax, name in zip(axes.ravel(), experiments):
        samples = np.load(out_root / name / "samples.npy")
        if samples.ndim == 4:
            show_grid(ax, samples[:36], 6, name)
        else:
            ax.scatter(samples[:, 0], samples[:, 1], s=2)
            ax.set_title(name)
    for ax in axes.ravel()[len(experiments):]:
        ax.axis("off")
    save_figure(fig, out_root / "summary.png")
