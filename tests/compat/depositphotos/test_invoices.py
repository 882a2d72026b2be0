"""Depositphotos createEnterpriseInvoice, getEnterpriseInvoice, getEnterpriseInvoiceCount
and getEnterpriseInvoiceList over HTTP."""

from __future__ import annotations

from starlette.testclient import TestClient

from stockhouse.commerce.models import ProductType, TransactionStatus
from stockhouse.runtime import Runtime
from tests.compat.depositphotos.conftest import World, assert_failure, dp
from tests.compat.depositphotos.dp_support import (
    assert_ledger_ok,
    dp_header,
    dp_json,
    group_receivable,
    license_id,
    licensing,
    transaction_row,
)


def _postpaid_license(
    client: TestClient, runtime: Runtime, world: World, token: str, option: str = "s"
) -> int:
    answer = dp(
        client,
        "licenseItem",
        dp_session_id=token,
        dp_licensing=licensing(world.photo, license_id(runtime, ProductType.IMAGE), option),
        dp_purchase_order="PO-9",
    )
    transaction_id: int = answer["result"][str(world.photo)]["transaction"][0]["transactionId"]
    return transaction_id


def test_create_invoice_invoices_uninvoiced_transactions(
    dp_client: TestClient, runtime: Runtime, world: World, sessions: dict[str, str]
) -> None:
    ids = [_postpaid_license(dp_client, runtime, world, sessions["pia"]) for _ in range(2)]
    answer = dp(
        dp_client,
        "createEnterpriseInvoice",
        dp_session_id=sessions["pat"],
        dp_item_transaction_ids=ids,
        dp_field_value="Cost centre 12",
    )
    assert answer["type"] == "success", answer
    assert answer["result"] is True
    assert isinstance(answer["invoiceId"], int)
    for transaction_id in ids:
        row = transaction_row(runtime, transaction_id)
        assert (row.status, row.invoice_id) == (TransactionStatus.INVOICED, answer["invoiceId"])
    # invoicing moves no money: the receivable still holds both licenses with VAT
    assert group_receivable(runtime, world.market.postpaid) == -2 * 119
    assert_ledger_ok(runtime)


def test_create_invoice_in_the_sdk_form(
    dp_client: TestClient, runtime: Runtime, world: World, sessions: dict[str, str]
) -> None:
    transaction_id = _postpaid_license(dp_client, runtime, world, sessions["pat"])
    body = f"dp_session_id={sessions['pat']}&dp_item_transaction_ids[0]={transaction_id}"
    answer = dp_header(dp_client, "createEnterpriseInvoice", body)
    assert answer["result"] is True


def test_create_invoice_takes_the_documents_brace_list(
    dp_client: TestClient, runtime: Runtime, world: World, sessions: dict[str, str]
) -> None:
    """The document's example value is `{12345677, 12345678, 123456789}`."""
    ids = [_postpaid_license(dp_client, runtime, world, sessions["pia"]) for _ in range(2)]
    answer = dp(
        dp_client,
        "createEnterpriseInvoice",
        dp_session_id=sessions["pat"],
        dp_item_transaction_ids="{" + ", ".join(str(i) for i in ids) + "}",
    )
    assert answer["result"] is True
    invoiced = {transaction_row(runtime, i).invoice_id for i in ids}
    assert invoiced == {answer["invoiceId"]}


def test_get_invoice_shows_lines_totals_and_parties(
    dp_client: TestClient, runtime: Runtime, world: World, sessions: dict[str, str]
) -> None:
    first = _postpaid_license(dp_client, runtime, world, sessions["pia"])
    second = _postpaid_license(dp_client, runtime, world, sessions["pia"], option="xl-2015")
    created = dp(
        dp_client,
        "createEnterpriseInvoice",
        dp_session_id=sessions["pat"],
        dp_item_transaction_ids=[first, second],
        dp_field_value="Cost centre 12",
    )
    answer = dp_json(
        dp_client,
        "getEnterpriseInvoice",
        dp_session_id=sessions["pia"],
        dp_invoice_id=created["invoiceId"],
    )
    assert answer["type"] == "success", answer
    invoice = answer["invoice"]
    assert invoice["id"] == created["invoiceId"]
    assert invoice["number"].startswith("ESI-")
    assert invoice["type"] == "file_invoice"
    assert invoice["state"] == "unpaid"
    assert (invoice["subTotal"], invoice["vat"], invoice["total"]) == (11.0, 2.09, 13.09)
    assert invoice["vatRate"] == 19.0
    assert invoice["paid"] is None
    assert invoice["to"]["company"] == "Postpaid Co"
    assert invoice["to"]["fieldValue"] == "Cost centre 12"
    assert invoice["to"]["vatNumber"] == "DE123456789"
    assert invoice["from"]["company"]
    assert isinstance(invoice["date"], int)
    lines = {line["transactionId"]: line for line in invoice["items"]}
    assert set(lines) == {first, second}
    small = lines[first]
    assert small["itemId"] == world.photo
    assert small["size"] == "s-2015"
    assert (small["price"], small["vatPrice"], small["vatRate"]) == (1.0, 1.19, 19.0)
    assert small["licenseInfo"] == [{"key": "Purchase Order", "value": "PO-9"}]
    assert small["itemOriginalSize"] == {"height": 400, "width": 600}
    assert small["type"] == "image"
    assert lines[second]["size"] == "xl-2015"


def test_invoice_count_and_list_of_the_group(
    dp_client: TestClient, runtime: Runtime, world: World, sessions: dict[str, str]
) -> None:
    for _ in range(2):
        transaction_id = _postpaid_license(dp_client, runtime, world, sessions["pia"])
        dp(
            dp_client,
            "createEnterpriseInvoice",
            dp_session_id=sessions["pat"],
            dp_item_transaction_ids=[transaction_id],
        )
    token = sessions["pia"]
    assert dp(dp_client, "getEnterpriseInvoiceCount", dp_session_id=token)["count"] == 2
    unpaid = dp(dp_client, "getEnterpriseInvoiceCount", dp_session_id=token, dp_state="unpaid")
    assert unpaid["count"] == 2
    paid = dp(dp_client, "getEnterpriseInvoiceCount", dp_session_id=token, dp_state="paid")
    assert paid["count"] == 0
    listed = dp(dp_client, "getEnterpriseInvoiceList", dp_session_id=token, dp_limit=1)
    assert listed["count"] == 2
    [entry] = listed["data"]
    assert entry["type"] == "file_invoice"
    assert entry["title"] == "File Invoice"
    assert (entry["price"], entry["amount"]) == (1.0, 1.19)
    assert entry["paymentDate"] is None
    assert entry["currencyId"] == 0
    assert entry["number"].startswith("ESI-")
    rest = dp(dp_client, "getEnterpriseInvoiceList", dp_session_id=token, dp_offset=1)
    assert [e["id"] for e in rest["data"]] != [entry["id"]]
    assert len(rest["data"]) == 1


def test_invoice_commands_refuse_bad_parameters(
    dp_client: TestClient, world: World, sessions: dict[str, str]
) -> None:
    token = sessions["pat"]
    for command, params in (
        ("createEnterpriseInvoice", {}),
        ("createEnterpriseInvoice", {"dp_item_transaction_ids": ["x"]}),
        ("getEnterpriseInvoice", {}),
        ("getEnterpriseInvoice", {"dp_invoice_id": "1 OR 1=1"}),
        ("getEnterpriseInvoiceCount", {"dp_state": "overdue"}),
        ("getEnterpriseInvoiceList", {"dp_state": "overdue"}),
        ("getEnterpriseInvoiceList", {"dp_limit": -5}),
    ):
        answer = dp(dp_client, command, dp_session_id=token, **params)
        assert_failure(answer, "EInternal\\InvalidParam", 400)


def test_unknown_invoice_is_not_found(
    dp_client: TestClient, world: World, sessions: dict[str, str]
) -> None:
    answer = dp(dp_client, "getEnterpriseInvoice", dp_session_id=sessions["pat"], dp_invoice_id=77)
    assert_failure(answer, "EApi\\ENotFound", 404)
