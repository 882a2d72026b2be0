"""The review workflow: who moves an item from which status to which, and its history.

    uploaded --submit--> pending --approve--> active --archive--> archived
    rejected --submit--> pending --reject---> rejected
    any status --block (admin)--> blocked

Every transition locks the item's row (so two reviewers cannot both decide), checks the
actor's right and the current status, and records a StatusChange.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stockhouse.accounts.models import User
from stockhouse.catalog.access import is_admin, is_reviewer
from stockhouse.catalog.models import ItemStatus, MediaItem, StatusChange
from stockhouse.catalog.translations import clean_text
from stockhouse.db.base import utcnow
from stockhouse.errors import Conflict, InvalidParameter, PermissionDenied

MAX_REASON_LENGTH = 2000
MAX_QUEUE_PAGE = 500

SUBMITTABLE = (ItemStatus.UPLOADED, ItemStatus.REJECTED)


def record_status_change(
    session: Session,
    item: MediaItem,
    to_status: ItemStatus,
    *,
    by: User | None,
    reason: str | None = None,
    at: datetime | None = None,
) -> StatusChange:
    """Move `item` to `to_status` and write the history row (no permission checks here)."""
    change = StatusChange(
        item_id=item.id,
        from_status=item.status.value,
        to_status=to_status.value,
        by_user_id=by.id if by is not None else None,
        reason=reason,
        at=at or utcnow(),
    )
    item.status = to_status
    session.add(change)
    return change


def _lock(session: Session, item: MediaItem) -> MediaItem:
    """Lock the item's row, then reload it, so its status is current and stays so.

    The lock is taken by id alone: PostgreSQL refuses FOR UPDATE on a query that outer-joins
    the item's eagerly loaded series. (SQLite's writer lock already serialises writers.)
    """
    session.flush()
    session.execute(select(MediaItem.id).where(MediaItem.id == item.id).with_for_update())
    session.refresh(item)
    return item


def _require_status(item: MediaItem, allowed: Sequence[ItemStatus], action: str) -> None:
    if item.status not in allowed:
        names = " or ".join(s.value for s in allowed)
        raise Conflict(f"item {item.id} is {item.status.value}; only {names} items can be {action}")


def _clean_reason(reason: str | None, *, required: bool) -> str | None:
    text = clean_text("reason", reason or "", MAX_REASON_LENGTH)
    if required and not text:
        raise InvalidParameter("reason", "say why: a rejection needs a reason")
    return text or None


def submit(session: Session, actor: User, item: MediaItem) -> MediaItem:
    """Send an uploaded (or rejected, then edited) item to review. Only its owner may."""
    if actor.id != item.owner_id:
        raise PermissionDenied("only the item's owner can submit it for review")
    _lock(session, item)
    _require_status(item, SUBMITTABLE, "submitted")
    now = utcnow()
    record_status_change(session, item, ItemStatus.PENDING, by=actor, at=now)
    item.submitted_at = now
    session.flush()
    return item


def submit_all_uploaded(session: Session, owner: User) -> list[int]:
    """Submit every `uploaded` item of `owner` (Cliparto's SubmitToPending); returns the ids."""
    items = session.scalars(
        select(MediaItem)
        .where(MediaItem.owner_id == owner.id, MediaItem.status == ItemStatus.UPLOADED)
        .order_by(MediaItem.id)
        .with_for_update(of=MediaItem)
    ).all()
    now = utcnow()
    for item in items:
        record_status_change(session, item, ItemStatus.PENDING, by=owner, at=now)
        item.submitted_at = now
    session.flush()
    return [item.id for item in items]


def _require_reviewer_of(actor: User, item: MediaItem, action: str) -> None:
    if not is_reviewer(actor):
        raise PermissionDenied(f"only reviewers and admins can {action} items")
    if actor.id == item.owner_id:
        raise PermissionDenied(f"nobody reviews their own item: you cannot {action} item {item.id}")


def approve(session: Session, actor: User, item: MediaItem) -> MediaItem:
    """Publish a pending item: it becomes active, visible and searchable."""
    _require_reviewer_of(actor, item, "approve")
    _lock(session, item)
    _require_status(item, (ItemStatus.PENDING,), "approved")
    now = utcnow()
    record_status_change(session, item, ItemStatus.ACTIVE, by=actor, at=now)
    item.visible = True
    item.reviewed_by = actor.id
    item.reviewed_at = now
    item.published_at = now
    item.rejection_reason = None
    session.flush()
    return item


def reject(session: Session, actor: User, item: MediaItem, reason: str) -> MediaItem:
    """Turn a pending item down, saying why; its owner may edit it and submit it again."""
    _require_reviewer_of(actor, item, "reject")
    cleaned = _clean_reason(reason, required=True)
    _lock(session, item)
    _require_status(item, (ItemStatus.PENDING,), "rejected")
    now = utcnow()
    record_status_change(session, item, ItemStatus.REJECTED, by=actor, reason=cleaned, at=now)
    item.reviewed_by = actor.id
    item.reviewed_at = now
    item.rejection_reason = cleaned
    session.flush()
    return item


def archive(session: Session, actor: User, item: MediaItem) -> MediaItem:
    """Withdraw a published item from sale: archived and hidden. Owner or admin."""
    if actor.id != item.owner_id and not is_admin(actor):
        raise PermissionDenied("only the item's owner or an admin can archive it")
    _lock(session, item)
    _require_status(item, (ItemStatus.ACTIVE,), "archived")
    record_status_change(session, item, ItemStatus.ARCHIVED, by=actor)
    item.visible = False
    session.flush()
    return item


def block(session: Session, actor: User, item: MediaItem, reason: str | None = None) -> MediaItem:
    """Take any item out of the workflow for good (admins only): blocked and hidden."""
    if not is_admin(actor):
        raise PermissionDenied("only admins can block items")
    cleaned = _clean_reason(reason, required=False)
    _lock(session, item)
    if item.status == ItemStatus.BLOCKED:
        raise Conflict(f"item {item.id} is blocked already")
    record_status_change(session, item, ItemStatus.BLOCKED, by=actor, reason=cleaned)
    item.visible = False
    session.flush()
    return item


def history(session: Session, item: MediaItem) -> Sequence[StatusChange]:
    """The item's status changes, oldest first."""
    return session.scalars(
        select(StatusChange)
        .where(StatusChange.item_id == item.id)
        .order_by(StatusChange.at, StatusChange.id)
    ).all()


def review_queue(
    session: Session, reviewer: User, *, limit: int = 100, offset: int = 0
) -> Sequence[MediaItem]:
    """Pending items, the longest-waiting first."""
    if not is_reviewer(reviewer):
        raise PermissionDenied("only reviewers and admins see the review queue")
    return session.scalars(
        select(MediaItem)
        .where(MediaItem.status == ItemStatus.PENDING)
        .order_by(func.coalesce(MediaItem.submitted_at, MediaItem.created_at), MediaItem.id)
        .limit(min(limit, MAX_QUEUE_PAGE))
        .offset(offset)
    ).all()
