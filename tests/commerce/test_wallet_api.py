"""The native wallet API: wallet, promo codes, admin grants, exchange rates and local prices."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from stockhouse.runtime import Runtime
from tests.catalog.factories import assert_error, bearer
from tests.commerce.shop_support import Shop, open_shop

Headers = dict[str, str]


@pytest.fixture
def shop(runtime: Runtime) -> Shop:
    return open_shop(runtime, with_prices=False)


@pytest.fixture
def buyer(client: TestClient, shop: Shop) -> Headers:
    return bearer(client, shop.buyer.username)


@pytest.fixture
def admin(client: TestClient, shop: Shop) -> Headers:
    return bearer(client, shop.admin.username)


def test_an_empty_wallet(client: TestClient, buyer: Headers) -> None:
    assert client.get("/v1/wallet", headers=buyer).json() == {
        "cash": [],
        "credits": 0,
        "subscription": None,
    }


def test_promo_codes_add_cash_once(client: TestClient, buyer: Headers, admin: Headers) -> None:
    created = client.post(
        "/v1/promo-codes",
        json={"code": "welcome-5", "amount": "5.00", "currency": "EUR", "max_redemptions": 10},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    assert (created.json()["code"], created.json()["value"]["amount_minor"]) == ("WELCOME-5", 500)
    redeemed = client.post("/v1/promo/redeem", json={"code": "Welcome-5"}, headers=buyer)
    assert redeemed.json() == {
        "code": "WELCOME-5",
        "sum": {"currency": "EUR", "amount": "5.00", "amount_minor": 500},
    }
    assert_error(
        client.post("/v1/promo/redeem", json={"code": "welcome-5"}, headers=buyer),
        400,
        "invalid_parameter",
        "code",
    )
    wallet = client.get("/v1/wallet", headers=buyer).json()
    assert wallet["cash"] == [{"currency": "EUR", "amount": "5.00", "amount_minor": 500}]
    assert client.get("/v1/promo-codes", headers=admin).json()[0]["redeemed"] == 1


def test_admin_endpoints_need_the_admin_role(
    client: TestClient, shop: Shop, buyer: Headers
) -> None:
    for path, body in (
        ("/v1/credits/grant", {"user_id": shop.buyer.id, "credits": 5}),
        ("/v1/promo-codes", {"code": "FREE-MONEY", "amount": "100"}),
        (
            "/v1/subscriptions",
            {"user_id": shop.buyer.id, "plan": "p", "downloads_allowed": 1, "period_days": 1},
        ),
    ):
        assert_error(client.post(path, json=body, headers=buyer), 403, "permission_denied")
    assert_error(
        client.put("/v1/exchange-rates/EUR", json={"ratio": "0.9"}, headers=buyer),
        403,
        "permission_denied",
    )


def test_exchange_rates_and_local_prices(
    client: TestClient, buyer: Headers, admin: Headers
) -> None:
    assert client.get("/v1/exchange-rates", headers=buyer).json() == []
    put = client.put(
        "/v1/exchange-rates/SEK",
        json={"ratio": "1.23456", "rounding_style": 3, "price_modifier": "-0.01"},
        headers=admin,
    )
    assert put.status_code == 200, put.text
    assert client.get("/v1/exchange-rates", headers=buyer).json() == [
        {
            "currency": "SEK",
            "exchange_ratio": "1.23456",
            "rounding_style": 3,
            "price_modifier": "-0.01",
            "decimal_points": 2,
        }
    ]
    price = client.get("/v1/exchange-rates/SEK/price?usd=10.00", headers=buyer).json()
    assert price == {"usd": "10.00", "currency": "SEK", "amount": "14.99", "display": "14.99"}
    assert_error(
        client.put(
            "/v1/exchange-rates/SEK", json={"ratio": "0.9", "rounding_style": 9}, headers=admin
        ),
        422,
        "invalid_request",
    )
    assert_error(client.get("/v1/exchange-rates/XYZ/price?usd=1", headers=buyer), 404, "not_found")
    assert client.delete("/v1/exchange-rates/SEK", headers=admin).status_code == 204
