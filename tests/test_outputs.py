"""What the tools may replace: only folders gan made (or absent or empty
ones), never their own input, the working folder or its parents; interrupted
runs leave no temporary folders; outputs get ordinary permissions."""

import io
import os
import resource
import signal
import subprocess
import sys
import time
import zipfile

import numpy as np
import pytest
from PIL import Image

from gan.errors import GanError
from gan.files import MARKER, atomic_dir, atomic_file
from tests.conftest import ROOT, as_in_a_terminal, one_line_error


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A folder like the lab's: data/sample/ with an archive, data/processed/ with a cache, and images/."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data/sample").mkdir(parents=True)
    with zipfile.ZipFile(tmp_path / "data/sample/digits.zip", "w") as zf:
        zf.writestr("d/0/a.png", png_bytes())
    (tmp_path / "data/processed/cache").mkdir(parents=True)
    (tmp_path / "data/processed/cache/images.npy").write_bytes(b"precious")
    (tmp_path / "images").mkdir()
    for i in range(3):
        Image.fromarray(np.full((4, 5), 40 * i, dtype=np.uint8)).save(tmp_path / "images" / f"{i}.png")
    return tmp_path


def png_bytes() -> bytes:
    buf = io.BytesIO()
    Image.new("L", (4, 4), 7).save(buf, format="PNG")
    return buf.getvalue()


def listing(root) -> list[str]:
    """Every path under ``root``, hidden ones included, with file sizes."""
    return sorted(f"{p.relative_to(root)}:{p.stat().st_size if p.is_file() else 'dir'}" for p in root.rglob("*"))


@pytest.mark.parametrize("args,fragment", [
    (["data", "download", "data/sample/digits.zip", "data"], "data: overlaps the input data/sample/digits.zip"),
    (["data", "download", "data/sample/digits.zip", "."], "refusing to write over the working folder"),
    (["data", "download", "data/sample/digits.zip", ".."], "refusing to write over the working folder"),
    (["data", "flatten", "images", "images"], "images: overlaps the input images"),
    (["data", "flatten", "images", "images/cache"], "overlaps the input images"),
    (["data", "pad", "images", "images"], "images: overlaps the input images"),
    (["data", "pad", "images/", "./images"], "overlaps the input images"),
    (["data", "flatten", "images", "data/processed/cache"], "data/processed/cache: exists, is not empty and was not "
                                                            "made by gan"),
    (["data", "download", "data/sample/digits.zip", "data/processed"], "data/processed: exists, is not empty"),
])
def test_refused_destinations_leave_everything(project, gan_cli, args, fragment):
    before = listing(project)
    code, _, err = gan_cli(*args)
    one_line_error(code, err, fragment)
    assert listing(project) == before


def test_flatten_refuses_an_input_inside_its_output(project, gan_cli):
    (project / "out").mkdir()
    (project / "out" / MARKER).write_text("made by gan")
    (project / "images").rename(project / "out" / "images")
    code, _, err = gan_cli("data", "flatten", "out/images", "out")
    one_line_error(code, err, "out: overlaps the input out/images")
    assert len(list((project / "out/images").iterdir())) == 3


def test_outputs_gan_made_are_replaced_and_marked(project, gan_cli):
    (project / "empty").mkdir()
    assert gan_cli("data", "flatten", "images", "empty")[0] == 0
    first = (project / "empty/images.npy").read_bytes()
    assert (project / "empty" / MARKER).is_file()
    Image.fromarray(np.full((4, 5), 200, dtype=np.uint8)).save(project / "images/9.png")
    assert gan_cli("data", "flatten", "images", "empty")[0] == 0
    assert (project / "empty/images.npy").read_bytes() != first
    assert sorted(p.name for p in project.iterdir()) == ["data", "empty", "images"], "temporary folders left"


def test_nothing_is_left_beside_an_output(project):
    with pytest.raises(RuntimeError):
        with atomic_dir(project / "out") as tmp:
            (tmp / "half.bin").write_bytes(b"x")
            raise RuntimeError("failed half way")
    with pytest.raises(RuntimeError):
        with atomic_file(project / "one.txt") as tmp:
            tmp.write_text("half")
            raise RuntimeError("failed half way")
    assert sorted(p.name for p in project.iterdir()) == ["data", "images"]


def test_leftovers_of_dead_processes_are_removed(project):
    dead = next(pid for pid in range(4_000_000, 4_100_000) if not os.path.exists(f"/proc/{pid}"))
    leftover = project / f".out.gan-{dead}-0badf00d.tmp"
    leftover.mkdir()
    (leftover / "junk").write_text("x")
    alive = project / f".out.gan-{os.getppid()}-0badf00d.tmp"  # a running process's: kept
    alive.mkdir()
    with atomic_dir(project / "out") as tmp:
        (tmp / "a.txt").write_text("a")
    assert not leftover.exists() and alive.exists() and (project / "out/a.txt").is_file()


def test_outputs_have_ordinary_permissions(project):
    old = os.umask(0o022)
    try:
        with atomic_dir(project / "out") as tmp:
            (tmp / "a.txt").write_text("a")
        with atomic_file(project / "one.txt") as tmp:
            tmp.write_text("one")
    finally:
        os.umask(old)
    assert (project / "out").stat().st_mode & 0o777 == 0o755
    assert (project / "one.txt").stat().st_mode & 0o777 == 0o644
    assert (project / "out" / MARKER).stat().st_mode & 0o777 == 0o644


def test_an_output_inside_a_file_is_one_line(project, gan_cli):
    code, _, err = gan_cli("data", "flatten", "images", "images/0.png/cache")
    one_line_error(code, err, "images/0.png")


def _without_override():
    """Command prefix that makes file permissions apply even to root."""
    return ["setpriv", "--bounding-set=-dac_override,-dac_read_search"] if os.geteuid() == 0 else []


def test_read_only_output_folder(project):
    (project / "locked").mkdir()
    (project / "locked").chmod(0o555)
    result = subprocess.run([*_without_override(), sys.executable, "-m", "gan", "data", "flatten", "images",
                             "locked/cache"], capture_output=True, text=True, cwd=project)
    one_line_error(result.returncode, result.stderr, "locked/cache: cannot write (Permission denied)")
    assert list((project / "locked").iterdir()) == []


def test_full_output_folder(project):
    """A file-size limit makes writes fail as on a full disk (EFBIG instead of ENOSPC)."""
    for i in range(40):
        Image.fromarray(np.random.default_rng(i).integers(0, 256, (64, 64), dtype=np.uint8)).save(
            project / "images" / f"big{i}.png")
    for path in (project / "images").glob("[0-9].png"):
        path.unlink()
    result = subprocess.run([sys.executable, "-m", "gan", "data", "flatten", "images", "cache"], capture_output=True,
                            text=True, cwd=project,
                            preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (50_000, 50_000)))
    one_line_error(result.returncode, result.stderr, "cache/images.npy: cannot write (File too large)")
    assert sorted(p.name for p in project.iterdir()) == ["data", "images"]


@pytest.mark.parametrize("signum,code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_interrupted_download_leaves_no_temporary_folder(tmp_path, signum, code):
    """A download stuck on a trickling server is interrupted: the previous
    DEST survives, and nothing hidden is left beside it or in the temp dir."""
    from tests.test_download import Server, trickle
    server = Server()
    url = server.serve("/slow.zip", trickle)
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / MARKER).write_text("made by gan")
    (dest / "previous.txt").write_text("kept")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    env = os.environ | {"TMPDIR": str(scratch), "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([sys.executable, "-m", "gan", "data", "download", url, str(dest)], env=env,
                               stderr=subprocess.PIPE, text=True, preexec_fn=as_in_a_terminal)
    try:
        deadline = time.monotonic() + 20
        while not list(scratch.iterdir()) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
        process.send_signal(signum)
        _, err = process.communicate(timeout=20)
    finally:
        process.kill()
        server.httpd.shutdown()
        server.httpd.server_close()
    assert process.returncode == code, err
    assert "Traceback" not in err and "earlier outputs are left as they were" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dest", "scratch"]
    assert list(scratch.iterdir()) == [] and (dest / "previous.txt").read_text() == "kept"


def test_atomic_file_refuses_a_folder(project):
    with pytest.raises(GanError, match="images: is a folder"):
        with atomic_file(project / "images"):
            pass
