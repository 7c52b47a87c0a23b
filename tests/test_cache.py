"""Caches are checked against their manifest when loaded: a wrong dtype,
scale, shape, count or content is named before any training starts."""

import json
import math
import os

import numpy as np
import pytest
import yaml
from PIL import Image

from gan.data.cache import load_cache, load_points
from gan.data.flatten import flatten_folder
from gan.data.toy import sine_points, write_points
from gan.errors import GanError
from gan.training.run import train_experiment
from tests.conftest import deadline


@pytest.fixture
def cache(tmp_path):
    rng = np.random.default_rng(0)
    for digit in range(2):
        (tmp_path / "src" / str(digit)).mkdir(parents=True)
        for i in range(4):
            Image.fromarray(rng.integers(0, 256, (6, 6), dtype=np.uint8)).save(tmp_path / f"src/{digit}/{i}.png")
    flatten_folder(tmp_path / "src", tmp_path / "data/processed/mnist_train", workers=1)
    return tmp_path / "data/processed/mnist_train"


def edit_manifest(folder, **changes):
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest.update(changes)
    (folder / "manifest.json").write_text(json.dumps(manifest))


def test_a_good_cache_loads(cache):
    loaded = load_cache(cache)
    assert loaded.images.shape == (8, 1, 6, 6) and list(loaded.labels) == [0] * 4 + [1] * 4


@pytest.mark.parametrize("damage,message", [
    (lambda c: np.save(c / "images.npy", np.load(c / "images.npy").astype(np.float32) / 255),
     r"images.npy: float32 array of shape \(8, 1, 6, 6\), expected uint8 with 4 axes"),
    (lambda c: np.save(c / "images.npy", np.load(c / "images.npy").reshape(8, 36)),
     r"images.npy: uint8 array of shape \(8, 36\), expected uint8 with 4 axes"),
    (lambda c: np.save(c / "images.npy", np.load(c / "images.npy")[:5]),
     "images.npy: contents differ from the sha256 in manifest.json"),
    (lambda c: np.save(c / "images.npy", 255 - np.load(c / "images.npy")),
     "images.npy: contents differ from the sha256 in manifest.json"),
    (lambda c: edit_manifest(c, count=9), r"images.npy: shape \(8, 1, 6, 6\), but manifest.json says"),
    (lambda c: edit_manifest(c, sha256={}), "manifest.json: no sha256 of images; rebuild the cache"),
    (lambda c: (c / "manifest.json").write_text("{not json"), "manifest.json: not a readable cache manifest"),
    (lambda c: (c / "images.npy").write_bytes(b"\x93NUMPY garbage"), "images.npy: not a readable .npy array"),
    (lambda c: (c / "labels.npy").unlink(), "labels.npy: missing, though manifest.json lists it"),
    (lambda c: np.save(c / "labels.npy", np.load(c / "labels.npy").astype(np.int32)),
     "labels.npy: int32 array of shape"),
])
def test_a_damaged_cache_is_named(cache, damage, message):
    damage(cache)
    with pytest.raises(GanError, match=message):
        load_cache(cache)


def test_labels_out_of_range_are_named(cache):
    labels = np.load(cache / "labels.npy")
    labels[0] = 7
    np.save(cache / "labels.npy", labels)
    from gan.data.cache import array_sha256
    manifest = json.loads((cache / "manifest.json").read_text())
    manifest["sha256"]["labels"] = array_sha256(labels)
    (cache / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(GanError, match=r"labels.npy: expected 8 labels in 0..1"):
        load_cache(cache)


def test_point_caches_are_checked(tmp_path):
    folder = tmp_path / "sine"
    write_points(sine_points(100, np.random.default_rng(0)), folder, "sine")
    points, manifest = load_points(folder)
    assert points.shape == (100, 2) and manifest["count"] == 100
    np.save(folder / "points.npy", np.load(folder / "points.npy").astype(np.float64))
    with pytest.raises(GanError, match="points.npy: float64 array"):
        load_points(folder)
    write_points(sine_points(100, np.random.default_rng(0)), folder, "sine")
    edit_manifest(folder, std=[1.0, 0.0])
    with pytest.raises(GanError, match="manifest.json: 'std' must be 2 finite numbers above 0"):
        load_points(folder)


def test_training_refuses_a_bad_cache_before_it_starts(cache, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    np.save(cache / "images.npy", np.load(cache / "images.npy").astype(np.float32) / 255)
    (tmp_path / "params.yaml").write_text(yaml.safe_dump({"experiments": {"m": {
        "dataset": "mnist_train", "generator": ["linear out", "tanh"], "discriminator": ["linear out"],
        "epochs": 1, "batch_size": 4}}, "datasets": {"mnist_train": {"family": "digits", "reference": "mnist_train"}}}))
    with pytest.raises(GanError, match="mnist_train/images.npy: float32 array"):
        train_experiment("m", "params.yaml", cache, "results/m")
    assert not (tmp_path / "results").exists()


@pytest.mark.parametrize("key,value", [("std", [1.0, math.inf]), ("std", [math.nan, 1.0]), ("mean", [0.0, -math.inf])])
def test_point_statistics_must_be_finite(tmp_path, key, value):
    write_points(sine_points(100, np.random.default_rng(0)), tmp_path, "sine")
    edit_manifest(tmp_path, **{key: value})  # JSON Infinity, NaN: an infinite std makes every row 0
    with pytest.raises(GanError, match=f"manifest.json: '{key}' must be 2 finite numbers"):
        load_points(tmp_path)


@pytest.mark.parametrize("name", ["images.npy", "labels.npy", "points.npy"])
def test_a_fifo_in_place_of_an_array_is_refused_unopened(cache, tmp_path, name):
    if name == "points.npy":
        cache = tmp_path / "sine"
        write_points(sine_points(100, np.random.default_rng(0)), cache, "sine")
    (cache / name).unlink()
    os.mkfifo(cache / name)
    with deadline(5), pytest.raises(GanError, match=f"{name}: not a regular file"):
        (load_points if name == "points.npy" else load_cache)(cache)
