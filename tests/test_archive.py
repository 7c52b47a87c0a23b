"""Hostile archives: every link, special file and escaping name is refused by
name before anything is written, through the real `gan data download`."""

import bz2
import gzip
import io
import random
import stat
import tarfile
import time
import zipfile

import pytest

from gan.data.archive import extract_archive
from gan.data.download import DataSource, download
from gan.data.http import Deadline
from gan.errors import GanError
from tests.conftest import one_line_error


def zip_bytes(entries: list[tuple[str, bytes, int]]) -> bytes:
    """(name, data, Unix mode with its type bits) per entry."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data, mode in entries:
            info = zipfile.ZipInfo(name)
            info.external_attr = mode << 16
            info.create_system = 3  # Unix, so the mode bits are read as such
            zf.writestr(info, data)
    return buf.getvalue()


def tar_bytes(entries: list[tuple[str, bytes, bytes, str]]) -> bytes:
    """(name, type, data, link name) per entry."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for name, kind, data, link in entries:
            info = tarfile.TarInfo(name)
            info.type, info.linkname, info.size = kind, link, len(data)
            tf.addfile(info, io.BytesIO(data) if data else None)
    return buf.getvalue()


LINK, FILE, DIR = stat.S_IFLNK | 0o777, stat.S_IFREG | 0o644, stat.S_IFDIR | 0o755

HOSTILE_ZIPS = {
    "link chain": ([("a", b".", LINK), ("b", b"a/..", LINK), ("b/escaped.txt", b"evil", FILE)], "a"),
    "directory link, then a file through it": ([("d", b"..", LINK), ("d/escaped.txt", b"evil", FILE)], "d"),
    "absolute link": ([("ok.txt", b"ok", FILE), ("l", b"/etc", LINK)], "l"),
    "dot-dot name": ([("ok.txt", b"ok", FILE), ("../escaped.txt", b"evil", FILE)], "../escaped.txt"),
    "nested dot-dot": ([("x/../../escaped.txt", b"evil", FILE)], "x/../../escaped.txt"),
    "absolute name": ([("/tmp/escaped.txt", b"evil", FILE)], "/tmp/escaped.txt"),
    "drive letter": ([("C:/escaped.txt", b"evil", FILE)], "C:/escaped.txt"),
    "backslash dot-dot": ([("..\\escaped.txt", b"evil", FILE)],
                          "..\\escaped.txt"),
    "character device": ([("dev", b"", stat.S_IFCHR | 0o644)], "dev"),
    "FIFO": ([("pipe", b"", stat.S_IFIFO | 0o644)], "pipe"),
    "file then a path through it": ([("f", b"x", FILE), ("f/g.txt", b"evil", FILE)], "f/g.txt"),
}

HOSTILE_TARS = {
    "link chain": ([("a", tarfile.SYMTYPE, b"", "."), ("b", tarfile.SYMTYPE, b"", "a/.."),
                    ("b/escaped.txt", tarfile.REGTYPE, b"evil", "")], "a"),
    "directory link, then a file through it": ([("d", tarfile.SYMTYPE, b"", "/tmp"),
                                                ("d/escaped.txt", tarfile.REGTYPE, b"evil", "")], "d"),
    "hard link to a file outside": ([("h", tarfile.LNKTYPE, b"", "../outside.txt")], "h"),
    "hard link inside": ([("f", tarfile.REGTYPE, b"x", ""), ("h", tarfile.LNKTYPE, b"", "f")], "h"),
    "dot-dot name": ([("../escaped.txt", tarfile.REGTYPE, b"evil", "")], "../escaped.txt"),
    "absolute name": ([("/tmp/escaped.txt", tarfile.REGTYPE, b"evil", "")], "/tmp/escaped.txt"),
    "character device": ([("dev", tarfile.CHRTYPE, b"", "")], "dev"),
    "block device": ([("blk", tarfile.BLKTYPE, b"", "")], "blk"),
    "FIFO": ([("pipe", tarfile.FIFOTYPE, b"", "")], "pipe"),
}


def check_refused(tmp_path, gan_cli, archive: bytes, suffix: str, entry: str) -> None:
    """`gan data download` of ``archive`` fails with one line naming ``entry``
    and leaves nothing but the archive, inside or outside DEST."""
    box = tmp_path / "box"
    box.mkdir()
    source = box / f"evil.{suffix}"
    source.write_bytes(archive)
    code, _, err = gan_cli("data", "download", source, box / "dest")
    one_line_error(code, err, f"refusing entry {entry!r}")
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["box", f"evil.{suffix}"]


@pytest.mark.parametrize("case", HOSTILE_ZIPS)
def test_hostile_zip_is_refused(tmp_path, gan_cli, case):
    entries, entry = HOSTILE_ZIPS[case]
    check_refused(tmp_path, gan_cli, zip_bytes(entries), "zip", entry)


@pytest.mark.parametrize("case", HOSTILE_TARS)
def test_hostile_tar_is_refused(tmp_path, gan_cli, case):
    entries, entry = HOSTILE_TARS[case]
    check_refused(tmp_path, gan_cli, tar_bytes(entries), "tar.gz", entry)


def test_empty_entry_name_is_refused(tmp_path):
    """The tar is read as a stream, so 'ok' is written before '/' is seen:
    into download's temporary folder, which goes with the error."""
    archive = tmp_path / "a.tar.gz"
    archive.write_bytes(tar_bytes([("ok", tarfile.REGTYPE, b"ok", ""), ("/", tarfile.REGTYPE, b"x", "")]))
    with pytest.raises(GanError, match="refusing entry '/': empty name"):
        download(DataSource(source=str(archive)), tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.tar.gz"]


def test_files_and_folders_extract(tmp_path):
    archive = tmp_path / "ok.zip"
    archive.write_bytes(zip_bytes([("top/", b"", DIR), ("top/d/", b"", DIR), ("top/d/a.txt", b"alpha", FILE),
                                   ("top/b.txt", b"beta", 0o644)]))
    (tmp_path / "out").mkdir()
    assert extract_archive(archive, tmp_path / "out", strip_components=1) == 2
    assert (tmp_path / "out/d/a.txt").read_bytes() == b"alpha" and (tmp_path / "out/b.txt").read_bytes() == b"beta"


def test_size_limit(tmp_path):
    archive = tmp_path / "big.zip"
    archive.write_bytes(zip_bytes([("zeros.bin", bytes(10_000), FILE)]))
    (tmp_path / "out").mkdir()
    with pytest.raises(GanError, match="would extract over 10,000 bytes, over the limit of 1,000"):
        extract_archive(archive, tmp_path / "out", max_bytes=1000)
    assert list((tmp_path / "out").iterdir()) == []


def test_a_zip_that_lies_about_its_size_is_stopped(tmp_path):
    """An entry that declares 10 bytes but inflates to 100,000."""
    data = zip_bytes([("liar.bin", bytes(100_000), FILE)])
    header = data.index(b"PK\x03\x04")
    central = data.index(b"PK\x01\x02")
    patched = bytearray(data)
    for offset in (header + 22, central + 24):  # the uncompressed size fields
        patched[offset:offset + 4] = (10).to_bytes(4, "little")
    archive = tmp_path / "liar.zip"
    archive.write_bytes(bytes(patched))
    (tmp_path / "out").mkdir()
    with pytest.raises(GanError, match="liar.zip: (truncated or corrupt|extracts to more)"):
        extract_archive(archive, tmp_path / "out", max_bytes=1000)
    assert all(p.stat().st_size <= 1000 for p in (tmp_path / "out").rglob("*") if p.is_file())


@pytest.mark.parametrize("kind", ["zip", "tar.gz"])
def test_truncated_archive(tmp_path, kind):
    if kind == "zip":
        data = zip_bytes([(f"f{i}.bin", bytes(range(256)) * 40, FILE) for i in range(5)])
    else:
        data = tar_bytes([(f"f{i}.bin", tarfile.REGTYPE, random.Random(i).randbytes(10_000), "") for i in range(5)])
    archive = tmp_path / f"cut.{kind}"
    archive.write_bytes(data[: len(data) // 2])
    with pytest.raises(GanError, match="truncated|not a zip or tar"):
        download(DataSource(source=str(archive)), tmp_path / "out")
    assert not (tmp_path / "out").exists()


# --- bombs, the deadline, archives that yield nothing, zip entries that lie --------

def files_in(folder) -> dict:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def tar_bomb(compression: str, kind: bytes) -> bytes:
    """A tar whose first header (a file's, or a pax header) declares 100 GiB,
    then 256 MiB of zeros as concatenated compressed streams: a few KB, which
    a real bomb repeats up to the size declared."""
    info = tarfile.TarInfo("zeros.bin")
    info.type, info.size = kind, 100 << 30
    compress = {"bz2": bz2.compress, "gz": gzip.compress}[compression]
    return compress(info.tobuf(tarfile.GNU_FORMAT)) + compress(bytes(8 << 20)) * 32


@pytest.mark.parametrize("compression", ["bz2", "gz"])
@pytest.mark.parametrize("kind,fragment", [(tarfile.REGTYPE, "over the limit of 104,857,600"),
                                           (tarfile.XHDTYPE, "extended header of 107,374,182,400 bytes")])
def test_a_tar_bomb_is_refused_at_its_first_header(tmp_path, gan_cli, compression, kind, fragment):
    source = tmp_path / f"bomb.tar.{compression}"
    source.write_bytes(tar_bomb(compression, kind))
    start = time.process_time()  # this process's CPU: the old code decompressed for minutes
    code, _, err = gan_cli("data", "download", source, tmp_path / "dest", "--max-extract-mb", "100")
    assert time.process_time() - start < 5, "the stream was decompressed before the size was checked"
    one_line_error(code, err, str(source), fragment)
    assert sorted(p.name for p in tmp_path.iterdir()) == [source.name]


def test_the_deadline_covers_extraction(tmp_path, gan_cli, monkeypatch):
    """An extraction still running at --deadline stops; DEST stays as it was.
    The deadline's clock passes it at the 50th look, half-way through the entries."""
    source = tmp_path / "many.tar.gz"
    source.write_bytes(tar_bytes([(f"f{i}.txt", tarfile.REGTYPE, b"x" * 100, "") for i in range(100)]))
    dest = tmp_path / "dest"
    assert gan_cli("data", "download", source, dest)[0] == 0
    before = files_in(dest)
    looks = iter(range(100, -1000, -2))
    monkeypatch.setattr(Deadline, "left", lambda self: next(looks))
    code, _, err = gan_cli("data", "download", source, dest, "--deadline", "60")
    one_line_error(code, err, str(source), "extraction not finished within the deadline of 60 s")
    assert next(looks) < 0 and next(looks) > -200, "the deadline was looked at only before extraction"
    assert files_in(dest) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dest", "many.tar.gz"]


@pytest.mark.parametrize("name,entries,options,fragment", [
    ("empty.zip", [], [], "holds no files"),
    ("folders.zip", [("top/", b"", DIR), ("top/sub/", b"", DIR)], [], "holds no files"),
    ("deep.zip", [("top/", b"", DIR), ("top/a.txt", b"a", FILE)], ["--strip-components", "2"],
     "strip-components 2 leaves no files"),
    ("empty.tar.gz", [], [], "holds no files"),
    ("deep.tar.gz", [("top/sub/a.txt", b"a", FILE)], ["--strip-components", "3"],
     "strip-components 3 leaves no files"),
])
def test_an_archive_that_yields_no_files_leaves_dest_as_it_was(tmp_path, gan_cli, name, entries, options, fragment):
    good = tmp_path / "good.zip"
    good.write_bytes(zip_bytes([("a.txt", b"alpha", FILE)]))
    dest = tmp_path / "dest"
    assert gan_cli("data", "download", good, dest)[0] == 0
    before = files_in(dest)
    source = tmp_path / name
    source.write_bytes(zip_bytes(entries) if name.endswith(".zip") else
                       tar_bytes([(n, tarfile.REGTYPE, data, "") for n, data, _ in entries]))
    code, _, err = gan_cli("data", "download", source, dest, *options)
    one_line_error(code, err, str(source), fragment)
    assert files_in(dest) == before


def renamed(archive: bytes, old: str, new: str) -> bytes:
    """``archive`` with an entry renamed in place, in both of its headers (the
    writer itself would cut a NUL, and drop a folder's content)."""
    assert len(old) == len(new) and archive.count(old.encode()) == 2
    return archive.replace(old.encode(), new.encode())


@pytest.mark.parametrize("archive,entry", [
    pytest.param(renamed(zip_bytes([("evil_b.txt", b"evil", FILE)]), "evil_b.txt", "evil\0b.txt"), "evil\0b.txt",
                 id="NUL in the name"),
    pytest.param(zip_bytes([("data.bin", b"payload", DIR)]), "data.bin", id="folder mode, a file's name"),
    pytest.param(renamed(zip_bytes([("dir_", b"payload", DIR)]), "dir_", "dir/"), "dir/",
                 id="folder with content"),
])
def test_a_zip_entry_whose_name_or_kind_lies_is_refused(tmp_path, gan_cli, archive, entry):
    check_refused(tmp_path, gan_cli, archive, "zip", entry)


def test_a_global_pax_header_that_every_entry_would_copy_is_refused(tmp_path):
    """tarfile copies a global header's keys into each later entry: 4 KiB at most."""
    buf = io.BytesIO()
    keys = {f"k{i}": "v" for i in range(1000)}
    with tarfile.open(fileobj=buf, mode="w:gz", format=tarfile.PAX_FORMAT, pax_headers=keys) as tf:
        tf.addfile(tarfile.TarInfo("empty/"))
    (tmp_path / "g.tar.gz").write_bytes(buf.getvalue())
    with pytest.raises(GanError, match="extended header of [0-9,]+ bytes .* over the limit of 4,096"):
        download(DataSource(source=str(tmp_path / "g.tar.gz")), tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_an_archive_of_too_many_entries_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr("gan.data.archive.MAX_ENTRIES", 10)
    for name, data in [("many.tar.gz", tar_bytes([(f"d{i}/", tarfile.DIRTYPE, b"", "") for i in range(11)])),
                       ("many.zip", zip_bytes([(f"d{i}/", b"", DIR) for i in range(11)]))]:
        (tmp_path / name).write_bytes(data)
        with pytest.raises(GanError, match=f"{name}: more than 10 entries"):
            download(DataSource(source=str(tmp_path / name)), tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["many.tar.gz", "many.zip"]
