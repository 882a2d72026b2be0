"""What every analyser (image, vector, video, audio) hands to the ingest pipeline.

An analyser reads one local file, writes its renditions into a work directory and returns
an `Analysis`; it never touches the database or the blob store. The pipeline stores the
rendition files as blobs and creates the item, its renditions and size options in one
transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from stockhouse.catalog.models import MediaKind, Orientation
from stockhouse.errors import DomainError


class IngestRejected(DomainError):
    """The file cannot become an item; `reason` is shown to the contributor as is."""

    code = "ingest_rejected"
    http_status = 422


@dataclass(frozen=True)
class Detected:
    """What the content (never the file name) says a file is."""

    family: str  # "image", "vector", "video", "audio"
    mime_type: str
    extension: str  # canonical extension for the detected format, e.g. "jpg", "mp4"


@dataclass(frozen=True)
class RenditionFile:
    """A derived file written by an analyser (see catalog.models.Rendition for names)."""

    name: str
    path: Path
    mime_type: str
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True)
class SizeSpec:
    """A sellable size derived from the original (s, m, l, xl, el0, vect; 240 ... 4k)."""

    code: str
    width: int | None
    height: int | None
    megapixels: Decimal | None = None


@dataclass(frozen=True)
class EmbeddedMetadata:
    """Descriptive fields found in the file (EXIF, IPTC, XMP, ID3, container tags)."""

    title: str = ""
    description: str = ""
    keywords: tuple[str, ...] = ()
    captured_at: datetime | None = None
    copyright: str = ""


@dataclass
class Analysis:
    """Facts about one original file and the renditions made from it."""

    kind: MediaKind
    mime_type: str
    extension: str
    width: int | None = None
    height: int | None = None
    megapixels: Decimal | None = None
    orientation: Orientation | None = None
    color: int | None = None  # 1-17 of seed 001's colour table
    phash: int | None = None  # signed 64-bit perceptual hash
    duration_ms: int | None = None
    fps: Decimal | None = None
    video_codec: str | None = None
    audio_codec: str | None = None
    video_standard: int | None = None  # Pond5 "vs"
    aspect_ratio: int | None = None  # Pond5 "ar"
    aspect_quotient: Decimal | None = None  # Pond5 "aq"
    sample_rate: int | None = None
    channels: int | None = None
    metadata: EmbeddedMetadata = field(default_factory=EmbeddedMetadata)
    renditions: list[RenditionFile] = field(default_factory=list)
    sizes: list[SizeSpec] = field(default_factory=list)
