"""Tables of the AI image generator: a generation job and its generated items."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from stockhouse.db.base import Base, UTCDateTime, str_enum, utcnow


class GenerationStatus(enum.StrEnum):
    """new -> processing -> completed, or failed (with a reason)."""

    NEW = "new"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"


class PurchaseStatus(enum.StrEnum):
    """deferred until the pictures are catalog items, then paid (the plan covers them)."""

    DEFERRED = "deferred"
    PAID = "paid"


class CallbackState(enum.StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


class GenerationJob(Base):
    """One generation request: the prompt, how it should look, where it stands."""

    __tablename__ = "generation_job"
    __table_args__ = (Index("ix_generation_job_user_created", "user_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    prompt: Mapped[str] = mapped_column(Text)
    aspect_ratio: Mapped[str] = mapped_column(String(8))
    medium: Mapped[str] = mapped_column(String(16))
    backend: Mapped[str] = mapped_column(String(32))
    status: Mapped[GenerationStatus] = mapped_column(
        str_enum(GenerationStatus, "generation_status"), default=GenerationStatus.NEW
    )
    purchase_status: Mapped[PurchaseStatus] = mapped_column(
        str_enum(PurchaseStatus, "generation_purchase_status"), default=PurchaseStatus.DEFERRED
    )
    failure_reason: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    base_url: Mapped[str] = mapped_column(String(300), default="")
    callback_url: Mapped[str | None] = mapped_column(String(2048))
    callback_format: Mapped[str] = mapped_column(String(32), default="native")
    callback_state: Mapped[CallbackState | None] = mapped_column(
        str_enum(CallbackState, "generation_callback_state")
    )
    callback_attempts: Mapped[int] = mapped_column(Integer, default=0)
    callback_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    items: Mapped[list[GeneratedItem]] = relationship(
        cascade="all, delete-orphan", order_by="GeneratedItem.position", lazy="selectin"
    )


class GeneratedItem(Base):
    """One of a job's pictures: its preview while it is made, its catalog item after."""

    __tablename__ = "generated_item"
    __table_args__ = (UniqueConstraint("job_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[int] = mapped_column(
        ForeignKey("generation_job.id", ondelete="CASCADE"), index=True
    )
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    position: Mapped[int] = mapped_column(Integer)
    original_blob: Mapped[str | None] = mapped_column(String(64))
    preview_blob: Mapped[str | None] = mapped_column(String(64))
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    upload_id: Mapped[int | None] = mapped_column(ForeignKey("upload.id", ondelete="SET NULL"))
    media_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("media_item.id", ondelete="SET NULL"), index=True
    )
