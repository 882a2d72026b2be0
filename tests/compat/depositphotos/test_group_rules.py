"""The enterprise group rules as Depositphotos clients meet them: members see their group's
licenses, invoices and transfers and never another group's; group-admins manage the
members' data; a prepaid group never goes below zero; postpaid transactions stay
uninvoiced until invoiced."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from stockhouse.commerce.models import ProductType, TransactionStatus
from stockhouse.runtime import Runtime
from tests.commerce.factories import PREPAID_FUNDS
from tests.compat.depositphotos.conftest import World, assert_failure, dp
from tests.compat.depositphotos.dp_support import (
    TRANSFER_RIGHTS,
    assert_ledger_ok,
    funded_group,
    group_balance,
    license_id,
    licensing,
    transaction_row,
)

PARTY = {"company": "Somebody Ltd"}
PRICE_S = 100  # the default standard image price of size s, in cents


def _license(
    client: TestClient, runtime: Runtime, world: World, token: str, *, ext: int = 0
) -> dict[str, Any]:
    extended = bool(ext)
    answer = dp(
        client,
        "licenseItem",
        dp_session_id=token,
        dp_licensing=licensing(
            world.photo,
            license_id(runtime, ProductType.IMAGE, extended=extended),
            "el0" if extended else "s",
            ext=ext,
        ),
    )
    assert answer["type"] == "success", answer
    result: dict[str, Any] = answer["result"][str(world.photo)]
    return result


def _transaction_id(result: dict[str, Any]) -> int:
    transaction_id: int = result["transaction"][0]["transactionId"]
    return transaction_id


# -- prepaid: never below zero ----------------------------------------------------------


def test_prepaid_group_licenses_exactly_what_its_balance_covers(
    dp_client: TestClient, runtime: Runtime, world: World
) -> None:
    licenses = 3
    group_id, token = funded_group(runtime, "tight", licenses * PRICE_S)
    for _ in range(licenses):
        assert _license(dp_client, runtime, world, token)["result"] == "success"
    refused = _license(dp_client, runtime, world, token)
    assert refused["result"] == "error"
    [error] = refused["errors"]
    assert error["exception"] == "EEnterprise\\EInsufficientFunds"
    assert error["error_code"] == 402
    assert group_balance(runtime, group_id) == 0
    listed = dp(dp_client, "getLicensedItems", dp_session_id=token)
    assert listed["count"] == licenses
    assert_ledger_ok(runtime)


def test_prepaid_batch_licenses_until_the_balance_runs_out(
    dp_client: TestClient, runtime: Runtime, world: World
) -> None:
    group_id, token = funded_group(runtime, "batch", 2 * PRICE_S)
    answer = dp(
        dp_client,
        "licenseItem",
        dp_session_id=token,
        dp_licensing=[
            licensing(world.photo, license_id(runtime, ProductType.IMAGE), "s") for _ in range(3)
        ],
    )
    result = answer["result"][str(world.photo)]
    assert result["result"] == "success"  # the item got licensed; the third wish did not
    assert len(result["transaction"]) == 2
    assert group_balance(runtime, group_id) == 0
    assert_ledger_ok(runtime)


# -- postpaid: uninvoiced until invoiced ------------------------------------------------


def test_postpaid_transactions_stay_uninvoiced_until_invoiced(
    dp_client: TestClient, runtime: Runtime, world: World, sessions: dict[str, str]
) -> None:
    first = _transaction_id(_license(dp_client, runtime, world, sessions["pia"]))
    second = _transaction_id(_license(dp_client, runtime, world, sessions["pia"]))
    uninvoiced = dp(
        dp_client, "getLicensedItems", dp_session_id=sessions["pat"], dp_type="uninvoiced"
    )
    assert {row["itemTransactionId"] for row in uninvoiced["downloads"]} == {first, second}
    dp(
        dp_client,
        "createEnterpriseInvoice",
        dp_session_id=sessions["pat"],
        dp_item_transaction_ids=[first],
    )
    assert transaction_row(runtime, first).status == TransactionStatus.INVOICED
    assert transaction_row(runtime, second).status == TransactionStatus.UNINVOICED
    invoiced = dp(dp_client, "getLicensedItems", dp_session_id=sessions["pia"], dp_type="invoiced")
    [row] = invoiced["downloads"]
    assert (row["itemTransactionId"], row["status"], row["marker"]) == (first, "Invoiced", 3)
    assert isinstance(row["invoice_id"], int)


def test_an_invoiced_transaction_cannot_be_invoiced_again(
    dp_client: TestClient, runtime: Runtime, world: World, sessions: dict[str, str]
) -> None:
    transaction_id = _transaction_id(_license(dp_client, runtime, world, sessions["pia"]))
    params: dict[str, Any] = {
        "dp_session_id": sessions["pat"],
        "dp_item_transaction_ids": [transaction_id],
    }
    assert dp(dp_client, "createEnterpriseInvoice", **params)["result"] is True
    again = dp(dp_client, "createEnterpriseInvoice", **params)
    assert_failure(again, "EAPI\\EValueNotAllowed", 403)


def test_only_the_group_admin_invoices(
    dp_client: TestClient, runtime: Runtime, world: World, sessions: dict[str, str]
) -> None:
    transaction_id = _transaction_id(_license(dp_client, runtime, world, sessions["pia"]))
    answer = dp(
        dp_client,
        "createEnterpriseInvoice",
        dp_session_id=sessions["pia"],
        dp_item_transaction_ids=[transaction_id],
    )
    assert_failure(answer, "EAPI\\EAccessDenied", 403)
    assert transaction_row(runtime, transaction_id).status == TransactionStatus.UNINVOICED


def test_a_prepaid_group_has_nothing_to_invoice(
    dp_client: TestClient, runtime: Runtime, world: World, sessions: dict[str, str]
) -> None:
    transaction_id = _transaction_id(_license(dp_client, runtime, world, sessions["mia"]))
    answer = dp(
        dp_client,
        "createEnterpriseInvoice",
        dp_session_id=sessions["mia"],
        dp_item_transaction_ids=[transaction_id],
    )
    assert_failure(answer, "EAPI\\EValueNotAllowed", 403)
    assert group_balance(runtime, world.market.prepaid) == PREPAID_FUNDS - PRICE_S


# -- members see their own group's data only --------------------------------------------


def test_members_see_their_groups_licenses_and_not_another_groups(
    dp_client: TestClient, runtime: Runtime, world: World, sessions: dict[str, str]
) -> None:
    mine = _transaction_id(_license(dp_client, runtime, world, sessions["mia"]))
    theirs = _transaction_id(_license(dp_client, runtime, world, sessions["pia"]))
    for name, expected in (("max", mine), ("pat", theirs)):
        answer = dp(dp_client, "getLicensedItems", dp_session_id=sessions[name])
        assert [row["itemTransactionId"] for row in answer["downloads"]] == [expected]
    outsider = dp(dp_client, "getLicensedItems", dp_session_id=sessions["oz"])
    assert outsider["count"] == 0


def test_naming_another_groups_user_or_group_shows_nothing_of_theirs(
    dp_client: TestClient, runtime: Runtime, world: World, sessions: dict[str, str]
) -> None:
    _license(dp_client, runtime, world, sessions["pia"])
    by_user = dp(
        dp_client,
        "getLicensedItems",
        dp_session_id=sessions["max"],
        dp_user_id=world.user_ids["pia"],
    )
    assert by_user["count"] == 0
    by_group = dp(
        dp_client,
        "getLicensedItems",
        dp_session_id=sessions["max"],
        dp_group_id=world.market.postpaid,
    )
    assert_failure(by_group, "EAPI\\EAccessDenied", 403)


def test_members_read_their_groups_invoices_and_not_another_groups(
    dp_client: TestClient, runtime: Runtime, world: World, sessions: dict[str, str]
) -> None:
    transaction_id = _transaction_id(_license(dp_client, runtime, world, sessions["pia"]))
    created = dp(
        dp_client,
        "createEnterpriseInvoice",
        dp_session_id=sessions["pat"],
        dp_item_transaction_ids=[transaction_id],
    )
    invoice_id = created["invoiceId"]
    member = dp(
        dp_client, "getEnterpriseInvoice", dp_session_id=sessions["pia"], dp_invoice_id=invoice_id
    )
    assert member["invoice"]["id"] == invoice_id
    for name in ("mia", "max", "oz"):
        other = dp(
            dp_client,
            "getEnterpriseInvoice",
            dp_session_id=sessions[name],
            dp_invoice_id=invoice_id,
        )
        assert_failure(other, "EApi\\ENotFound", 404)
        assert (
            dp(dp_client, "getEnterpriseInvoiceCount", dp_session_id=sessions[name])["count"] == 0
        )
        assert dp(dp_client, "getEnterpriseInvoiceList", dp_session_id=sessions[name])["data"] == []
    named = dp(
        dp_client,
        "getEnterpriseInvoiceCount",
        dp_session_id=sessions["mia"],
        dp_group_id=world.market.postpaid,
    )
    assert_failure(named, "EAPI\\EAccessDenied", 403)


def test_another_groups_transactions_cannot_be_invoiced(
    dp_client: TestClient, runtime: Runtime, world: World, sessions: dict[str, str]
) -> None:
    foreign = _transaction_id(_license(dp_client, runtime, world, sessions["max"]))
    answer = dp(
        dp_client,
        "createEnterpriseInvoice",
        dp_session_id=sessions["pat"],
        dp_item_transaction_ids=[foreign],
    )
    assert_failure(answer, "EAPI\\EAccessDenied", 403)
    assert transaction_row(runtime, foreign).status == TransactionStatus.PAID


def test_members_see_their_groups_transfers_and_not_another_groups(
    dp_client: TestClient, runtime: Runtime, world: World, sessions: dict[str, str]
) -> None:
    transaction_id = _transaction_id(
        _license(dp_client, runtime, world, sessions["max"], ext=TRANSFER_RIGHTS)
    )
    dp(
        dp_client,
        "transferEnterpriseLicense",
        dp_session_id=sessions["max"],
        dp_item_transaction_id=transaction_id,
        dp_from=PARTY,
        dp_to=PARTY,
    )
    admin = dp(dp_client, "getTransferredLicenses", dp_session_id=sessions["mia"])
    assert [row["itemTransactionId"] for row in admin["downloads"]] == [transaction_id]
    for name in ("pat", "pia", "oz"):
        other = dp(dp_client, "getTransferredLicenses", dp_session_id=sessions[name])
        assert other["count"] == 0


def test_another_groups_license_cannot_be_transferred(
    dp_client: TestClient, runtime: Runtime, world: World, sessions: dict[str, str]
) -> None:
    transaction_id = _transaction_id(
        _license(dp_client, runtime, world, sessions["max"], ext=TRANSFER_RIGHTS)
    )
    for name in ("oz", "pat"):
        answer = dp(
            dp_client,
            "transferEnterpriseLicense",
            dp_session_id=sessions[name],
            dp_item_transaction_id=transaction_id,
            dp_from=PARTY,
            dp_to=PARTY,
        )
        assert_failure(answer, "EAPI\\EAccessDenied", 403)
    info = dp(
        dp_client,
        "getTransactionLicenseInfo",
        dp_session_id=sessions["max"],
        dp_transaction_id=transaction_id,
    )
    assert info["license"]["transferId"] is None


# -- group-admins manage the members' data ----------------------------------------------


def test_group_admin_transfers_a_members_license(
    dp_client: TestClient, runtime: Runtime, world: World, sessions: dict[str, str]
) -> None:
    transaction_id = _transaction_id(
        _license(dp_client, runtime, world, sessions["max"], ext=TRANSFER_RIGHTS)
    )
    answer = dp(
        dp_client,
        "transferEnterpriseLicense",
        dp_session_id=sessions["mia"],
        dp_item_transaction_id=transaction_id,
        dp_from=PARTY,
        dp_to=PARTY,
    )
    assert answer["result"] is True


def test_a_member_cannot_transfer_another_members_license(
    dp_client: TestClient, runtime: Runtime, world: World, sessions: dict[str, str]
) -> None:
    transaction_id = _transaction_id(
        _license(dp_client, runtime, world, sessions["mia"], ext=TRANSFER_RIGHTS)
    )
    answer = dp(
        dp_client,
        "transferEnterpriseLicense",
        dp_session_id=sessions["max"],
        dp_item_transaction_id=transaction_id,
        dp_from=PARTY,
        dp_to=PARTY,
    )
    assert_failure(answer, "EAPI\\EAccessDenied", 403)


def test_group_admin_invoices_a_members_licenses(
    dp_client: TestClient, runtime: Runtime, world: World, sessions: dict[str, str]
) -> None:
    transaction_id = _transaction_id(_license(dp_client, runtime, world, sessions["pia"]))
    answer = dp(
        dp_client,
        "createEnterpriseInvoice",
        dp_session_id=sessions["pat"],
        dp_item_transaction_ids=[transaction_id],
    )
    assert answer["result"] is True
    assert transaction_row(runtime, transaction_id).invoice_id == answer["invoiceId"]


def test_group_admin_downloads_a_members_license_through_its_info(
    dp_client: TestClient, runtime: Runtime, world: World, sessions: dict[str, str]
) -> None:
    result = _license(dp_client, runtime, world, sessions["max"])
    info = dp(
        dp_client,
        "getTransactionLicenseInfo",
        dp_session_id=sessions["mia"],
        dp_transaction_id=_transaction_id(result),
    )
    assert info["item"]["id"] == world.photo
    assert dp_client.get(result["downloadLink"]).status_code == 200
