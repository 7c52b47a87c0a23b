"""HTTP downloads with ``requests``: timeouts, a deadline, a size cap, and
retries with exponential backoff on connection errors, stalls, truncated
bodies and 5xx answers, streaming to disk.

Bodies are read from the raw stream one network read at a time, so a server
that trickles bytes still meets the deadline; Content-Encoding (gzip) is
decoded on the way, and Content-Length is checked against the bytes that
crossed the wire, not the decoded ones.
"""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import requests
import urllib3
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


class _RetryableError(Exception):
    pass


def _content_length(response: requests.Response, url: str) -> int | None:
    value = response.headers.get("Content-Length")
    if value is None:
        return None
    if not value.strip().isdigit():
        raise GanError(f"{url}: the server sent a malformed Content-Length header {value!r}")
    return int(value)


def _get_once(session: requests.Session, url: str, path: Path, opts: HttpOptions, progress: bool,
              deadline: float) -> None:
    """One attempt; ``deadline`` is a ``time.monotonic()`` instant."""
    read_timeout = max(0.1, min(opts.read_timeout, deadline - time.monotonic()))
    try:
        response = session.get(url, stream=True, timeout=(opts.connect_timeout, read_timeout))
    except requests.exceptions.ConnectTimeout:
        raise _RetryableError(f"cannot connect within {opts.connect_timeout:g} s") from None
    except requests.exceptions.ReadTimeout:
        raise _RetryableError(f"no answer within {read_timeout:g} s") from None
    except requests.exceptions.TooManyRedirects:
        raise GanError(f"{url}: too many redirects (a redirect loop?)") from None
    except requests.exceptions.InvalidSchema as exc:
        raise GanError(f"{url}: only http and https addresses can be fetched ({exc})") from None
    except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema) as exc:
        raise GanError(f"{url}: not a valid address ({exc})") from None
    except requests.exceptions.ConnectionError as exc:
        raise _RetryableError(f"cannot connect ({_reason(exc)})") from None
    with response:
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
                    written += len(block)
                    if written > opts.max_bytes:
                        raise GanError(f"{url}: larger than the limit of {opts.max_bytes:,} bytes")
                    if time.monotonic() > deadline:
                        raise GanError(f"{url}: too slow: {raw.tell():,} bytes in the deadline of "
                                       f"{opts.deadline:g} s")
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
    errors, stalls and truncated bodies once the retries are spent.
    """
    path = Path(path)
    session = session or requests.Session()
    deadline = time.monotonic() + opts.deadline
    for attempt in range(opts.retries + 1):
        try:
            return _get_once(session, url, path, opts, progress, deadline)
        except _RetryableError as exc:
            wait = opts.backoff * 2**attempt
            if attempt == opts.retries or time.monotonic() + wait > deadline:
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
            local.session = requests.Session()
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
