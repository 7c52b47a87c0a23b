"""Markdown tables for docs/performance.md from what a GPU session measured,
beside the CPU's figures: so that the numbers recorded there are generated,
not copied by hand.

Usage: python tools/gpu_tables.py OUT [--report report/report.md]
                                      [--spread docs/figures/cpu_spread.tsv]

OUT is tools/gpu_check.sh's folder: bench_cuda.json (``gan bench --device
cuda``) and gpu_lab.json (tools/gpu_lab.py); either may be missing.  The CPU
side: the training seconds of report.md's budget table (the default `dvc
repro`, one experiment at a time on 2 cores) and the CPU run's metrics
after each of its last epochs (tools/metric_spread.py).  A GPU metric is
"within" when it lies between the least and the greatest of those; a line
after the tables says whether the GPU run's data and evaluator references
were dvc.lock's (tools/gpu_lab.py's ``inputs``).
"""

import argparse
import json
from pathlib import Path

GOALS = {"mlp_step": 1.0, "dcgan_step": 0.7}  # ratio to PyTorch eager, B64 and B128 (issue #24)


def bench_table(bench: dict) -> list[str]:
    """The lab's step against PyTorch eager's, samples/s, per network and batch."""
    lines = ["| step | batch | this lab (samples/s) | PyTorch eager | ratio | goal |", "|---|---|---|---|---|---|"]
    for key, goal in GOALS.items():
        for run in bench.get(key, []):
            ratio = run.get("ratio_to_torch")
            lines.append(f"| {key.replace('_', ' ')} | {run['batch']} | {run['samples_per_s']:,.0f} | "
                         f"{run.get('torch_samples_per_s', float('nan')):,.0f} | "
                         f"{'' if ratio is None else f'{ratio:.2f}x'} | "
                         f"{f'{goal:.1f}x' if run['batch'] in (64, 128) else ''} |")
    if "torch" in bench:
        lines.append(f"\nPyTorch: {bench['torch']}")
    return lines


def cpu_seconds(report: Path) -> dict[str, float]:
    """experiment -> training seconds, from the report's budget table."""
    budget = report.read_text().split("## Budget", 1)[1].split("\n## ", 1)[0]
    cells = [line.strip("|").split("|") for line in budget.splitlines() if line.startswith("| ")]
    return {c[0].strip(): float(c[2]) for c in cells if len(c) == 4 and c[2].strip().replace(".", "").isdigit()}


def cpu_spread(tsv: Path) -> dict[str, dict[str, list[float]]]:
    """experiment -> metric -> its values after each of the last epochs, in order."""
    spread: dict[str, dict[str, list[float]]] = {}
    for line in tsv.read_text().splitlines()[1:]:
        name, _, metric, value = line.split("\t")
        spread.setdefault(name, {}).setdefault(metric, []).append(float(value))
    return spread


def time_table(lab: dict, seconds: dict[str, float]) -> list[str]:
    """Training seconds of each experiment on the CPU and on the GPU."""
    jobs = lab.get("jobs", 1)
    lines = [f"| experiment | CPU (s) | GPU, {jobs} at a time (s) | CPU / GPU |", "|---|---|---|---|"]
    for name, cpu in seconds.items():
        gpu = lab["train_seconds"].get(name)
        shown = f"failed: {lab['failed'][name]}" if name in lab.get("failed", {}) else \
            ("not run" if gpu is None else f"{gpu:.1f}")
        lines.append(f"| {name} | {cpu:.0f} | {shown} | {'' if gpu is None else f'{cpu / gpu:.1f}x'} |")
    lines.append(f"| **total** | {sum(seconds.values()):.0f} | {lab.get('train_seconds_total', 0):.1f} "
                 f"(wall {lab.get('wall_seconds', 0):.0f} s, evaluation included) | |")
    return lines


def metrics_table(lab: dict, spread: dict[str, dict[str, list[float]]]) -> list[str]:
    """Each GPU metric beside the CPU run's: its last value and its range over the last epochs."""
    lines = ["| experiment | metric | CPU | CPU, last epochs (count) | GPU | within |", "|---|---|---|---|---|---|"]
    for name, metrics in spread.items():
        gpu = lab["metrics"].get(name, {})
        for metric, values in metrics.items():
            value = gpu.get(metric)
            within = "" if value is None else ("yes" if min(values) <= value <= max(values) else "**no**")
            lines.append(f"| {name} | {metric} | {values[-1]:.4g} | {min(values):.4g} .. {max(values):.4g} "
                         f"({len(values)}) | {'' if value is None else f'{value:.4g}'} | {within} |")
    return lines


def inputs_line(lab: dict) -> list[str]:
    """Whether the GPU run's data caches and evaluator references are the CPU run's (dvc.lock's)."""
    inputs = lab.get("inputs", {})
    if not inputs:
        return ["The GPU run's data caches and evaluator references were not checked against dvc.lock."]
    other = sorted(path for path, how in inputs.items() if how not in ("kept", "made"))
    kept = sum(how == "kept" for how in inputs.values())
    line = (f"The GPU run's data caches and evaluator references: {len(inputs) - len(other)} of {len(inputs)} "
            f"as in dvc.lock ({kept} there already, the rest made on the GPU machine).")
    if other:
        line += (" **Not as in dvc.lock:** " + ", ".join(f"{path} ({inputs[path]})" for path in other) +
                 "; what depends on them is not measured with the CPU run's ruler.")
    return [line]


def measured(path: Path) -> dict | None:
    """The JSON in ``path``; None if it is missing or was cut short (a phase past its time limit)."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--report", type=Path, default=Path("report/report.md"))
    parser.add_argument("--spread", type=Path, default=Path("docs/figures/cpu_spread.tsv"))
    args = parser.parse_args()
    bench, lab = measured(args.out / "bench_cuda.json"), measured(args.out / "gpu_lab.json")
    sections = [bench_table(bench)] if bench else []
    if lab:
        sections += [time_table(lab, cpu_seconds(args.report)), metrics_table(lab, cpu_spread(args.spread)),
                     inputs_line(lab)]
    print("\n\n".join("\n".join(lines) for lines in sections)
          or f"{args.out}: no readable bench_cuda.json or gpu_lab.json")


if __name__ == "__main__":
    main()
