"""``gan data``: the preprocessing tools, usable alone or from the DVC pipeline."""

import click

from gan.data.download import DataSource, check_sha256, check_template, download
from gan.data.flatten import flatten_folder
from gan.data.http import HttpOptions
from gan.data.inspect import inspect
from gan.data.pad import MAX_CANVAS, MODES, POLICIES, PadOptions, pad_folder


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


def _checked(check):
    """A click callback that refuses values ``check`` finds fault with."""
    def callback(ctx, param, value):
        problem = check(value)
        if problem:
            raise click.BadParameter(problem)
        return value
    return callback


@click.group("data")
def data():
    """Download, pad, flatten and inspect image datasets."""


@data.command("download")
@click.argument("source")
@click.argument("dest", type=click.Path(file_okay=False))
@click.option("--sha256", default="", callback=_checked(check_sha256),
              help="Expected sha256 of the archive, checked before extracting.")
@click.option("--strip-components", default=0, show_default=True, type=click.IntRange(0),
              help="Leading folders to drop from every archive entry.")
@click.option("--max-extract-mb", default=4096, show_default=True, type=click.IntRange(1),
              help="Refuse to download or extract more than this many MiB.")
@click.option("--each", default="", metavar="URL_TEMPLATE", callback=_checked(check_template),
              help="Per-file mode: SOURCE is a JSON codes list and each file is fetched "
                   "from this template, e.g. 'https://flagcdn.com/w20/{code}.png'.")
@click.option("--allow-missing", is_flag=True, help="Per-file mode: report failed files but keep going.")
@click.option("--retries", default=3, show_default=True, type=click.IntRange(0, 10),
              help="Retries after a connection error, stall, truncated body or 5xx answer.")
@click.option("--timeout", default=10.0, show_default=True, type=click.FloatRange(0, 600, min_open=True),
              help="Seconds to wait for a connection, and without data before an attempt counts as stalled.")
@click.option("--deadline", default=900.0, show_default=True, type=click.FloatRange(0, min_open=True),
              help="Seconds one download may take in all, retries and an archive's extraction included.")
def download_cmd(source, dest, sha256, strip_components, max_extract_mb, each, allow_missing,
                 retries, timeout, deadline):
    """Fetch SOURCE (an http(s) URL or a local path to a zip/tar archive) and
    extract it into the folder DEST.

    DEST is replaced only on success, and only if it is absent, empty or was
    made by gan.  Archives may hold only files and folders: links and special
    entries are refused."""
    spec = DataSource(source=source, sha256=sha256, strip_components=strip_components,
                      max_extract_mb=max_extract_mb, each=each, allow_missing=allow_missing, deadline_s=deadline)
    click.echo(download(spec, dest, HttpOptions(connect_timeout=timeout, read_timeout=timeout, retries=retries)))


@data.command("pad")
@click.argument("src", type=click.Path(exists=True, file_okay=False))
@click.argument("dst", type=click.Path(file_okay=False))
@click.option("--size", default=28, show_default=True, type=click.IntRange(1, MAX_CANVAS),
              help="Canvas side in pixels.")
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
    under DST with the same name.  DST may not overlap SRC."""
    opts = PadOptions(canvas=size, policy=policy, background=list(background), max_bad_fraction=max_bad_fraction)
    click.echo(pad_folder(src, dst, opts, mode))


@data.command("flatten")
@click.argument("src", type=click.Path(exists=True, file_okay=False))
@click.argument("dst", type=click.Path(file_okay=False))
@click.option("--workers", type=click.IntRange(1), default=None,
              help="Decoding processes (default: all cores).")
def flatten_cmd(src, dst, workers):
    """Decode the images in SRC (or in its class sub-folders) into DST/images.npy
    (N, C, H, W) uint8, DST/labels.npy and DST/manifest.json.  DST may not overlap SRC."""
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
