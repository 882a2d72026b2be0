"""License transfers: who may transfer which license, once, with validated parties; the
listing of transferred licenses; the license information that shows the transfer."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from starlette.testclient import TestClient

from stockhouse.commerce.invoices import AGENCY_PARTY
from stockhouse.commerce.listing import Paging, Period
from stockhouse.commerce.models import ExtOption, TransactionStatus
from stockhouse.commerce.transfers import (
    license_info,
    list_transferred,
    transfer_licenses,
    validate_party,
)
from stockhouse.errors import Conflict, InvalidParameter, NotFound, PermissionDenied
from stockhouse.runtime import Runtime
from tests.catalog.factories import bearer
from tests.commerce.factories import Market, buy, open_market, user

RIGHTS = int(ExtOption.TRANSFER_RIGHTS)
FROM = {"company": "Prepaid Co", "email": "legal@prepaid.example"}
TO = {"fullName": "Tara Third", "company": "Third Party Ltd", "country": "GB"}


@pytest.fixture
def market(runtime: Runtime) -> Market:
    return open_market(runtime)


def transferable(runtime: Runtime, market: Market, buyer_id: int, **kwargs: object) -> int:
    """An extended photo license bought with transfer rights."""
    return buy(runtime, buyer_id, market.photo, extended=True, ext_options=RIGHTS, **kwargs)  # type: ignore[arg-type]


def transfer(runtime: Runtime, actor_id: int, ids: list[int], source=FROM, target=TO):  # type: ignore[no-untyped-def]
    with runtime.db.session() as session:
        return transfer_licenses(session, user(runtime, actor_id), ids, source, target)


# -- parties ----------------------------------------------------------------------------


def test_a_party_keeps_its_known_fields_trimmed() -> None:
    party = validate_party("to", {"fullName": "  Tara   Third ", "zip": "EC1", "phone": None})

    assert party == {"fullName": "Tara Third", "zip": "EC1"}


@pytest.mark.parametrize(
    "party",
    [
        {},
        {"company": "   "},
        {"email": "a@b.example"},
        {"fullName": "T", "nickname": "x"},
        {"fullName": "T", "email": "not-an-address"},
        {"fullName": "T", "email": "two@@ats.example"},
        {"fullName": "x" * 201},
        {"fullName": "T", "zip": "1" * 21},
        {"fullName": 42},
        ["fullName"],
    ],
    ids=[
        "empty",
        "blank-name",
        "no-name",
        "unknown-field",
        "bad-email",
        "double-at",
        "long-name",
        "long-zip",
        "not-text",
        "not-an-object",
    ],
)
def test_a_malformed_party_is_refused(party: object) -> None:
    with pytest.raises(InvalidParameter) as caught:
        validate_party("to", party)  # type: ignore[arg-type]
    assert caught.value.name == "to"


# -- transferring -----------------------------------------------------------------------


def test_the_buyer_transfers_a_license_with_transfer_rights(
    runtime: Runtime, market: Market
) -> None:
    tx = transferable(runtime, market, market.prepaid_member)

    (view,) = transfer(runtime, market.prepaid_member, [tx])

    assert (view.transaction_id, view.by_user_id) == (tx, market.prepaid_member)
    assert view.from_party == FROM and view.to_party == TO


def test_a_group_admin_transfers_a_members_license(runtime: Runtime, market: Market) -> None:
    tx = transferable(runtime, market, market.prepaid_member)

    (view,) = transfer(runtime, market.prepaid_admin, [tx])

    assert view.by_user_id == market.prepaid_admin


def test_a_plain_member_may_not_transfer_anothers_license(runtime: Runtime, market: Market) -> None:
    tx = transferable(runtime, market, market.prepaid_admin)

    with pytest.raises(PermissionDenied):
        transfer(runtime, market.prepaid_member, [tx])


def test_another_groups_license_may_not_be_transferred(runtime: Runtime, market: Market) -> None:
    tx = transferable(runtime, market, market.prepaid_member)

    with pytest.raises(PermissionDenied):
        transfer(runtime, market.outsider, [tx])


def test_a_license_without_transfer_rights_may_not_be_transferred(
    runtime: Runtime, market: Market
) -> None:
    tx = buy(runtime, market.prepaid_member, market.photo, "s")

    with pytest.raises(PermissionDenied, match="transfer rights"):
        transfer(runtime, market.prepaid_member, [tx])


def test_a_license_is_transferred_at_most_once(runtime: Runtime, market: Market) -> None:
    tx = transferable(runtime, market, market.prepaid_member)
    transfer(runtime, market.prepaid_member, [tx])

    with pytest.raises(Conflict):
        transfer(runtime, market.prepaid_admin, [tx])


def test_a_batch_transfers_all_or_none(runtime: Runtime, market: Market) -> None:
    good = transferable(runtime, market, market.prepaid_member)
    without_rights = buy(runtime, market.prepaid_member, market.photo, "s")

    with pytest.raises(PermissionDenied):
        transfer(runtime, market.prepaid_member, [good, without_rights])
    (view,) = transfer(runtime, market.prepaid_member, [good])

    assert view.transaction_id == good


def test_an_unknown_transaction_is_not_found(runtime: Runtime, market: Market) -> None:
    with pytest.raises(NotFound):
        transfer(runtime, market.prepaid_member, [999_999])


def test_concurrent_transfers_of_one_license_succeed_once(runtime: Runtime, market: Market) -> None:
    tx = transferable(runtime, market, market.prepaid_member)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt() -> None:
        try:
            transfer(runtime, market.prepaid_admin, [tx])
            result = "transferred"
        except Conflict:
            result = "conflict"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["conflict"] * 3 + ["transferred"]


# -- listing ----------------------------------------------------------------------------


@pytest.fixture
def transferred(runtime: Runtime, market: Market) -> list[int]:
    """Three transferred licenses of the postpaid group (Jan, Feb, Mar) and one of another."""
    ids = [
        transferable(runtime, market, buyer, at=datetime(2026, month, 10, tzinfo=UTC))
        for buyer, month in (
            (market.postpaid_admin, 1),
            (market.postpaid_member, 2),
            (market.postpaid_member, 3),
        )
    ]
    transfer(runtime, market.postpaid_admin, ids)
    transfer(runtime, market.outsider, [transferable(runtime, market, market.outsider)])
    buy(runtime, market.postpaid_member, market.photo, "s")  # not transferred
    return ids


def listed(runtime: Runtime, viewer_id: int, **kwargs: object) -> list[int]:
    with runtime.db.read_session() as session:
        page = list_transferred(session, user(runtime, viewer_id), **kwargs)  # type: ignore[arg-type]
    return [row.transaction_id for row in page.items]


def test_the_list_holds_the_groups_transferred_licenses_newest_first(
    runtime: Runtime, market: Market, transferred: list[int]
) -> None:
    assert listed(runtime, market.postpaid_member) == transferred[::-1]


def test_the_list_filters_by_dates_buyer_and_status(
    runtime: Runtime, market: Market, transferred: list[int]
) -> None:
    spring = Period(datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))
    with runtime.db.session() as session:
        from stockhouse.commerce.invoices import create_invoice

        create_invoice(session, user(runtime, market.postpaid_admin), transferred[:1])

    assert listed(runtime, market.postpaid_admin, period=spring) == transferred[:0:-1]
    assert listed(runtime, market.postpaid_admin, user_id=market.postpaid_admin) == [transferred[0]]
    assert listed(runtime, market.postpaid_admin, status=TransactionStatus.INVOICED) == [
        transferred[0]
    ]
    assert listed(runtime, market.postpaid_admin, status=TransactionStatus.PAID) == []


def test_the_list_pages_and_describes_each_license(
    runtime: Runtime, market: Market, transferred: list[int]
) -> None:
    with runtime.db.read_session() as session:
        page = list_transferred(session, user(runtime, market.postpaid_admin), paging=Paging(1, 2))

    assert page.total == 3
    (row,) = page.items
    assert row.transaction_id == transferred[0]
    assert (row.buyer.username, row.seller.username, row.filename) == (
        "pat",
        "carla",
        "harbour.jpg",
    )
    assert (row.status, row.visible, row.transfer.to_party) == (
        TransactionStatus.UNINVOICED,
        True,
        TO,
    )


def test_a_user_without_a_group_has_no_list(runtime: Runtime, market: Market) -> None:
    with pytest.raises(PermissionDenied):
        listed(runtime, market.solo)


# -- license information ----------------------------------------------------------------


def test_the_license_info_shows_the_transfer(runtime: Runtime, market: Market) -> None:
    tx = transferable(runtime, market, market.postpaid_member)
    (view,) = transfer(runtime, market.postpaid_admin, [tx])

    with runtime.db.read_session() as session:
        info = license_info(session, user(runtime, market.postpaid_member), tx)

    assert (info.transfer_id, info.transferred_to) == (view.id, TO)
    assert (info.license_name, info.size_code, info.ext_options) == ("Extended", "el0", RIGHTS)
    assert info.from_party == AGENCY_PARTY
    assert info.to_party["company"] == "Postpaid Co"
    assert (info.item_id, info.filename, info.width) == (market.photo, "harbour.jpg", 600)


def test_an_untransferred_license_has_no_transfer(runtime: Runtime, market: Market) -> None:
    tx = buy(runtime, market.solo, market.photo, "s")

    with runtime.db.read_session() as session:
        info = license_info(session, user(runtime, market.solo), tx)

    assert (info.transfer, info.transfer_id, info.transferred_to) == (None, None, None)
    assert info.to_party == {"fullName": "sol", "country": "DE"}


def test_others_do_not_see_the_license_info(runtime: Runtime, market: Market) -> None:
    tx = buy(runtime, market.solo, market.photo, "s")

    with pytest.raises(NotFound), runtime.db.read_session() as session:
        license_info(session, user(runtime, market.outsider), tx)


# -- the native API ---------------------------------------------------------------------


def test_the_api_transfers_lists_and_shows(
    client: TestClient, runtime: Runtime, market: Market
) -> None:
    tx = transferable(runtime, market, market.prepaid_member)
    headers = bearer(client, "mia")

    made = client.post(
        "/v1/license-transfers",
        json={"transaction_ids": [tx], "from": FROM, "to": TO},
        headers=headers,
    )
    again = client.post(
        "/v1/license-transfers",
        json={"transaction_ids": [tx], "from": FROM, "to": TO},
        headers=headers,
    )
    listing = client.get("/v1/license-transfers", headers=bearer(client, "max")).json()
    info = client.get(f"/v1/licenses/{tx}/license-info", headers=headers).json()

    assert made.status_code == 201, made.text
    assert made.json()[0]["to_party"] == TO
    assert again.status_code == 409
    assert [row["transaction_id"] for row in listing["items"]] == [tx]
    assert info["transferred_to"] == TO and info["transfer_id"] == made.json()[0]["id"]


def test_the_api_names_the_malformed_party(
    client: TestClient, runtime: Runtime, market: Market
) -> None:
    tx = transferable(runtime, market, market.prepaid_member)

    response = client.post(
        "/v1/license-transfers",
        json={"transaction_ids": [tx], "from": FROM, "to": {"email": "x@y.example"}},
        headers=bearer(client, "mia"),
    )

    assert response.status_code == 400
    assert response.json()["error"]["param"] == "to"
