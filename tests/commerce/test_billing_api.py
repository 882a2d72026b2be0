"""The native billing-address API: add, list, update, switch the default, delete."""

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


def test_addresses_and_the_default(client: TestClient, buyer: Headers) -> None:
    home = client.post(
        "/v1/billing-addresses",
        json={"first_name": "Bert", "city": "Albany", "state": "NY", "country": "US"},
        headers=buyer,
    )
    assert home.status_code == 201, home.text
    assert home.json()["is_default"] is True
    office = client.post(
        "/v1/billing-addresses", json={"city": "Berlin", "country": "DE"}, headers=buyer
    ).json()
    assert office["is_default"] is False
    switched = client.patch(
        f"/v1/billing-addresses/{office['id']}",
        json={"company_name": "Baker GmbH", "is_default": True},
        headers=buyer,
    )
    assert (switched.json()["company_name"], switched.json()["is_default"]) == ("Baker GmbH", True)
    listed = client.get("/v1/billing-addresses", headers=buyer).json()
    assert [(a["city"], a["is_default"]) for a in listed] == [("Albany", False), ("Berlin", True)]
    assert client.delete(f"/v1/billing-addresses/{office['id']}", headers=buyer).status_code == 204
    [left] = client.get("/v1/billing-addresses", headers=buyer).json()
    assert (left["city"], left["is_default"]) == ("Albany", True)


def test_address_refusals(client: TestClient, shop: Shop, buyer: Headers) -> None:
    assert_error(
        client.post("/v1/billing-addresses", json={"country": "ZZ"}, headers=buyer),
        400,
        "invalid_parameter",
        "country",
    )
    assert_error(
        client.post("/v1/billing-addresses", json={"country": "US", "state": "XX"}, headers=buyer),
        400,
        "invalid_parameter",
        "state",
    )
    mine = client.post("/v1/billing-addresses", json={"country": "DE"}, headers=buyer).json()
    rival = bearer(client, shop.rival.username)
    assert_error(client.get(f"/v1/billing-addresses/{mine['id']}", headers=rival), 404, "not_found")
