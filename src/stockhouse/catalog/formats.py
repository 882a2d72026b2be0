"""Video formats and versions (the Pond5 model).

A video item can exist in several formats (e.g. PAL and NTSC); each format in one or more
versions (e.g. 720x576 and 724x576 encodings). Buying a format lets the buyer download
every version of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stockhouse.blobs.base import validate_key
from stockhouse.catalog.models import MediaItem, MediaKind, VideoFormat, VideoVersion
from stockhouse.catalog.translations import clean_line
from stockhouse.errors import Conflict, InvalidParameter, NotFound

MAX_FORMAT_NAME_LENGTH = 32
MAX_CODEC_LENGTH = 32
MAX_EXTENSION_LENGTH = 16
MAX_DIMENSION = 16384


def add_video_format(
    session: Session, item: MediaItem, name: str, *, sub_offset: int | None = None
) -> VideoFormat:
    """A new format of a video item; `sub_offset` (Pond5 "sub_offs") defaults to the next."""
    if item.kind != MediaKind.VIDEO:
        raise InvalidParameter("item", f"item {item.id} is not a video; only videos have formats")
    name = clean_line("name", name, MAX_FORMAT_NAME_LENGTH)
    if not name:
        raise InvalidParameter("name", "a format needs a name, e.g. PAL or NTSC")
    existing = video_formats(session, item)
    if any(f.name == name for f in existing):
        raise Conflict(f"item {item.id} already has a format named {name!r}")
    if sub_offset is None:
        sub_offset = max((f.sub_offset for f in existing), default=-1) + 1
    elif any(f.sub_offset == sub_offset for f in existing):
        raise Conflict(f"item {item.id} already has a format with sub_offset {sub_offset}")
    video_format = VideoFormat(item_id=item.id, name=name, sub_offset=sub_offset)
    session.add(video_format)
    session.flush()
    return video_format


def add_video_version(
    session: Session,
    video_format: VideoFormat,
    *,
    width: int,
    height: int,
    video_codec: str,
    audio_codec: str,
    extension: str,
    video_standard: int,
    aspect_ratio: int,
    aspect_quotient: Decimal,
    blob: str,
    file_size: int,
) -> VideoVersion:
    """Record one encoding (a stored blob) of a format."""
    for name, value in (("width", width), ("height", height)):
        if not 1 <= value <= MAX_DIMENSION:
            raise InvalidParameter(name, f"{name} must be 1-{MAX_DIMENSION} pixels")
    if file_size < 0:
        raise InvalidParameter("file_size", "file_size must not be negative")
    version = VideoVersion(
        format_id=video_format.id,
        width=width,
        height=height,
        video_codec=clean_line("video_codec", video_codec, MAX_CODEC_LENGTH),
        audio_codec=clean_line("audio_codec", audio_codec, MAX_CODEC_LENGTH),
        extension=clean_line("extension", extension, MAX_EXTENSION_LENGTH).lower().lstrip("."),
        video_standard=video_standard,
        aspect_ratio=aspect_ratio,
        aspect_quotient=aspect_quotient,
        blob=validate_key(blob),
        file_size=file_size,
    )
    video_format.versions.append(version)
    session.flush()
    return version


def video_formats(session: Session, item: MediaItem) -> Sequence[VideoFormat]:
    """The item's formats by sub_offset, each with its versions."""
    return session.scalars(
        select(VideoFormat)
        .where(VideoFormat.item_id == item.id)
        .order_by(VideoFormat.sub_offset, VideoFormat.id)
    ).all()


def get_video_format(session: Session, item: MediaItem, sub_offset: int) -> VideoFormat:
    """The item's format with this Pond5 sub_offs, or NotFound."""
    found = session.scalar(
        select(VideoFormat).where(
            VideoFormat.item_id == item.id, VideoFormat.sub_offset == sub_offset
        )
    )
    if found is None:
        raise NotFound(f"item {item.id} has no format {sub_offset}")
    return found


def version_count(session: Session, item: MediaItem) -> int:
    """How many versions the item has over all its formats."""
    return (
        session.scalar(
            select(func.count())
            .select_from(VideoVersion)
            .join(VideoFormat, VideoFormat.id == VideoVersion.format_id)
            .where(VideoFormat.item_id == item.id)
        )
        or 0
    )
