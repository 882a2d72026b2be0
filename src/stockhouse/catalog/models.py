"""Tables of the catalog: media items, renditions, sizes, video formats and versions,
tags, translations, categories, series, releases, uploads and status history."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from stockhouse.db.base import Base, UTCDateTime, str_enum, utcnow


class MediaKind(enum.StrEnum):
    PHOTO = "photo"
    VECTOR = "vector"
    ILLUSTRATION = "illustration"
    VIDEO = "video"
    MUSIC = "music"
    SFX = "sfx"

    @property
    def is_image(self) -> bool:
        return self in (MediaKind.PHOTO, MediaKind.VECTOR, MediaKind.ILLUSTRATION)

    @property
    def is_audio(self) -> bool:
        return self in (MediaKind.MUSIC, MediaKind.SFX)

    @property
    def category_group(self) -> str:
        """Categories are kept per image, video, music and sfx (domain.md)."""
        return "image" if self.is_image else self.value


class ItemStatus(enum.StrEnum):
    """uploaded -> pending -> active | rejected; active -> archived; any -> blocked."""

    UPLOADED = "uploaded"
    PENDING = "pending"
    ACTIVE = "active"
    REJECTED = "rejected"
    ARCHIVED = "archived"
    BLOCKED = "blocked"


class Orientation(enum.StrEnum):
    HORIZONTAL = "horizontal"
    VERTICAL = "vertical"
    SQUARE = "square"


class ReleaseType(enum.IntEnum):
    """Numbered as Cliparto's ReleasesList: 1 model, 2 property."""

    MODEL = 1
    PROPERTY = 2


class UploadState(enum.StrEnum):
    QUEUED = "queued"
    PROCESSING = "processing"
    DONE = "done"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


class Series(Base):
    """Items a contributor grouped together."""

    __tablename__ = "series"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Category(Base):
    __tablename__ = "category"
    __table_args__ = (UniqueConstraint("group", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group: Mapped[str] = mapped_column(String(16))  # image, video, music, sfx
    name: Mapped[str] = mapped_column(String(100))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("category.id", ondelete="SET NULL"))


class MediaItem(Base):
    """One sellable piece of media, its facts and its place in the review workflow."""

    __tablename__ = "media_item"
    __table_args__ = (
        Index("ix_media_item_status_published", "status", "published_at"),
        Index("ix_media_item_owner_status", "owner_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[MediaKind] = mapped_column(str_enum(MediaKind, "media_kind"))
    owner_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    status: Mapped[ItemStatus] = mapped_column(
        str_enum(ItemStatus, "item_status"), default=ItemStatus.UPLOADED
    )
    visible: Mapped[bool] = mapped_column(Boolean, default=True)

    title: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    original_filename: Mapped[str] = mapped_column(String(255))
    extension: Mapped[str] = mapped_column(String(16))
    mime_type: Mapped[str] = mapped_column(String(100))
    file_size: Mapped[int] = mapped_column(BigInteger)
    original_blob: Mapped[str] = mapped_column(String(64), index=True)  # sha256 of the file

    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    megapixels: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    orientation: Mapped[Orientation | None] = mapped_column(str_enum(Orientation, "orientation"))
    color: Mapped[int | None] = mapped_column(Integer)  # 1-17, seed 001's colour table
    phash: Mapped[int | None] = mapped_column(BigInteger, index=True)  # signed 64-bit

    duration_ms: Mapped[int | None] = mapped_column(Integer)
    fps: Mapped[Decimal | None] = mapped_column(Numeric(8, 3))
    video_codec: Mapped[str | None] = mapped_column(String(32))
    audio_codec: Mapped[str | None] = mapped_column(String(32))
    video_standard: Mapped[int | None] = mapped_column(Integer)  # Pond5 "vs" table
    aspect_ratio: Mapped[int | None] = mapped_column(Integer)  # Pond5 "ar" table
    aspect_quotient: Mapped[Decimal | None] = mapped_column(Numeric(10, 5))
    sample_rate: Mapped[int | None] = mapped_column(Integer)
    channels: Mapped[int | None] = mapped_column(Integer)

    editorial: Mapped[bool] = mapped_column(Boolean, default=False)
    nudity: Mapped[bool] = mapped_column(Boolean, default=False)
    exclusive: Mapped[bool] = mapped_column(Boolean, default=False)
    extended_allowed: Mapped[bool] = mapped_column(Boolean, default=True)
    free: Mapped[bool] = mapped_column(Boolean, default=False)
    ai_generated: Mapped[bool] = mapped_column(Boolean, default=False)
    people_gender: Mapped[str | None] = mapped_column(String(16))  # male, female, both
    people_age: Mapped[str | None] = mapped_column(String(16))  # infant ... senior
    people_race: Mapped[str | None] = mapped_column(String(32))
    people_quantity: Mapped[int | None] = mapped_column(Integer)
    people_only: Mapped[bool] = mapped_column(Boolean, default=False)

    copyright: Mapped[str] = mapped_column(String(300), default="")
    captured_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    series_id: Mapped[int | None] = mapped_column(
        ForeignKey("series.id", ondelete="SET NULL"), index=True
    )
    views: Mapped[int] = mapped_column(Integer, default=0)
    downloads: Mapped[int] = mapped_column(Integer, default=0)

    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reviewed_by: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    rejection_reason: Mapped[str | None] = mapped_column(Text)

    tags: Mapped[list[ItemTag]] = relationship(
        cascade="all, delete-orphan", order_by="ItemTag.position", lazy="selectin"
    )
    translations: Mapped[list[ItemTranslation]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )
    renditions: Mapped[list[Rendition]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )
    sizes: Mapped[list[SizeOption]] = relationship(
        cascade="all, delete-orphan", order_by="SizeOption.position", lazy="selectin"
    )
    categories: Mapped[list[Category]] = relationship(secondary="item_category", lazy="selectin")
    releases: Mapped[list[Release]] = relationship(secondary="item_release", lazy="selectin")
    series: Mapped[Series | None] = relationship(lazy="joined")

    def tag_names(self, lang: str = "en") -> list[str]:
        return [t.tag for t in self.tags if t.lang == lang]

    def rendition(self, name: str) -> Rendition | None:
        return next((r for r in self.renditions if r.name == name), None)


class ItemTag(Base):
    __tablename__ = "item_tag"
    __table_args__ = (Index("ix_item_tag_lang_tag", "lang", "tag"),)

    item_id: Mapped[int] = mapped_column(
        ForeignKey("media_item.id", ondelete="CASCADE"), primary_key=True
    )
    lang: Mapped[str] = mapped_column(String(8), primary_key=True, default="en")
    tag: Mapped[str] = mapped_column(String(100), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class ItemTranslation(Base):
    """Title and description of an item in another language (tags are in ItemTag.lang)."""

    __tablename__ = "item_translation"

    item_id: Mapped[int] = mapped_column(
        ForeignKey("media_item.id", ondelete="CASCADE"), primary_key=True
    )
    lang: Mapped[str] = mapped_column(String(8), primary_key=True)
    title: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")


class ItemCategory(Base):
    __tablename__ = "item_category"

    item_id: Mapped[int] = mapped_column(
        ForeignKey("media_item.id", ondelete="CASCADE"), primary_key=True
    )
    category_id: Mapped[int] = mapped_column(
        ForeignKey("category.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Release(Base):
    """A model (1) or property (2) release document owned by a contributor."""

    __tablename__ = "release"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    type: Mapped[int] = mapped_column(Integer)  # ReleaseType
    name: Mapped[str] = mapped_column(String(200))
    blob: Mapped[str | None] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ItemRelease(Base):
    __tablename__ = "item_release"

    item_id: Mapped[int] = mapped_column(
        ForeignKey("media_item.id", ondelete="CASCADE"), primary_key=True
    )
    release_id: Mapped[int] = mapped_column(
        ForeignKey("release.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Rendition(Base):
    """A derived file of an item: thumbnails, watermarked previews, stills, icons, previews.

    Names: thumb110, thumb170, thumb450, large, preview_brand, preview_neutral (images);
    poster, icon (120x66), iconm (240x134), iconl (480x268), prevstill (1280x720),
    preview_mp4, preview_webm (video); preview_m4a, waveform (audio).
    """

    __tablename__ = "rendition"

    item_id: Mapped[int] = mapped_column(
        ForeignKey("media_item.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    blob: Mapped[str] = mapped_column(String(64))
    mime_type: Mapped[str] = mapped_column(String(100))
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(BigInteger)


class SizeOption(Base):
    """A sellable size: s, m, l, xl, el0, vect for images; 240 ... 4k for video.

    `blob` is the produced file, made on demand the first time it is licensed, then cached.
    """

    __tablename__ = "size_option"

    item_id: Mapped[int] = mapped_column(
        ForeignKey("media_item.id", ondelete="CASCADE"), primary_key=True
    )
    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    megapixels: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    blob: Mapped[str | None] = mapped_column(String(64))


class VideoFormat(Base):
    """A video item in one format (e.g. PAL or NTSC); buying it covers all its versions."""

    __tablename__ = "video_format"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("media_item.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(32))
    sub_offset: Mapped[int] = mapped_column(Integer, default=0)  # Pond5 "sub_offs"
    versions: Mapped[list[VideoVersion]] = relationship(
        cascade="all, delete-orphan", order_by="VideoVersion.id", lazy="selectin"
    )


class VideoVersion(Base):
    """One encoding of a format (e.g. 720x576 and 724x576 of PAL)."""

    __tablename__ = "video_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    format_id: Mapped[int] = mapped_column(
        ForeignKey("video_format.id", ondelete="CASCADE"), index=True
    )
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    video_codec: Mapped[str] = mapped_column(String(32))
    audio_codec: Mapped[str] = mapped_column(String(32))
    extension: Mapped[str] = mapped_column(String(16))
    video_standard: Mapped[int] = mapped_column(Integer)
    aspect_ratio: Mapped[int] = mapped_column(Integer)
    aspect_quotient: Mapped[Decimal] = mapped_column(Numeric(10, 5))
    blob: Mapped[str] = mapped_column(String(64))
    file_size: Mapped[int] = mapped_column(BigInteger)


class StatusChange(Base):
    """Who moved an item from one status to another, when, and why."""

    __tablename__ = "status_change"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("media_item.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[str] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(32))
    by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Upload(Base):
    """A received file waiting for, going through, or done with the ingest pipeline.

    The item is created only at the end of a successful ingest, in one transaction with its
    renditions, so a crash mid-ingest leaves no half item; the job is simply run again.
    """

    __tablename__ = "upload"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    blob: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    file_size: Mapped[int] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(String(16), default="api")  # api, ftp, cli
    state: Mapped[UploadState] = mapped_column(
        str_enum(UploadState, "upload_state"), default=UploadState.QUEUED
    )
    reason: Mapped[str | None] = mapped_column(Text)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("media_item.id", ondelete="SET NULL"))
    duplicate_of: Mapped[int | None] = mapped_column(
        ForeignKey("media_item.id", ondelete="SET NULL")
    )
    submit_after: Mapped[bool] = mapped_column(Boolean, default=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
