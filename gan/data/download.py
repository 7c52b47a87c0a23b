"""Fetch a dataset into a folder: an archive (URL or local path), verified and
extracted, or a codes list plus one file per code.  The folder is replaced
only when everything succeeded, and only if gan made it (see gan.files)."""

import dataclasses
import hashlib
import json
import re
import string
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import urlparse

from gan.data.archive import extract_archive
from gan.data.http import Deadline, HttpOptions, download_each, download_url
from gan.errors import GanError
from gan.files import atomic_dir, check_output_dir
from gan.params import non_negative, param, positive

PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")  # a code must be a file name like this


def check_sha256(value: str) -> str | None:
    return None if value == "" or re.fullmatch(r"[0-9a-fA-F]{64}", value) else "must be 64 hex digits or empty"


def check_template(value: str) -> str | None:
    if not value:
        return None
    try:
        fields = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
    except ValueError as exc:
        return f"is not a valid URL template ({exc})"
    if fields != {"code"} or not is_url(value):
        return "must be an http(s) URL with {code} as its only field, e.g. https://flagcdn.com/w20/{code}.png"
    return None


def _nonempty(value: str) -> str | None:
    return None if value.strip() else "must not be empty"


@dataclass(frozen=True, kw_only=True)
class DataSource:
    """A ``data.<name>`` params section: where a dataset comes from.

    ``source``: an archive (http(s) URL or local path), or with ``each`` a
    codes list fetched one file per code from the URL template ``each``.
    ``max_extract_mb`` caps both the bytes downloaded and the bytes
    extracted; ``deadline_s`` bounds each download, retries included, and
    an archive's download and extraction together."""
    source: str = param(check=_nonempty)
    sha256: str = param("", check_sha256)
    strip_components: int = param(0, non_negative)
    max_extract_mb: int = param(4096, positive)
    each: str = param("", check_template)
    allow_missing: bool = param(False)
    deadline_s: float = param(900.0, positive)


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
    """A codes list: JSON mapping code -> name, or a JSON list of codes.  Every
    code must be a plain file name (letters, digits, '.', '_', '-'; not
    starting with '.'), so no code can name a path outside the folder."""
    path = _local(source) if not is_url(source) else scratch / "codes.json"
    if is_url(source):
        download_url(source, path, opts, progress=False)
    try:
        codes = json.loads(Path(path).read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise GanError(f"{source}: not a JSON codes list ({exc})") from None
    if isinstance(codes, list):
        if len(set(map(str, codes))) != len(codes):
            raise GanError(f"{source}: a code appears twice in the list")
        codes = {str(c): str(c) for c in codes}
    if not isinstance(codes, dict) or not codes:
        raise GanError(f"{source}: expected a non-empty JSON object or list of codes")
    for code in codes:
        if not PLAIN_NAME.fullmatch(code):
            raise GanError(f"{source}: refusing code {code!r}: a code must be a plain file name "
                           "(letters, digits, '.', '_', '-', not starting with '.')")
    return {str(k): str(v) for k, v in codes.items()}


def _file_name(code: str, url: str) -> str:
    """``code`` with the suffix of ``url``'s path ('fr' + '.png'), unless it already ends so."""
    suffix = PurePosixPath(urlparse(url).path).suffix
    return code if code.endswith(suffix) else code + suffix


def download(spec: DataSource, dest: str | Path, opts: HttpOptions = HttpOptions()) -> str:
    """Fill the folder ``dest`` from ``spec`` and return a one-line summary.

    * Archive mode (no ``spec.each``): ``spec.source`` is a zip/tar URL or
      path.  Its sha256, when given, is checked before anything is extracted.
    * Per-file mode: ``spec.source`` is a codes list (URL or path) and
      ``spec.each`` a URL template such as ``https://host/w20/{code}.png``;
      every file is fetched concurrently as ``<code><suffix of the URL>``
      and ``codes.json`` is written beside them.
    """
    deadline = Deadline(spec.deadline_s)
    opts = dataclasses.replace(opts, max_bytes=spec.max_extract_mb << 20, deadline=spec.deadline_s)
    local = None if is_url(spec.source) else _local(spec.source)
    inputs = [local] if local else []
    check_output_dir(dest, inputs)  # before any download, not only once it is done
    with tempfile.TemporaryDirectory(prefix="gan-download-") as scratch:
        scratch = Path(scratch)
        if spec.each:
            codes = _read_codes(spec.source, scratch, opts)
            urls = {_file_name(code, url): url for code, url in
                    ((code, spec.each.format(code=code)) for code in codes)}
            if "codes.json" in urls:
                raise GanError(f"{spec.source}: a code's file would be named codes.json, the list's own name")
            with atomic_dir(dest, inputs) as out:
                missing = download_each(urls, out, opts, allow_missing=spec.allow_missing)
                (out / "codes.json").write_text(json.dumps(codes, indent=1, sort_keys=True) + "\n")
            note = f", {len(missing)} missing: {', '.join(missing)}" if missing else ""
            return f"{dest}: {len(urls) - len(missing)} files from {spec.source}{note}"
        archive = local
        if archive is None:
            archive = scratch / "archive"  # not the URL's name, which could be '..'; the format is sniffed
            download_url(spec.source, archive, opts)
        if spec.sha256:
            actual = sha256_file(archive)
            if actual != spec.sha256.lower():
                raise GanError(f"{spec.source}: checksum mismatch: expected sha256 {spec.sha256}, got {actual}")
        with atomic_dir(dest, inputs) as out:
            count = extract_archive(archive, out, spec.strip_components, opts.max_bytes, label=spec.source,
                                    deadline=deadline)
        return f"{dest}: {count} files from {spec.source}"
