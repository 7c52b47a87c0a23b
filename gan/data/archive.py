"""Safe extraction of zip and tar(.gz/.bz2/.xz) archives.

The datasets this lab reads (MNIST-JPG, flag images) are plain files in
folders, so the policy is strict: an archive may hold only regular files and
folders.  Every entry is checked before it is written, and the first one
that is not safe is named in the error:

* symbolic links, hard links, devices, FIFOs and any other special entry;
* absolute paths, drive letters, '..' components, NULs and empty names;
* a file whose path runs through another file, or two entries of one name;
* a zip entry marked as a folder that has a file's name or content;
* a declared total size over the limit (the bytes written are counted too),
  and a tar extended header (pax, GNU long name) over EXTENDED_HEADER_MAX.

A zip's entries are all checked before the first is written.  A tar is read
as a stream, each entry checked as its header comes, so a compressed one
declaring 100 GiB is refused without decompressing the rest; extract into a
temporary folder (as gan.data.download does) so that nothing of a refused
archive stays.  An archive that yields no file is an error, and so is the
deadline passing.  With no links extracted, a checked relative path cannot
leave the target.
"""

import lzma
import stat
import tarfile
import zipfile
import zlib
from functools import partial
from pathlib import Path, PurePosixPath

from gan.data.http import Deadline
from gan.errors import GanError

COPY_BLOCK = 1 << 20
EXTENDED_HEADER_MAX = 1 << 20  # tarfile reads a pax or GNU long-name header into memory whole
GLOBAL_HEADER_MAX = 4 << 10    # ... and copies a global pax header's keys into every later entry
MAX_ENTRIES = 250_000          # entries of one archive (full MNIST-JPG has about 70,000)
EXTENDED_HEADERS = (tarfile.XHDTYPE, tarfile.XGLTYPE, tarfile.SOLARIS_XHDTYPE, tarfile.GNUTYPE_LONGNAME,
                    tarfile.GNUTYPE_LONGLINK)
SPECIAL_KINDS = {stat.S_IFLNK: "symbolic link", stat.S_IFCHR: "character device", stat.S_IFBLK: "block device",
                 stat.S_IFIFO: "FIFO", stat.S_IFSOCK: "socket"}


class _OversizedHeader(Exception):
    """A tar extended header declaring ``args[0]`` bytes, over its limit ``args[1]``."""


class _TarHeader(tarfile.TarInfo):
    """A tar header that refuses an oversized extended header before tarfile reads it."""

    @classmethod
    def frombuf(cls, buf, encoding, errors):
        info = super().frombuf(buf, encoding, errors)
        limit = GLOBAL_HEADER_MAX if info.type == tarfile.XGLTYPE else EXTENDED_HEADER_MAX
        if info.type in EXTENDED_HEADERS and info.size > limit:
            raise _OversizedHeader(info.size, limit)
        return info


def _refuse(label: str, name: str, why: str) -> GanError:
    return GanError(f"{label}: refusing entry {name!r}: {why}")


def _member_path(name: str, strip: int, label: str) -> PurePosixPath | None:
    """The entry's relative path after dropping ``strip`` leading folders;
    None when nothing is left.  Raises on names that could leave the target."""
    posix = name.replace("\\", "/")
    path = PurePosixPath(posix)
    if not posix.strip("/"):
        raise _refuse(label, name, "empty name")
    if "\0" in posix:
        raise _refuse(label, name, "a NUL character in its name")
    if path.is_absolute() or (len(posix) > 1 and posix[1] == ":") or ".." in path.parts:
        raise _refuse(label, name, "it points outside the target folder")
    parts = [p for p in path.parts if p not in ("", ".")][strip:]
    return PurePosixPath(*parts) if parts else None


class _Extraction:
    """Entries checked, then written under ``dest``, one at a time: the
    policy, the limit on the bytes declared and written, and the deadline."""

    def __init__(self, dest: Path, label: str, strip: int, max_bytes: int, deadline: Deadline | None):
        self.dest, self.label, self.strip, self.max_bytes, self.deadline = dest, label, strip, max_bytes, deadline
        self.kinds: dict[PurePosixPath, bool] = {}  # path -> is a folder (given, or implied by an entry inside)
        self.declared = self.written = self.files = self.stripped = self.entries = 0

    def check(self, name: str, is_dir: bool, size: int) -> PurePosixPath | None:
        """The entry's relative path; None when strip_components leaves nothing of it."""
        self._check_deadline()
        self.entries += 1
        if self.entries > MAX_ENTRIES:
            raise GanError(f"{self.label}: more than {MAX_ENTRIES:,} entries")
        rel = _member_path(name, self.strip, self.label)
        self.declared += size  # stripped entries too: a tar's stream runs through them
        if self.declared > self.max_bytes:
            raise GanError(f"{self.label}: would extract over {self.declared:,} bytes, over the limit of "
                           f"{self.max_bytes:,}")
        if rel is None:
            if not is_dir:
                self.stripped += 1
            return None
        for parent in rel.parents:
            if self.kinds.setdefault(parent, True) is False:
                raise _refuse(self.label, name, f"its folder {str(parent)!r} is a file in the archive")
        if rel in self.kinds and not (is_dir and self.kinds[rel]):
            raise _refuse(self.label, name, "a second entry with this name, or a folder of one")
        self.kinds[rel] = is_dir
        return rel

    def write(self, rel: PurePosixPath | None, is_dir: bool, open_data) -> None:
        """Create the checked entry ``rel`` (nothing for None), a file's data read from ``open_data()``."""
        if rel is None:
            return
        target = self.dest / rel
        if is_dir:
            target.mkdir(parents=True, exist_ok=True)
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        with open_data() as source, open(target, "wb") as out:
            while block := source.read(COPY_BLOCK):
                self.written += len(block)  # the declared sizes could lie: count what is written
                if self.written > self.max_bytes:
                    raise GanError(f"{self.label}: extracts to more than it declares, over the limit of "
                                   f"{self.max_bytes:,} bytes")
                self._check_deadline()
                out.write(block)
        self.files += 1

    def file_count(self) -> int:
        """The number of files written; raises GanError if there is none."""
        if self.stripped and not self.files:
            raise GanError(f"{self.label}: strip-components {self.strip} leaves no files (it strips away all "
                           f"{self.stripped}); use a smaller value")
        if not self.files:
            raise GanError(f"{self.label}: the archive holds no files")
        return self.files

    def _check_deadline(self) -> None:
        if self.deadline is not None and self.deadline.left() < 0:
            raise GanError(f"{self.label}: extraction not finished within the deadline of "
                           f"{self.deadline.seconds:g} s")


def _zip_is_dir(info: zipfile.ZipInfo, label: str) -> bool:
    """Whether the entry is a folder (a name ending in '/', no content), from
    its name and Unix mode bits; raises for any other kind."""
    kind = stat.S_IFMT(info.external_attr >> 16)
    if info.is_dir() or kind == stat.S_IFDIR:
        if not info.is_dir() or info.file_size:
            raise _refuse(label, info.orig_filename, "marked as a folder but has a file's name or content")
        return True
    if kind and kind != stat.S_IFREG:  # no type bits: a file (zip tools often store only permissions)
        raise _refuse(label, info.orig_filename, f"a {SPECIAL_KINDS.get(kind, 'special file')}; "
                      "only files and folders are extracted")
    return False


def _extract_zip(archive: Path, extraction: _Extraction) -> None:
    with zipfile.ZipFile(archive) as zf:
        checked = []
        for info in zf.infolist():  # the name as stored: zipfile cuts it at a NUL
            is_dir = _zip_is_dir(info, extraction.label)
            checked.append((extraction.check(info.orig_filename, is_dir, info.file_size), is_dir, info))
        for rel, is_dir, info in checked:  # every entry checked before the first is written
            extraction.write(rel, is_dir, partial(zf.open, info))


def _open_tar(archive: Path) -> tarfile.TarFile | None:
    """``archive`` opened as a tar of any compression; None if it is not one."""
    try:
        return tarfile.open(archive, tarinfo=_TarHeader)
    except tarfile.ReadError:
        return None


def _extract_tar(tf: tarfile.TarFile, extraction: _Extraction) -> None:
    """Header by header: a refused entry stops the stream before its data.
    ``tf.members`` is emptied as it goes (tarfile keeps every header read)."""
    while (member := tf.next()) is not None:
        tf.members.clear()
        if not (member.isfile() or member.isdir()):
            kind = ("symbolic link" if member.issym() else "hard link" if member.islnk()
                    else "device" if member.isdev() else "special file")
            raise _refuse(extraction.label, member.name, f"a {kind}; only files and folders are extracted")
        rel = extraction.check(member.name, member.isdir(), member.size)
        extraction.write(rel, member.isdir(), partial(tf.extractfile, member))


def extract_archive(archive: str | Path, dest: str | Path, strip_components: int = 0,
                    max_bytes: int = 4 << 30, label: str | None = None, deadline: Deadline | None = None) -> int:
    """Extract a zip or tar archive into the existing empty folder ``dest``.

    ``strip_components`` drops that many leading folders from every entry
    (like tar's option of the same name).  ``label`` names the archive in
    errors (its URL, say; default: its path).  Returns the number of files
    written.  Raises GanError for a file that is not an archive, a truncated
    or corrupt archive, an unsafe entry, more than ``max_bytes``, no file to
    extract, or the ``deadline`` passing; what was written before the error
    stays in ``dest``.
    """
    archive, dest = Path(archive), Path(dest)
    label = label or str(archive)
    extraction = _Extraction(dest, label, strip_components, max_bytes, deadline)
    try:
        if zipfile.is_zipfile(archive):
            _extract_zip(archive, extraction)
            return extraction.file_count()
        tf = _open_tar(archive)
        if tf is not None:
            with tf:
                _extract_tar(tf, extraction)
            return extraction.file_count()
    except _OversizedHeader as exc:
        raise GanError(f"{label}: refusing a tar extended header of {exc.args[0]:,} bytes (pax or GNU long name), "
                       f"over the limit of {exc.args[1]:,}") from None
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
