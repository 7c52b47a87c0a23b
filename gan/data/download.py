"""Fetch a dataset into a folder: an archive (URL or local path), verified and
extracted, or a codes list plus one file per code.  The folder is replaced
only when everything succeeded."""

import hashlib
import json
import tempfile
from pathlib import Path, PurePosixPath
from urllib.parse import urlparse

from gan.atomic import atomic_dir
from gan.data.archive import extract_archive
from gan.data.http import HttpOptions, download_each, download_url
from gan.errors import GanError


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def sha256_file(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _local(source: str) -> Path:
    path = Path(source)
    if not path.is_file():
        raise GanError(f"{source}: no such file")
    return path


def _read_codes(source: str, scratch: Path, opts: HttpOptions) -> dict[str, str]:
    """A codes list: JSON mapping code -> name, or a JSON list of codes."""
    path = _local(source) if not is_url(source) else scratch / "codes.json"
    if is_url(source):
        download_url(source, path, opts, progress=False)
    try:
        codes = json.loads(Path(path).read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise GanError(f"{source}: not a JSON codes list ({exc})") from exc
    if isinstance(codes, list):
        codes = {str(c): str(c) for c in codes}
    if not isinstance(codes, dict) or not codes:
        raise GanError(f"{source}: expected a non-empty JSON object or list of codes")
    return {str(k): str(v) for k, v in codes.items()}


def download(source: str, dest: str | Path, sha256: str | None = None, strip_components: int = 0,
             max_bytes: int = 4 << 30, each: str | None = None, allow_missing: bool = False,
             opts: HttpOptions = HttpOptions()) -> str:
    """Fill the folder ``dest`` from ``source`` and return a one-line summary.

    * Archive mode (``each`` is None): ``source`` is a zip/tar URL or path.
      Its sha256, when given, is checked before anything is extracted.
    * Per-file mode: ``source`` is a codes list (URL or path) and ``each`` a
      URL template such as ``https://host/w20/{code}.png``; every file is
      fetched concurrently and ``codes.json`` is written beside them.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest.parent, prefix=f".{dest.name}.dl.") as scratch, \
            atomic_dir(dest) as out:
        scratch = Path(scratch)
        if each:
            codes = _read_codes(source, scratch, opts)
            urls = {code: each.format(code=code) for code in codes}
            names = {PurePosixPath(urlparse(u).path).name or code: u for code, u in urls.items()}
            missing = download_each(names, out, opts, allow_missing=allow_missing)
            (out / "codes.json").write_text(json.dumps(codes, indent=1, sort_keys=True) + "\n")
            note = f", {len(missing)} missing: {', '.join(missing)}" if missing else ""
            return f"{dest}: {len(names) - len(missing)} files from {source}{note}"
        if is_url(source):
            archive = scratch / (PurePosixPath(urlparse(source).path).name or "archive")
            download_url(source, archive, opts)
        else:
            archive = _local(source)
        if sha256:
            actual = sha256_file(archive)
            if actual != sha256.lower():
                raise GanError(f"{source}: checksum mismatch: expected sha256 {sha256}, got {actual}")
        count = extract_archive(archive, out, strip_components, max_bytes)
        return f"{dest}: {count} files from {source}"
