"""Padding policies on small synthetic images, checked pixel by pixel."""

import numpy as np
import pytest
from PIL import Image

from gan.data.pad import PadOptions, pad_folder, pad_image
from gan.errors import GanError

RED, BLUE, BG = (255, 0, 0), (0, 0, 255), (10, 20, 30)


def solid(size, colour, mode="RGB"):
    return Image.new(mode, size, colour)


def pixels(image):
    return np.asarray(image)


def test_pad_centres_original_pixels_without_resampling():
    src = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3) * 10  # 3 wide, 2 high
    out = pixels(pad_image(Image.fromarray(src, "RGB"), PadOptions((5, 4), "RGB", "pad", BG)))
    expected = np.empty((4, 5, 3), dtype=np.uint8)
    expected[:] = BG
    expected[1:3, 1:4] = src  # x offset (5-3)//2 = 1, y offset (4-2)//2 = 1
    assert np.array_equal(out, expected)


def test_pad_shrinks_images_larger_than_the_canvas():
    out = pixels(pad_image(solid((8, 4), RED), PadOptions((4, 4), "RGB", "pad", BG)))
    assert np.array_equal(out[1:3], np.full((2, 4, 3), RED, dtype=np.uint8))  # 8x4 -> 4x2, rows 1..2
    assert np.array_equal(out[[0, 3]], np.full((2, 4, 3), BG, dtype=np.uint8))


def test_fit_scales_the_longer_side_to_the_canvas():
    out = pixels(pad_image(solid((2, 1), BLUE), PadOptions((4, 4), "RGB", "fit", BG)))
    assert np.array_equal(out[1:3], np.full((2, 4, 3), BLUE, dtype=np.uint8))
    assert np.array_equal(out[0], np.full((4, 3), BG, dtype=np.uint8))


def test_pad_keeps_small_images_unscaled_where_fit_enlarges():
    small = solid((2, 2), RED)
    padded = pixels(pad_image(small, PadOptions((6, 6), "RGB", "pad", BG)))
    fitted = pixels(pad_image(small, PadOptions((6, 6), "RGB", "fit", BG)))
    assert (padded == RED).all(axis=2).sum() == 4
    assert (fitted == RED).all(axis=2).sum() == 36


def test_grey_output_and_background():
    out = pixels(pad_image(solid((1, 1), RED), PadOptions((3, 3), "L", "pad", (255, 255, 255))))
    assert out.shape == (3, 3)
    assert out[1, 1] == 76  # ITU-R 601-2 luma of pure red: 255 * 299 / 1000
    assert out[0, 0] == 255


def test_rgba_is_composited_onto_the_background():
    rgba = np.zeros((1, 3, 4), dtype=np.uint8)
    rgba[0, 0] = (*RED, 255)
    rgba[0, 1] = (*RED, 0)
    rgba[0, 2] = (*RED, 128)
    out = pixels(pad_image(Image.fromarray(rgba, "RGBA"), PadOptions((3, 1), "RGB", "pad", BLUE)))
    assert tuple(out[0, 0]) == RED
    assert tuple(out[0, 1]) == BLUE
    assert abs(int(out[0, 2, 0]) - 128) <= 1 and abs(int(out[0, 2, 2]) - 127) <= 1


def test_palette_with_transparency():
    image = Image.new("P", (2, 1))
    image.putpalette([*RED, *BLUE] + [0] * 762)
    image.putdata([0, 1])
    image.info["transparency"] = 1
    out = pixels(pad_image(image, PadOptions((2, 1), "RGB", "pad", BG)))
    assert tuple(out[0, 0]) == RED and tuple(out[0, 1]) == BG


def test_folder_keeps_names_and_reports_bad_files(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    solid((20, 13), RED).save(src / "fr.png")
    solid((20, 10), BLUE, "RGB").save(src / "de.jpg")
    (src / "codes.json").write_text("{}")
    (src / "xx.png").write_bytes(b"not a png at all")
    with pytest.raises(GanError, match=r"1 of 3 images unreadable .*xx\.png"):
        pad_folder(src, tmp_path / "out", PadOptions(mode="RGB"))
    assert not (tmp_path / "out").exists()
    summary = pad_folder(src, tmp_path / "out", PadOptions(mode="RGB"), max_bad_fraction=0.5)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["de.png", "fr.png"]
    assert "xx.png" in summary
    with Image.open(tmp_path / "out" / "fr.png") as image:
        assert image.size == (28, 28) and image.mode == "RGB"
        assert image.getpixel((4, 7)) == RED and image.getpixel((3, 7)) == (0, 0, 0)


def test_bad_options():
    with pytest.raises(GanError, match="mode"):
        PadOptions(mode="CMYK")
    with pytest.raises(GanError, match="policy"):
        PadOptions(policy="stretch")
