"""Turn images of any size into fixed-size canvases (e.g. 20x13 flags -> 28x28)."""

from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from gan.atomic import atomic_dir
from gan.data.suffixes import IMAGE_SUFFIXES
from gan.errors import GanError

MODES = ("L", "RGB")
POLICIES = ("pad", "fit")


@dataclass(frozen=True)
class PadOptions:
    """Canvas (width, height) in pixels, output mode, policy and RGB background."""
    size: tuple[int, int] = (28, 28)
    mode: str = "L"
    policy: str = "pad"
    background: tuple[int, int, int] = (0, 0, 0)

    def __post_init__(self):
        if self.mode not in MODES:
            raise GanError(f"mode must be one of {', '.join(MODES)}, got {self.mode!r}")
        if self.policy not in POLICIES:
            raise GanError(f"policy must be one of {', '.join(POLICIES)}, got {self.policy!r}")
        if len(self.background) != 3 or not all(0 <= c <= 255 for c in self.background):
            raise GanError(f"background must be three values in 0..255, got {self.background}")


def _flatten_alpha(image: Image.Image, background: tuple[int, int, int]) -> Image.Image:
    """RGB image with any transparency (RGBA, LA, palette) composited onto ``background``."""
    if image.mode == "P":
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        canvas = Image.new("RGBA", image.size, (*background, 255))
        canvas.alpha_composite(image.convert("RGBA"))
        return canvas.convert("RGB")
    return image.convert("RGB")


def pad_image(image: Image.Image, opts: PadOptions = PadOptions()) -> Image.Image:
    """Place ``image`` on a ``opts.size`` canvas of the background colour.

    ``pad``: original pixels centred, no resampling (shrunk with LANCZOS,
    aspect kept, only if larger than the canvas). ``fit``: scaled with LANCZOS,
    aspect kept, so the longer side fills the canvas, then centred.
    Odd margins put the extra pixel on the right/bottom.
    """
    rgb = _flatten_alpha(image, opts.background)
    width, height = opts.size
    scale = min(width / rgb.width, height / rgb.height)
    if opts.policy == "fit" or scale < 1:
        new = (max(1, round(rgb.width * scale)), max(1, round(rgb.height * scale)))
        rgb = rgb.resize(new, Image.Resampling.LANCZOS)
    canvas = Image.new("RGB", opts.size, opts.background)
    canvas.paste(rgb, ((width - rgb.width) // 2, (height - rgb.height) // 2))
    return canvas.convert(opts.mode)


def pad_folder(src: str | Path, dst: str | Path, opts: PadOptions = PadOptions(),
               max_bad_fraction: float = 0.0) -> str:
    """Pad every image file under ``src`` into ``dst`` as PNG, keeping relative
    names (``ad.png`` -> ``ad.png``, ``x.jpg`` -> ``x.png``).

    Files that fail to decode are reported by name; the run fails, writing
    nothing, if more than ``max_bad_fraction`` of them are bad.  Files without
    an image suffix (e.g. ``codes.json``) are skipped.  Returns a summary line.
    """
    src = Path(src)
    if not src.is_dir():
        raise GanError(f"{src}: no such folder")
    files = sorted(p for p in src.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    if not files:
        raise GanError(f"{src}: no image files ({', '.join(sorted(IMAGE_SUFFIXES))})")
    bad = []
    with atomic_dir(dst) as out:
        for path in files:
            try:
                with Image.open(path) as image:
                    padded = pad_image(image, opts)
            except (UnidentifiedImageError, OSError, ValueError) as exc:
                bad.append(f"{path} ({exc})")
                continue
            target = out / path.relative_to(src).with_suffix(".png")
            target.parent.mkdir(parents=True, exist_ok=True)
            padded.save(target)
        if len(bad) > max_bad_fraction * len(files):
            raise GanError(f"{len(bad)} of {len(files)} images unreadable (allowed fraction "
                           f"{max_bad_fraction}): {'; '.join(bad[:5])}")
    note = f"; skipped {len(bad)} unreadable: {'; '.join(bad)}" if bad else ""
    return f"{dst}: {len(files) - len(bad)} images {opts.size[0]}x{opts.size[1]} {opts.mode}{note}"
