"""HTTP downloads with ``requests``: timeouts, a deadline, a size cap, and
retries with exponential backoff on connection errors, stalls, truncated
bodies and 5xx answers, streaming to disk.

The deadline holds whatever the server does: a watchdog shuts the attempt's
connection down when it passes, ending a read blocked on a server that
trickles the TLS handshake, the headers or the body.  Bodies are read from
the raw stream one network read at a time; Content-Encoding (gzip) is
decoded on the way, and Content-Length is checked against the bytes that
crossed the wire, not the decoded ones.
"""

import contextlib
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import requests
import requests.adapters
import urllib3
import urllib3.connection
from tqdm import tqdm

from gan.errors import GanError

CHUNK = 1 << 16


@dataclass(frozen=True)
class HttpOptions:
    """Seconds to connect, seconds without a byte before an attempt counts as
    stalled, retries after the first attempt, backoff base in seconds, the
    deadline in seconds for one file (retries included), and the most bytes
    written for one file.  The defaults give up on a server that never
    answers after 4 x 10 s + 7 s of backoff."""
    connect_timeout: float = 10.0
    read_timeout: float = 10.0
    retries: int = 3
    backoff: float = 1.0
    deadline: float = 900.0
    max_bytes: int = 4 << 30


@dataclass(frozen=True)
class Deadline:
    """``seconds`` from ``start`` (default: when it is made) on the monotonic clock."""
    seconds: float
    start: float = field(default_factory=time.monotonic)

    def left(self) -> float:
        """Seconds left; negative once it has passed."""
        return self.start + self.seconds - time.monotonic()


class _RetryableError(Exception):
    pass


_local = threading.local()  # .watchdog: the watchdog of the attempt running in this thread


class _Watchdog:
    """Shuts down the socket of the attempt running in this thread after
    ``seconds``, so that a read blocked on the server ends at once.  The
    connections of ``_session()`` register with it as they connect and as
    they send a request."""

    def __init__(self, seconds: float):
        self.fired, self.conn, self.lock = False, None, threading.Lock()
        self.timer = threading.Timer(max(seconds, 0.0), self._fire)
        self.timer.daemon = True

    def __enter__(self) -> "_Watchdog":
        _local.watchdog = self
        self.timer.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.timer.cancel()
        with self.lock:  # the connection may go back to the pool: leave it alone from now on
            self.conn = _local.watchdog = None

    def watch(self, conn: urllib3.connection.HTTPConnection) -> None:
        """Cut ``conn`` at the deadline, or now if it has passed."""
        with self.lock:
            self.conn = conn
            self._cut()

    def _fire(self) -> None:
        with self.lock:
            self.fired = True
            self._cut()

    def _cut(self) -> None:
        sock = self.conn.sock if self.fired and self.conn is not None else None
        if sock is not None:
            with contextlib.suppress(OSError):  # already closed
                socket.socket.shutdown(sock, socket.SHUT_RDWR)  # the plain socket's, which leaves TLS state alone


class _Watched:
    """A urllib3 connection that registers with this thread's watchdog."""

    def _watch(self) -> None:
        watchdog = getattr(_local, "watchdog", None)
        if watchdog is not None:
            watchdog.watch(self)

    def connect(self) -> None:
        self._watch()
        super().connect()
        self._watch()  # the deadline may have passed before there was a socket to cut

    def request(self, *args, **kwargs) -> None:
        self._watch()  # a kept-alive connection does not connect again
        super().request(*args, **kwargs)


class _Pool(urllib3.HTTPConnectionPool):
    ConnectionCls = type("_Connection", (_Watched, urllib3.connection.HTTPConnection), {})


class _TLSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = type("_TLSConnection", (_Watched, urllib3.connection.HTTPSConnection), {})


_WATCHED_POOLS = {"http": _Pool, "https": _TLSPool}


class _Adapter(requests.adapters.HTTPAdapter):
    """Connections that a watchdog can cut: direct ones and those through an
    HTTP proxy, tunnelled or not (a SOCKS proxy's have their timeouts only)."""

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _WATCHED_POOLS

    def proxy_manager_for(self, proxy: str, **proxy_kwargs) -> urllib3.PoolManager:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if isinstance(manager, urllib3.ProxyManager):
            manager.pool_classes_by_scheme = _WATCHED_POOLS
        return manager


def _session() -> requests.Session:
    session = requests.Session()
    session.mount("http://", _Adapter())
    session.mount("https://", _Adapter())
    return session


def _content_length(response: requests.Response, url: str) -> int | None:
    value = response.headers.get("Content-Length")
    if value is None:
        return None
    if not value.strip().isdigit():
        raise GanError(f"{url}: the server sent a malformed Content-Length header {value!r}")
    return int(value)


def _request(session: requests.Session, url: str, timeouts: tuple[float, float]) -> requests.Response:
    """The answer, its headers read; a failure raises GanError or _RetryableError."""
    try:
        return session.get(url, stream=True, timeout=timeouts)
    except requests.exceptions.ConnectTimeout:
        raise _RetryableError(f"cannot connect within {timeouts[0]:g} s") from None
    except requests.exceptions.ReadTimeout:
        raise _RetryableError(f"no answer within {timeouts[1]:g} s") from None
    except requests.exceptions.TooManyRedirects:
        raise GanError(f"{url}: too many redirects (a redirect loop?)") from None
    except requests.exceptions.InvalidSchema as exc:
        raise GanError(f"{url}: only http and https addresses can be fetched ({exc})") from None
    except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema) as exc:
        raise GanError(f"{url}: not a valid address ({exc})") from None
    except requests.exceptions.ConnectionError as exc:
        raise _RetryableError(f"cannot connect ({_reason(exc)})") from None


def _save(response: requests.Response, url: str, path: Path, opts: HttpOptions, progress: bool,
          read_timeout: float, watchdog: _Watchdog) -> None:
    """Check the answer's status, then stream its body into ``path`` (until the watchdog fires)."""
    if response.status_code >= 500:
        raise _RetryableError(f"HTTP {response.status_code} {response.reason}")
    if response.status_code != 200:
        raise GanError(f"{url}: HTTP {response.status_code} {response.reason}")
    expected = _content_length(response, url)
    raw, written, counted = response.raw, 0, 0
    try:
        with open(path, "wb") as f, tqdm(total=expected, unit="B", unit_scale=True, desc=path.name,
                                         disable=None if progress else True, leave=False) as bar:
            while block := raw.read1(CHUNK, decode_content=True):
                if watchdog.fired:  # a caller's session is not cut: its reads end here
                    raise _RetryableError("deadline passed")
                written += len(block)
                if written > opts.max_bytes:
                    raise GanError(f"{url}: larger than the limit of {opts.max_bytes:,} bytes")
                f.write(block)
                bar.update(raw.tell() - counted)  # the bar counts bytes on the wire, as Content-Length does
                counted = raw.tell()
    except urllib3.exceptions.ReadTimeoutError:
        raise _RetryableError(f"stalled: no data for {read_timeout:g} s after {raw.tell():,} bytes") from None
    except urllib3.exceptions.DecodeError as exc:
        raise GanError(f"{url}: cannot decode the {response.headers.get('Content-Encoding')} body "
                       f"({exc})") from None
    except (urllib3.exceptions.ProtocolError, urllib3.exceptions.SSLError, OSError) as exc:
        if isinstance(exc, OSError) and exc.errno is not None and not isinstance(exc, ConnectionError):
            raise  # a local write error, not the network
        raise _RetryableError(f"truncated body: connection lost after {raw.tell():,} bytes") from None
    if expected is not None and raw.tell() < expected:
        raise _RetryableError(f"truncated body: got {raw.tell():,} of {expected:,} bytes")


def _get_once(session: requests.Session, url: str, path: Path, opts: HttpOptions, progress: bool,
              deadline: Deadline) -> None:
    """One attempt, which a watchdog stops at the deadline: connecting,
    waiting for the headers and reading the body alike."""
    timeouts = (max(0.1, min(opts.connect_timeout, deadline.left())),
                max(0.1, min(opts.read_timeout, deadline.left())))
    response = None
    with _Watchdog(deadline.left()) as watchdog:
        try:
            response = _request(session, url, timeouts)
            with response:
                _save(response, url, path, opts, progress, timeouts[1], watchdog)
        except _RetryableError:  # what a cut connection looks like; a GanError (404, too large) stays itself
            if not watchdog.fired:
                raise
        if watchdog.fired:  # a cut during the headers can also look like an empty answer
            got = f"{response.raw.tell():,} bytes" if response is not None else "no answer"
            raise GanError(f"{url}: too slow: {got} in the deadline of {opts.deadline:g} s")


def _reason(exc: BaseException) -> str:
    """The innermost cause of a requests error, in a few words ('Connection refused')."""
    while exc.__cause__ or exc.__context__:
        exc = exc.__cause__ or exc.__context__
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


def download_url(url: str, path: str | Path, opts: HttpOptions = HttpOptions(),
                 session: requests.Session | None = None, progress: bool = True) -> None:
    """Stream ``url`` into the file ``path``, retrying what may pass.

    Raises GanError naming the URL for 4xx answers, bad addresses, redirect
    loops, oversized bodies and the deadline at once, and for 5xx, connection
    errors, stalls and truncated bodies once the retries are spent.  A
    ``session`` of the caller's own gets the deadline checked between reads
    only; the default one is cut off at the deadline, in any phase.
    """
    path = Path(path)
    session = session or _session()
    deadline = Deadline(opts.deadline)
    for attempt in range(opts.retries + 1):
        try:
            return _get_once(session, url, path, opts, progress, deadline)
        except _RetryableError as exc:
            wait = opts.backoff * 2**attempt
            if attempt == opts.retries or wait > deadline.left():
                raise GanError(f"{url}: {exc} after {attempt + 1} attempt{'s' * bool(attempt)}") from None
            time.sleep(wait)


def download_each(urls: dict[str, str], folder: str | Path, opts: HttpOptions = HttpOptions(),
                  workers: int = 8, allow_missing: bool = False) -> list[str]:
    """Download many small files concurrently: ``urls`` maps a file name inside
    ``folder`` to its URL.  Each file is retried as in ``download_url``.

    Returns the names that failed (only when ``allow_missing``); otherwise a
    failure of any file raises GanError listing every failed name.
    """
    folder = Path(folder)
    local = threading.local()

    def fetch(item: tuple[str, str]) -> str | None:
        name, url = item
        if not hasattr(local, "session"):
            local.session = _session()
        try:
            download_url(url, folder / name, opts, local.session, progress=False)
        except GanError as exc:
            return f"{name} ({exc})"
        return None

    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(tqdm(pool.map(fetch, urls.items()), total=len(urls), unit="file",
                            desc="download", disable=None))
    failed = [r for r in results if r is not None]
    if failed and not allow_missing:
        shown = "; ".join(failed[:5]) + (f"; and {len(failed) - 5} more" if len(failed) > 5 else "")
        raise GanError(f"{len(failed)} of {len(urls)} files failed: {shown}")
    return failed
