"""Reading EXIF, IPTC and XMP metadata embedded in images (written here with pyexiv2)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyexiv2
import pytest

from stockhouse.ingest.metadata import (
    KEYWORD_MAX_CHARS,
    MAX_KEYWORDS,
    TITLE_MAX_CHARS,
    clean_keywords,
    parse_date,
    read_metadata,
)
from stockhouse.ingest.types import EmbeddedMetadata
from tests.ingest.image_factory import make_image


def tagged_jpeg(
    path: Path,
    exif: dict[str, str] | None = None,
    iptc: dict[str, object] | None = None,
    xmp: dict[str, object] | None = None,
) -> Path:
    make_image(path)
    with pyexiv2.Image(str(path)) as image:
        if exif:
            image.modify_exif(exif)
        if iptc:
            image.modify_iptc(iptc)
        if xmp:
            image.modify_xmp(xmp)
    return path


def test_iptc_fields_are_read(tmp_path: Path) -> None:
    path = tagged_jpeg(
        tmp_path / "iptc.jpg",
        iptc={
            "Iptc.Application2.ObjectName": "Zürich at dawn",
            "Iptc.Application2.Caption": "The old town seen from the lake",
            "Iptc.Application2.Keywords": ["Lake", "city", "Dawn"],
            "Iptc.Application2.Copyright": "© Ana Müller",
        },
    )

    assert read_metadata(path) == EmbeddedMetadata(
        title="Zürich at dawn",
        description="The old town seen from the lake",
        keywords=("lake", "city", "dawn"),
        copyright="© Ana Müller",
    )


def test_xmp_is_preferred_over_iptc_and_exif(tmp_path: Path) -> None:
    path = tagged_jpeg(
        tmp_path / "both.jpg",
        exif={"Exif.Image.ImageDescription": "exif description"},
        iptc={"Iptc.Application2.ObjectName": "iptc title"},
        xmp={"Xmp.dc.title": "xmp title", "Xmp.dc.description": "xmp description"},
    )

    found = read_metadata(path)

    assert (found.title, found.description) == ("xmp title", "xmp description")


def test_keywords_from_xmp_and_iptc_are_merged_without_repeats(tmp_path: Path) -> None:
    path = tagged_jpeg(
        tmp_path / "kw.jpg",
        iptc={"Iptc.Application2.Keywords": ["beach", "Sun"]},
        xmp={"Xmp.dc.subject": ["sun", "sea"]},
    )

    assert read_metadata(path).keywords == ("sun", "sea", "beach")


def test_exif_description_date_and_artist(tmp_path: Path) -> None:
    path = tagged_jpeg(
        tmp_path / "exif.jpg",
        exif={
            "Exif.Image.ImageDescription": "A red bicycle",
            "Exif.Photo.DateTimeOriginal": "2021:05:06 07:08:09",
            "Exif.Image.Artist": "Ana",
        },
    )

    found = read_metadata(path)

    assert found.description == "A red bicycle"
    assert found.captured_at == datetime(2021, 5, 6, 7, 8, 9, tzinfo=UTC)
    assert found.copyright == "© Ana"


def test_the_exif_time_offset_is_applied(tmp_path: Path) -> None:
    path = tagged_jpeg(
        tmp_path / "offset.jpg",
        exif={
            "Exif.Photo.DateTimeOriginal": "2021:05:06 07:08:09",
            "Exif.Photo.OffsetTimeOriginal": "+02:00",
        },
    )

    assert read_metadata(path).captured_at == datetime(2021, 5, 6, 5, 8, 9, tzinfo=UTC)


def test_exif_copyright_wins_over_the_artist(tmp_path: Path) -> None:
    path = tagged_jpeg(
        tmp_path / "c.jpg",
        exif={"Exif.Image.Copyright": "(c) Studio X", "Exif.Image.Artist": "Ana"},
    )

    assert read_metadata(path).copyright == "(c) Studio X"


def test_an_image_without_metadata_has_none(tmp_path: Path) -> None:
    assert read_metadata(make_image(tmp_path / "plain.png")) == EmbeddedMetadata()


def test_a_file_exiv2_cannot_read_has_no_metadata(tmp_path: Path) -> None:
    path = tmp_path / "junk.bin"
    path.write_bytes(b"\x00" * 100)

    assert read_metadata(path) == EmbeddedMetadata()


def test_long_values_are_capped_and_control_characters_removed(tmp_path: Path) -> None:
    path = tagged_jpeg(
        tmp_path / "long.jpg",
        iptc={"Iptc.Application2.Caption": "bell\x07 ring"},
        xmp={"Xmp.dc.title": "long  " + "x" * 1000, "Xmp.dc.subject": ["k" * 500]},
    )

    found = read_metadata(path)

    assert found.description == "bell ring"
    assert found.title.startswith("long x")
    assert len(found.title) == TITLE_MAX_CHARS
    assert found.keywords == ("k" * KEYWORD_MAX_CHARS,)


def test_keywords_are_split_deduplicated_and_limited() -> None:
    words = [f"word{i}" for i in range(80)]

    assert clean_keywords(["a, b; A", "  c  d "]) == ("a", "b", "c d")
    assert len(clean_keywords(words)) == MAX_KEYWORDS


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2021:05:06 07:08:09", datetime(2021, 5, 6, 7, 8, 9, tzinfo=UTC)),
        ("2021-05-06T07:08:09+02:00", datetime(2021, 5, 6, 5, 8, 9, tzinfo=UTC)),
        ("2021-05-06", datetime(2021, 5, 6, tzinfo=UTC)),
        ("0000:00:00 00:00:00", None),
        ("yesterday", None),
    ],
)
def test_dates_in_exif_and_iso_forms(text: str, expected: datetime | None) -> None:
    assert parse_date(text) == expected
