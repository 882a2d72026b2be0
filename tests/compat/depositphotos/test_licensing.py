"""Depositphotos licensing commands over HTTP, as real clients send them: getLicenseOfGroup,
licenseItem, getLicensedItems, getTransactionLicenseInfo, complimentaryDownload and
getGroupCompDownloads."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from stockhouse.commerce.models import ProductType, TransactionStatus
from stockhouse.runtime import Runtime
from tests.commerce.factories import PREPAID_FUNDS, allow_complimentary
from tests.compat.depositphotos.conftest import World, assert_failure, dp
from tests.compat.depositphotos.dp_support import (
    assert_ledger_ok,
    dp_header,
    dp_json,
    group_balance,
    group_receivable,
    license_id,
    licensing,
    transaction_row,
)

JPEG_MAGIC = b"\xff\xd8\xff"


def _standard(runtime: Runtime) -> int:
    return license_id(runtime, ProductType.IMAGE)


def _license_photo(
    client: TestClient, runtime: Runtime, world: World, token: str, **fields: Any
) -> dict[str, Any]:
    answer = dp(
        client,
        "licenseItem",
        dp_session_id=token,
        dp_licensing=licensing(world.photo, _standard(runtime), "s-2015"),
        **fields,
    )
    assert answer["type"] == "success", answer
    result: dict[str, Any] = answer["result"][str(world.photo)]
    return result


# -- getLicenseOfGroup ------------------------------------------------------------------


def test_license_of_group_lists_templates_with_sizes_and_prices(
    dp_client: TestClient, world: World, sessions: dict[str, str]
) -> None:
    answer = dp(dp_client, "getLicenseOfGroup", dp_session_id=sessions["max"])
    assert answer["type"] == "success"
    assert answer["count"] == len(answer["data"]) == 6
    image = next(
        lic
        for lic in answer["data"]
        if lic["productType"] == "image" and lic["licenseName"] == "Standard"
    )
    assert image["licenseId"] == image["licenseID"]
    assert image["templateId"] == 1
    sizes = {size["id"]: size for size in image["sizes"]}
    assert list(sizes) == ["s-2015", "m-2015", "l-2015", "xl-2015", "vect"]
    assert sizes["s-2015"] == {
        "id": "s-2015",
        "label": "Small",
        "price": 1.0,
        "enabled": True,
        "order": 1,
        "netId": 1,
    }
    assert sizes["xl-2015"]["price"] == 10.0
    assert image["enabledSizesCount"] == 5


def test_license_of_group_shows_extended_option_surcharges(
    dp_client: TestClient, world: World, sessions: dict[str, str]
) -> None:
    answer = dp(dp_client, "getLicenseOfGroup", dp_session_id=sessions["mia"])
    extended = next(
        lic for lic in answer["data"] if lic["productType"] == "image" and lic["templateId"] == 2
    )
    assert [size["id"] for size in extended["sizes"]] == ["el0"]
    assert {o["option"]: o["price"] for o in extended["extOptions"]} == {
        1: 20.0,
        2: 30.0,
        4: 50.0,
        8: 60.0,
        16: 40.0,
    }


def test_license_of_group_needs_a_session(dp_client: TestClient, world: World) -> None:
    answer = dp(dp_client, "getLicenseOfGroup")
    assert_failure(answer, "EAPI\\EIllegalSession", 403)


# -- licenseItem ------------------------------------------------------------------------


def test_license_item_answers_per_item_success_with_transaction_and_link(
    dp_client: TestClient, runtime: Runtime, world: World, sessions: dict[str, str]
) -> None:
    answer = dp(
        dp_client,
        "licenseItem",
        dp_session_id=sessions["max"],
        dp_licensing=licensing(world.photo, _standard(runtime), "s-2015"),
    )
    assert answer["type"] == "success"
    assert answer["status"] == "success"
    result = answer["result"][str(world.photo)]
    assert result["result"] == "success"
    assert result["fileId"] == world.photo
    [transaction] = result["transaction"]
    assert transaction["license"] == _standard(runtime)
    assert transaction["sizes"] == 1
    assert result["transactions"] == {str(world.photo): [transaction]}
    assert result["downloadLink"].startswith("http://testserver/download/")
    row = transaction_row(runtime, transaction["transactionId"])
    assert (row.item_id, row.size_code, row.status) == (world.photo, "s", TransactionStatus.PAID)


def test_license_item_download_link_serves_the_licensed_jpeg(
    dp_client: TestClient, runtime: Runtime, world: World, sessions: dict[str, str]
) -> None:
    result = _license_photo(dp_client, runtime, world, sessions["max"])
    response = dp_client.get(result["downloadLink"])
    assert response.status_code == 200
    assert response.content.startswith(JPEG_MAGIC)
    assert response.headers["content-type"] == "image/jpeg"


def test_license_item_charges_the_prepaid_group_exactly_and_keeps_the_ledger(
    dp_client: TestClient, runtime: Runtime, world: World, sessions: dict[str, str]
) -> None:
    _license_photo(dp_client, runtime, world, sessions["max"])
    _license_photo(dp_client, runtime, world, sessions["mia"])
    assert group_balance(runtime, world.market.prepaid) == PREPAID_FUNDS - 2 * 100
    assert_ledger_ok(runtime)


def test_license_item_in_a_postpaid_group_records_an_uninvoiced_transaction(
    dp_client: TestClient, runtime: Runtime, world: World, sessions: dict[str, str]
) -> None:
    result = _license_photo(dp_client, runtime, world, sessions["pia"])
    row = transaction_row(runtime, result["transaction"][0]["transactionId"])
    assert row.status == TransactionStatus.UNINVOICED
    assert row.invoice_id is None
    assert (row.price_minor, row.vat_minor) == (100, 19)
    assert group_receivable(runtime, world.market.postpaid) == -119
    assert_ledger_ok(runtime)


def test_license_item_records_project_client_order_isbn_and_other(
    dp_client: TestClient, runtime: Runtime, world: World, sessions: dict[str, str]
) -> None:
    result = _license_photo(
        dp_client,
        runtime,
        world,
        sessions["max"],
        dp_project="Spring",
        dp_client="Acme",
        dp_purchase_order="PO-7",
        dp_isbn="978-3-16-148410-0",
        dp_other="ünïcode ✓",
    )
    row = transaction_row(runtime, result["transaction"][0]["transactionId"])
    assert (row.project, row.client, row.purchase_order, row.isbn, row.other) == (
        "Spring",
        "Acme",
        "PO-7",
        "978-3-16-148410-0",
        "ünïcode ✓",
    )


def test_license_item_accepts_the_sdk_list_form_with_item_id_lists(
    dp_client: TestClient, runtime: Runtime, world: World, sessions: dict[str, str]
) -> None:
    standard = _standard(runtime)
    body = (
        f"dp_session_id={sessions['max']}"
        f"&dp_licensing[0][dp_item_id][0]={world.photo}"
        f"&dp_licensing[0][dp_item_id][1]={world.vector}"
        f"&dp_licensing[0][dp_option]=s&dp_licensing[0][dp_license_id]={standard}"
    )
    answer = dp_header(dp_client, "licenseItem", body)
    assert answer["type"] == "success", answer
    assert set(answer["result"]) == {str(world.photo), str(world.vector)}
    assert answer["result"][str(world.photo)]["result"] == "success"


def test_license_item_accepts_a_json_body_with_the_key_in_the_url(
    dp_client: TestClient, runtime: Runtime, world: World, sessions: dict[str, str]
) -> None:
    answer = dp_json(
        dp_client,
        "licenseItem",
        dp_session_id=sessions["max"],
        dp_licensing={"dp_item_id": world.photo, "dp_license_id": _standard(runtime)},
    )
    assert_failure(answer, "EInternal\\InvalidParam", 400)  # dp_option missing
    answer = dp_json(
        dp_client,
        "licenseItem",
        dp_session_id=sessions["max"],
        dp_licensing={
            "dp_item_id": world.photo,
            "dp_license_id": _standard(runtime),
            "dp_option": "xl-2015",
        },
    )
    assert answer["result"][str(world.photo)]["result"] == "success"
    assert group_balance(runtime, world.market.prepaid) == PREPAID_FUNDS - 1000


def test_license_item_reports_an_unknown_item_as_a_per_item_error(
    dp_client: TestClient, runtime: Runtime, world: World, sessions: dict[str, str]
) -> None:
    answer = dp(
        dp_client,
        "licenseItem",
        dp_session_id=sessions["max"],
        dp_licensing=licensing([world.photo, 987654], _standard(runtime), "s-2015"),
    )
    assert answer["type"] == "success"
    assert answer["result"][str(world.photo)]["result"] == "success"
    missing = answer["result"]["987654"]
    assert missing["result"] == "error"
    [error] = missing["errors"]
    assert error["error_code"] == 404
    assert "987654" in error["error_message"]
    assert group_balance(runtime, world.market.prepaid) == PREPAID_FUNDS - 100


def test_license_item_reports_a_size_outside_the_license_per_item(
    dp_client: TestClient, runtime: Runtime, world: World, sessions: dict[str, str]
) -> None:
    answer = dp(
        dp_client,
        "licenseItem",
        dp_session_id=sessions["max"],
        dp_licensing=licensing(world.photo, _standard(runtime), "el0"),
    )
    [error] = answer["result"][str(world.photo)]["errors"]
    assert error["exception"] == "EInternal\\InvalidParam"
    assert group_balance(runtime, world.market.prepaid) == PREPAID_FUNDS


def test_license_item_with_an_extended_option_the_license_refuses_fails_per_item(
    dp_client: TestClient, runtime: Runtime, world: World, sessions: dict[str, str]
) -> None:
    answer = dp(
        dp_client,
        "licenseItem",
        dp_session_id=sessions["max"],
        dp_licensing=licensing(world.photo, _standard(runtime), "s", ext=16),
    )
    assert answer["result"][str(world.photo)]["result"] == "error"


def test_license_item_with_extended_options_charges_the_surcharges(
    dp_client: TestClient, runtime: Runtime, world: World, sessions: dict[str, str]
) -> None:
    extended = license_id(runtime, ProductType.IMAGE, extended=True)
    answer = dp(
        dp_client,
        "licenseItem",
        dp_session_id=sessions["mia"],
        dp_licensing=licensing(world.photo, extended, "el0", ext=1 | 16),
    )
    result = answer["result"][str(world.photo)]
    row = transaction_row(runtime, result["transaction"][0]["transactionId"])
    assert (row.ext_options, row.price_minor) == (17, 8000 + 2000 + 4000)
    assert group_balance(runtime, world.market.prepaid) == PREPAID_FUNDS - 14000


def test_license_item_retry_with_an_idempotency_key_charges_once(
    dp_client: TestClient, runtime: Runtime, world: World, sessions: dict[str, str]
) -> None:
    first = _license_photo(
        dp_client, runtime, world, sessions["max"], dp_idempotency_key="order-42"
    )
    again = _license_photo(
        dp_client, runtime, world, sessions["max"], dp_idempotency_key="order-42"
    )
    assert again["transaction"] == first["transaction"]
    assert group_balance(runtime, world.market.prepaid) == PREPAID_FUNDS - 100


def test_license_item_refuses_missing_or_malformed_licensing(
    dp_client: TestClient, runtime: Runtime, world: World, sessions: dict[str, str]
) -> None:
    token = sessions["max"]
    standard = _standard(runtime)
    bad: list[dict[str, Any]] = [
        {},
        {"dp_licensing": "12345"},
        {"dp_licensing": {"dp_license_id": standard, "dp_option": "s"}},
        {"dp_licensing": licensing(world.photo, 0, "s")},
        {"dp_licensing": licensing("abc", standard, "s")},
        {"dp_licensing": licensing(world.photo, standard, "s", ext=99)},
        {"dp_licensing": licensing(world.photo, standard, "s"), "dp_project": "x" * 201},
        {"dp_licensing": licensing(world.photo, standard, "s"), "dp_idempotency_key": "a b"},
    ]
    for params in bad:
        answer = dp(dp_client, "licenseItem", dp_session_id=token, **params)
        assert_failure(answer, "EInternal\\InvalidParam", 400)
    assert group_balance(runtime, world.market.prepaid) == PREPAID_FUNDS


def test_license_item_survives_hostile_option_text(
    dp_client: TestClient, runtime: Runtime, world: World, sessions: dict[str, str]
) -> None:
    for option in ("'; DROP TABLE license;--", "../../etc/passwd", "<!ENTITY x>", "é" * 300):
        answer = dp(
            dp_client,
            "licenseItem",
            dp_session_id=sessions["max"],
            dp_licensing=licensing(world.photo, _standard(runtime), option),
        )
        assert answer["type"] == "success"
        assert answer["result"][str(world.photo)]["result"] == "error"
    assert group_balance(runtime, world.market.prepaid) == PREPAID_FUNDS


# -- getLicensedItems -------------------------------------------------------------------


def test_licensed_items_lists_the_group_with_seed_fields(
    dp_client: TestClient, runtime: Runtime, world: World, sessions: dict[str, str]
) -> None:
    result = _license_photo(dp_client, runtime, world, sessions["max"], dp_purchase_order="PO-1")
    answer = dp(dp_client, "getLicensedItems", dp_session_id=sessions["mia"])
    assert answer["count"] == 1
    [row] = answer["downloads"]
    assert row["itemTransactionId"] == result["transaction"][0]["transactionId"]
    assert row["itemId"] == world.photo
    assert row["itemType"] == "image"
    assert row["userId"] == world.user_ids["max"]
    assert row["actor"] == {"id": world.user_ids["max"], "username": "max"}
    assert row["seller"] == {"id": world.market.contributor, "username": "carla"}
    assert row["status"] == "Paid"
    assert row["marker"] == 1
    assert row["purchaseOrder"] == "PO-1"
    assert row["groupId"] == world.market.prepaid
    assert row["currencyId"] == 0
    assert row["licenseTransferId"] is None
    assert row["invoice_id"] is None
    assert (row["width"], row["height"], row["visible"]) == (600, 400, True)
    assert isinstance(row["datetime"], int)
    assert dp_client.get(row["preview"]).content.startswith(JPEG_MAGIC)


def test_licensed_items_filter_by_type_user_and_page(
    dp_client: TestClient, runtime: Runtime, world: World, sessions: dict[str, str]
) -> None:
    for name in ("max", "mia", "max"):
        _license_photo(dp_client, runtime, world, sessions[name])
    token = sessions["mia"]
    by_max = dp(
        dp_client, "getLicensedItems", dp_session_id=token, dp_user_id=world.user_ids["max"]
    )
    assert by_max["count"] == 2
    assert {row["userId"] for row in by_max["downloads"]} == {world.user_ids["max"]}
    page = dp(dp_client, "getLicensedItems", dp_session_id=token, dp_limit=1, dp_offset=2)
    assert page["count"] == 3
    assert len(page["downloads"]) == 1
    uninvoiced = dp(dp_client, "getLicensedItems", dp_session_id=token, dp_type="uninvoiced")
    assert uninvoiced["count"] == 0
    paid = dp(dp_client, "getLicensedItems", dp_session_id=token, dp_type="paid")
    assert paid["count"] == 3


def test_licensed_items_filter_by_date_range(
    dp_client: TestClient, runtime: Runtime, world: World, sessions: dict[str, str]
) -> None:
    _license_photo(dp_client, runtime, world, sessions["max"])
    token = sessions["max"]
    inside = dp(
        dp_client,
        "getLicensedItems",
        dp_session_id=token,
        dp_date_start="2000-01-01 00:00:00",
        dp_date_end="2999-12-31",
    )
    assert inside["count"] == 1
    before = dp(dp_client, "getLicensedItems", dp_session_id=token, dp_date_end="2001-01-01")
    assert before["count"] == 0
    unix_start = dp(dp_client, "getLicensedItems", dp_session_id=token, dp_date_start="946684800")
    assert unix_start["count"] == 1


def test_licensed_items_refuse_bad_parameters(
    dp_client: TestClient, world: World, sessions: dict[str, str]
) -> None:
    for params in (
        {"dp_type": "free"},
        {"dp_date_start": "yesterday"},
        {"dp_date_start": "2024-02-01", "dp_date_end": "2024-01-01"},
        {"dp_limit": 0},
        {"dp_limit": 10**12},
        {"dp_offset": -1},
        {"dp_user_id": "x"},
    ):
        answer = dp(dp_client, "getLicensedItems", dp_session_id=sessions["max"], **params)
        assert_failure(answer, "EInternal\\InvalidParam", 400)


def test_licensed_items_of_a_buyer_without_group_are_their_own(
    dp_client: TestClient, runtime: Runtime, world: World, sessions: dict[str, str]
) -> None:
    _license_photo(dp_client, runtime, world, sessions["sol"])
    _license_photo(dp_client, runtime, world, sessions["max"])
    answer = dp(dp_client, "getLicensedItems", dp_session_id=sessions["sol"])
    assert [row["userId"] for row in answer["downloads"]] == [world.user_ids["sol"]]


# -- getTransactionLicenseInfo ----------------------------------------------------------


def test_transaction_license_info_shows_license_transaction_item_and_parties(
    dp_client: TestClient, runtime: Runtime, world: World, sessions: dict[str, str]
) -> None:
    result = _license_photo(dp_client, runtime, world, sessions["pia"], dp_project="Launch")
    transaction_id = result["transaction"][0]["transactionId"]
    answer = dp(
        dp_client,
        "getTransactionLicenseInfo",
        dp_session_id=sessions["pat"],
        dp_transaction_id=transaction_id,
    )
    assert answer["type"] == "success", answer
    assert answer["license"]["id"] == _standard(runtime)
    assert answer["license"]["name"] == "Standard"
    assert answer["license"]["transferId"] is None
    assert [(f["placeholder"], f["value"]) for f in answer["license"]["fields"]] == [
        ("Project", "Launch")
    ]
    assert answer["transaction"]["id"] == transaction_id
    assert answer["transaction"]["price"] == 1.0
    assert answer["transaction"]["size"] == "s-2015"
    assert answer["item"]["id"] == world.photo
    assert answer["item"]["type"] == "image"
    assert answer["item"]["isEditorial"] is False
    assert answer["to"]["company"] == "Postpaid Co"
    assert answer["to"]["city"] == "Hamburg"
    assert answer["from"]["company"]
    assert answer["transferredTo"] is None


def test_transaction_license_info_of_another_group_is_an_error(
    dp_client: TestClient, runtime: Runtime, world: World, sessions: dict[str, str]
) -> None:
    result = _license_photo(dp_client, runtime, world, sessions["max"])
    transaction_id = result["transaction"][0]["transactionId"]
    for name in ("pat", "oz", "sol"):
        answer = dp(
            dp_client,
            "getTransactionLicenseInfo",
            dp_session_id=sessions[name],
            dp_transaction_id=transaction_id,
        )
        assert_failure(answer, "EApi\\ENotFound", 404)


def test_transaction_license_info_needs_a_transaction_id(
    dp_client: TestClient, world: World, sessions: dict[str, str]
) -> None:
    for params in ({}, {"dp_transaction_id": "abc"}, {"dp_transaction_id": 0}):
        answer = dp(dp_client, "getTransactionLicenseInfo", dp_session_id=sessions["max"], **params)
        assert_failure(answer, "EInternal\\InvalidParam", 400)


# -- complimentary downloads ------------------------------------------------------------


def test_complimentary_download_links_to_the_free_file(
    dp_client: TestClient, runtime: Runtime, world: World, sessions: dict[str, str]
) -> None:
    allow_complimentary(runtime, world.market.prepaid, 2)
    answer = dp(
        dp_client,
        "complimentaryDownload",
        dp_session_id=sessions["max"],
        dp_item_id=world.photo,
        dp_option="s-2015",
    )
    assert answer["type"] == "success", answer
    assert answer["apiKey"] == world.key
    response = dp_client.get(answer["downloadLink"])
    assert response.content.startswith(JPEG_MAGIC)
    assert group_balance(runtime, world.market.prepaid) == PREPAID_FUNDS


def test_complimentary_download_stops_at_the_monthly_allowance(
    dp_client: TestClient, runtime: Runtime, world: World, sessions: dict[str, str]
) -> None:
    allow_complimentary(runtime, world.market.prepaid, 1)
    params: dict[str, Any] = {"dp_item_id": world.photo, "dp_option": "s"}
    first = dp(dp_client, "complimentaryDownload", dp_session_id=sessions["max"], **params)
    assert first["type"] == "success"
    second = dp(dp_client, "complimentaryDownload", dp_session_id=sessions["mia"], **params)
    assert_failure(second, "EAPI\\EAccessDenied", 403)


def test_complimentary_download_refuses_bad_input(
    dp_client: TestClient, runtime: Runtime, world: World, sessions: dict[str, str]
) -> None:
    allow_complimentary(runtime, world.market.prepaid, 5)
    token = sessions["max"]
    missing = dp(dp_client, "complimentaryDownload", dp_session_id=token, dp_option="s")
    assert_failure(missing, "EInternal\\InvalidParam", 400)
    unknown = dp(
        dp_client, "complimentaryDownload", dp_session_id=token, dp_item_id=999999, dp_option="s"
    )
    assert_failure(unknown, "EApi\\ENotFound", 404)
    no_size = dp(
        dp_client,
        "complimentaryDownload",
        dp_session_id=token,
        dp_item_id=world.photo,
        dp_option="m",
    )
    assert_failure(no_size, "EInternal\\InvalidParam", 400)
    no_group = dp(
        dp_client,
        "complimentaryDownload",
        dp_session_id=sessions["sol"],
        dp_item_id=world.photo,
        dp_option="s",
    )
    assert_failure(no_group, "EAPI\\EAccessDenied", 403)


def test_group_comp_downloads_lists_the_group_with_links(
    dp_client: TestClient, runtime: Runtime, world: World, sessions: dict[str, str]
) -> None:
    allow_complimentary(runtime, world.market.prepaid, 5)
    allow_complimentary(runtime, world.market.other_group, 5)
    for name in ("max", "oz"):
        dp(
            dp_client,
            "complimentaryDownload",
            dp_session_id=sessions[name],
            dp_item_id=world.photo,
            dp_option="s",
        )
    answer = dp(
        dp_client, "getGroupCompDownloads", dp_session_id=sessions["mia"], dp_type=["image"]
    )
    assert answer["count"] == 1
    [row] = answer["downloads"]
    assert (row["itemId"], row["userId"], row["groupId"]) == (
        world.photo,
        world.user_ids["max"],
        world.market.prepaid,
    )
    assert row["actor"]["username"] == "max"
    assert row["seller"] == row["seler"] == {"id": world.market.contributor, "username": "carla"}
    assert dp_client.get(row["download"]).content.startswith(JPEG_MAGIC)
    videos = dp(dp_client, "getGroupCompDownloads", dp_session_id=sessions["mia"], dp_type="video")
    assert videos["count"] == 0
    bad = dp(dp_client, "getGroupCompDownloads", dp_session_id=sessions["mia"], dp_type="gif")
    assert_failure(bad, "EInternal\\InvalidParam", 400)
