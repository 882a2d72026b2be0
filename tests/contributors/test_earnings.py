"""A contributor's balance, earnings, downloads and images, by calendar month in their own
time zone, and their recent sales."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import update
from starlette.testclient import TestClient

from stockhouse.accounts.models import User
from stockhouse.catalog.models import ItemStatus, MediaItem
from stockhouse.commerce import ledger
from stockhouse.commerce.models import AccountKind
from stockhouse.contributors.earnings import EarningsSummary, earnings_summary, recent_downloads
from stockhouse.errors import InvalidParameter
from stockhouse.runtime import Runtime
from tests.catalog.factories import bearer, make_item
from tests.commerce.factories import Market, buy, open_market, user

# Bronze royalty is 35%: an s sale (1.00) earns 0.35, an xl sale (10.00) earns 3.50.
S_ROYALTY, XL_ROYALTY = 35, 350
NOW = datetime(2026, 4, 15, 12, 0, tzinfo=UTC)


@pytest.fixture
def market(runtime: Runtime) -> Market:
    return open_market(runtime)


def summary(runtime: Runtime, contributor_id: int, now: datetime = NOW) -> EarningsSummary:
    with runtime.db.read_session() as session:
        return earnings_summary(session, user(runtime, contributor_id), now=now)


def set_timezone(runtime: Runtime, user_id: int, zone: str) -> None:
    with runtime.db.session() as session:
        session.execute(update(User).where(User.id == user_id).values(timezone=zone))


# -- month boundaries -------------------------------------------------------------------


def test_a_sale_late_on_the_last_utc_day_is_next_month_in_berlin(
    runtime: Runtime, market: Market
) -> None:
    buy(runtime, market.solo, market.photo, "s", at=datetime(2026, 3, 31, 23, 30, tzinfo=UTC))

    result = summary(runtime, market.contributor)

    assert result.this_month.downloads == 1  # 01:30 on 1 April in Berlin
    assert result.previous_month.downloads == 0


def test_the_same_sale_is_last_month_for_a_contributor_in_utc(
    runtime: Runtime, market: Market
) -> None:
    set_timezone(runtime, market.contributor, "UTC")
    buy(runtime, market.solo, market.photo, "s", at=datetime(2026, 3, 31, 23, 30, tzinfo=UTC))

    result = summary(runtime, market.contributor)

    assert (result.this_month.downloads, result.previous_month.downloads) == (0, 1)


def test_a_sale_early_on_the_first_utc_day_is_the_month_before_in_new_york(
    runtime: Runtime, market: Market
) -> None:
    set_timezone(runtime, market.contributor, "America/New_York")
    buy(runtime, market.solo, market.photo, "s", at=datetime(2026, 4, 1, 2, 0, tzinfo=UTC))

    result = summary(runtime, market.contributor)

    assert (result.this_month.downloads, result.previous_month.downloads) == (0, 1)


def test_the_months_are_reported_as_utc_periods(runtime: Runtime, market: Market) -> None:
    result = summary(runtime, market.contributor)

    # Berlin is UTC+2 in summer time (April) and UTC+1 in winter time (March 1st)
    assert result.this_month_period.since == datetime(2026, 3, 31, 22, 0, tzinfo=UTC)
    assert result.this_month_period.until == datetime(2026, 4, 30, 22, 0, tzinfo=UTC)
    assert result.previous_month_period.since == datetime(2026, 2, 28, 23, 0, tzinfo=UTC)
    assert result.timezone == "Europe/Berlin"


def test_january_follows_december_of_the_year_before(runtime: Runtime, market: Market) -> None:
    buy(runtime, market.solo, market.photo, "s", at=datetime(2025, 12, 20, tzinfo=UTC))

    result = summary(runtime, market.contributor, now=datetime(2026, 1, 5, tzinfo=UTC))

    assert result.previous_month.downloads == 1
    assert result.previous_month_period.since == datetime(2025, 11, 30, 23, 0, tzinfo=UTC)


def test_an_unknown_timezone_counts_in_utc(runtime: Runtime, market: Market) -> None:
    set_timezone(runtime, market.contributor, "Mars/Olympus_Mons")
    buy(runtime, market.solo, market.photo, "s", at=datetime(2026, 3, 31, 23, 30, tzinfo=UTC))

    result = summary(runtime, market.contributor)

    assert result.timezone == "UTC"
    assert result.previous_month.downloads == 1


# -- amounts ----------------------------------------------------------------------------


def test_earnings_are_the_exact_royalties_by_period(runtime: Runtime, market: Market) -> None:
    buy(runtime, market.solo, market.photo, "s", at=NOW - timedelta(days=1))
    buy(runtime, market.prepaid_member, market.photo, "xl", at=NOW - timedelta(days=1))
    buy(runtime, market.solo, market.photo, "xl", at=datetime(2026, 3, 10, tzinfo=UTC))
    buy(runtime, market.solo, market.photo, "s", at=datetime(2025, 6, 1, tzinfo=UTC))

    result = summary(runtime, market.contributor)

    assert (result.this_month.amount_minor, result.this_month.downloads) == (
        S_ROYALTY + XL_ROYALTY,
        2,
    )
    assert (result.previous_month.amount_minor, result.previous_month.downloads) == (
        XL_ROYALTY,
        1,
    )
    assert (result.total.amount_minor, result.total.downloads) == (
        2 * S_ROYALTY + 2 * XL_ROYALTY,
        4,
    )
    assert result.decimal(result.total.amount_minor) == Decimal("7.70")


def test_the_balance_is_the_earnings_account_after_payouts(
    runtime: Runtime, market: Market
) -> None:
    buy(runtime, market.solo, market.photo, "xl")
    with runtime.db.session() as session:
        earnings = ledger.account_for(
            session, AccountKind.CONTRIBUTOR_EARNINGS, user_id=market.contributor, currency="USD"
        )
        payout = ledger.account_for(session, AccountKind.EXTERNAL, currency="USD")
        ledger.transfer(session, "payout", "test", source=earnings, target=payout, amount_minor=100)

    result = summary(runtime, market.contributor)

    assert result.balance_minor == XL_ROYALTY - 100
    assert result.total.amount_minor == XL_ROYALTY


def test_a_contributor_without_sales_has_zeros(runtime: Runtime, market: Market) -> None:
    result = summary(runtime, market.solo)

    assert (result.balance_minor, result.total.amount_minor, result.total.downloads) == (0, 0, 0)


def test_earnings_in_another_currency_are_reported_apart(runtime: Runtime, market: Market) -> None:
    buy(runtime, market.solo, market.photo, "xl")

    with runtime.db.read_session() as session:
        euros = earnings_summary(session, user(runtime, market.contributor), currency="EUR")

    assert (euros.total.amount_minor, euros.total.downloads) == (0, 1)


def test_a_malformed_currency_is_refused(runtime: Runtime, market: Market) -> None:
    with pytest.raises(InvalidParameter), runtime.db.read_session() as session:
        earnings_summary(session, user(runtime, market.contributor), currency="usd'")


# -- images -----------------------------------------------------------------------------


def test_images_count_active_images_and_those_published_each_month(
    runtime: Runtime, market: Market
) -> None:
    carla = user(runtime, market.contributor)
    with runtime.db.session() as session:
        for published in (
            datetime(2026, 4, 2, tzinfo=UTC),
            datetime(2026, 3, 31, 22, 30, tzinfo=UTC),  # 00:30 on 1 April in Berlin
            datetime(2026, 3, 3, tzinfo=UTC),
        ):
            item = make_item(session, runtime.blobs, carla, status=ItemStatus.ACTIVE)
            item.published_at = published
        make_item(session, runtime.blobs, carla, status=ItemStatus.PENDING)
        archived = make_item(session, runtime.blobs, carla, status=ItemStatus.ARCHIVED)
        archived.published_at = datetime(2026, 4, 3, tzinfo=UTC)
        session.execute(
            update(MediaItem)
            .where(MediaItem.id == market.photo)
            .values(published_at=datetime(2025, 1, 1, tzinfo=UTC))
        )

    result = summary(runtime, market.contributor)

    # the market's photo counts too; its video and music are not images
    assert result.images_total == 4
    assert (result.images_new_this_month, result.images_new_previous_month) == (2, 1)


# -- recent downloads -------------------------------------------------------------------


def test_recent_downloads_list_the_latest_sales_with_their_facts(
    runtime: Runtime, market: Market
) -> None:
    buy(runtime, market.solo, market.photo, "s", at=datetime(2026, 3, 31, 23, 30, tzinfo=UTC))
    latest = buy(
        runtime,
        market.prepaid_member,
        market.photo,
        "xl",
        country="FR",
        query="harbour sunrise",
        at=datetime(2026, 4, 2, 8, 0, tzinfo=UTC),
    )

    with runtime.db.read_session() as session:
        rows = recent_downloads(session, user(runtime, market.contributor), limit=1)

    (row,) = rows
    assert row.transaction_id == latest
    assert row.licensed_at.isoformat() == "2026-04-02T10:00:00+02:00"
    assert (row.item_id, row.license_name, row.size_code) == (market.photo, "Standard", "xl")
    assert (row.earning_minor, row.earning, row.currency) == (XL_ROYALTY, Decimal("3.50"), "USD")
    assert (row.buyer_country, row.search_query) == ("FR", "harbour sunrise")


def test_recent_downloads_are_newest_first(runtime: Runtime, market: Market) -> None:
    ids = [
        buy(runtime, market.solo, market.photo, "s", at=NOW - timedelta(hours=hours))
        for hours in (5, 1, 3)
    ]

    with runtime.db.read_session() as session:
        rows = recent_downloads(session, user(runtime, market.contributor))

    assert [r.transaction_id for r in rows] == [ids[1], ids[2], ids[0]]


@pytest.mark.parametrize("limit", [0, 101, True])
def test_the_number_of_recent_downloads_is_1_to_100(
    runtime: Runtime, market: Market, limit: int
) -> None:
    with pytest.raises(InvalidParameter), runtime.db.read_session() as session:
        recent_downloads(session, user(runtime, market.contributor), limit=limit)


# -- the native API ---------------------------------------------------------------------


def test_the_api_answers_the_summary_and_the_recent_sales(
    client: TestClient, runtime: Runtime, market: Market
) -> None:
    buy(runtime, market.solo, market.photo, "xl", country="US", query="boats")
    headers = bearer(client, "carla")

    body = client.get("/v1/earnings", headers=headers).json()
    sales = client.get("/v1/earnings/downloads?limit=5", headers=headers).json()

    assert (body["total"]["amount"], body["total"]["downloads"]) == ("3.50", 1)
    assert (body["balance"], body["balance_minor"]) == ("3.50", XL_ROYALTY)
    assert body["this_month"]["downloads"] == 1
    assert body["images"]["total"] == 1
    assert [(s["size"], s["earning"], s["buyer_country"], s["search_query"]) for s in sales] == [
        ("xl", "3.50", "US", "boats")
    ]


def test_the_api_shows_others_earnings_only_to_admins(client: TestClient, market: Market) -> None:
    path = f"/v1/earnings?user_id={market.contributor}"

    refused = client.get(path, headers=bearer(client, "sol"))
    allowed = client.get(path, headers=bearer(client, "root"))

    assert refused.status_code == 403
    assert allowed.json()["contributor_id"] == market.contributor
