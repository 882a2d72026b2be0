"""Photographic-looking JPEGs and simple SVG illustrations, made by the program itself.

Each picture is a sky-to-ground gradient in a scene's palette with blurred shapes (sun,
hills, blossoms) and film grain, so that thumbnails differ, dominant colours vary across the
17-colour table, and perceptual hashes are distinct.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyexiv2
import pyvips

Color = tuple[int, int, int]

ORIENTATION_SIZES = {
    "horizontal": (1600, 1067),
    "vertical": (1067, 1600),
    "square": (1280, 1280),
}


@dataclass(frozen=True)
class Palette:
    sky: Color
    ground: Color
    accent: Color


def _gradient(width: int, height: int, top: Color, bottom: Color) -> np.ndarray:
    ramp = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
    top_arr = np.array(top, dtype=np.float32)[None, None, :]
    bottom_arr = np.array(bottom, dtype=np.float32)[None, None, :]
    column = top_arr * (1 - ramp) + bottom_arr * ramp
    return np.repeat(column, width, axis=1)


def _blobs(canvas: np.ndarray, rng: random.Random, accent: Color, count: int) -> None:
    height, width, _ = canvas.shape
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    for _ in range(count):
        cx, cy = rng.uniform(0, width), rng.uniform(0, height)
        radius = rng.uniform(0.05, 0.25) * min(width, height)
        weight = np.clip(1.2 - np.hypot(xx - cx, yy - cy) / radius, 0, 1)[..., None]
        strength = rng.uniform(0.5, 0.95)
        canvas[:] = (
            canvas * (1 - weight * strength) + np.array(accent, np.float32) * weight * strength
        )


def make_photo(
    path: Path,
    palette: Palette,
    orientation: str,
    seed: int,
    *,
    scale: float = 1.0,
    keywords: tuple[str, ...] = (),
    title: str = "",
    description: str = "",
) -> Path:
    """Write a JPEG of the given orientation with IPTC/XMP title, caption and keywords."""
    rng = random.Random(seed)
    width, height = (int(d * scale) for d in ORIENTATION_SIZES[orientation])
    # Paint at a fifth of the size (cheap), then enlarge smoothly: it looks like soft focus.
    small_w, small_h = max(8, width // 5), max(8, height // 5)
    canvas = _gradient(small_w, small_h, palette.sky, palette.ground)
    _blobs(canvas, rng, palette.accent, rng.randint(2, 5))
    image = pyvips.Image.new_from_array(np.ascontiguousarray(canvas.astype(np.uint8)))
    image = image.copy(interpretation="srgb").resize(width / small_w, vscale=height / small_h)
    grain = pyvips.Image.gaussnoise(width, height, sigma=6, mean=0)
    image = (image + grain).cast("uchar")
    image.jpegsave(str(path), Q=88, strip=True)
    _write_metadata(path, title, description, keywords)
    return path


def _write_metadata(path: Path, title: str, description: str, keywords: tuple[str, ...]) -> None:
    with pyexiv2.Image(str(path)) as meta:
        iptc: dict[str, object] = {"Iptc.Application2.Copyright": "Stockhouse demo"}
        if title:
            iptc["Iptc.Application2.ObjectName"] = title[:64]
        if description:
            iptc["Iptc.Application2.Caption"] = description[:2000]
        if keywords:
            iptc["Iptc.Application2.Keywords"] = list(keywords)
        meta.modify_iptc(iptc)


def make_svg(path: Path, palette: Palette, seed: int, *, title: str = "") -> Path:
    """Write a flat-style SVG illustration (background, shapes, a title element)."""
    rng = random.Random(seed)

    def hex_color(color: Color) -> str:
        return "#{:02x}{:02x}{:02x}".format(*color)

    shapes = []
    for _ in range(rng.randint(4, 9)):
        x, y, r = rng.randint(40, 760), rng.randint(40, 560), rng.randint(20, 140)
        color = hex_color(palette.accent if rng.random() < 0.6 else palette.ground)
        if rng.random() < 0.5:
            shapes.append(f'<circle cx="{x}" cy="{y}" r="{r}" fill="{color}" opacity="0.85"/>')
        else:
            shapes.append(
                f'<rect x="{x - r}" y="{y - r // 2}" width="{2 * r}" height="{r}" '
                f'rx="12" fill="{color}" opacity="0.85"/>'
            )
    escaped = title.replace("&", "&amp;").replace("<", "&lt;")
    path.write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="800" height="600" viewBox="0 0 800 600">'
        f"<title>{escaped}</title>"
        f'<rect width="800" height="600" fill="{hex_color(palette.sky)}"/>'
        + "".join(shapes)
        + "</svg>\n"
    )
    return path
