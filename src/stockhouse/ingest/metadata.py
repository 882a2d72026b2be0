"""Descriptive metadata embedded in image files: EXIF, IPTC and XMP, read with pyexiv2.

The pipeline fills an item's empty title, description, keywords, creation date and
copyright from these. Everything read is untrusted: values are decoded leniently,
stripped of control characters, capped in length and count, and a file whose metadata
cannot be read simply has none.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path

import pyexiv2

from stockhouse.ingest.types import EmbeddedMetadata

logger = logging.getLogger("stockhouse.ingest")

TITLE_MAX_CHARS = 300  # MediaItem.title
DESCRIPTION_MAX_CHARS = 4000
COPYRIGHT_MAX_CHARS = 300  # MediaItem.copyright
KEYWORD_MAX_CHARS = 100  # ItemTag.tag
MAX_KEYWORDS = 50
MAX_RAW_VALUE_CHARS = 64 * 1024  # anything longer is garbage, not a caption
PYEXIV2_QUIET = 3  # pyexiv2 log level: errors only (warnings about odd tags are noise)

TITLE_KEYS = ("Xmp.dc.title", "Iptc.Application2.ObjectName", "Exif.Image.XPTitle")
DESCRIPTION_KEYS = (
    "Xmp.dc.description",
    "Iptc.Application2.Caption",
    "Exif.Image.ImageDescription",
)
KEYWORD_KEYS = ("Xmp.dc.subject", "Iptc.Application2.Keywords", "Exif.Image.XPKeywords")
COPYRIGHT_KEYS = ("Xmp.dc.rights", "Iptc.Application2.Copyright", "Exif.Image.Copyright")
ARTIST_KEYS = ("Exif.Image.Artist", "Xmp.dc.creator", "Iptc.Application2.Byline")
DATE_KEYS = (
    "Exif.Photo.DateTimeOriginal",
    "Xmp.photoshop.DateCreated",
    "Xmp.xmp.CreateDate",
    "Iptc.Application2.DateCreated",
)
EXIF_OFFSET_KEY = "Exif.Photo.OffsetTimeOriginal"
IPTC_TIME_KEY = "Iptc.Application2.TimeCreated"

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_KEYWORD_SEPARATORS = re.compile(r"[,;]")
_EXIF_DATE = re.compile(r"(\d{4}):(\d\d):(\d\d)[ T](\d\d):(\d\d):(\d\d)")

pyexiv2.set_log_level(PYEXIV2_QUIET)

Tags = Mapping[str, object]


def read_metadata(path: Path) -> EmbeddedMetadata:
    """Title, description, keywords, capture time and copyright embedded in the file."""
    tags = read_tags(path)
    if not tags:
        return EmbeddedMetadata()
    return EmbeddedMetadata(
        title=_cap(_one_line(_first_text(tags, TITLE_KEYS)), TITLE_MAX_CHARS),
        description=_cap(_first_text(tags, DESCRIPTION_KEYS), DESCRIPTION_MAX_CHARS),
        keywords=clean_keywords(_all_texts(tags, KEYWORD_KEYS)),
        captured_at=_captured_at(tags),
        copyright=_cap(_one_line(_copyright(tags)), COPYRIGHT_MAX_CHARS),
    )


def read_tags(path: Path) -> dict[str, object]:
    """Every EXIF, IPTC and XMP tag pyexiv2 finds (empty when there is nothing readable)."""
    try:
        image = pyexiv2.Image(str(path))
    except Exception as exc:  # exiv2 raises plain RuntimeErrors on unknown formats
        logger.debug("no readable metadata in %s: %s", path.name, exc)
        return {}
    tags: dict[str, object] = {}
    try:
        for reader in (image.read_exif, image.read_iptc, image.read_xmp):
            tags.update(_read_lenient(reader))
    finally:
        image.close()
    return tags


def _read_lenient(reader: Callable[..., Mapping[str, object]]) -> dict[str, object]:
    """One group of tags, as UTF-8 or else Latin-1 (old IPTC), or none if unreadable."""
    for encoding in ("utf-8", "iso-8859-1"):
        try:
            return dict(reader(encoding=encoding))
        except UnicodeDecodeError:
            continue
        except Exception as exc:
            logger.debug("unreadable metadata group: %s", exc)
            return {}
    return {}


def clean_text(value: str) -> str:
    """Normalised (NFC) text without control characters or surrounding whitespace."""
    text = unicodedata.normalize("NFC", value[:MAX_RAW_VALUE_CHARS])
    return _CONTROL.sub("", text).replace("\r\n", "\n").strip()


def clean_keywords(values: Iterable[str]) -> tuple[str, ...]:
    """Distinct keywords (compared case-insensitively), split on , and ;, lower-cased."""
    seen: set[str] = set()
    keywords: list[str] = []
    for value in values:
        for part in _KEYWORD_SEPARATORS.split(value):
            keyword = _one_line(clean_text(part).lower())[:KEYWORD_MAX_CHARS].strip()
            if keyword and keyword not in seen:
                seen.add(keyword)
                keywords.append(keyword)
            if len(keywords) == MAX_KEYWORDS:
                return tuple(keywords)
    return tuple(keywords)


def _texts(value: object) -> list[str]:
    """The text values of a tag: a string, a list of strings, or XMP lang-alt {lang: text}."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        ordered = sorted(value.items(), key=lambda item: "x-default" not in str(item[0]))
        return [text for _, item in ordered for text in _texts(item)]
    if isinstance(value, list | tuple):
        return [text for item in value for text in _texts(item)]
    return []


def _first_text(tags: Tags, keys: Iterable[str]) -> str:
    """The first non-empty text among `keys`, in order of preference."""
    for key in keys:
        for text in _texts(tags.get(key)):
            cleaned = clean_text(text)
            if cleaned:
                return cleaned
    return ""


def _all_texts(tags: Tags, keys: Iterable[str]) -> list[str]:
    return [text for key in keys for text in _texts(tags.get(key))]


def _one_line(text: str) -> str:
    """Runs of whitespace (line breaks included) as single spaces."""
    return " ".join(text.split())


def _cap(text: str, limit: int) -> str:
    return text[:limit].rstrip()


def _copyright(tags: Tags) -> str:
    """The copyright notice, or one made from the artist's name when there is none."""
    notice = _first_text(tags, COPYRIGHT_KEYS)
    if notice:
        return notice
    artist = _first_text(tags, ARTIST_KEYS)
    return f"© {artist}" if artist else ""


def _captured_at(tags: Tags) -> datetime | None:
    """When the picture was taken, in UTC (a time without a zone is taken as UTC)."""
    for key in DATE_KEYS:
        text = _first_text(tags, (key,))
        if not text:
            continue
        if key == "Iptc.Application2.DateCreated":
            text = f"{text}T{_first_text(tags, (IPTC_TIME_KEY,)) or '00:00:00'}"
        elif key.startswith("Exif."):
            text = f"{text}{_first_text(tags, (EXIF_OFFSET_KEY,))}"
        parsed = parse_date(text)
        if parsed is not None:
            return parsed
    return None


def parse_date(text: str) -> datetime | None:
    """An EXIF ("2021:05:06 07:08:09") or ISO 8601 date-time as an aware UTC datetime."""
    match = _EXIF_DATE.match(text)
    candidate = text
    if match:
        year, month, day, hour, minute, second = match.groups()
        candidate = f"{year}-{month}-{day}T{hour}:{minute}:{second}" + text[match.end() :]
    try:
        parsed = datetime.fromisoformat(candidate.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
