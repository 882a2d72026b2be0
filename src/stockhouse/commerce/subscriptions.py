"""Subscriptions: a number of downloads a buyer may take within a period.

Seed 003's purchase_using_subscription spends one download of the allowance per clip.
Spending is atomic: the buyer's current subscriptions are locked, the counter is raised
by a conditional UPDATE that cannot pass the allowance, and the table's CHECK constraint
(downloads_used <= downloads_allowed) is the last line of defence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, CursorResult, select, update
from sqlalchemy.orm import Session

from stockhouse.accounts.models import User
from stockhouse.catalog.translations import clean_line
from stockhouse.commerce.models import Subscription
from stockhouse.db.base import utcnow
from stockhouse.errors import InsufficientFunds, InvalidParameter

MAX_PLAN_LENGTH = 100
MAX_DOWNLOADS = 1_000_000
MAX_PERIOD_DAYS = 3660  # ten years


class SubscriptionUnavailable(InsufficientFunds):
    """No download can be taken: `reason` is "none", "expired" or "exhausted"."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class SubscriptionStatus:
    """A subscription as a buyer sees it: the plan and what is left of it."""

    id: int
    plan: str
    downloads_allowed: int
    downloads_used: int
    downloads_left: int
    starts_at: datetime
    ends_at: datetime


def status_of(subscription: Subscription) -> SubscriptionStatus:
    return SubscriptionStatus(
        id=subscription.id,
        plan=subscription.plan,
        downloads_allowed=subscription.downloads_allowed,
        downloads_used=subscription.downloads_used,
        downloads_left=subscription.downloads_allowed - subscription.downloads_used,
        starts_at=subscription.starts_at,
        ends_at=subscription.ends_at,
    )


def create_subscription(
    session: Session,
    user: User,
    *,
    plan: str,
    downloads_allowed: int,
    period_days: int,
    starts_at: datetime | None = None,
) -> Subscription:
    """Give a buyer `downloads_allowed` downloads from `starts_at` (now) for `period_days`."""
    plan = clean_line("plan", plan, MAX_PLAN_LENGTH)
    if not plan:
        raise InvalidParameter("plan", "a subscription needs a plan name")
    if isinstance(downloads_allowed, bool) or not 1 <= downloads_allowed <= MAX_DOWNLOADS:
        raise InvalidParameter("downloads_allowed", f"downloads_allowed must be 1-{MAX_DOWNLOADS}")
    if isinstance(period_days, bool) or not 1 <= period_days <= MAX_PERIOD_DAYS:
        raise InvalidParameter("period_days", f"period_days must be 1-{MAX_PERIOD_DAYS}")
    if starts_at is not None and starts_at.tzinfo is None:
        raise InvalidParameter("starts_at", "starts_at needs a time zone")
    start = starts_at or utcnow()
    subscription = Subscription(
        user_id=user.id,
        plan=plan,
        downloads_allowed=downloads_allowed,
        downloads_used=0,
        starts_at=start,
        ends_at=start + timedelta(days=period_days),
    )
    session.add(subscription)
    session.flush()
    return subscription


def _running(user: User, now: datetime) -> list[ColumnElement[bool]]:
    return [
        Subscription.user_id == user.id,
        Subscription.starts_at <= now,
        Subscription.ends_at > now,
    ]


def list_subscriptions(session: Session, user: User) -> Sequence[Subscription]:
    """Every subscription of the buyer, the latest to end first."""
    return session.scalars(
        select(Subscription)
        .where(Subscription.user_id == user.id)
        .order_by(Subscription.ends_at.desc(), Subscription.id.desc())
    ).all()


def current_subscription(
    session: Session, user: User, *, now: datetime | None = None
) -> Subscription | None:
    """The running subscription that will be spent next: one with downloads left, ending
    soonest; else the running one ending soonest; None when none is running."""
    now = now or utcnow()
    running = session.scalars(
        select(Subscription)
        .where(*_running(user, now))
        .order_by(Subscription.ends_at, Subscription.id)
    ).all()
    with_left = [s for s in running if s.downloads_used < s.downloads_allowed]
    candidates = with_left or list(running)
    return candidates[0] if candidates else None


def _why_unavailable(session: Session, user: User, now: datetime) -> SubscriptionUnavailable:
    if session.scalar(select(Subscription.id).where(*_running(user, now)).limit(1)) is not None:
        return SubscriptionUnavailable(
            "exhausted", "the subscription's downloads for this period are used up"
        )
    if session.scalar(select(Subscription.id).where(Subscription.user_id == user.id).limit(1)):
        return SubscriptionUnavailable("expired", "the subscription has expired")
    return SubscriptionUnavailable("none", "there is no subscription to download with")


def use_download(session: Session, user: User, *, now: datetime | None = None) -> Subscription:
    """Spend one download of the buyer's current subscription, or SubscriptionUnavailable."""
    now = now or utcnow()
    locked = session.scalars(
        select(Subscription)
        .where(*_running(user, now))
        .order_by(Subscription.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    for candidate in sorted(locked, key=lambda s: (s.ends_at, s.id)):
        result = session.execute(
            update(Subscription)
            .where(
                Subscription.id == candidate.id,
                Subscription.downloads_used < Subscription.downloads_allowed,
            )
            .values(downloads_used=Subscription.downloads_used + 1)
            .execution_options(synchronize_session=False)
        )
        assert isinstance(result, CursorResult)
        if result.rowcount == 1:
            session.refresh(candidate)
            return candidate
    raise _why_unavailable(session, user, now)
