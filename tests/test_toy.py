"""The 2-D toy datasets: mixture geometry, the written cache, and the stage's params errors."""

import json

import numpy as np
import pytest
import yaml

from gan.data.toy import grid_centers, mixture_points, ring_centers
from tests.conftest import ROOT, run


def test_ring_and_grid_centres():
    ring = ring_centers(8, 2.0)
    np.testing.assert_allclose(np.linalg.norm(ring, axis=1), 2.0)
    np.testing.assert_allclose(ring[0], [2.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(ring[1] - ring[0]), 2 * 2.0 * np.sin(np.pi / 8))
    grid = grid_centers(25, 2.0)
    assert sorted(set(grid[:, 0])) == [-4.0, -2.0, 0.0, 2.0, 4.0] and len({tuple(c) for c in grid}) == 25
    with pytest.raises(ValueError, match="square number of modes, got 24"):
        grid_centers(24, 2.0)


def test_mixture_points_are_balanced_and_tight():
    centers = grid_centers(9, 1.0)
    points = mixture_points(9000, centers, 0.05, np.random.default_rng(0))
    d = np.linalg.norm(points[:, None] - centers[None], axis=2)
    assert points.dtype == np.float32 and d.min(axis=1).max() < 6 * 0.05
    counts = np.bincount(d.argmin(axis=1), minlength=9)
    assert counts.min() > 850 and counts.max() < 1150


def stage(tmp_path, toy):
    (tmp_path / "params.yaml").write_text(yaml.safe_dump({"data": {"toy": toy}}))
    return run(["python", str(ROOT / "pipeline/toy.py"), *toy, f"data/processed/{next(iter(toy))}"], tmp_path,
               check=False)


def test_toy_stage_writes_the_mixture_and_its_modes(tmp_path):
    result = stage(tmp_path, {"gmm": {"layout": "ring", "modes": 4, "radius": 1.0, "std": 0.1,
                                      "points": 100, "seed": 0}})
    assert result.returncode == 0, result.stderr
    manifest = json.loads((tmp_path / "data/processed/gmm/manifest.json").read_text())
    np.testing.assert_allclose(manifest["centers"], ring_centers(4, 1.0))
    assert manifest["mode_std"] == 0.1 and np.load(tmp_path / "data/processed/gmm/points.npy").shape == (100, 2)


@pytest.mark.parametrize("toy,message", [
    ({"layout": "spiral"}, "'data.toy.gmm.layout' must be one of ring, grid"),
    ({"layout": "grid", "modes": 24, "spacing": 1.0, "std": 0.1, "points": 10, "seed": 0},
     "'data.toy.gmm.modes': a grid needs a square number of modes, got 24"),
    ({"layout": "ring", "modes": 8, "std": 0.1, "points": 10, "seed": 0}, "missing key 'data.toy.gmm.radius'"),
])
def test_toy_stage_names_the_bad_key(tmp_path, toy, message):
    result = stage(tmp_path, {"gmm": toy})
    assert result.returncode == 1 and message in result.stderr and len(result.stderr.splitlines()) == 1
    assert not (tmp_path / "data/processed/gmm").exists()
