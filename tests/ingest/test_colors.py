"""The dominant colour, as an entry of seed 001's 17-colour table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from stockhouse.ingest.colors import COLORS, COLORS_BY_ID, dominant_color, srgb_to_lab
from stockhouse.ingest.detect import detect
from stockhouse.ingest.images import analyse_image
from tests.ingest.image_factory import save, solid


def test_the_table_is_seed_001s_list_of_colors() -> None:
    assert [c.id for c in COLORS] == list(range(1, 18))
    assert COLORS_BY_ID[1].hex == "#00007c"
    assert COLORS_BY_ID[7].hex == "#f9be00"
    assert COLORS_BY_ID[11].name == "brown"
    assert COLORS_BY_ID[17].rgb == (255, 255, 255)


@pytest.mark.parametrize("color_id", [1, 3, 4, 6, 8, 9, 11, 13, 15, 16, 17])
def test_a_solid_image_of_a_table_colour_maps_to_that_entry(tmp_path: Path, color_id: int) -> None:
    path = save(solid(COLORS_BY_ID[color_id].rgb), tmp_path / "solid.png")
    workdir = tmp_path / "work"
    workdir.mkdir()

    assert analyse_image(path, workdir, detect(path)).color == color_id


def test_a_near_colour_maps_to_the_nearest_entry() -> None:
    slightly_off_red = np.array([[235, 20, 15]] * 10)

    assert dominant_color(slightly_off_red) == 9


def test_the_colour_covering_most_pixels_wins() -> None:
    pixels = np.array([[255, 255, 0]] * 60 + [[0, 0, 0]] * 40)

    assert dominant_color(pixels) == 6  # yellow


def test_lab_of_white_and_black() -> None:
    white, black = srgb_to_lab([[255, 255, 255], [0, 0, 0]])

    assert white == pytest.approx([100, 0, 0], abs=0.01)
    assert black == pytest.approx([0, 0, 0], abs=0.01)
