"""A family's measure draws its figure into the folder it is given, and with
no folder (the metrics of G's trained weights, the 'training data' rows)
draws nothing and returns the same metrics."""

import numpy as np
from PIL import Image

from gan.data.cache import to_pixels, to_unit_range
from gan.evaluation import figures
from gan.evaluation.families import MEASURES, Drawn
from gan.files import save_array, write_json


def test_flags_measure_draws_only_when_given_a_folder(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    real = to_unit_range(to_pixels(rng.uniform(-1, 1, (12, 3, 28, 28))))
    reference = tmp_path / "reference"
    reference.mkdir()
    save_array(reference / "images.npy", to_pixels(real))
    write_json(reference / "names.json", [f"flag {i}" for i in range(12)])
    samples = np.concatenate([real[:4], rng.uniform(-1, 1, (26, 3, 28, 28)).astype(np.float32)])
    folder = tmp_path / "figures"
    folder.mkdir()

    drawn = MEASURES["flags"].measure(Drawn(samples, None, None, reference, [], "title", folder))
    assert [p.name for p in folder.iterdir()] == ["nearest.png"]
    with Image.open(folder / "nearest.png") as image:
        width, height = image.size
    assert width > 2 * height > 400, (width, height)  # 4 rows of 6 pairs, wider than tall

    def must_not_draw(*args, **kwargs):
        raise AssertionError("drew a figure without a folder")

    monkeypatch.setattr(figures, "nearest_figure", must_not_draw)
    assert MEASURES["flags"].measure(Drawn(samples, None, None, reference, [], "", None)) == drawn
    assert drawn["nn_copy_rate"] > 0  # the four copies are caught, so the two calls compared real numbers
