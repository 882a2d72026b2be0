"""The two watermarked preview styles drawn over an item's large preview.

- brand: "STOCKHOUSE" in white, tiled diagonally with a soft dark shadow so that it reads
  on light and dark pictures alike (the Depositphotos-style `url` preview of seed 001);
- neutral: a faint grey diagonal cross-hatch that names no one (the `url2` preview).

Both are masks blended over the picture. Drawing text costs far more than blending, so
the masks are made once per preview size and reused (previews of one aspect ratio share
a size).
"""

from __future__ import annotations

import math
from functools import cache, lru_cache

import pyvips

BRAND_TEXT = "STOCKHOUSE"
BRAND_FONT = "sans bold 34"
BRAND_ANGLE_DEG = -30.0
BRAND_TILE_GAP_PX = 70  # space around each rotated word within its tile
BRAND_TEXT_OPACITY = 0.45
BRAND_SHADOW_OPACITY = 0.22
BRAND_SHADOW_OFFSET_PX = 2
NEUTRAL_PERIOD_PX = 56  # distance between hatch lines
NEUTRAL_LINE_PX = 2
NEUTRAL_OPACITY = 0.28
NEUTRAL_GREY = (128, 128, 128)
MASK_CACHE_SIZE = 32
STYLES = ("brand", "neutral")


def apply_watermark(image: pyvips.Image, style: str) -> pyvips.Image:
    """`image` (8-bit sRGB, 3 bands) with the watermark of `style` blended over it."""
    if style == "brand":
        shadow, text = _brand_masks(image.width, image.height)
        darkened = shadow.ifthenelse([0, 0, 0], image, blend=True)
        return text.ifthenelse([255, 255, 255], darkened, blend=True)
    if style == "neutral":
        hatch = _neutral_mask(image.width, image.height)
        return hatch.ifthenelse(list(NEUTRAL_GREY), image, blend=True)
    raise ValueError(f"unknown watermark style {style!r}; expected one of {STYLES}")


@cache
def _brand_tile() -> pyvips.Image:
    """One rotated word, centred in a tile whose repetition spaces the words evenly."""
    word = pyvips.Image.text(BRAND_TEXT, font=BRAND_FONT, dpi=72)
    rotated = word.rotate(BRAND_ANGLE_DEG)
    size = rotated.width + BRAND_TILE_GAP_PX, rotated.height + BRAND_TILE_GAP_PX
    tile = rotated.gravity("centre", *size, extend="black")
    # Shift every other row by half a tile, so that words form diagonals, not a grid.
    shifted = tile.wrap(x=tile.width // 2, y=0)
    return tile.join(shifted, "vertical").copy_memory()


@lru_cache(maxsize=MASK_CACHE_SIZE)
def _brand_masks(width: int, height: int) -> tuple[pyvips.Image, pyvips.Image]:
    """The shadow and text masks (blend factors 0-255) of a width x height preview."""
    tile = _brand_tile()
    across, down = math.ceil(width / tile.width), math.ceil(height / tile.height)
    words = tile.replicate(across, down).crop(0, 0, width, height)
    offset = BRAND_SHADOW_OFFSET_PX
    shadow = words.embed(offset, offset, width, height, extend="black")
    return (
        (shadow * BRAND_SHADOW_OPACITY).cast("uchar").copy_memory(),
        (words * BRAND_TEXT_OPACITY).cast("uchar").copy_memory(),
    )


@lru_cache(maxsize=MASK_CACHE_SIZE)
def _neutral_mask(width: int, height: int) -> pyvips.Image:
    """A cross-hatch of thin diagonal lines as a blend mask of a width x height preview."""
    xyz = pyvips.Image.xyz(width, height)
    x, y = xyz[0], xyz[1]
    rising = ((x + y) % NEUTRAL_PERIOD_PX) < NEUTRAL_LINE_PX
    falling = ((x - y + NEUTRAL_PERIOD_PX * height) % NEUTRAL_PERIOD_PX) < NEUTRAL_LINE_PX
    lines = rising | falling  # 255 on a line, 0 elsewhere
    return (lines * NEUTRAL_OPACITY).cast("uchar").copy_memory()
