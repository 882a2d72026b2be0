"""A contributor's earnings, sales and approved images (Cliparto API Query: BalanceCurrent,
Earnings*, Downloads*, DownloadsList, Images*).

- The balance is the contributor's CONTRIBUTOR_EARNINGS ledger account (royalties in,
  payouts out).
- Earnings are the royalties of their license transactions; downloads count those
  transactions (licensed downloads: complimentary samples earn nothing and do not count).
- Images are their published image items (photo, vector, illustration) that are active;
  "new" ones were published (approved) in the month.
- "This month" and "previous month" are calendar months in the contributor's time zone
  (`User.timezone`, an IANA name; UTC when it is unknown): a sale at 23:30 UTC on 31 March
  is an April sale for a contributor in Europe/Berlin.

Amounts are integer minor units of one currency (USD unless asked otherwise): royalties
are paid in the currency of the sale, and each currency is reported on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stockhouse.accounts.models import User
from stockhouse.catalog.models import ItemStatus, MediaItem, MediaKind
from stockhouse.commerce import ledger
from stockhouse.commerce.listing import Period, calendar_month, zone_of
from stockhouse.commerce.models import AccountKind, License, LicenseTransaction
from stockhouse.commerce.money import to_decimal, validate_currency
from stockhouse.db.base import utcnow
from stockhouse.errors import InvalidParameter

DEFAULT_CURRENCY = "USD"
DEFAULT_RECENT = 10
MAX_RECENT = 100
IMAGE_KINDS = (MediaKind.PHOTO, MediaKind.VECTOR, MediaKind.ILLUSTRATION)


@dataclass(frozen=True)
class Earnings:
    """Royalties earned and licensed downloads sold in one period."""

    amount_minor: int
    downloads: int


@dataclass(frozen=True)
class EarningsSummary:
    """A contributor's balance, earnings, downloads and images, all time and by month."""

    contributor_id: int
    timezone: str
    currency: str
    balance_minor: int
    total: Earnings
    this_month: Earnings
    previous_month: Earnings
    images_total: int
    images_new_this_month: int
    images_new_previous_month: int
    this_month_period: Period
    previous_month_period: Period

    def decimal(self, amount_minor: int) -> Decimal:
        """An amount of this summary in major units (1250 -> 12.50 for USD)."""
        return to_decimal(amount_minor, self.currency)


def _earnings(session: Session, contributor_id: int, currency: str, period: Period) -> Earnings:
    mine = [LicenseTransaction.contributor_id == contributor_id]
    mine += period.filters(LicenseTransaction.created_at)
    royalties = session.scalar(
        select(func.coalesce(func.sum(LicenseTransaction.royalty_minor), 0)).where(
            *mine, LicenseTransaction.currency == currency
        )
    )
    downloads = session.scalar(select(func.count(LicenseTransaction.id)).where(*mine))
    return Earnings(int(royalties or 0), int(downloads or 0))


def _images(session: Session, contributor_id: int, period: Period) -> int:
    filters = [
        MediaItem.owner_id == contributor_id,
        MediaItem.status == ItemStatus.ACTIVE,
        MediaItem.kind.in_(IMAGE_KINDS),
        *period.filters(MediaItem.published_at),
    ]
    return int(session.scalar(select(func.count(MediaItem.id)).where(*filters)) or 0)


def earnings_summary(
    session: Session,
    contributor: User,
    *,
    currency: str = DEFAULT_CURRENCY,
    now: datetime | None = None,
) -> EarningsSummary:
    """Everything Cliparto's BalanceCurrent, Earnings*, Downloads* and Images* report."""
    validate_currency(currency)
    moment = now or utcnow()
    zone = zone_of(contributor.timezone)
    this_month = calendar_month(moment, zone)
    previous_month = calendar_month(moment, zone, months_back=1)
    balance = ledger.balance_of(
        session, AccountKind.CONTRIBUTOR_EARNINGS, user_id=contributor.id, currency=currency
    )
    return EarningsSummary(
        contributor_id=contributor.id,
        timezone=str(zone),
        currency=currency,
        balance_minor=balance,
        total=_earnings(session, contributor.id, currency, Period()),
        this_month=_earnings(session, contributor.id, currency, this_month),
        previous_month=_earnings(session, contributor.id, currency, previous_month),
        images_total=_images(session, contributor.id, Period()),
        images_new_this_month=_images(session, contributor.id, this_month),
        images_new_previous_month=_images(session, contributor.id, previous_month),
        this_month_period=this_month,
        previous_month_period=previous_month,
    )


@dataclass(frozen=True)
class RecentDownload:
    """One sale (Cliparto DownloadsList row: date; image ID; license type; image size;
    earning; buyer's country; search query)."""

    transaction_id: int
    licensed_at: datetime  # aware, in the contributor's time zone
    item_id: int
    license_name: str
    size_code: str
    earning_minor: int
    currency: str
    buyer_country: str | None
    search_query: str | None

    @property
    def earning(self) -> Decimal:
        return to_decimal(self.earning_minor, self.currency)


def recent_downloads(
    session: Session, contributor: User, *, limit: int = DEFAULT_RECENT
) -> Sequence[RecentDownload]:
    """The contributor's latest `limit` (1-100) sales, newest first."""
    if isinstance(limit, bool) or not 1 <= limit <= MAX_RECENT:
        raise InvalidParameter("limit", f"limit must be 1-{MAX_RECENT}")
    zone = zone_of(contributor.timezone)
    rows = session.execute(
        select(LicenseTransaction, License.name)
        .join(License, License.id == LicenseTransaction.license_id)
        .where(LicenseTransaction.contributor_id == contributor.id)
        .order_by(LicenseTransaction.created_at.desc(), LicenseTransaction.id.desc())
        .limit(limit)
    ).all()
    return [
        RecentDownload(
            transaction_id=t.id,
            licensed_at=t.created_at.astimezone(zone),
            item_id=t.item_id,
            license_name=str(name),
            size_code=t.size_code,
            earning_minor=t.royalty_minor,
            currency=t.currency,
            buyer_country=t.buyer_country,
            search_query=t.search_query,
        )
        for t, name in rows
    ]


DEFAULT_CHART_MONTHS = 12
MAX_CHART_MONTHS = 36


@dataclass(frozen=True)
class MonthEarnings:
    """One calendar month of a contributor's earnings (the web page's chart)."""

    period: Period
    label: str  # "2026-03", the month in the contributor's time zone
    earnings: Earnings


def earnings_by_month(
    session: Session,
    contributor: User,
    *,
    months: int = DEFAULT_CHART_MONTHS,
    currency: str = DEFAULT_CURRENCY,
    now: datetime | None = None,
) -> list[MonthEarnings]:
    """Royalties and downloads of each of the last `months` calendar months (in the
    contributor's time zone), oldest first, the current month last."""
    if isinstance(months, bool) or not 1 <= months <= MAX_CHART_MONTHS:
        raise InvalidParameter("months", f"months must be 1-{MAX_CHART_MONTHS}")
    validate_currency(currency)
    moment = now or utcnow()
    zone = zone_of(contributor.timezone)
    found = []
    for back in range(months - 1, -1, -1):
        period = calendar_month(moment, zone, months_back=back)
        assert period.since is not None
        label = period.since.astimezone(zone).strftime("%Y-%m")
        earned = _earnings(session, contributor.id, currency, period)
        found.append(MonthEarnings(period, label, earned))
    return found
