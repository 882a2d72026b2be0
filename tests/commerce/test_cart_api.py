"""The native cart API: lines and totals as JSON, purchase by each method, the 409 with lists."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from stockhouse.runtime import Runtime
from tests.catalog.factories import assert_error, bearer
from tests.commerce.shop_support import Shop, open_shop, photo_id, video_id

Headers = dict[str, str]


@pytest.fixture
def shop(runtime: Runtime) -> Shop:
    return open_shop(runtime)


@pytest.fixture
def buyer(client: TestClient, shop: Shop) -> Headers:
    return bearer(client, shop.buyer.username)


@pytest.fixture
def admin(client: TestClient, shop: Shop) -> Headers:
    return bearer(client, shop.admin.username)


def test_adding_and_viewing_the_cart(
    client: TestClient, runtime: Runtime, shop: Shop, buyer: Headers
) -> None:
    photo = photo_id(runtime, shop.seller)
    clip = video_id(runtime, shop.seller, formats_named=("PAL", "NTSC"))
    response = client.post("/v1/cart/items", json={"items": [photo, f"{clip}:1"]}, headers=buyer)
    assert response.status_code == 200, response.text
    assert response.json() == {"added": 2, "removed": 0, "bought_before": [], "own_clips": []}
    cart = client.get("/v1/cart", headers=buyer).json()
    assert [(line["ref"], line["size"], line["price"]["amount"]) for line in cart["lines"]] == [
        (str(photo), "xl", "10.00"),
        (f"{clip}:1", "1080", "40.00"),
    ]
    totals = cart["totals"]
    assert totals["before_discounts"] == {
        "currency": "USD",
        "amount": "50.00",
        "amount_minor": 5000,
    }
    assert totals["after_discounts"]["amount_minor"] == 5000
    assert totals["vat"] == {"percentage": None, "display": False, "amount": None}
    assert (totals["final"]["amount"], totals["credits_total"]) == ("50.00", 50)


def test_removing_and_clearing(
    client: TestClient, runtime: Runtime, shop: Shop, buyer: Headers
) -> None:
    first, second = photo_id(runtime, shop.seller), photo_id(runtime, shop.seller)
    client.post("/v1/cart/items", json={"items": [first, second]}, headers=buyer)
    removed = client.delete(f"/v1/cart/items/{first}", headers=buyer)
    assert removed.json()["removed"] == 1
    assert [line["item_id"] for line in client.get("/v1/cart", headers=buyer).json()["lines"]] == [
        second
    ]
    assert client.delete("/v1/cart", headers=buyer).status_code == 204
    assert client.get("/v1/cart", headers=buyer).json()["lines"] == []


def test_refusals_are_error_envelopes(
    client: TestClient, runtime: Runtime, shop: Shop, buyer: Headers
) -> None:
    photo = photo_id(runtime, shop.seller)
    assert_error(
        client.post("/v1/cart/items", json={"items": ["x:y"]}, headers=buyer),
        400,
        "invalid_parameter",
        "item",
    )
    assert_error(
        client.post("/v1/cart/items", json={"items": [f"{photo}:3"]}, headers=buyer),
        400,
        "invalid_parameter",
        "sub_offset",
    )
    assert_error(
        client.post("/v1/cart/items", json={"items": [999999]}, headers=buyer), 404, "not_found"
    )
    assert_error(
        client.post("/v1/cart/purchase", json={"method": "cash"}, headers=buyer), 409, "conflict"
    )
    assert_error(
        client.post("/v1/cart/purchase", json={"method": "gold"}, headers=buyer),
        422,
        "invalid_request",
    )
    assert_error(client.get("/v1/cart"), 401, "authentication_failed")


def test_buying_with_credits_then_the_override_dance(
    client: TestClient, runtime: Runtime, shop: Shop, buyer: Headers, admin: Headers
) -> None:
    photo = photo_id(runtime, shop.seller)
    grant = client.post(
        "/v1/credits/grant", json={"user_id": shop.buyer.id, "credits": 25}, headers=admin
    )
    assert grant.status_code == 201, grant.text
    client.post("/v1/cart/items", json={"items": [photo]}, headers=buyer)
    bought = client.post("/v1/cart/purchase", json={"method": "credits"}, headers=buyer)
    assert bought.status_code == 201, bought.text
    body = bought.json()
    [transaction] = body["transactions"]
    assert (body["method"], body["credits"], transaction["item_id"]) == ("credits", 10, photo)
    assert transaction["download_url"] == f"/v1/downloads/{transaction['transaction_id']}"
    assert client.get("/v1/wallet", headers=buyer).json()["credits"] == 15

    again = client.post("/v1/cart/items", json={"items": [photo]}, headers=buyer).json()
    assert again["bought_before"] == [photo]
    refused = client.post("/v1/cart/purchase", json={"method": "credits"}, headers=buyer)
    assert_error(refused, 409, "conflict")
    assert (refused.json()["error"]["bought_before"], refused.json()["error"]["own_clips"]) == (
        [photo],
        [],
    )
    overridden = client.post(
        "/v1/cart/purchase", json={"method": "credits", "override": [photo]}, headers=buyer
    )
    assert overridden.status_code == 201, overridden.text
    assert client.get("/v1/wallet", headers=buyer).json()["credits"] == 5


def test_buying_with_cash_short_is_402_and_keeps_the_cart(
    client: TestClient, runtime: Runtime, shop: Shop, buyer: Headers
) -> None:
    client.post("/v1/cart/items", json={"items": [photo_id(runtime, shop.seller)]}, headers=buyer)
    assert_error(
        client.post("/v1/cart/purchase", json={"method": "cash"}, headers=buyer),
        402,
        "insufficient_funds",
    )
    assert len(client.get("/v1/cart", headers=buyer).json()["lines"]) == 1


def test_buying_with_a_subscription(
    client: TestClient, runtime: Runtime, shop: Shop, buyer: Headers, admin: Headers
) -> None:
    created = client.post(
        "/v1/subscriptions",
        json={
            "user_id": shop.buyer.id,
            "plan": "monthly",
            "downloads_allowed": 2,
            "period_days": 30,
        },
        headers=admin,
    )
    assert created.status_code == 201, created.text
    client.post("/v1/cart/items", json={"items": [photo_id(runtime, shop.seller)]}, headers=buyer)
    bought = client.post("/v1/cart/purchase", json={"method": "subscription"}, headers=buyer)
    assert bought.status_code == 201, bought.text
    assert bought.json()["transactions"][0]["payment_method"] == "subscription"
    subscription = client.get("/v1/wallet", headers=buyer).json()["subscription"]
    assert (subscription["downloads_used"], subscription["downloads_left"]) == (1, 1)
