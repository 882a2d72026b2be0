"""Native API: a contributor's balance, earnings, sales and approved images."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy.orm import Session

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import Role, User
from stockhouse.api.deps import Principal, PrincipalDep, SessionDep
from stockhouse.commerce.listing import Period
from stockhouse.commerce.money import to_decimal
from stockhouse.contributors import earnings
from stockhouse.errors import PermissionDenied

router = APIRouter(prefix="/earnings", tags=["earnings"])


class PeriodOut(BaseModel):
    since: datetime | None
    until: datetime | None


class EarningsOut(BaseModel):
    amount_minor: int
    amount: Decimal
    downloads: int


class ImagesOut(BaseModel):
    total: int
    new_this_month: int
    new_previous_month: int


class SummaryOut(BaseModel):
    contributor_id: int
    timezone: str
    currency: str
    balance_minor: int
    balance: Decimal
    total: EarningsOut
    this_month: EarningsOut
    previous_month: EarningsOut
    images: ImagesOut
    this_month_period: PeriodOut
    previous_month_period: PeriodOut


class RecentOut(BaseModel):
    transaction_id: int
    licensed_at: datetime
    item_id: int
    license_name: str
    size: str
    earning_minor: int
    earning: Decimal
    currency: str
    buyer_country: str | None
    search_query: str | None


def _contributor(session: Session, principal: Principal, user_id: int | None) -> User:
    """The caller, or (admins only) the contributor named by `user_id`."""
    if user_id is None or user_id == principal.user.id:
        return principal.user
    if not principal.user.has_role(Role.ADMIN):
        raise PermissionDenied("you may read only your own earnings")
    return accounts.get_user(session, user_id)


def _earnings(value: earnings.Earnings, currency: str) -> EarningsOut:
    return EarningsOut(
        amount_minor=value.amount_minor,
        amount=to_decimal(value.amount_minor, currency),
        downloads=value.downloads,
    )


def _period(period: Period) -> PeriodOut:
    return PeriodOut(since=period.since, until=period.until)


@router.get("", response_model=SummaryOut)
def summary(
    principal: PrincipalDep,
    session: SessionDep,
    currency: str = earnings.DEFAULT_CURRENCY,
    user_id: int | None = None,
) -> SummaryOut:
    """Balance, earnings and downloads (all time, this and previous month in your time
    zone) and approved images."""
    contributor = _contributor(session, principal, user_id)
    result = earnings.earnings_summary(session, contributor, currency=currency)
    return SummaryOut(
        contributor_id=result.contributor_id,
        timezone=result.timezone,
        currency=result.currency,
        balance_minor=result.balance_minor,
        balance=to_decimal(result.balance_minor, result.currency),
        total=_earnings(result.total, result.currency),
        this_month=_earnings(result.this_month, result.currency),
        previous_month=_earnings(result.previous_month, result.currency),
        images=ImagesOut(
            total=result.images_total,
            new_this_month=result.images_new_this_month,
            new_previous_month=result.images_new_previous_month,
        ),
        this_month_period=_period(result.this_month_period),
        previous_month_period=_period(result.previous_month_period),
    )


@router.get("/downloads", response_model=list[RecentOut])
def recent_downloads(
    principal: PrincipalDep,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=earnings.MAX_RECENT)] = earnings.DEFAULT_RECENT,
    user_id: int | None = None,
) -> list[RecentOut]:
    """Your latest sales, newest first, with the buyer's country and search query."""
    contributor = _contributor(session, principal, user_id)
    return [
        RecentOut(
            transaction_id=row.transaction_id,
            licensed_at=row.licensed_at,
            item_id=row.item_id,
            license_name=row.license_name,
            size=row.size_code,
            earning_minor=row.earning_minor,
            earning=to_decimal(row.earning_minor, row.currency),
            currency=row.currency,
            buyer_country=row.buyer_country,
            search_query=row.search_query,
        )
        for row in earnings.recent_downloads(session, contributor, limit=limit)
    ]
