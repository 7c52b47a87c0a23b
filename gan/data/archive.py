"""Safe extraction of zip and tar(.gz/.bz2/.xz) archives.

The datasets this lab reads (MNIST-JPG, flag images) are plain files in
folders, so the policy is strict: an archive may hold only regular files and
folders.  Every entry is checked before anything is written, and the first
one that is not safe is named in the error:

* symbolic links, hard links, devices, FIFOs and any other special entry;
* absolute paths, drive letters, '..' components and empty names;
* a file whose path runs through another file, or two entries of one name;
* a declared total size over the limit (the bytes written are counted too).

With no links extracted, a checked relative path cannot leave the target.
"""

import lzma
import stat
import tarfile
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from gan.errors import GanError

COPY_BLOCK = 1 << 20


def _refuse(label: str, name: str, why: str) -> GanError:
    return GanError(f"{label}: refusing entry {name!r}: {why}")


def _member_path(name: str, strip: int, label: str) -> PurePosixPath | None:
    """The entry's relative path after dropping ``strip`` leading folders;
    None when nothing is left.  Raises on names that could leave the target."""
    posix = name.replace("\\", "/")
    path = PurePosixPath(posix)
    if not posix.strip("/"):
        raise _refuse(label, name, "empty name")
    if path.is_absolute() or (len(posix) > 1 and posix[1] == ":") or ".." in path.parts or "\0" in posix:
        raise _refuse(label, name, "it points outside the target folder")
    parts = [p for p in path.parts if p not in ("", ".")][strip:]
    return PurePosixPath(*parts) if parts else None


class _Plan:
    """The checked entries of one archive, in order: (relative path, is a
    folder, opener of its data stream)."""

    def __init__(self, label: str, max_bytes: int):
        self.label, self.max_bytes = label, max_bytes
        self.entries: list[tuple[PurePosixPath, bool, object]] = []
        self.kinds: dict[PurePosixPath, bool] = {}  # path -> is a folder
        self.total = 0

    def add(self, name: str, strip: int, is_dir: bool, size: int, opener) -> None:
        rel = _member_path(name, strip, self.label)
        if rel is None:
            return
        for parent in rel.parents:
            if self.kinds.get(parent) is False:
                raise _refuse(self.label, name, f"its folder {str(parent)!r} is a file in the archive")
        if rel in self.kinds and not (is_dir and self.kinds[rel]):
            raise _refuse(self.label, name, "a second entry with this name")
        self.kinds[rel] = is_dir
        self.entries.append((rel, is_dir, opener))
        self.total += size
        if self.total > self.max_bytes:
            raise GanError(f"{self.label}: would extract over {self.total:,} bytes, over the limit of "
                           f"{self.max_bytes:,}")

    def write(self, dest: Path) -> int:
        """Create the folders and files under ``dest``; returns the number of files."""
        budget = self.max_bytes  # the declared sizes could lie: count what is written
        for rel, is_dir, opener in self.entries:
            target = dest / rel
            if is_dir:
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with opener() as source, open(target, "wb") as out:
                while block := source.read(COPY_BLOCK):
                    budget -= len(block)
                    if budget < 0:
                        raise GanError(f"{self.label}: extracts to more than it declares, over the limit of "
                                       f"{self.max_bytes:,} bytes")
                    out.write(block)
        return sum(1 for _, is_dir, _ in self.entries if not is_dir)


def _zip_kind(info: zipfile.ZipInfo) -> str:
    """'dir', 'file' or the name of a special type, from the entry's Unix mode bits."""
    mode = info.external_attr >> 16
    if info.is_dir():
        return "dir"
    if not stat.S_IFMT(mode) or stat.S_ISREG(mode):  # no type bits: a file (zip tools often store only permissions)
        return "file"
    return {stat.S_IFLNK: "symbolic link", stat.S_IFCHR: "character device", stat.S_IFBLK: "block device",
            stat.S_IFIFO: "FIFO", stat.S_IFSOCK: "socket", stat.S_IFDIR: "dir"}.get(stat.S_IFMT(mode), "special file")


def _extract_zip(archive: Path, dest: Path, strip: int, max_bytes: int, label: str) -> int:
    with zipfile.ZipFile(archive) as zf:
        plan = _Plan(label, max_bytes)
        for info in zf.infolist():
            kind = _zip_kind(info)
            if kind not in ("file", "dir"):
                raise _refuse(label, info.filename, f"a {kind}; only files and folders are extracted")
            plan.add(info.filename, strip, kind == "dir", info.file_size, lambda info=info: zf.open(info))
        return plan.write(dest)


def _extract_tar(archive: Path, dest: Path, strip: int, max_bytes: int, label: str) -> int:
    with tarfile.open(archive) as tf:
        plan = _Plan(label, max_bytes)
        for member in tf.getmembers():
            if not (member.isfile() or member.isdir()):
                kind = ("symbolic link" if member.issym() else "hard link" if member.islnk()
                        else "device" if member.isdev() else "special file")
                raise _refuse(label, member.name, f"a {kind}; only files and folders are extracted")
            plan.add(member.name, strip, member.isdir(), member.size, lambda m=member: tf.extractfile(m))
        return plan.write(dest)


def extract_archive(archive: str | Path, dest: str | Path, strip_components: int = 0,
                    max_bytes: int = 4 << 30, label: str | None = None) -> int:
    """Extract a zip or tar archive into the existing empty folder ``dest``.

    ``strip_components`` drops that many leading folders from every entry
    (like tar's option of the same name).  ``label`` names the archive in
    errors (its URL, say; default: its path).  Returns the number of files
    written.  Raises GanError for a file that is not an archive, a truncated
    or corrupt archive, an unsafe entry, or more than ``max_bytes``.
    """
    archive, dest = Path(archive), Path(dest)
    label = label or str(archive)
    try:
        if zipfile.is_zipfile(archive):
            return _extract_zip(archive, dest, strip_components, max_bytes, label)
        if tarfile.is_tarfile(archive):
            return _extract_tar(archive, dest, strip_components, max_bytes, label)
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, ValueError, NotImplementedError, zlib.error,
            lzma.LZMAError, OSError) as exc:
        if isinstance(exc, OSError) and exc.errno is not None:
            raise  # a real I/O error (disk full, permissions), not a bad archive
        raise GanError(f"{label}: truncated or corrupt archive ({exc})") from None
    with open(archive, "rb") as f:
        head = f.read(512).lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html", b"<?xml", b"<head")):
        raise GanError(f"{label}: an HTML page, not a zip or tar archive (an error or login page?)")
    raise GanError(f"{label}: not a zip or tar archive (or truncated before its index)")
