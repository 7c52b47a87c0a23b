"""Turn images of any size into square canvases (e.g. 20x13 flags -> 28x28)."""

import shutil
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from gan.data.image_files import IMAGE_SUFFIXES, is_image_file, read_image, visible_paths
from gan.errors import GanError
from gan.files import atomic_dir
from gan.params import in_range, one_of, param

MODES = ("L", "RGB")
POLICIES = ("pad", "fit")
MAX_CANVAS = 1024


def _rgb(value: list) -> str | None:
    return None if len(value) == 3 and all(0 <= v <= 255 for v in value) else "must be three values in 0..255"


@dataclass(frozen=True, kw_only=True)
class PadOptions:
    """The ``data.pad`` params: canvas side in pixels, policy, RGB background,
    and the share of unreadable files tolerated before a run fails."""
    canvas: int = param(28, in_range(1, MAX_CANVAS))
    policy: str = param("pad", one_of(*POLICIES))
    background: list[int] = param([0, 0, 0], _rgb)
    max_bad_fraction: float = param(0.0, in_range(0, 1))


def _flatten_alpha(image: Image.Image, background: tuple[int, int, int]) -> Image.Image:
    """RGB image with any transparency (RGBA, LA, palette) composited onto ``background``."""
    if image.mode == "P":
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        canvas = Image.new("RGBA", image.size, (*background, 255))
        canvas.alpha_composite(image.convert("RGBA"))
        return canvas.convert("RGB")
    return image.convert("RGB")


def pad_image(image: Image.Image, opts: PadOptions, mode: str) -> Image.Image:
    """Place ``image`` on a canvas of side ``opts.canvas`` and the background
    colour, in ``mode`` ('L' or 'RGB').

    ``pad``: original pixels centred, no resampling (shrunk with LANCZOS,
    aspect kept, only if larger than the canvas). ``fit``: scaled with LANCZOS,
    aspect kept, so the longer side fills the canvas, then centred.
    Odd margins put the extra pixel on the right/bottom.
    """
    background = tuple(opts.background)
    rgb = _flatten_alpha(image, background)
    side = opts.canvas
    scale = min(side / rgb.width, side / rgb.height)
    if opts.policy == "fit" or scale < 1:
        new = (max(1, round(rgb.width * scale)), max(1, round(rgb.height * scale)))
        rgb = rgb.resize(new, Image.Resampling.LANCZOS)
    canvas = Image.new("RGB", (side, side), background)
    canvas.paste(rgb, ((side - rgb.width) // 2, (side - rgb.height) // 2))
    return canvas.convert(mode)


def pad_folder(src: str | Path, dst: str | Path, opts: PadOptions, mode: str) -> str:
    """Pad every image file under ``src`` (sub-folders included) into ``dst``
    as PNG, keeping relative names (``ad.png`` -> ``ad.png``, ``x.jpg`` -> ``x.png``).

    Files that fail to decode are reported by name; the run fails, writing
    nothing, if more than ``opts.max_bad_fraction`` of them are bad.  Images
    of more than 8 bits a channel (modes I;16, I, F), symbolic links and two
    images of one output name (``a.png``, ``a.jpg``) are refused.  Other
    files (e.g. a ``codes.json`` of flag names) are copied unchanged, hidden
    ones left out.  ``dst`` may not overlap ``src``.  Returns a summary line.
    """
    src = Path(src)
    if mode not in MODES:
        raise GanError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    if not src.is_dir():
        raise GanError(f"{src}: no such folder")
    visible = [p for p in visible_paths(src) if p.is_file()]
    files = [p for p in visible if is_image_file(p)]
    if not files:
        raise GanError(f"{src}: no image files ({', '.join(sorted(IMAGE_SUFFIXES))})")
    outputs = {}  # output name -> the image it is made from
    for path in files:
        name = path.relative_to(src).with_suffix(".png")
        if name in outputs:
            raise GanError(f"{outputs[name]} and {path} would both be written as {name}; rename one")
        outputs[name] = path
    bad = []
    with atomic_dir(dst, inputs=[src]) as out:
        for path in set(visible) - set(files):
            (out / path.relative_to(src)).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, out / path.relative_to(src))
        for name, path in outputs.items():
            try:
                image = read_image(path)
            except GanError as exc:
                bad.append(str(exc))
                continue
            if image.mode == "F" or image.mode.startswith("I"):  # I;16*, I: 16 and 32-bit integers; F: floats
                raise GanError(f"{path}: mode {image.mode}, more than 8 bits a channel, which pad would clip; "
                               "convert it to 8 bits first")
            target = out / name
            target.parent.mkdir(parents=True, exist_ok=True)
            pad_image(image, opts, mode).save(target)
        if len(bad) > opts.max_bad_fraction * len(files):
            raise GanError(f"{len(bad)} of {len(files)} images unreadable (allowed fraction "
                           f"{opts.max_bad_fraction}): {'; '.join(bad[:5])}")
    note = f"; skipped {len(bad)} unreadable: {'; '.join(bad)}" if bad else ""
    return f"{dst}: {len(files) - len(bad)} images {opts.canvas}x{opts.canvas} {mode}{note}"
