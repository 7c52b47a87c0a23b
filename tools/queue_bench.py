"""Two queued experiments one at a time against both at once, through DVC's own queue.

In a scratch copy of this project, queues the same two `gmm8` trainings
(seeds 1 and 2, forced past the run cache) three times and times each batch
from `dvc queue start` until the queue is empty:

* one worker (`dvc queue start -j 1`), the default thread budget;
* two workers (`-j 2`) with `GAN_THREADS=1`, one thread each;
* two workers (`-j 2`) with the default budget, which oversubscribes the cores.

Prints one JSON object with the wall times and their ratios.  Run it from
the project root, with its environment's bin on PATH, on an otherwise idle
machine (a few minutes):

    python tools/queue_bench.py
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = ("1", "2")  # the seeds of the two experiments


def sh(*cmd: str, cwd: Path, env: dict | None = None) -> str:
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if result.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def scratch_project(where: Path) -> Path:
    """This project's files (tracked and untracked, not ignored), committed in a fresh git repository."""
    project = where / "project"
    for name in sh("git", "ls-files", "-co", "--exclude-standard", cwd=ROOT).splitlines():
        if name.startswith(("results/", "report/")) or not (ROOT / name).is_file():
            continue
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, project / name)
    sh("git", "init", "-q", cwd=project)
    sh("git", "add", "-A", cwd=project)
    sh("git", "-c", "user.name=bench", "-c", "user.email=bench@localhost", "commit", "-qm", "bench", cwd=project)
    return project


def batch(project: Path, workers: int, env: dict) -> float:
    """Seconds to run the queued pair with ``workers`` workers."""
    for seed in RUNS:
        sh("dvc", "exp", "run", "--queue", "-f", "-S", f"experiments.gmm8.seed={seed}", "train@gmm8", cwd=project)
    start = time.perf_counter()
    sh("dvc", "queue", "start", "-j", str(workers), cwd=project, env=env)
    while any(word in sh("dvc", "queue", "status", cwd=project) for word in ("Queued", "Running")):
        time.sleep(1)
    seconds = time.perf_counter() - start
    sh("dvc", "queue", "stop", "--kill", cwd=project)
    failed = sh("dvc", "queue", "status", cwd=project).count("Failed")
    if failed:
        raise SystemExit(f"{failed} queued experiment(s) failed; see `dvc queue logs` in {project}")
    sh("dvc", "queue", "remove", "--success", cwd=project)
    return seconds


def main() -> None:
    env = {k: v for k, v in os.environ.items() if k != "GAN_THREADS"} | {"DVC_NO_ANALYTICS": "1"}
    with tempfile.TemporaryDirectory() as tmp:
        project = scratch_project(Path(tmp))
        one = batch(project, 1, env)
        budget = batch(project, 2, env | {"GAN_THREADS": "1"})
        oversubscribed = batch(project, 2, env)
    result = {"cores": len(os.sched_getaffinity(0)), "runs": len(RUNS), "one_at_a_time_s": round(one, 1),
              "two_at_once_one_thread_each_s": round(budget, 1), "two_at_once_no_budget_s": round(oversubscribed, 1),
              "speedup_with_budget": round(one / budget, 2), "speedup_without_budget": round(one / oversubscribed, 2)}
    json.dump(result, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
