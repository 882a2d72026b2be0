"""The native licensing, balance, price and ledger endpoints, as a client sees them."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import update
from starlette.testclient import TestClient

from stockhouse.commerce.models import LedgerAccount, ProductType
from stockhouse.runtime import Runtime
from tests.catalog.factories import assert_error
from tests.commerce.licensing_support import PASSWORD, Market, fund_group, open_market

IMAGE = ProductType.IMAGE


@pytest.fixture
def market(runtime: Runtime) -> Market:
    return open_market(runtime)


def _headers(client: TestClient, username: str) -> dict[str, str]:
    response = client.post("/v1/sessions", json={"username": username, "password": PASSWORD})
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


@pytest.fixture
def mia(client: TestClient, market: Market) -> dict[str, str]:
    return _headers(client, "mia")  # the prepaid group's admin


def _buy(
    client: TestClient, headers: dict[str, str], market: Market, size: str = "xl", **extra: object
) -> httpx.Response:
    body = {"item_id": market.photo, "license_id": market.license(IMAGE), "size": size, **extra}
    response: httpx.Response = client.post("/v1/licenses", json=body, headers=headers)
    return response


def test_post_licenses_licenses_an_item(
    client: TestClient, runtime: Runtime, market: Market, mia: dict[str, str]
) -> None:
    fund_group(runtime, market.prepaid, 5000)
    response = _buy(client, mia, market, project="Spring")
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["price"], body["price_minor"], body["currency"]) == ("10.00", 1000, "USD")
    assert (body["status"], body["payment_method"], body["project"]) == (
        "paid",
        "balance",
        "Spring",
    )
    assert body["download_url"] == f"/v1/downloads/{body['transaction_id']}"
    assert "royalty_minor" not in body


def test_an_idempotent_retry_answers_the_first_license_with_200(
    client: TestClient, runtime: Runtime, market: Market, mia: dict[str, str]
) -> None:
    fund_group(runtime, market.prepaid, 5000)
    headers = {**mia, "Idempotency-Key": "order-42"}
    first = _buy(client, headers, market)
    again = _buy(client, headers, market)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["transaction_id"] == first.json()["transaction_id"]
    assert again.json()["replayed"] is True
    balance = client.get("/v1/balance", headers=mia).json()
    assert balance["group"]["balances"] == [
        {"currency": "USD", "amount": "40.00", "amount_minor": 4000}
    ]


def test_a_short_balance_answers_insufficient_funds(
    client: TestClient, market: Market, mia: dict[str, str]
) -> None:
    assert_error(_buy(client, mia, market), 402, "insufficient_funds")


def test_a_wrong_size_answers_invalid_parameter_size(
    client: TestClient, market: Market, mia: dict[str, str]
) -> None:
    assert_error(_buy(client, mia, market, size="4k"), 400, "invalid_parameter", "size")


def test_an_anonymous_caller_cannot_license(client: TestClient, market: Market) -> None:
    assert_error(_buy(client, {}, market), 401, "authentication_failed")


def test_list_and_get_licenses_of_my_group(
    client: TestClient, runtime: Runtime, market: Market, mia: dict[str, str]
) -> None:
    fund_group(runtime, market.prepaid, 5000)
    ids = [_buy(client, mia, market, size).json()["transaction_id"] for size in ("s", "m")]
    page = client.get("/v1/licenses?limit=1", headers=mia).json()
    assert (page["total"], [t["transaction_id"] for t in page["items"]]) == (2, [ids[1]])
    assert client.get("/v1/licenses?status=uninvoiced", headers=mia).json()["total"] == 0
    one = client.get(f"/v1/licenses/{ids[0]}", headers=mia)
    assert (one.status_code, one.json()["size"]) == (200, "s")
    oz = _headers(client, "oz")
    assert_error(client.get(f"/v1/licenses/{ids[0]}", headers=oz), 404, "not_found")
    assert client.get("/v1/licenses", headers=oz).json()["total"] == 0


def test_a_naive_date_filter_is_refused(
    client: TestClient, market: Market, mia: dict[str, str]
) -> None:
    response = client.get("/v1/licenses?since=2026-01-01T00:00:00", headers=mia)
    assert_error(response, 400, "invalid_parameter", "since")


def test_templates_list_the_licenses_with_prices(
    client: TestClient, market: Market, mia: dict[str, str]
) -> None:
    templates = client.get("/v1/licenses/templates", headers=mia).json()
    by_key = {(t["product_type"], t["extended"]): t for t in templates}
    image = by_key[("image", False)]
    assert [(s["size"], s["price"], s["credits"]) for s in image["sizes"]][:2] == [
        ("s", "1.00", 1),
        ("m", "3.00", 3),
    ]
    extended = by_key[("image", True)]
    assert {o["name"]: o["price_minor"] for o in extended["ext_options"]} == {
        "unlimited_print": 2000,
        "multi_seat": 3000,
        "extra_legal_warranty": 5000,
        "resale": 6000,
        "transfer_rights": 4000,
    }


def test_balance_of_a_buyer_without_a_group(client: TestClient, market: Market) -> None:
    body = client.get("/v1/balance", headers=_headers(client, "sol")).json()
    assert (body["cash"], body["credits"], body["group"]) == ([], 0, None)


def test_admin_refills_a_group_and_checks_the_ledger(
    client: TestClient, market: Market, mia: dict[str, str]
) -> None:
    root = _headers(client, "root")
    refill = client.post(
        "/v1/balance/refills", json={"group_id": market.prepaid, "amount": "25.50"}, headers=root
    )
    assert refill.status_code == 201, refill.text
    assert refill.json()["balance"]["amount_minor"] == 2550
    assert_error(
        client.post(
            "/v1/balance/refills", json={"group_id": market.prepaid, "amount": "1"}, headers=mia
        ),
        403,
        "permission_denied",
    )
    check = client.get("/v1/ledger/check", headers=root).json()
    assert (check["ok"], check["transactions"], check["problems"]) == (True, 1, [])


def test_ledger_check_reports_a_tampered_balance(
    client: TestClient, runtime: Runtime, market: Market
) -> None:
    fund_group(runtime, market.prepaid, 100)
    with runtime.db.session() as session:
        session.execute(update(LedgerAccount).values(balance_minor=LedgerAccount.balance_minor + 1))
    check = client.get("/v1/ledger/check", headers=_headers(client, "root")).json()
    assert not check["ok"]
    assert all(line.startswith("MISMATCH") for line in check["problems"])


def test_admin_sets_a_group_price_that_the_group_then_pays(
    client: TestClient, runtime: Runtime, market: Market, mia: dict[str, str]
) -> None:
    root = _headers(client, "root")
    body = {
        "license_id": market.license(IMAGE),
        "size": "xl",
        "amount": "7.25",
        "credits": 7,
        "group_id": market.prepaid,
    }
    price = client.put("/v1/prices", json=body, headers=root)
    assert (price.status_code, price.json()["amount_minor"]) == (200, 725), price.text
    fund_group(runtime, market.prepaid, 5000)
    assert _buy(client, mia, market).json()["price_minor"] == 725
    listed = client.get(f"/v1/prices?group_id={market.prepaid}", headers=root).json()
    assert [(p["size"], p["amount"]) for p in listed] == [("xl", "7.25")]
    deleted = client.delete(
        f"/v1/prices?license_id={market.license(IMAGE)}&size=xl&group_id={market.prepaid}",
        headers=root,
    )
    assert deleted.status_code == 204
    assert _buy(client, mia, market).json()["price_minor"] == 1000


def test_admin_creates_and_deactivates_a_template(client: TestClient, market: Market) -> None:
    root = _headers(client, "root")
    created = client.post(
        "/v1/license-templates",
        json={"name": "Web only", "product_type": "image", "size_codes": ["s", "m"]},
        headers=root,
    )
    assert created.status_code == 201, created.text
    template_id = created.json()["id"]
    patched = client.patch(
        f"/v1/license-templates/{template_id}", json={"active": False}, headers=root
    )
    assert patched.json()["active"] is False
    names = [t["name"] for t in client.get("/v1/license-templates", headers=root).json()]
    assert "Web only" in names
    defaults = client.post("/v1/license-templates/defaults", headers=root)
    assert defaults.status_code == 200


def test_royalty_rates_are_listed_and_set_by_admins(client: TestClient, market: Market) -> None:
    root = _headers(client, "root")
    rates = client.get("/v1/royalty-rates", headers=root).json()
    assert [r["level"] for r in rates] == ["beginner", "bronze", "silver", "gold", "platinum"]
    changed = client.put("/v1/royalty-rates/gold", json={"rate": "0.47"}, headers=root)
    assert changed.json() == {"level": "gold", "rate": "0.4700"}


def test_concurrent_requests_never_overdraw_the_group_balance(
    client: TestClient, runtime: Runtime, market: Market, mia: dict[str, str]
) -> None:
    fund_group(runtime, market.prepaid, 3000)  # three xl licenses at 10.00

    def attempt(_: int) -> int:
        return _buy(client, mia, market).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = sorted(pool.map(attempt, range(8)))
    assert statuses == [201] * 3 + [402] * 5
    balance = client.get("/v1/balance", headers=mia).json()
    assert balance["group"]["balances"] == [
        {"currency": "USD", "amount": "0.00", "amount_minor": 0}
    ]
