"""Padding policies on small synthetic images, checked pixel by pixel."""

import os
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from gan.data.pad import PadOptions, pad_folder, pad_image
from gan.errors import GanError
from gan.params import ParamsError, parse
from tests.conftest import deadline, one_line_error

RED, BLUE, BG = (255, 0, 0), (0, 0, 255), (10, 20, 30)


def solid(size, colour, mode="RGB"):
    return Image.new(mode, size, colour)


def pixels(image):
    return np.asarray(image)


def options(canvas, policy="pad", background=BG):
    return PadOptions(canvas=canvas, policy=policy, background=list(background))


def test_pad_centres_original_pixels_without_resampling():
    src = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3) * 10  # 3 wide, 2 high
    out = pixels(pad_image(Image.fromarray(src, "RGB"), options(5), "RGB"))
    expected = np.empty((5, 5, 3), dtype=np.uint8)
    expected[:] = BG
    expected[1:3, 1:4] = src  # x offset (5-3)//2 = 1, y offset (5-2)//2 = 1
    assert np.array_equal(out, expected)


def test_pad_shrinks_images_larger_than_the_canvas():
    out = pixels(pad_image(solid((8, 4), RED), options(4), "RGB"))
    assert np.array_equal(out[1:3], np.full((2, 4, 3), RED, dtype=np.uint8))  # 8x4 -> 4x2, rows 1..2
    assert np.array_equal(out[[0, 3]], np.full((2, 4, 3), BG, dtype=np.uint8))


def test_fit_scales_the_longer_side_to_the_canvas():
    out = pixels(pad_image(solid((2, 1), BLUE), options(4, "fit"), "RGB"))
    assert np.array_equal(out[1:3], np.full((2, 4, 3), BLUE, dtype=np.uint8))
    assert np.array_equal(out[0], np.full((4, 3), BG, dtype=np.uint8))


def test_pad_keeps_small_images_unscaled_where_fit_enlarges():
    small = solid((2, 2), RED)
    padded = pixels(pad_image(small, options(6), "RGB"))
    fitted = pixels(pad_image(small, options(6, "fit"), "RGB"))
    assert (padded == RED).all(axis=2).sum() == 4
    assert (fitted == RED).all(axis=2).sum() == 36


def test_grey_output_and_background():
    out = pixels(pad_image(solid((1, 1), RED), options(3, background=(255, 255, 255)), "L"))
    assert out.shape == (3, 3)
    assert out[1, 1] == 76  # ITU-R 601-2 luma of pure red: 255 * 299 / 1000
    assert out[0, 0] == 255


def test_rgba_is_composited_onto_the_background():
    rgba = np.zeros((1, 3, 4), dtype=np.uint8)
    rgba[0, 0] = (*RED, 255)
    rgba[0, 1] = (*RED, 0)
    rgba[0, 2] = (*RED, 128)
    out = pixels(pad_image(Image.fromarray(rgba, "RGBA"), options(3, background=BLUE), "RGB"))
    assert tuple(out[1, 0]) == RED
    assert tuple(out[1, 1]) == BLUE
    assert abs(int(out[1, 2, 0]) - 128) <= 1 and abs(int(out[1, 2, 2]) - 127) <= 1


def test_palette_with_transparency():
    image = Image.new("P", (2, 1))
    image.putpalette([*RED, *BLUE] + [0] * 762)
    image.putdata([0, 1])
    image.info["transparency"] = 1
    out = pixels(pad_image(image, options(2), "RGB"))
    assert tuple(out[0, 0]) == RED and tuple(out[0, 1]) == BG and tuple(out[1, 0]) == BG


def test_folder_keeps_names_and_reports_bad_files(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    solid((20, 13), RED).save(src / "fr.png")
    solid((20, 10), BLUE, "RGB").save(src / "de.jpg")
    (src / "codes.json").write_text("{}")
    (src / "xx.png").write_bytes(b"not a png at all")
    with pytest.raises(GanError, match=r"1 of 3 images unreadable .*xx\.png"):
        pad_folder(src, tmp_path / "out", PadOptions(), "RGB")
    assert not (tmp_path / "out").exists()
    summary = pad_folder(src, tmp_path / "out", PadOptions(max_bad_fraction=0.5), "RGB")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [".gan-output", "codes.json", "de.png", "fr.png"]
    assert "xx.png" in summary
    with Image.open(tmp_path / "out" / "fr.png") as image:
        assert image.size == (28, 28) and image.mode == "RGB"
        assert image.getpixel((4, 7)) == RED and image.getpixel((3, 7)) == (0, 0, 0)


def test_bad_options(tmp_path):
    solid((2, 2), RED).save(tmp_path / "a.png")
    with pytest.raises(GanError, match="mode must be one of L, RGB, got 'CMYK'"):
        pad_folder(tmp_path, tmp_path / "out", PadOptions(), "CMYK")
    with pytest.raises(ParamsError, match="'data.pad.policy' must be one of pad, fit"):
        parse(PadOptions, {"policy": "stretch"}, "data.pad")


@pytest.mark.parametrize("side", [20_000, 10_000])
def test_decompression_bomb_is_named(tmp_path, gan_cli, side):
    """A PNG whose header claims side x side pixels, refused before decoding:
    over Pillow's error limit (179M pixels), and between its warning limit
    (89M) and that, where Pillow would only warn, then decode."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "bomb.png").write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) +
                                                chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))
    solid((2, 2), RED).save(tmp_path / "src" / "ok.png")
    code, _, err = gan_cli("data", "pad", tmp_path / "src", tmp_path / "out")
    one_line_error(code, err, "1 of 2 images unreadable", "bomb.png: cannot decode image", "decompression bomb")
    code, _, err = gan_cli("data", "flatten", tmp_path / "src", tmp_path / "cache")
    one_line_error(code, err, "bomb.png: cannot decode image")


@pytest.mark.parametrize("name,target", [("leak.png", "secret.png"), ("codes.json", "notes.json")])
def test_a_link_inside_src_is_refused(tmp_path, gan_cli, name, target):
    """A link would copy a file from outside SRC into DST."""
    (tmp_path / "outside").mkdir()
    solid((2, 2), RED).save(tmp_path / "outside" / "secret.png")
    (tmp_path / "outside" / "notes.json").write_text('{"secret": "outside"}')
    (tmp_path / "src").mkdir()
    solid((2, 2), BLUE).save(tmp_path / "src" / "ok.png")
    (tmp_path / "src" / name).symlink_to(tmp_path / "outside" / target)
    code, _, err = gan_cli("data", "pad", tmp_path / "src", tmp_path / "out")
    one_line_error(code, err, f"{tmp_path / 'src' / name}: ", "symbolic link")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("tool", ["pad", "flatten"])
def test_a_fifo_inside_src_is_refused(tmp_path, gan_cli, tool):
    """A FIFO named like an image was left out without a word."""
    (tmp_path / "src" / "3").mkdir(parents=True)
    solid((2, 2), BLUE).save(tmp_path / "src" / "3" / "ok.png")
    os.mkfifo(tmp_path / "src" / "3" / "pipe.png")
    with deadline(5):  # were it opened for reading, it would block for ever
        code, _, err = gan_cli("data", tool, tmp_path / "src", tmp_path / "out")
    one_line_error(code, err, f"{tmp_path / 'src' / '3' / 'pipe.png'}: not a regular file or folder")
    assert not (tmp_path / "out").exists()


def test_two_inputs_of_one_output_name_are_refused(tmp_path, gan_cli):
    (tmp_path / "src").mkdir()
    solid((2, 2), RED).save(tmp_path / "src" / "a.png")
    solid((2, 2), BLUE).save(tmp_path / "src" / "a.jpg")
    code, _, err = gan_cli("data", "pad", tmp_path / "src", tmp_path / "out")
    one_line_error(code, err, str(tmp_path / "src" / "a.jpg"), str(tmp_path / "src" / "a.png"), "both")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("mode,pixels,suffix", [
    ("I;16", np.array([[0, 40_000]], dtype=np.uint16), "png"),
    ("I;16B", np.array([[0, 40_000]], dtype=">u2"), "tif"),
    ("I", np.array([[0, 70_000]], dtype=np.int32), "tif"),
    ("F", np.array([[0.25, 0.75]], dtype=np.float32), "tif"),
])
def test_images_deeper_than_8_bits_are_refused(tmp_path, gan_cli, mode, pixels, suffix):
    """pad would clip or blacken them without a word."""
    (tmp_path / "src").mkdir()
    path = tmp_path / "src" / f"deep.{suffix}"
    Image.fromarray(pixels).save(path)
    with Image.open(path) as image:
        assert image.mode == mode
    code, _, err = gan_cli("data", "pad", tmp_path / "src", tmp_path / "out")
    one_line_error(code, err, str(path), f"mode {mode}")
    assert not (tmp_path / "out").exists()


def test_canvas_size_is_bounded(tmp_path, gan_cli):
    code, _, err = gan_cli("data", "pad", tmp_path, tmp_path / "out", "--size", "100000")
    one_line_error(code, err, "--size", "100000 is not in the range 1<=x<=1024")
