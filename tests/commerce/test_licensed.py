"""The licensed-items listing (Depositphotos getLicensedItems): a group's licenses for its
members, a groupless buyer's own, filters, paging, the transfer of each row; and the legal
identifiers a transfer party may carry."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from stockhouse.commerce.licensed import list_licensed
from stockhouse.commerce.listing import Paging, Period
from stockhouse.commerce.models import ExtOption, TransactionStatus
from stockhouse.commerce.transfers import transfer_licenses, transfers_of, validate_party
from stockhouse.errors import PermissionDenied
from stockhouse.runtime import Runtime
from tests.commerce.factories import Market, buy, open_market, user

RIGHTS = int(ExtOption.TRANSFER_RIGHTS)


@pytest.fixture
def market(runtime: Runtime) -> Market:
    return open_market(runtime)


def listed(runtime: Runtime, viewer_id: int, **kwargs: object) -> list[int]:
    with runtime.db.read_session() as session:
        page = list_licensed(session, user(runtime, viewer_id), **kwargs)  # type: ignore[arg-type]
        return [row.transaction_id for row in page.items]


def test_members_list_every_license_of_their_group_newest_first(
    runtime: Runtime, market: Market
) -> None:
    first = buy(runtime, market.prepaid_member, market.photo)
    second = buy(runtime, market.prepaid_admin, market.photo)
    buy(runtime, market.postpaid_member, market.photo)

    assert listed(runtime, market.prepaid_member) == [second, first]
    assert listed(runtime, market.prepaid_admin) == [second, first]


def test_a_buyer_without_a_group_lists_their_own(runtime: Runtime, market: Market) -> None:
    own = buy(runtime, market.solo, market.photo)
    buy(runtime, market.prepaid_member, market.photo)

    assert listed(runtime, market.solo) == [own]
    with pytest.raises(PermissionDenied):
        listed(runtime, market.solo, user_id=market.prepaid_member)


def test_another_group_cannot_be_named(runtime: Runtime, market: Market) -> None:
    with pytest.raises(PermissionDenied):
        listed(runtime, market.prepaid_member, group_id=market.postpaid)


def test_admins_list_a_named_group(runtime: Runtime, market: Market) -> None:
    bought = buy(runtime, market.postpaid_member, market.photo)

    assert listed(runtime, market.admin, group_id=market.postpaid) == [bought]


def test_filters_by_buyer_status_period_and_pages(runtime: Runtime, market: Market) -> None:
    old = buy(runtime, market.postpaid_member, market.photo, at=datetime(2024, 1, 5, tzinfo=UTC))
    new = buy(runtime, market.postpaid_admin, market.photo, at=datetime(2024, 3, 5, tzinfo=UTC))
    viewer = market.postpaid_member

    assert listed(runtime, viewer, user_id=market.postpaid_admin) == [new]
    assert listed(runtime, viewer, status=TransactionStatus.UNINVOICED) == [new, old]
    assert listed(runtime, viewer, status=TransactionStatus.PAID) == []
    january = Period(datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 2, 1, tzinfo=UTC))
    assert listed(runtime, viewer, period=january) == [old]
    assert listed(runtime, viewer, paging=Paging(limit=1, offset=1)) == [old]


def test_rows_carry_item_people_fields_and_transfer(runtime: Runtime, market: Market) -> None:
    bought = buy(
        runtime,
        market.prepaid_member,
        market.photo,
        extended=True,
        ext_options=RIGHTS,
        purchase_order="PO-3",
    )
    with runtime.db.session() as session:
        transfer_licenses(
            session,
            user(runtime, market.prepaid_member),
            [bought],
            {"company": "Prepaid Co"},
            {"fullName": "Tara Third"},
        )
    with runtime.db.read_session() as session:
        page = list_licensed(session, user(runtime, market.prepaid_admin))
        [row] = page.items
        moved = transfers_of(session, [bought, 999])

    assert page.total == 1
    assert (row.item_id, row.size_code, row.purchase_order) == (market.photo, "el0", "PO-3")
    assert (row.buyer.username, row.seller.username) == ("max", "carla")
    assert (row.width, row.height, row.visible) == (600, 400, True)
    assert row.transfer is not None
    assert row.transfer.to_party == {"fullName": "Tara Third"}
    assert list(moved) == [bought]


def test_a_party_keeps_the_sdks_legal_identifiers() -> None:
    party = validate_party(
        "from",
        {"company": "Acme", "ein": "46-0588", "vat": "DE1", "taxId": "T-9", "countryName": "Peru"},
    )

    assert party == {
        "company": "Acme",
        "ein": "46-0588",
        "vat": "DE1",
        "taxId": "T-9",
        "countryName": "Peru",
    }
