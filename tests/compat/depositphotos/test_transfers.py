"""Depositphotos transferEnterpriseLicense and getTransferredLicenses over HTTP."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from stockhouse.commerce.models import ProductType
from stockhouse.runtime import Runtime
from tests.compat.depositphotos.conftest import World, assert_failure, dp
from tests.compat.depositphotos.dp_support import (
    TRANSFER_RIGHTS,
    dp_header,
    dp_json,
    license_id,
    licensing,
)

SOURCE = {"company": "Prepaid Co", "fullName": "Mia Admin", "email": "mia@prepaid.test"}
TARGET = {"company": "Client & Co", "fullName": "Jordan Client", "country": "FR"}


def _transferable(client: TestClient, runtime: Runtime, world: World, token: str) -> int:
    """A license of the photo bought with transfer rights; its transaction id."""
    extended = license_id(runtime, ProductType.IMAGE, extended=True)
    answer = dp(
        client,
        "licenseItem",
        dp_session_id=token,
        dp_licensing=licensing(world.photo, extended, "el0", ext=TRANSFER_RIGHTS),
    )
    transaction_id: int = answer["result"][str(world.photo)]["transaction"][0]["transactionId"]
    return transaction_id


def _transfer(client: TestClient, token: str, **params: Any) -> dict[str, Any]:
    return dp(
        client,
        "transferEnterpriseLicense",
        dp_session_id=token,
        dp_from=SOURCE,
        dp_to=TARGET,
        **params,
    )


def test_transfer_of_one_license_answers_result_true_and_shows_in_license_info(
    dp_client: TestClient, runtime: Runtime, world: World, sessions: dict[str, str]
) -> None:
    transaction_id = _transferable(dp_client, runtime, world, sessions["max"])
    answer = _transfer(dp_client, sessions["max"], dp_item_transaction_id=transaction_id)
    assert answer["type"] == "success", answer
    assert answer["result"] is True
    info = dp(
        dp_client,
        "getTransactionLicenseInfo",
        dp_session_id=sessions["max"],
        dp_transaction_id=transaction_id,
    )
    assert isinstance(info["license"]["transferId"], int)
    assert info["transferredTo"] == TARGET


def test_transfer_of_a_list_in_the_sdk_form_with_snake_case_parties(
    dp_client: TestClient, runtime: Runtime, world: World, sessions: dict[str, str]
) -> None:
    first = _transferable(dp_client, runtime, world, sessions["max"])
    second = _transferable(dp_client, runtime, world, sessions["max"])
    body = (
        f"dp_session_id={sessions['max']}"
        f"&dp_item_transaction_ids[0]={first}&dp_item_transaction_ids[1]={second}"
        "&dp_from[company]=Prepaid+Co&dp_from[full_name]=&dp_from[ein]=46-0588"
        "&dp_from[country_name]=Germany"
        "&dp_to[company]=Client&dp_to[full_name]=Jordan&dp_to[vat]=FR123"
    )
    answer = dp_header(dp_client, "transferEnterpriseLicense", body)
    assert answer["type"] == "success", answer
    listed = dp(dp_client, "getTransferredLicenses", dp_session_id=sessions["mia"])
    assert listed["count"] == 2
    assert {row["itemTransactionId"] for row in listed["downloads"]} == {first, second}
    assert listed["downloads"][0]["transferredTo"] == {
        "company": "Client",
        "fullName": "Jordan",
        "vat": "FR123",
    }


def test_transfer_accepts_a_json_body(
    dp_client: TestClient, runtime: Runtime, world: World, sessions: dict[str, str]
) -> None:
    transaction_id = _transferable(dp_client, runtime, world, sessions["max"])
    answer = dp_json(
        dp_client,
        "transferEnterpriseLicense",
        dp_session_id=sessions["max"],
        dp_item_transaction_ids=[transaction_id],
        dp_from=SOURCE,
        dp_to=TARGET,
    )
    assert answer["result"] is True


def test_transferred_licenses_carry_the_listing_fields(
    dp_client: TestClient, runtime: Runtime, world: World, sessions: dict[str, str]
) -> None:
    transaction_id = _transferable(dp_client, runtime, world, sessions["max"])
    _transfer(dp_client, sessions["max"], dp_item_transaction_id=transaction_id)
    answer = dp(dp_client, "getTransferredLicenses", dp_session_id=sessions["max"])
    [row] = answer["downloads"]
    assert row["itemTransactionId"] == transaction_id
    assert row["itemId"] == world.photo
    assert row["actor"] == {"id": world.user_ids["max"], "username": "max"}
    assert row["seller"]["username"] == "carla"
    assert isinstance(row["licenseTransferId"], int)
    assert row["status"] == "Paid"
    assert row["groupId"] == world.market.prepaid
    assert row["currencyId"] == 0


def test_transferred_licenses_filter_and_page(
    dp_client: TestClient, runtime: Runtime, world: World, sessions: dict[str, str]
) -> None:
    ids = [_transferable(dp_client, runtime, world, sessions[name]) for name in ("max", "mia")]
    _transfer(dp_client, sessions["mia"], dp_item_transaction_ids=ids)
    token = sessions["max"]
    mine = dp(
        dp_client, "getTransferredLicenses", dp_session_id=token, dp_user_id=world.user_ids["max"]
    )
    assert [row["itemTransactionId"] for row in mine["downloads"]] == [ids[0]]
    page = dp(dp_client, "getTransferredLicenses", dp_session_id=token, dp_limit=1, dp_offset=1)
    assert (page["count"], len(page["downloads"])) == (2, 1)
    invoiced = dp(dp_client, "getTransferredLicenses", dp_session_id=token, dp_type="invoiced")
    assert invoiced["count"] == 0
    future = dp(
        dp_client, "getTransferredLicenses", dp_session_id=token, dp_date_start="2999-01-01"
    )
    assert future["count"] == 0


def test_transfer_needs_transaction_ids_and_both_parties(
    dp_client: TestClient, runtime: Runtime, world: World, sessions: dict[str, str]
) -> None:
    transaction_id = _transferable(dp_client, runtime, world, sessions["max"])
    token = sessions["max"]
    no_ids = _transfer(dp_client, token)
    assert_failure(no_ids, "EInternal\\InvalidParam", 400)
    for params in (
        {"dp_from": SOURCE},
        {"dp_to": TARGET},
        {"dp_from": "someone", "dp_to": TARGET},
        {"dp_from": {"city": "Paris"}, "dp_to": TARGET},
        {"dp_from": SOURCE, "dp_to": {**TARGET, "email": "not-an-address"}},
        {"dp_from": SOURCE, "dp_to": {**TARGET, "shoeSize": "42"}},
    ):
        answer = dp(
            dp_client,
            "transferEnterpriseLicense",
            dp_session_id=token,
            dp_item_transaction_id=transaction_id,
            **params,
        )
        assert_failure(answer, "EInternal\\InvalidParam", 400)


def test_transfer_without_transfer_rights_is_refused(
    dp_client: TestClient, runtime: Runtime, world: World, sessions: dict[str, str]
) -> None:
    standard = license_id(runtime, ProductType.IMAGE)
    bought = dp(
        dp_client,
        "licenseItem",
        dp_session_id=sessions["max"],
        dp_licensing=licensing(world.photo, standard, "s"),
    )
    transaction_id = bought["result"][str(world.photo)]["transaction"][0]["transactionId"]
    answer = _transfer(dp_client, sessions["max"], dp_item_transaction_id=transaction_id)
    assert_failure(answer, "EAPI\\EAccessDenied", 403)


def test_transfer_twice_is_refused(
    dp_client: TestClient, runtime: Runtime, world: World, sessions: dict[str, str]
) -> None:
    transaction_id = _transferable(dp_client, runtime, world, sessions["max"])
    assert _transfer(dp_client, sessions["max"], dp_item_transaction_id=transaction_id)["result"]
    again = _transfer(dp_client, sessions["max"], dp_item_transaction_id=transaction_id)
    assert_failure(again, "EAPI\\EValueNotAllowed", 403)


def test_transfer_of_an_unknown_transaction_is_not_found(
    dp_client: TestClient, world: World, sessions: dict[str, str]
) -> None:
    answer = _transfer(dp_client, sessions["max"], dp_item_transaction_id=424242)
    assert_failure(answer, "EApi\\ENotFound", 404)
