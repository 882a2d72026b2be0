"""The brand and neutral watermark styles."""

from __future__ import annotations

import pytest

from stockhouse.ingest.watermark import apply_watermark
from tests.ingest.image_factory import solid


def test_brand_watermark_lightens_a_dark_picture_with_text() -> None:
    dark = solid((20, 20, 20), 600, 400)

    marked = apply_watermark(dark, "brand")

    assert (marked.width, marked.height, marked.bands) == (600, 400, 3)
    assert marked.max() > 100  # white letters
    assert marked.avg() > dark.avg()


def test_brand_watermark_shows_on_a_white_picture_through_its_shadow() -> None:
    white = solid((255, 255, 255), 600, 400)

    assert apply_watermark(white, "brand").min() < 230


def test_neutral_watermark_is_subtle_and_grey() -> None:
    white = solid((255, 255, 255), 600, 400)

    marked = apply_watermark(white, "neutral")

    assert 200 < marked.min() < 255
    assert marked.avg() > 240


def test_an_unknown_style_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown watermark style"):
        apply_watermark(solid((0, 0, 0)), "loud")
