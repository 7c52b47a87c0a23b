"""Safe extraction of zip and tar(.gz/.bz2/.xz) archives.

Every entry is checked before anything is written: absolute paths, '..'
components and links that resolve outside the target are refused with an
error naming the entry, and the declared total size must stay under a limit.
"""

import shutil
import stat
import tarfile
import zipfile
from pathlib import Path, PurePosixPath

from gan.errors import GanError


def _member_path(name: str, strip: int, archive: Path) -> PurePosixPath | None:
    """The entry's relative path after dropping ``strip`` leading folders;
    None when nothing is left.  Raises on absolute or '..' paths."""
    posix = name.replace("\\", "/")
    path = PurePosixPath(posix)
    if path.is_absolute() or (len(posix) > 1 and posix[1] == ":") or ".." in path.parts:
        raise GanError(f"{archive}: refusing entry {name!r}: it points outside the target folder")
    parts = [p for p in path.parts if p not in ("", ".")][strip:]
    return PurePosixPath(*parts) if parts else None


def _check_link(entry: PurePosixPath, link: str, archive: Path, name: str) -> None:
    """A symlink stored at ``entry`` and pointing at ``link`` must stay inside."""
    target = PurePosixPath(link.replace("\\", "/"))
    depth, escapes = len(entry.parent.parts), target.is_absolute()
    for part in target.parts:
        depth += -1 if part == ".." else int(part not in ("", "."))
        escapes |= depth < 0
    if escapes:
        raise GanError(f"{archive}: refusing link {name!r} -> {link!r}: it points outside the target folder")


def _check_size(total: int, max_bytes: int, archive: Path) -> None:
    if total > max_bytes:
        raise GanError(f"{archive}: would extract {total:,} bytes, over the limit of {max_bytes:,}")


def _extract_zip(archive: Path, dest: Path, strip: int, max_bytes: int) -> int:
    with zipfile.ZipFile(archive) as zf:
        plan = []
        for info in zf.infolist():
            rel = _member_path(info.filename, strip, archive)
            if rel is None:
                continue
            is_link = stat.S_ISLNK(info.external_attr >> 16)
            if is_link:
                _check_link(rel, zf.read(info).decode(), archive, info.filename)
            plan.append((info, rel, is_link))
        _check_size(sum(info.file_size for info, _, _ in plan), max_bytes, archive)
        count = 0
        for info, rel, is_link in plan:
            out = dest / rel
            if info.is_dir():
                out.mkdir(parents=True, exist_ok=True)
                continue
            out.parent.mkdir(parents=True, exist_ok=True)
            if is_link:
                out.symlink_to(zf.read(info).decode())
            else:
                with zf.open(info) as src, open(out, "wb") as dst:
                    shutil.copyfileobj(src, dst)
            count += 1
        return count


def _extract_tar(archive: Path, dest: Path, strip: int, max_bytes: int) -> int:
    with tarfile.open(archive) as tf:
        members = []
        for member in tf.getmembers():
            rel = _member_path(member.name, strip, archive)
            if rel is None:
                continue
            if member.issym():
                _check_link(rel, member.linkname, archive, member.name)
            elif member.islnk():
                link_rel = _member_path(member.linkname, strip, archive)
                if link_rel is None:
                    raise GanError(f"{archive}: refusing hard link {member.name!r} -> {member.linkname!r}")
                member.linkname = str(link_rel)
            elif not (member.isfile() or member.isdir()):
                raise GanError(f"{archive}: refusing special file {member.name!r}")
            member.name = str(rel)
            members.append(member)
        _check_size(sum(m.size for m in members), max_bytes, archive)
        # the 'data' filter re-checks every path and link as a second line of defence
        tf.extractall(dest, members=members, filter="data")
        return sum(1 for m in members if not m.isdir())


def extract_archive(archive: str | Path, dest: str | Path, strip_components: int = 0,
                    max_bytes: int = 4 << 30) -> int:
    """Extract a zip or tar archive into the existing folder ``dest``.

    ``strip_components`` drops that many leading folders from every entry
    (like tar's option of the same name).  Returns the number of files written.
    Raises GanError for a file that is not an archive, a truncated or corrupt
    archive, an unsafe entry, or a total size over ``max_bytes``.
    """
    archive, dest = Path(archive), Path(dest)
    try:
        if zipfile.is_zipfile(archive):
            return _extract_zip(archive, dest, strip_components, max_bytes)
        if tarfile.is_tarfile(archive):
            return _extract_tar(archive, dest, strip_components, max_bytes)
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError) as exc:
        if isinstance(exc, tarfile.FilterError):
            raise GanError(f"{archive}: refusing unsafe entry: {exc}") from exc
        raise GanError(f"{archive}: truncated or corrupt archive ({exc})") from exc
    raise GanError(f"{archive}: not a zip or tar archive (or truncated before its index)")
