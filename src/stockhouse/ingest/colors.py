"""Dominant colour of an image, as an entry of seed 001's 17-colour table.

Depositphotos (seed 001, "List of colors") filters searches by one of 17 colours. An
item's colour is the table entry that covers most pixels of a small downsample, each
pixel being assigned to its nearest entry in CIE Lab (distance in Lab follows perceived
difference far better than distance in RGB).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

# Seed 001, "List of colors": id, name, hex value (0 means "any" and is not a colour).
COLOR_TABLE: tuple[tuple[int, str, str], ...] = (
    (1, "blue", "#00007c"),
    (2, "blue", "#0005fd"),
    (3, "blue", "#01ffff"),
    (4, "green", "#027f00"),
    (5, "green", "#04fe00"),
    (6, "yellow", "#ffff00"),
    (7, "orange", "#f9be00"),
    (8, "orange", "#fecd9b"),
    (9, "red", "#fe0000"),
    (10, "red", "#7e0004"),
    (11, "brown", "#653201"),
    (12, "violet", "#ff01ff"),
    (13, "violet", "#810081"),
    (14, "grey", "#bfbfbf"),
    (15, "grey", "#7a7a7a"),
    (16, "black", "#000000"),
    (17, "white", "#ffffff"),
)

# D65 reference white and the sRGB -> XYZ matrix (IEC 61966-2-1).
_WHITE_D65 = np.array([0.95047, 1.0, 1.08883])
_SRGB_TO_XYZ = np.array(
    [
        [0.4124564, 0.3575761, 0.1804375],
        [0.2126729, 0.7151522, 0.0721750],
        [0.0193339, 0.1191920, 0.9503041],
    ]
)


@dataclass(frozen=True)
class TableColor:
    """One entry of the colour table."""

    id: int
    name: str
    hex: str

    @property
    def rgb(self) -> tuple[int, int, int]:
        value = int(self.hex[1:], 16)
        return (value >> 16) & 0xFF, (value >> 8) & 0xFF, value & 0xFF


COLORS: tuple[TableColor, ...] = tuple(TableColor(*row) for row in COLOR_TABLE)
COLORS_BY_ID: dict[int, TableColor] = {color.id: color for color in COLORS}


def srgb_to_lab(rgb: npt.ArrayLike) -> FloatArray:
    """CIE Lab (D65) of 8-bit sRGB values given as an array of shape (..., 3)."""
    linear = np.asarray(rgb, dtype=np.float64) / 255.0
    linear = np.where(linear <= 0.04045, linear / 12.92, ((linear + 0.055) / 1.055) ** 2.4)
    xyz = linear @ _SRGB_TO_XYZ.T / _WHITE_D65
    delta = 6 / 29
    f = np.where(xyz > delta**3, np.cbrt(xyz), xyz / (3 * delta**2) + 4 / 29)
    lightness = 116 * f[..., 1] - 16
    a = 500 * (f[..., 0] - f[..., 1])
    b = 200 * (f[..., 1] - f[..., 2])
    return np.stack([lightness, a, b], axis=-1)


_TABLE_LAB = srgb_to_lab([color.rgb for color in COLORS])
_TABLE_IDS = np.array([color.id for color in COLORS])


def nearest_color_ids(rgb_pixels: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """The table id nearest (in Lab) to each pixel of an (N, 3) array of 8-bit sRGB."""
    lab = srgb_to_lab(np.asarray(rgb_pixels).reshape(-1, 3))
    distances = ((lab[:, None, :] - _TABLE_LAB[None, :, :]) ** 2).sum(axis=2)
    return _TABLE_IDS[distances.argmin(axis=1)]  # type: ignore[no-any-return]


LUT_BITS = 5  # per channel: 32768 cells, each at most 4 levels from any pixel in it
_LUT_SHIFT = 8 - LUT_BITS


@cache
def _lookup_table() -> npt.NDArray[np.int64]:
    """The nearest table id of every quantised RGB cell (taken at the cell's centre)."""
    levels = (np.arange(1 << LUT_BITS) << _LUT_SHIFT) + (1 << (_LUT_SHIFT - 1))
    grid = np.stack(np.meshgrid(levels, levels, levels, indexing="ij"), axis=-1)
    return nearest_color_ids(grid.reshape(-1, 3))


def dominant_color(rgb_pixels: npt.ArrayLike) -> int:
    """The table id that most pixels of an (N, 3) 8-bit sRGB array are nearest to.

    Ties go to the lower id, so the result is deterministic.
    """
    cells = np.asarray(rgb_pixels, dtype=np.uint8).reshape(-1, 3) >> _LUT_SHIFT
    if cells.shape[0] == 0:
        raise ValueError("no pixels to take a dominant colour from")
    index = (
        (cells[:, 0].astype(np.intp) << (2 * LUT_BITS))
        | (cells[:, 1].astype(np.intp) << LUT_BITS)
        | cells[:, 2]
    )
    counts = np.bincount(_lookup_table()[index], minlength=len(COLORS) + 1)
    return int(counts.argmax())
