"""Downloads over real HTTP from a server on 127.0.0.1: retries, limits,
deadlines and hostile answers, each failing with one clear line."""

import gzip
import hashlib
import io
import json
import socket
import threading
import time
import zipfile
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from gan.data.download import DataSource, download, sha256_file
from gan.data.http import HttpOptions
from gan.errors import GanError
from tests.conftest import one_line_error

FAST = HttpOptions(connect_timeout=2, read_timeout=2, retries=2, backoff=0.01)


def make_zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


ARCHIVE = make_zip({"top/a.txt": b"alpha", "top/sub/b.txt": b"beta" * 1000})


def spec(source: str, **options) -> DataSource:
    return DataSource(source=source, **options)


class Server:
    """Routes: path -> list of answers, served in turn (the last one repeats).
    An answer is (status, body, declared length or None, extra headers) or a
    function of the request handler that writes the whole answer itself."""

    def __init__(self):
        self.routes, self.hits = {}, {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                server.hits[self.path] = server.hits.get(self.path, 0) + 1
                plan = server.routes.get(self.path, [(404, b"not found", None, {})])
                answer = plan[min(server.hits[self.path], len(plan)) - 1]
                if callable(answer):
                    answer(self)
                    return
                status, body, length, headers = answer
                self.send_response(status)
                self.send_header("Content-Length", str(length if length is not None else len(body)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(body)
                self.close_connection = True

            do_CONNECT = do_GET  # a proxy's tunnel request; its path is HOST:PORT

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def serve(self, path: str, *answers) -> str:
        self.routes[path] = [a if callable(a) else (*a, {})[:4] if len(a) == 3 else a for a in answers]
        return self.url + path


@pytest.fixture
def server():
    s = Server()
    yield s
    s.httpd.shutdown()
    s.httpd.server_close()


def test_download_extracts_and_verifies(server, tmp_path):
    url = server.serve("/data.zip", (200, ARCHIVE, None))
    summary = download(spec(url, sha256=hashlib.sha256(ARCHIVE).hexdigest(), strip_components=1),
                       tmp_path / "out", FAST)
    assert (tmp_path / "out" / "a.txt").read_bytes() == b"alpha"
    assert (tmp_path / "out" / "sub" / "b.txt").read_bytes() == b"beta" * 1000
    assert "2 files" in summary
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"], "temporary files left behind"


def test_404_names_url_and_status(server, tmp_path):
    with pytest.raises(GanError, match=r"/nothing\.zip: HTTP 404"):
        download(spec(f"{server.url}/nothing.zip"), tmp_path / "out", FAST)
    assert server.hits["/nothing.zip"] == 1, "a 404 must not be retried"
    assert not (tmp_path / "out").exists()


def test_500_then_success_is_retried(server, tmp_path):
    url = server.serve("/flaky.zip", (500, b"oops", None), (503, b"busy", None), (200, ARCHIVE, None))
    download(spec(url), tmp_path / "out", FAST)
    assert server.hits["/flaky.zip"] == 3
    assert (tmp_path / "out" / "top" / "a.txt").exists()


def test_persistent_500_fails_after_retries(server, tmp_path):
    url = server.serve("/down.zip", (500, b"oops", None))
    with pytest.raises(GanError, match=r"HTTP 500 .* after 3 attempts"):
        download(spec(url), tmp_path / "out", FAST)


def test_checksum_mismatch_keeps_previous_output(server, tmp_path):
    url = server.serve("/data.zip", (200, ARCHIVE, None))
    previous = tmp_path / "out"
    download(spec(url), previous, FAST)
    before = sorted(p.name for p in previous.rglob("*"))
    with pytest.raises(GanError, match=r"checksum mismatch: expected sha256 0{64}, got [0-9a-f]{64}"):
        download(spec(url, sha256="0" * 64), previous, FAST)
    assert sorted(p.name for p in previous.rglob("*")) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_truncated_body(server, tmp_path):
    url = server.serve("/cut.zip", (200, ARCHIVE[:100], len(ARCHIVE)))
    with pytest.raises(GanError, match="truncated"):
        download(spec(url), tmp_path / "out", FAST)
    assert server.hits["/cut.zip"] == 3
    assert not (tmp_path / "out").exists()


def test_unreachable_host(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the block ends: nothing listens there
    with pytest.raises(GanError, match=rf"127\.0\.0\.1:{port}/x\.zip: cannot connect \(Connection refused\)"):
        download(spec(f"http://127.0.0.1:{port}/x.zip"), tmp_path / "out", FAST)


def test_local_path_and_missing_local_file(tmp_path):
    archive = tmp_path / "a.zip"
    archive.write_bytes(ARCHIVE)
    download(spec(str(archive), sha256=sha256_file(archive)), tmp_path / "out")
    assert (tmp_path / "out" / "top" / "sub" / "b.txt").exists()
    with pytest.raises(GanError, match="nope.zip: no such file"):
        download(spec(str(tmp_path / "nope.zip")), tmp_path / "out2")


def test_per_file_mode(server, tmp_path):
    codes = server.serve("/codes.json", (200, json.dumps({"fr": "France", "de": "Germany", "xx": "Nowhere"}).encode(),
                                         None))
    server.serve("/w20/fr.png", (500, b"", None), (200, b"FR", None))
    server.serve("/w20/de.png", (200, b"DE", None))
    each = server.url + "/w20/{code}.png"
    with pytest.raises(GanError, match=r"1 of 3 files failed: xx\.png .*HTTP 404"):
        download(spec(codes, each=each), tmp_path / "flags", FAST)
    assert not (tmp_path / "flags").exists()
    summary = download(spec(codes, each=each, allow_missing=True), tmp_path / "flags", FAST)
    assert "2 files" in summary and "1 missing: xx.png" in summary
    assert (tmp_path / "flags" / "fr.png").read_bytes() == b"FR"
    assert json.loads((tmp_path / "flags" / "codes.json").read_text())["de"] == "Germany"


@pytest.mark.parametrize("code", ["../../evil", "a/b", "..", ".", "a\\b", "", ".hidden", "x\x00y"])
def test_codes_must_be_plain_file_names(tmp_path, gan_cli, code):
    codes = tmp_path / "codes.json"
    codes.write_text(json.dumps({code: "Evil", "fr": "France"}))
    before = sorted(tmp_path.rglob("*"))
    code_, _, err = gan_cli("data", "download", codes, tmp_path / "box" / "flags",
                            "--each", "http://127.0.0.1:9/{code}.png", "--retries", "0")
    one_line_error(code_, err, f"refusing code {code!r}")
    assert sorted(tmp_path.rglob("*")) == before, "something was written"


def test_bad_url_template_is_one_line(tmp_path, gan_cli):
    codes = tmp_path / "codes.json"
    codes.write_text('["fr"]')
    code, _, err = gan_cli("data", "download", codes, tmp_path / "out", "--each", "https://x/{cod}.png")
    one_line_error(code, err, "--each", "{code} as its only field")


# --- what the server sends ---------------------------------------------------------

def test_gzip_encoded_archive_counts_bytes_on_the_wire(server, tmp_path):
    wire = gzip.compress(ARCHIVE)
    url = server.serve("/data.zip", (200, wire, None, {"Content-Encoding": "gzip"}))
    download(spec(url, sha256=hashlib.sha256(ARCHIVE).hexdigest()), tmp_path / "out", FAST)
    assert (tmp_path / "out" / "top" / "a.txt").read_bytes() == b"alpha"
    assert server.hits["/data.zip"] == 1


def test_download_size_is_capped(server, tmp_path, monkeypatch):
    bomb = gzip.compress(bytes(8 << 20))  # 8 MiB of zeros in about 8 KB
    url = server.serve("/bomb.zip", (200, bomb, None, {"Content-Encoding": "gzip"}))
    monkeypatch.setenv("TMPDIR", str(tmp_path / "scratch"))
    (tmp_path / "scratch").mkdir()
    with pytest.raises(GanError, match=r"/bomb\.zip: larger than the limit of 1,048,576 bytes"):
        download(spec(url, max_extract_mb=1), tmp_path / "out", FAST)
    assert list((tmp_path / "scratch").iterdir()) == [] and not (tmp_path / "out").exists()


def trickle(handler):
    """Headers, then one byte every 50 ms, for ever (until the client leaves)."""
    handler.send_response(200)
    handler.send_header("Content-Length", "1000000")
    handler.end_headers()
    try:
        for _ in range(10_000):
            handler.wfile.write(b"x")
            handler.wfile.flush()
            time.sleep(0.05)
    except OSError:
        pass


def test_deadline_stops_a_trickling_server(server, tmp_path):
    url = server.serve("/slow.zip", trickle)
    start = time.monotonic()
    with pytest.raises(GanError, match=r"/slow\.zip: too slow: \d+ bytes in the deadline of 1 s"):
        download(spec(url, deadline_s=1.0), tmp_path / "out", FAST)
    assert time.monotonic() - start < 4


def slow_headers(handler):
    """The status line and headers one byte every 0.1 s (about 7 s in all), then a body."""
    head = b"HTTP/1.0 200 OK\r\nContent-Length: 5\r\nX-Slow: " + b"." * 20 + b"\r\n\r\n"
    try:
        for i in range(len(head)):
            handler.wfile.write(head[i:i + 1])
            time.sleep(0.1)
        handler.wfile.write(b"hello")
    except OSError:
        pass


def test_the_deadline_covers_slow_headers(server, tmp_path, gan_cli):
    url = server.serve("/slow-headers.zip", slow_headers)
    start = time.monotonic()
    code, _, err = gan_cli("data", "download", url, tmp_path / "out", "--deadline", "1.5", "--timeout", "5",
                           "--retries", "0")
    assert time.monotonic() - start < 4
    one_line_error(code, err, url, "deadline of 1.5 s")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("url,route", [("http://example.invalid/a.zip", "http://example.invalid/a.zip"),
                                       ("https://example.invalid/a.zip", "example.invalid:443")],
                         ids=["forwarded", "tunnelled"])
def test_the_deadline_covers_a_proxy(server, tmp_path, gan_cli, monkeypatch, url, route):
    """Through an HTTP proxy (the local server) that sends its answer or its
    tunnel's answer slowly, the deadline still holds."""
    for name in ("http_proxy", "https_proxy", "no_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.setenv("http_proxy", server.url)
    monkeypatch.setenv("https_proxy", server.url)
    server.serve(route, slow_headers)
    start = time.monotonic()
    code, _, err = gan_cli("data", "download", url, tmp_path / "out", "--deadline", "1.5", "--timeout", "5",
                           "--retries", "0")
    assert time.monotonic() - start < 4
    one_line_error(code, err, url, "deadline of 1.5 s")
    assert server.hits[route] == 1


def stall(handler):
    handler.send_response(200)
    handler.send_header("Content-Length", str(len(ARCHIVE)))
    handler.end_headers()
    handler.wfile.write(ARCHIVE[:500])
    handler.wfile.flush()
    time.sleep(3)


def test_a_stall_mid_body_says_stalled(server, tmp_path):
    url = server.serve("/stall.zip", stall)
    with pytest.raises(GanError, match=r"stalled: no data for 0\.5 s after 500 bytes after 1 attempt$"):
        download(spec(url), tmp_path / "out", replace(FAST, read_timeout=0.5, retries=0))


def test_a_silent_server_fails_within_a_minute_by_default(tmp_path):
    """The default options' worst case against a server that accepts and
    never answers, then a real such server with short timeouts."""
    opts = HttpOptions()
    worst = (opts.retries + 1) * max(opts.connect_timeout, opts.read_timeout) + \
        sum(opts.backoff * 2**i for i in range(opts.retries))
    assert worst < 60
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/x.zip"
        with pytest.raises(GanError, match=r"no answer within 0\.3 s after 2 attempts"):
            download(spec(url), tmp_path / "out", replace(FAST, read_timeout=0.3, retries=1))


@pytest.mark.parametrize("answer,fragments", [
    ((200, b"<!DOCTYPE html><html><body>Sign in</body></html>", None), ["/get.zip", "an HTML page, not a zip"]),
    ((302, b"", None, {"Location": "/get.zip"}), ["/get.zip", "too many redirects"]),
    ((302, b"", None, {"Location": "file:///etc/passwd"}), ["/get.zip", "only http and https"]),
    ((200, ARCHIVE, "lots"), ["/get.zip", "malformed Content-Length header 'lots'"]),
])
def test_hostile_answers_are_one_line_errors(server, tmp_path, gan_cli, answer, fragments):
    url = server.serve("/get.zip", answer)
    code, _, err = gan_cli("data", "download", url, tmp_path / "out", "--retries", "0")
    one_line_error(code, err, *fragments)
    assert "/tmp" not in err.replace(str(tmp_path), ""), "the error names a temporary path"
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_bad_port_is_one_line(tmp_path, gan_cli):
    code, _, err = gan_cli("data", "download", "http://127.0.0.1:99999/x.zip", tmp_path / "out")
    one_line_error(code, err, "127.0.0.1:99999/x.zip: not a valid address")


def test_progress_bar_counts_bytes_on_the_wire(server, tmp_path, monkeypatch):
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
    wire = gzip.compress(ARCHIVE)
    url = server.serve("/data.zip", (200, wire, None, {"Content-Encoding": "gzip"}))
    http.download_url(url, tmp_path / "a.zip", FAST, progress=True)
    assert seen == {"total": len(wire), "disable": None, "updates": len(wire)}
    http.download_url(url, tmp_path / "b.zip", FAST, progress=False)
    assert seen["disable"] is True
