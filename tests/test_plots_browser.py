"""`dvc plots show` works offline: the project's HTML template carries vega,
vega-lite and vega-embed inline, and headless Chromium, with every network
lookup refused, draws the loss charts and the image plots without a script
error.  A screenshot goes to dvc_plots/browser-check.png for a person to look at."""

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image

from gan.evaluation.report import _write_losses
from gan.training.run import write_log
from gan.training.trainer import History
from tests.conftest import ROOT, run

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--host-resolver-rules=MAP * ~NOTFOUND",  # offline: no host name resolves
         "--virtual-time-budget=15000"]


def chromium(page: Path, profile: Path, *args: str) -> subprocess.CompletedProcess:
    assert CHROMIUM, "headless Chromium is needed (Debian: apt-get install chromium; .ci/run installs it)"
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args, page.as_uri()],
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def plotted(tmp_path) -> Path:
    """A DVC project with the lab's plot definitions, template and config, two
    families' loss tables written by the report's own code, and an image plot;
    `dvc plots show` rendered into dvc_plots/index.html."""
    project = tmp_path / "project"
    project.mkdir()
    run(["git", "init", "-q"], project)
    run(["dvc", "init", "-q"], project)
    shutil.copytree(ROOT / ".dvc" / "plots", project / ".dvc" / "plots")
    shutil.copy(ROOT / ".dvc" / "config", project / ".dvc" / "config")
    plots = yaml.safe_load((ROOT / "dvc.yaml").read_text())["plots"]
    (project / "dvc.yaml").write_text(yaml.safe_dump({"plots": plots + ["figures"]}))
    results = project / "results"
    for name in ("a", "b", "c"):
        history = History(("epoch", "d_loss", "g_loss", "d_real", "d_fake", "seconds"))
        history.rows = [(e, 1 / e, 2 / e + 0.1, 0.5, 0.5, e) for e in range(1, 6)]
        write_log(results / name / "log.tsv", history)
    for family, members in (("digits", ["a", "b"]), ("flags", ["c"])):
        _write_losses(members, results, project / "report" / "losses" / f"{family}.tsv")
    (project / "figures").mkdir()
    Image.fromarray(np.tile(np.arange(64, dtype=np.uint8) * 4, (32, 1))).save(project / "figures" / "samples.png")
    run(["dvc", "plots", "show"], project)
    return project


def test_plots_render_offline_in_chromium(plotted, tmp_path):
    page = plotted / "dvc_plots" / "index.html"
    html = page.read_text()
    assert "<script src=" not in html and "cdn.jsdelivr" not in html, "the page must not load scripts from the web"
    assert "vega-lite@5" in html and "vega-embed@6" in html and "npm package vega@5" in html

    dom = chromium(page, tmp_path / "profile-dom", "--enable-logging=stderr", "--v=1", "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    console = [line for line in dom.stderr.splitlines() if ":CONSOLE" in line]
    assert not [line for line in console if re.search(r"error|uncaught", line, re.I)], console
    charts = re.findall(r'<svg[^>]*class="marks"', dom.stdout)
    assert len(charts) == 2, f"one chart per family, found {len(charts)}"
    lines = re.findall(r'aria-roledescription="line mark"', dom.stdout)
    assert len(lines) == 2 * 2 + 2 * 1, "a line per experiment and network: digits a, b and flags c, D and G each"
    assert re.search(r'<img[^>]+samples\.png', dom.stdout), "the image plot is on the page"

    shot = chromium(page, tmp_path / "profile-shot", "--window-size=1200,1400",
                    f"--screenshot={plotted / 'dvc_plots' / 'browser-check.png'}")
    assert shot.returncode == 0
    keep = ROOT / "dvc_plots"
    keep.mkdir(exist_ok=True)
    shutil.copy(plotted / "dvc_plots" / "browser-check.png", keep / "browser-check.png")
    with Image.open(keep / "browser-check.png") as image:
        assert image.size == (1200, 1400) and len(np.unique(np.asarray(image.convert("L")))) > 20, "a blank page"
