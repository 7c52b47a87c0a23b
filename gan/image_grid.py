"""Image grids: many (C, H, W) uint8 images tiled into one picture."""

import math
from pathlib import Path

import numpy as np
from PIL import Image

from gan.files import atomic_file


def image_grid(images: np.ndarray, cols: int | None = None, gap: int = 1, fill: int = 128) -> np.ndarray:
    """Tile (N, C, H, W) uint8 images into one (rows*(H+gap)-gap, cols*(W+gap)-gap, C)
    uint8 array, row by row; ``cols`` defaults to ceil(sqrt(N))."""
    n, c, h, w = images.shape
    cols = cols or math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    grid = np.full((rows * (h + gap) - gap, cols * (w + gap) - gap, c), fill, dtype=np.uint8)
    for i in range(n):
        r, k = divmod(i, cols)
        grid[r * (h + gap):r * (h + gap) + h, k * (w + gap):k * (w + gap) + w] = images[i].transpose(1, 2, 0)
    return grid


def grid_picture(images: np.ndarray, cols: int | None = None, zoom: int = 4, fill: int = 128) -> Image.Image:
    """``image_grid`` as a Pillow image (grey or RGB), each pixel ``zoom`` x ``zoom``."""
    grid = image_grid(images, cols, fill=fill).repeat(zoom, axis=0).repeat(zoom, axis=1)
    return Image.fromarray(grid[..., 0] if grid.shape[2] == 1 else grid)


def save_grid(images: np.ndarray, path: str | Path, cols: int | None = None, zoom: int = 4) -> None:
    """Write ``grid_picture(images)`` as a PNG, atomically."""
    with atomic_file(path) as tmp:
        grid_picture(images, cols, zoom).save(tmp, format="PNG")
