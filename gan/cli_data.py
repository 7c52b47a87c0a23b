"""``gan data``: the preprocessing tools, usable alone or from the DVC pipeline."""

import click

from gan.data.download import download
from gan.data.flatten import flatten_folder
from gan.data.http import HttpOptions
from gan.data.inspect import inspect
from gan.data.pad import MODES, POLICIES, PadOptions, pad_folder


def _rgb(ctx, param, value: str) -> tuple[int, int, int]:
    try:
        parts = tuple(int(v) for v in value.split(","))
    except ValueError:
        parts = ()
    if len(parts) == 1:
        parts = parts * 3
    if len(parts) != 3 or not all(0 <= v <= 255 for v in parts):
        raise click.BadParameter(f"expected R,G,B or one grey level in 0..255, got {value!r}")
    return parts


@click.group("data")
def data():
    """Download, pad, flatten and inspect image datasets."""


@data.command("download")
@click.argument("source")
@click.argument("dest", type=click.Path(file_okay=False))
@click.option("--sha256", default="", help="Expected sha256 of the archive, checked before extracting.")
@click.option("--strip-components", default=0, show_default=True, type=click.IntRange(0),
              help="Leading folders to drop from every archive entry.")
@click.option("--max-extract-mb", default=4096, show_default=True, type=click.IntRange(1),
              help="Refuse archives that would extract to more than this many MiB.")
@click.option("--each", default="", metavar="URL_TEMPLATE",
              help="Per-file mode: SOURCE is a JSON codes list and each file is fetched "
                   "from this template, e.g. 'https://flagcdn.com/w20/{code}.png'.")
@click.option("--allow-missing", is_flag=True, help="Per-file mode: report failed files but keep going.")
@click.option("--retries", default=3, show_default=True, type=click.IntRange(0),
              help="Retries after a connection error, truncated body or 5xx answer.")
@click.option("--timeout", default=60.0, show_default=True, type=click.FloatRange(0, min_open=True),
              help="Read timeout in seconds (connect timeout: 10 s).")
def download_cmd(source, dest, sha256, strip_components, max_extract_mb, each, allow_missing,
                 retries, timeout):
    """Fetch SOURCE (an http(s) URL or a local path to a zip/tar archive) and
    extract it into the folder DEST, which is replaced only on success."""
    opts = HttpOptions(read_timeout=timeout, retries=retries)
    click.echo(download(source, dest, sha256 or None, strip_components, max_extract_mb << 20,
                        each or None, allow_missing, opts))


@data.command("pad")
@click.argument("src", type=click.Path(exists=True, file_okay=False))
@click.argument("dst", type=click.Path(file_okay=False))
@click.option("--size", default=28, show_default=True, type=click.IntRange(1), help="Canvas side in pixels.")
@click.option("--mode", type=click.Choice(MODES), default="L", show_default=True,
              help="Output mode: L (grey) or RGB.")
@click.option("--policy", type=click.Choice(POLICIES), default="pad", show_default=True,
              help="pad: centre the original pixels (shrink only if too big); "
                   "fit: scale so the longer side fills the canvas.")
@click.option("--background", default="0,0,0", show_default=True, callback=_rgb,
              help="Canvas colour as R,G,B (or one grey level); transparency is composited onto it.")
@click.option("--max-bad-fraction", default=0.0, show_default=True, type=click.FloatRange(0, 1),
              help="Fail if more than this fraction of the images cannot be read.")
def pad_cmd(src, dst, size, mode, policy, background, max_bad_fraction):
    """Put every image under SRC on a SIZE x SIZE canvas and write it as PNG
    under DST with the same name."""
    opts = PadOptions((size, size), mode, policy, background)
    click.echo(pad_folder(src, dst, opts, max_bad_fraction))


@data.command("flatten")
@click.argument("src", type=click.Path(exists=True, file_okay=False))
@click.argument("dst", type=click.Path(file_okay=False))
@click.option("--workers", type=click.IntRange(1), default=None,
              help="Decoding processes (default: all cores).")
def flatten_cmd(src, dst, workers):
    """Decode the images in SRC (or in its class sub-folders) into DST/images.npy
    (N, C, H, W) uint8, DST/labels.npy and DST/manifest.json."""
    click.echo(flatten_folder(src, dst, workers))


@data.command("inspect")
@click.argument("path", type=click.Path(exists=True, file_okay=False))
@click.option("--preview", type=click.Path(dir_okay=False), default=None,
              help="Also write a PNG grid of the first images here.")
@click.option("--count", default=64, show_default=True, type=click.IntRange(1),
              help="Images in the preview grid.")
def inspect_cmd(path, preview, count):
    """Print count, shape, dtype, value range and class counts of a cache or image folder."""
    click.echo(inspect(path, preview, count))
