"""Paging, date ranges, calendar months and people shared by the commerce listings.

Every list of the commerce services (downloads, invoices, transfers, earnings) pages with
`limit` and `offset` and filters on a half-open time range `[since, until)` of aware
datetimes; adapters turn their own parameters (Depositphotos `dp_date_start`, ...) into
these. The lists of license transactions (licensed items, transferred licenses) share
their filters, and every list names the users it shows as `Person`s.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any, Generic, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import QueryableAttribute, Session

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import Role, User
from stockhouse.commerce.models import LicenseTransaction, TransactionStatus
from stockhouse.errors import InvalidParameter, PermissionDenied

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
MAX_OFFSET = 10_000_000

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a listing and the number of rows of the whole listing."""

    items: Sequence[T]
    total: int
    limit: int
    offset: int


@dataclass(frozen=True)
class Paging:
    """Validated `limit` and `offset`."""

    limit: int = DEFAULT_LIMIT
    offset: int = 0

    def __post_init__(self) -> None:
        if isinstance(self.limit, bool) or not 1 <= self.limit <= MAX_LIMIT:
            raise InvalidParameter("limit", f"limit must be 1-{MAX_LIMIT}")
        if isinstance(self.offset, bool) or not 0 <= self.offset <= MAX_OFFSET:
            raise InvalidParameter("offset", f"offset must be 0-{MAX_OFFSET}")


@dataclass(frozen=True)
class Period:
    """A half-open time range `[since, until)`; either end may be open (None)."""

    since: datetime | None = None
    until: datetime | None = None

    def __post_init__(self) -> None:
        for name in ("since", "until"):
            moment = getattr(self, name)
            if moment is not None and moment.tzinfo is None:
                raise InvalidParameter(name, f"{name} must carry a time zone")
        if self.since is not None and self.until is not None and self.until < self.since:
            raise InvalidParameter("until", "until must not be before since")

    def filters(self, column: QueryableAttribute[Any]) -> list[ColumnElement[bool]]:
        """SQL conditions keeping the rows whose `column` lies in this period."""
        conditions: list[ColumnElement[bool]] = []
        if self.since is not None:
            conditions.append(column >= self.since)
        if self.until is not None:
            conditions.append(column < self.until)
        return conditions


def zone_of(name: str | None) -> tzinfo:
    """The time zone named `name` (IANA, e.g. Europe/Berlin); UTC when unknown or empty."""
    if not name:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def month_start(moment: datetime, zone: tzinfo) -> datetime:
    """Midnight of the first day of `moment`'s calendar month in `zone` (aware, in `zone`)."""
    local = moment.astimezone(zone)
    return datetime(local.year, local.month, 1, tzinfo=zone)


def shift_months(start: datetime, months: int) -> datetime:
    """The first of the month `months` after (or before, when negative) `start`."""
    index = start.year * 12 + (start.month - 1) + months
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=start.tzinfo)


def calendar_month(moment: datetime, zone: tzinfo, months_back: int = 0) -> Period:
    """The calendar month holding `moment` in `zone` (or `months_back` months before it),
    as a UTC period: a month begins at local midnight of its first day."""
    start = shift_months(month_start(moment, zone), -months_back)
    end = shift_months(start, 1)
    return Period(start.astimezone(UTC), end.astimezone(UTC))


def group_to_list(
    session: Session,
    viewer: User,
    group_id: int | None,
    *,
    what: str,
) -> int:
    """Whose `what` (invoices, transfers, ...) the viewer may list: their own group's, or
    any group an admin names."""
    if viewer.has_role(Role.ADMIN) and group_id is not None:
        accounts.get_group(session, group_id)
        return group_id
    member = accounts.membership_of(session, viewer)
    if member is None:
        raise PermissionDenied(f"{what} are listed for enterprise groups")
    if group_id is not None and group_id != member.group_id:
        raise PermissionDenied(f"those are another group's {what}")
    return member.group_id


def transaction_filters(
    period: Period, user_id: int | None, status: TransactionStatus | None
) -> list[ColumnElement[bool]]:
    """SQL conditions keeping the license transactions made within `period`, bought by
    `user_id` and in `status` (None: any buyer, any status)."""
    filters = period.filters(LicenseTransaction.created_at)
    if user_id is not None:
        filters.append(LicenseTransaction.buyer_id == user_id)
    if status is not None:
        filters.append(LicenseTransaction.status == TransactionStatus(status))
    return filters


@dataclass(frozen=True)
class Person:
    """A user as a listing shows them: id and username."""

    id: int
    username: str


def usernames(session: Session, user_ids: Collection[int]) -> dict[int, str]:
    """The usernames of the users of `user_ids`, by id (one query; none for no ids)."""
    if not user_ids:
        return {}
    rows = session.execute(select(User.id, User.username).where(User.id.in_(list(user_ids))))
    return {int(uid): str(name) for uid, name in rows}
