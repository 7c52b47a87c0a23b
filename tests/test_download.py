"""Downloads over real HTTP from a server on 127.0.0.1, and safe extraction."""

import hashlib
import io
import json
import random
import socket
import tarfile
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from gan.data.archive import extract_archive
from gan.data.download import download, sha256_file
from gan.data.http import HttpOptions
from gan.errors import GanError

FAST = HttpOptions(connect_timeout=2, read_timeout=5, retries=2, backoff=0.01)


def make_zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


ARCHIVE = make_zip({"top/a.txt": b"alpha", "top/sub/b.txt": b"beta" * 1000})


class Server:
    """Routes: path -> list of (status, body, declared length or None), served
    in turn (the last one repeats)."""

    def __init__(self):
        self.routes, self.hits = {}, {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                server.hits[self.path] = server.hits.get(self.path, 0) + 1
                plan = server.routes.get(self.path, [(404, b"not found", None)])
                status, body, length = plan[min(server.hits[self.path], len(plan)) - 1]
                self.send_response(status)
                self.send_header("Content-Length", str(length if length is not None else len(body)))
                self.end_headers()
                self.wfile.write(body)
                self.close_connection = True

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture
def server():
    s = Server()
    yield s
    s.httpd.shutdown()
    s.httpd.server_close()


def test_download_extracts_and_verifies(server, tmp_path):
    server.routes["/data.zip"] = [(200, ARCHIVE, None)]
    digest = hashlib.sha256(ARCHIVE).hexdigest()
    summary = download(f"{server.url}/data.zip", tmp_path / "out", sha256=digest, strip_components=1, opts=FAST)
    assert (tmp_path / "out" / "a.txt").read_bytes() == b"alpha"
    assert (tmp_path / "out" / "sub" / "b.txt").read_bytes() == b"beta" * 1000
    assert "2 files" in summary
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"], "temporary files left behind"


def test_404_names_url_and_status(server, tmp_path):
    with pytest.raises(GanError, match=r"/nothing\.zip: HTTP 404"):
        download(f"{server.url}/nothing.zip", tmp_path / "out", opts=FAST)
    assert server.hits["/nothing.zip"] == 1, "a 404 must not be retried"
    assert not (tmp_path / "out").exists()


def test_500_then_success_is_retried(server, tmp_path):
    server.routes["/flaky.zip"] = [(500, b"oops", None), (503, b"busy", None), (200, ARCHIVE, None)]
    download(f"{server.url}/flaky.zip", tmp_path / "out", opts=FAST)
    assert server.hits["/flaky.zip"] == 3
    assert (tmp_path / "out" / "top" / "a.txt").exists()


def test_persistent_500_fails_after_retries(server, tmp_path):
    server.routes["/down.zip"] = [(500, b"oops", None)]
    with pytest.raises(GanError, match=r"HTTP 500 .* after 3 attempts"):
        download(f"{server.url}/down.zip", tmp_path / "out", opts=FAST)


def test_checksum_mismatch_keeps_previous_output(server, tmp_path):
    server.routes["/data.zip"] = [(200, ARCHIVE, None)]
    previous = tmp_path / "out"
    previous.mkdir()
    (previous / "keep.txt").write_text("old")
    with pytest.raises(GanError, match=r"checksum mismatch: expected sha256 0{64}, got [0-9a-f]{64}"):
        download(f"{server.url}/data.zip", previous, sha256="0" * 64, opts=FAST)
    assert [p.name for p in previous.iterdir()] == ["keep.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_truncated_body(server, tmp_path):
    server.routes["/cut.zip"] = [(200, ARCHIVE[:100], len(ARCHIVE))]
    with pytest.raises(GanError, match="truncated"):
        download(f"{server.url}/cut.zip", tmp_path / "out", opts=FAST)
    assert server.hits["/cut.zip"] == 3
    assert not (tmp_path / "out").exists()


def test_unreachable_host(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the block ends: nothing listens there
    with pytest.raises(GanError, match=rf"127\.0\.0\.1:{port}/x\.zip: cannot connect"):
        download(f"http://127.0.0.1:{port}/x.zip", tmp_path / "out", opts=FAST)


def test_not_an_archive(server, tmp_path):
    server.routes["/page.zip"] = [(200, b"<html>hello</html>", None)]
    with pytest.raises(GanError, match="not a zip or tar archive"):
        download(f"{server.url}/page.zip", tmp_path / "out", opts=FAST)


def test_local_path_and_missing_local_file(tmp_path):
    archive = tmp_path / "a.zip"
    archive.write_bytes(ARCHIVE)
    download(str(archive), tmp_path / "out", sha256=sha256_file(archive))
    assert (tmp_path / "out" / "top" / "sub" / "b.txt").exists()
    with pytest.raises(GanError, match="nope.zip: no such file"):
        download(str(tmp_path / "nope.zip"), tmp_path / "out2")


def test_per_file_mode(server, tmp_path):
    server.routes["/codes.json"] = [(200, json.dumps({"fr": "France", "de": "Germany", "xx": "Nowhere"}).encode(),
                                     None)]
    server.routes["/w20/fr.png"] = [(500, b"", None), (200, b"FR", None)]
    server.routes["/w20/de.png"] = [(200, b"DE", None)]
    each = server.url + "/w20/{code}.png"
    with pytest.raises(GanError, match=r"1 of 3 files failed: xx\.png .*HTTP 404"):
        download(f"{server.url}/codes.json", tmp_path / "flags", each=each, opts=FAST)
    assert not (tmp_path / "flags").exists()
    summary = download(f"{server.url}/codes.json", tmp_path / "flags", each=each, allow_missing=True, opts=FAST)
    assert "2 files" in summary and "1 missing: xx.png" in summary
    assert (tmp_path / "flags" / "fr.png").read_bytes() == b"FR"
    assert json.loads((tmp_path / "flags" / "codes.json").read_text())["de"] == "Germany"


# --- safe extraction ---------------------------------------------------------------

def unsafe_tar(tmp_path, name, linkname=None):
    path = tmp_path / "evil.tar.gz"
    with tarfile.open(path, "w:gz") as tf:
        info = tarfile.TarInfo(name)
        if linkname is None:
            info.size = 4
            tf.addfile(info, io.BytesIO(b"evil"))
        else:
            info.type, info.linkname = tarfile.SYMTYPE, linkname
            tf.addfile(info)
    return path


@pytest.mark.parametrize("entry", ["../evil.txt", "/tmp/evil.txt", "ok/../../evil.txt", "C:/evil.txt"])
def test_zip_slip_refused(tmp_path, entry):
    archive = tmp_path / "evil.zip"
    archive.write_bytes(make_zip({"fine.txt": b"ok", entry: b"evil"}))
    with pytest.raises(GanError, match=f"refusing entry '{entry}'"):
        download(str(archive), tmp_path / "box" / "out")
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path / "box" / "out").exists()


@pytest.mark.parametrize("name,link", [("../evil.txt", None), ("/abs.txt", None),
                                       ("link", "../../etc/passwd"), ("link", "/etc/passwd"),
                                       ("a/link", "../../outside")])
def test_tar_traversal_refused(tmp_path, name, link):
    archive = unsafe_tar(tmp_path, name, link)
    target = tmp_path / "box"
    target.mkdir()
    with pytest.raises(GanError, match="refusing"):
        extract_archive(archive, target)
    assert list(target.iterdir()) == [] and not (tmp_path / "evil.txt").exists()


def test_tar_with_inner_link_is_fine(tmp_path):
    archive = tmp_path / "ok.tar"
    with tarfile.open(archive, "w") as tf:
        info = tarfile.TarInfo("d/file.txt")
        info.size = 2
        tf.addfile(info, io.BytesIO(b"hi"))
        link = tarfile.TarInfo("d/alias.txt")
        link.type, link.linkname = tarfile.SYMTYPE, "file.txt"
        tf.addfile(link)
    (tmp_path / "out").mkdir()
    assert extract_archive(archive, tmp_path / "out") == 2
    assert (tmp_path / "out" / "d" / "alias.txt").read_text() == "hi"


def test_size_limit(tmp_path):
    archive = tmp_path / "big.zip"
    archive.write_bytes(make_zip({"zeros.bin": bytes(10_000)}))
    (tmp_path / "out").mkdir()
    with pytest.raises(GanError, match="would extract 10,000 bytes, over the limit of 1,000"):
        extract_archive(archive, tmp_path / "out", max_bytes=1000)
    assert list((tmp_path / "out").iterdir()) == []


@pytest.mark.parametrize("kind", ["zip", "tar.gz"])
def test_truncated_archive(tmp_path, kind):
    if kind == "zip":
        data = make_zip({f"f{i}.bin": bytes(range(256)) * 40 for i in range(5)})
    else:
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w:gz") as tf:
            for i in range(5):
                info = tarfile.TarInfo(f"f{i}.bin")
                payload = random.Random(i).randbytes(10_000)
                info.size = len(payload)
                tf.addfile(info, io.BytesIO(payload))
        data = buf.getvalue()
    archive = tmp_path / f"cut.{kind}"
    archive.write_bytes(data[: len(data) // 2])
    with pytest.raises(GanError, match="truncated|not a zip or tar"):
        download(str(archive), tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_progress_bar_gets_total_from_content_length(server, tmp_path, monkeypatch):
    from gan.data import http

    seen = {}

    class Recorder:
        def __init__(self, total=None, disable=None, **kwargs):
            seen.update(total=total, disable=disable, updates=0)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def update(self, n):
            seen["updates"] += n

    monkeypatch.setattr(http, "tqdm", Recorder)
    server.routes["/data.zip"] = [(200, ARCHIVE, None)]
    http.download_url(f"{server.url}/data.zip", tmp_path / "a.zip", FAST, progress=True)
    assert seen == {"total": len(ARCHIVE), "disable": None, "updates": len(ARCHIVE)}
    http.download_url(f"{server.url}/data.zip", tmp_path / "b.zip", FAST, progress=False)
    assert seen["disable"] is True
