"""HTTP downloads with ``requests``: timeouts, retries with exponential backoff
on connection errors, truncated bodies and 5xx answers, streaming to disk."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import requests
from tqdm import tqdm

from gan.errors import GanError


@dataclass(frozen=True)
class HttpOptions:
    """Timeouts in seconds, retries after the first attempt, backoff base in seconds."""
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    retries: int = 3
    backoff: float = 1.0


class _RetryableError(Exception):
    pass


def _get_once(session: requests.Session, url: str, path: Path, opts: HttpOptions,
              progress: bool) -> None:
    try:
        with session.get(url, stream=True, timeout=(opts.connect_timeout, opts.read_timeout)) as r:
            if r.status_code >= 500:
                raise _RetryableError(f"HTTP {r.status_code} {r.reason}")
            if r.status_code != 200:
                raise GanError(f"{url}: HTTP {r.status_code} {r.reason}")
            total = int(r.headers.get("Content-Length", 0)) or None
            with open(path, "wb") as f, tqdm(total=total, unit="B", unit_scale=True, desc=path.name,
                                             disable=None if progress else True, leave=False) as bar:
                for chunk in r.iter_content(chunk_size=1 << 16):
                    f.write(chunk)
                    bar.update(len(chunk))
            got = path.stat().st_size
            if total is not None and got < total:
                raise _RetryableError(f"truncated body: got {got:,} of {total:,} bytes")
    except requests.exceptions.ChunkedEncodingError as exc:
        raise _RetryableError(f"truncated body ({exc.__class__.__name__})") from exc
    except requests.exceptions.ConnectionError as exc:
        raise _RetryableError("cannot connect") from exc
    except requests.exceptions.Timeout as exc:
        raise _RetryableError("timed out") from exc


def download_url(url: str, path: str | Path, opts: HttpOptions = HttpOptions(),
                 session: requests.Session | None = None, progress: bool = True) -> None:
    """Stream ``url`` into the file ``path``, retrying what may pass.

    Raises GanError naming the URL for 4xx answers at once, and for 5xx,
    connection errors, timeouts and truncated bodies once the retries are spent.
    """
    path = Path(path)
    session = session or requests.Session()
    for attempt in range(opts.retries + 1):
        try:
            return _get_once(session, url, path, opts, progress)
        except _RetryableError as exc:
            if attempt == opts.retries:
                raise GanError(f"{url}: {exc} after {attempt + 1} attempts") from exc
            time.sleep(opts.backoff * 2**attempt)


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
