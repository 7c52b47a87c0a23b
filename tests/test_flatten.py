"""Flatten round-trips pixels exactly and labels follow the class folders."""

import json

import numpy as np
import pytest
from PIL import Image

from gan.data import flatten
from gan.data.cache import load_cache, to_pixels, to_unit_range
from gan.data.flatten import flatten_folder
from gan.data.inspect import inspect
from gan.errors import GanError
from tests.conftest import one_line_error


def write_classes(root, classes, per_class, mode="L", size=(5, 4), seed=0):
    rng = np.random.default_rng(seed)
    expected = {}
    for name in classes:
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            shape = (size[1], size[0]) + ((3,) if mode == "RGB" else ())
            pixels = rng.integers(0, 256, shape, dtype=np.uint8)
            Image.fromarray(pixels, mode).save(root / name / f"{i}.png")
            expected[(name, i)] = pixels
    return expected


@pytest.mark.parametrize("mode", ["L", "RGB"])
def test_round_trip_with_labels(tmp_path, mode):
    expected = write_classes(tmp_path / "src", ["2", "10", "7"], 3, mode)
    flatten_folder(tmp_path / "src", tmp_path / "cache", workers=1)
    cache = load_cache(tmp_path / "cache")
    channels = 3 if mode == "RGB" else 1
    assert cache.images.shape == (9, channels, 4, 5) and cache.images.dtype == np.uint8
    assert cache.manifest["classes"] == ["2", "7", "10"]  # numeric order, not string order
    assert cache.labels.dtype == np.int64
    for image, label, name in zip(cache.images, cache.labels, cache.manifest["files"]):
        folder, file = name.split("/")
        assert cache.manifest["classes"][label] == folder
        pixels = expected[(folder, int(file.split(".")[0]))]
        assert np.array_equal(image, pixels[None] if mode == "L" else pixels.transpose(2, 0, 1))
    assert cache.manifest["class_counts"] == {"2": 3, "7": 3, "10": 3}


def test_parallel_decoding_matches_single_process(tmp_path, monkeypatch):
    write_classes(tmp_path / "src", ["0", "1"], 7)
    monkeypatch.setattr(flatten, "CHUNK", 3)
    flatten_folder(tmp_path / "src", tmp_path / "one", workers=1)
    flatten_folder(tmp_path / "src", tmp_path / "two", workers=2)
    a, b = load_cache(tmp_path / "one"), load_cache(tmp_path / "two")
    assert np.array_equal(a.images, b.images) and np.array_equal(a.labels, b.labels)
    assert a.manifest == b.manifest


def test_flat_folder_has_no_labels(tmp_path):
    src = tmp_path / "flags"
    src.mkdir()
    for name in ["fr", "de", "at"]:
        Image.new("RGB", (4, 4), (1, 2, 3)).save(src / f"{name}.png")
    flatten_folder(src, tmp_path / "cache")
    cache = load_cache(tmp_path / "cache")
    assert cache.labels is None and not (tmp_path / "cache" / "labels.npy").exists()
    assert cache.manifest["files"] == ["at.png", "de.png", "fr.png"]
    manifest = json.loads((tmp_path / "cache" / "manifest.json").read_text())
    assert manifest["shape"] == [3, 3, 4, 4] and len(manifest["sha256"]["images"]) == 64


def test_corrupt_jpg_is_named(tmp_path):
    write_classes(tmp_path / "src", ["0"], 2)
    good = tmp_path / "good.jpg"
    Image.new("L", (5, 4), 9).save(good)
    (tmp_path / "src" / "0" / "5.jpg").write_bytes(good.read_bytes()[:40])
    with pytest.raises(GanError, match=r"src/0/5\.jpg: cannot decode"):
        flatten_folder(tmp_path / "src", tmp_path / "cache", workers=1)
    assert not (tmp_path / "cache").exists()


def test_size_mismatch_names_the_first_offender(tmp_path):
    write_classes(tmp_path / "src", ["0"], 3)
    Image.new("L", (6, 4)).save(tmp_path / "src" / "0" / "1b.png")
    Image.new("L", (7, 4)).save(tmp_path / "src" / "0" / "2b.png")
    with pytest.raises(GanError, match=r"1b\.png: 6x4 L, expected 5x4 L"):
        flatten_folder(tmp_path / "src", tmp_path / "cache", workers=1)


def test_scaling_round_trip():
    pixels = np.arange(256, dtype=np.uint8)
    scaled = to_unit_range(pixels)
    assert scaled.dtype == np.float32 and scaled[0] == -1 and scaled[-1] == 1
    assert np.array_equal(to_pixels(scaled), pixels)


def test_inspect_reports_and_writes_preview(tmp_path):
    write_classes(tmp_path / "src", ["0", "1"], 2)
    flatten_folder(tmp_path / "src", tmp_path / "cache")
    text = inspect(tmp_path / "cache", tmp_path / "grid.png")
    assert "count:  4" in text and "0: 2, 1: 2" in text and "(4, 1, 4, 5)" in text
    with Image.open(tmp_path / "grid.png") as grid:
        assert grid.size == (4 * (2 * 5 + 1), 4 * (2 * 4 + 1))
    assert "image folder" in inspect(tmp_path / "src")


@pytest.mark.parametrize("link,target", [("3", "."), ("4/leak.png", "0.png"), ("codes.json", "names.json")])
def test_a_link_inside_src_is_refused(tmp_path, gan_cli, link, target):
    """A class folder, an image or the codes list linked from outside SRC
    would bring its content into the cache."""
    outside = tmp_path / "outside"
    outside.mkdir()
    Image.new("L", (5, 4), 200).save(outside / "0.png")
    (outside / "names.json").write_text('{"0": "a name from outside"}')
    write_classes(tmp_path / "src", ["4"], 2)
    (tmp_path / "src" / link).symlink_to((outside / target).resolve())
    code, _, err = gan_cli("data", "flatten", tmp_path / "src", tmp_path / "cache")
    one_line_error(code, err, f"{tmp_path / 'src' / link}: ", "symbolic link")
    assert not (tmp_path / "cache").exists()


@pytest.mark.parametrize("stray", ["3/extra/9.png", "loose.png"])
def test_images_outside_the_layout_are_reported(tmp_path, gan_cli, stray):
    """Images deeper than the class folders, or beside them, would be left
    out of the cache: flatten names them instead."""
    write_classes(tmp_path / "src", ["3", "4"], 2)
    (tmp_path / "src" / stray).parent.mkdir(parents=True, exist_ok=True)
    Image.new("L", (5, 4)).save(tmp_path / "src" / stray)
    code, _, err = gan_cli("data", "flatten", tmp_path / "src", tmp_path / "cache")
    one_line_error(code, err, f"src/{stray}: 1 image file(s) outside the layout flatten reads")
    assert not (tmp_path / "cache").exists()
    (tmp_path / "src" / ".hidden").mkdir()  # hidden folders (editor and tool state) are ignored
    Image.new("L", (5, 4)).save(tmp_path / "src" / ".hidden" / "x.png")
    (tmp_path / "src" / stray).unlink()
    assert gan_cli("data", "flatten", tmp_path / "src", tmp_path / "cache")[0] == 0
