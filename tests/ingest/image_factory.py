"""Small synthetic images for the ingest tests, made at run time with pyvips and numpy.

`picture(seed)` is a smooth, photo-like picture (a few random low-frequency waves per
channel): the same seed always gives the same picture, different seeds give unrelated
ones, which is what perceptual-hash and duplicate tests need.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pyvips

WAVES_PER_CHANNEL = 4


def picture(width: int = 64, height: int = 48, seed: int = 1) -> pyvips.Image:
    """A deterministic photo-like 8-bit sRGB picture."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width] / max(width, height)
    channels = []
    for _ in range(3):
        value = np.zeros((height, width))
        for _ in range(WAVES_PER_CHANNEL):
            fx, fy = rng.uniform(-6, 6, size=2)
            phase = rng.uniform(0, 2 * np.pi)
            value += np.sin(2 * np.pi * (fx * x + fy * y) + phase)
        channels.append(127.5 + 127.5 * value / WAVES_PER_CHANNEL)
    pixels = np.clip(np.dstack(channels), 0, 255).astype(np.uint8)
    return pyvips.Image.new_from_array(pixels, interpretation="srgb")


def solid(rgb: tuple[int, int, int], width: int = 64, height: int = 48) -> pyvips.Image:
    """A picture of one colour."""
    return (
        (pyvips.Image.black(width, height, bands=3) + list(rgb))
        .cast("uchar")
        .copy(interpretation="srgb")
    )


def save(image: pyvips.Image, path: Path, **options: object) -> Path:
    """Write `image` to `path` in the format its suffix names; return the path."""
    image.write_to_file(str(path), **options)
    return path


def make_image(
    path: Path, width: int = 64, height: int = 48, seed: int = 1, **options: object
) -> Path:
    """A photo-like picture saved to `path` (format from the suffix)."""
    return save(picture(width, height, seed), path, **options)


def png_header_only(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width x height (a cheap decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


SVG_TEMPLATE = """<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}"
     viewBox="0 0 {width} {height}">
  <title>{title}</title>
  <desc>{desc}</desc>
  <rect width="{width}" height="{height}" fill="{fill}"/>
  {body}
</svg>
"""


def make_svg(
    path: Path,
    width: int = 64,
    height: int = 48,
    *,
    fill: str = "#fe0000",
    title: str = "Red square",
    desc: str = "A red square on nothing",
    body: str = '<circle cx="20" cy="20" r="10" fill="#ffffff"/>',
) -> Path:
    """A small SVG vector."""
    path.write_text(
        SVG_TEMPLATE.format(
            width=width, height=height, fill=fill, title=title, desc=desc, body=body
        ),
        encoding="utf-8",
    )
    return path
