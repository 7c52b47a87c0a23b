"""Decode an image folder into ``.npy`` caches: images (N, C, H, W) uint8,
labels (N,) int64 when the folder has one sub-folder per class, and a JSON
manifest describing both."""

import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from gan.data.cache import array_sha256
from gan.data.image_files import is_image_file, read_image, visible_paths
from gan.errors import GanError
from gan.files import atomic_dir, check_output_dir, read_json, save_array, write_json
from gan.threads import BUDGET

CHUNK = 2000  # files per worker task


def _image_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if is_image_file(p))


def _refuse_unread(visible: list[Path], read: list[Path]) -> None:
    """Raise if ``visible`` holds image files that the layout leaves out (so none is dropped silently)."""
    unread = sorted(set(p for p in visible if is_image_file(p)) - set(read))
    if unread:
        raise GanError(f"{unread[0]}: {len(unread)} image file(s) outside the layout flatten reads "
                       f"(SRC/*.png, or SRC/CLASS/*.png with one folder per class); move or remove them")


def list_images(src: Path) -> tuple[list[Path], list[str], np.ndarray | None]:
    """Sorted image paths, class names and per-file class indices.

    With sub-folders each one is a class (sorted numerically when all names
    are integers, as MNIST's '0'..'9'); without, there are no labels.  Image
    files anywhere else under ``src`` (deeper folders, or beside class
    folders) are an error, not silently skipped, and so is a symbolic link.
    """
    if not src.is_dir():
        raise GanError(f"{src}: no such folder")
    visible = visible_paths(src)
    classes = [d.name for d in src.iterdir() if d.is_dir() and not d.name.startswith(".")]
    if not classes:
        files = _image_files(src)
        if not files:
            raise GanError(f"{src}: no image files")
        _refuse_unread(visible, files)
        return files, [], None
    classes.sort(key=lambda c: (0, int(c), c) if c.isdigit() else (1, 0, c))
    files, labels = [], []
    for index, name in enumerate(classes):
        members = _image_files(src / name)
        files += members
        labels += [index] * len(members)
    if not files:
        raise GanError(f"{src}: no image files in its class folders")
    _refuse_unread(visible, files)
    return files, classes, np.array(labels, dtype=np.int64)


def _decode(path: Path) -> tuple[np.ndarray, str]:
    image = read_image(path)
    return np.asarray(image), image.mode
def _decode_chunk(paths: list[Path], mode: str, hw: tuple[int, int]) -> np.ndarray:
    """(n, H, W[, 3]) uint8 for ``paths``; all must match ``mode`` and (H, W)."""
    out = None
    for i, path in enumerate(paths):
        pixels, got_mode = _decode(path)
        if got_mode != mode or pixels.shape[:2] != hw:
            raise GanError(f"{path}: {pixels.shape[1]}x{pixels.shape[0]} {got_mode}, expected "
                           f"{hw[1]}x{hw[0]} {mode} like the first image")
        if out is None:
            out = np.empty((len(paths), *pixels.shape), dtype=np.uint8)
        out[i] = pixels
    return out


def read_images(files: list[Path], workers: int | None = None) -> np.ndarray:
    """Decode ``files`` (all one size and mode, 'L' or 'RGB') into (N, C, H, W)
    uint8, in order, on ``workers`` processes (default: the thread budget, gan.threads)."""
    first, mode = _decode(files[0])
    if mode not in ("L", "RGB"):
        raise GanError(f"{files[0]}: mode {mode}; flatten takes L or RGB images (pad them first)")
    hw = first.shape[:2]
    chunks = [files[i:i + CHUNK] for i in range(0, len(files), CHUNK)]
    workers = min(workers or BUDGET, len(chunks))
    if workers > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            parts = list(pool.map(_decode_chunk, chunks, [mode] * len(chunks), [hw] * len(chunks)))
    else:
        parts = [_decode_chunk(chunk, mode, hw) for chunk in chunks]
    images = np.concatenate(parts)
    return images[:, None] if images.ndim == 3 else images.transpose(0, 3, 1, 2)


def flatten_folder(src: str | Path, dst: str | Path, workers: int | None = None) -> str:
    """Write ``images.npy``, ``labels.npy`` (if classes) and ``manifest.json``
    for the folder ``src`` into the folder ``dst``, which may not overlap
    ``src``.  A ``codes.json`` in ``src`` mapping file stems to display names
    (the flags' country names) gives the manifest a name per image.
    Returns a summary line."""
    src = Path(src)
    check_output_dir(dst, inputs=[src])  # before the decoding work, not only at the end
    files, classes, labels = list_images(src)
    codes = read_json(src / "codes.json", "codes list") if (src / "codes.json").is_file() else None
    start = time.perf_counter()
    images = read_images(files, workers)
    seconds = time.perf_counter() - start
    manifest = {
        "source": str(src),
        "count": int(images.shape[0]),
        "shape": list(images.shape),
        "dtype": str(images.dtype),
        "classes": classes,
        "class_counts": {c: int((labels == i).sum()) for i, c in enumerate(classes)},
        "files": [str(p.relative_to(src)) for p in files],
        **({"names": [str(codes.get(p.stem, p.stem)) for p in files]} if isinstance(codes, dict) else {}),
        "sha256": {"images": array_sha256(images)} | ({"labels": array_sha256(labels)} if classes else {}),
    }
    with atomic_dir(dst, inputs=[src]) as out:
        save_array(out / "images.npy", images)
        if classes:
            save_array(out / "labels.npy", labels)
        write_json(out / "manifest.json", manifest)
    return (f"{dst}: {len(files)} images {tuple(images.shape[1:])} in {seconds:.1f} s "
            f"({len(files) / max(seconds, 1e-9):,.0f} images/s)")
