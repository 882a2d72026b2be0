"""Raster image analysis: facts, renditions, and refusing corrupt files and bombs."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import pyvips

from stockhouse.catalog.models import MediaKind, Orientation
from stockhouse.ingest.detect import detect
from stockhouse.ingest.images import MAX_PIXELS, analyse_image, orientation_of
from stockhouse.ingest.types import Analysis, IngestRejected
from tests.ingest.image_factory import make_image, picture, png_header_only, save

RENDITION_NAMES = ["large", "preview_brand", "preview_neutral", "thumb450", "thumb170", "thumb110"]


def analyse(path: Path, tmp_path: Path) -> Analysis:
    workdir = tmp_path / "work"
    workdir.mkdir(exist_ok=True)
    return analyse_image(path, workdir, detect(path))


@pytest.mark.parametrize("suffix", [".jpg", ".png", ".tif", ".webp"])
def test_every_raster_format_is_analysed(tmp_path: Path, suffix: str) -> None:
    analysis = analyse(make_image(tmp_path / f"p{suffix}", 64, 48), tmp_path)

    assert analysis.kind is MediaKind.PHOTO
    assert (analysis.width, analysis.height) == (64, 48)
    assert analysis.extension == suffix[1:]
    assert [r.name for r in analysis.renditions] == RENDITION_NAMES


def test_facts_of_a_landscape_photo(tmp_path: Path) -> None:
    analysis = analyse(make_image(tmp_path / "p.jpg", 1200, 800), tmp_path)

    assert analysis.megapixels == Decimal("0.96")
    assert analysis.orientation is Orientation.HORIZONTAL
    assert analysis.mime_type == "image/jpeg"
    assert analysis.phash is not None and -(2**63) <= analysis.phash < 2**63
    assert analysis.color is not None and 1 <= analysis.color <= 17


def test_renditions_are_cascaded_to_their_long_edges(tmp_path: Path) -> None:
    analysis = analyse(make_image(tmp_path / "p.jpg", 1200, 800), tmp_path)

    sizes = {r.name: (r.width, r.height) for r in analysis.renditions}
    assert sizes == {
        "large": (1000, 667),
        "preview_brand": (1000, 667),
        "preview_neutral": (1000, 667),
        "thumb450": (450, 300),
        "thumb170": (170, 113),
        "thumb110": (110, 73),
    }


def test_rendition_files_are_jpegs_of_the_stated_size(tmp_path: Path) -> None:
    analysis = analyse(make_image(tmp_path / "p.png", 600, 900), tmp_path)

    for rendition in analysis.renditions:
        written = pyvips.Image.new_from_file(str(rendition.path))
        assert rendition.mime_type == "image/jpeg"
        assert rendition.path.read_bytes()[:3] == b"\xff\xd8\xff"
        assert (written.width, written.height) == (rendition.width, rendition.height)


def test_a_small_original_is_never_enlarged(tmp_path: Path) -> None:
    analysis = analyse(make_image(tmp_path / "p.jpg", 64, 48), tmp_path)

    sizes = {r.name: (r.width, r.height) for r in analysis.renditions}
    assert sizes["large"] == (64, 48)
    assert sizes["thumb450"] == (64, 48)
    assert sizes["thumb110"] == (64, 48)


def test_watermarked_previews_differ_from_the_large_preview_and_each_other(
    tmp_path: Path,
) -> None:
    analysis = analyse(make_image(tmp_path / "p.jpg", 800, 600), tmp_path)
    files = {r.name: pyvips.Image.new_from_file(str(r.path)) for r in analysis.renditions}

    brand_change = (files["preview_brand"] - files["large"]).abs().avg()
    neutral_change = (files["preview_neutral"] - files["large"]).abs().avg()
    between = (files["preview_brand"] - files["preview_neutral"]).abs().avg()

    assert brand_change > 1.0
    assert neutral_change > 1.0
    assert between > 1.0


def test_exif_rotation_swaps_the_dimensions(tmp_path: Path) -> None:
    image = picture(120, 80).copy()
    image.set_type(pyvips.GValue.gint_type, "orientation", 6)
    path = save(image, tmp_path / "rotated.jpg")

    analysis = analyse(path, tmp_path)

    assert (analysis.width, analysis.height) == (80, 120)
    assert analysis.orientation is Orientation.VERTICAL
    assert {r.name: (r.width, r.height) for r in analysis.renditions}["large"] == (80, 120)


@pytest.mark.parametrize(
    ("width", "height", "expected"),
    [
        (100, 100, Orientation.SQUARE),
        (100, 98, Orientation.SQUARE),
        (98, 100, Orientation.SQUARE),
        (100, 97, Orientation.HORIZONTAL),
        (97, 100, Orientation.VERTICAL),
    ],
)
def test_square_means_within_two_percent(width: int, height: int, expected: Orientation) -> None:
    assert orientation_of(width, height) is expected


def test_transparency_is_flattened_onto_white(tmp_path: Path) -> None:
    transparent = (pyvips.Image.black(40, 40, bands=4)).cast("uchar").copy(interpretation="srgb")
    analysis = analyse(save(transparent, tmp_path / "clear.png"), tmp_path)
    large = pyvips.Image.new_from_file(str(analysis.renditions[0].path))

    assert large.bands == 3
    assert large.avg() > 250
    assert analysis.color == 17  # white


def test_sixteen_bit_grey_is_converted(tmp_path: Path) -> None:
    grey16 = (pyvips.Image.black(40, 30) + 30000).cast("ushort").copy(interpretation="grey16")
    analysis = analyse(save(grey16, tmp_path / "grey.png"), tmp_path)

    assert analysis.color in (14, 15)  # one of the greys


def test_a_decompression_bomb_is_refused_before_decoding(tmp_path: Path) -> None:
    path = tmp_path / "bomb.png"
    path.write_bytes(png_header_only(50_000, 50_000))

    with pytest.raises(IngestRejected, match=r"50000x50000 pixels \(2500 megapixels\)"):
        analyse(path, tmp_path)
    assert MAX_PIXELS < 50_000 * 50_000


def test_a_truncated_jpeg_is_rejected(tmp_path: Path) -> None:
    whole = make_image(tmp_path / "whole.jpg", 400, 300).read_bytes()
    path = tmp_path / "cut.jpg"
    path.write_bytes(whole[: len(whole) // 2])

    with pytest.raises(IngestRejected, match="the image is truncated"):
        analyse(path, tmp_path)


def test_corrupt_image_data_is_rejected(tmp_path: Path) -> None:
    whole = make_image(tmp_path / "whole.png", 64, 48).read_bytes()
    path = tmp_path / "broken.png"
    path.write_bytes(whole[:40] + b"\x00garbage" * 50)

    with pytest.raises(IngestRejected, match=r"corrupt|truncated"):
        analyse(path, tmp_path)


def test_a_jpeg_signature_followed_by_garbage_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "fake.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4)

    with pytest.raises(IngestRejected, match=r"corrupt|truncated"):
        analyse(path, tmp_path)


def test_sizes_are_derived_from_the_original(tmp_path: Path) -> None:
    analysis = analyse(make_image(tmp_path / "p.jpg", 1200, 800), tmp_path)

    assert [(s.code, s.width, s.height) for s in analysis.sizes] == [
        ("s", 500, 333),
        ("m", 1000, 667),
        ("xl", 1200, 800),
        ("el0", 1200, 800),
    ]
