"""The native bins API: my bins, the active bin, public bins for anyone, private for nobody."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from stockhouse.runtime import Runtime
from tests.catalog.factories import assert_error, bearer
from tests.commerce.shop_support import Shop, open_shop, photo_id

Headers = dict[str, str]


@pytest.fixture
def shop(runtime: Runtime) -> Shop:
    return open_shop(runtime, with_prices=False)


@pytest.fixture
def buyer(client: TestClient, shop: Shop) -> Headers:
    return bearer(client, shop.buyer.username)


@pytest.fixture
def rival(client: TestClient, shop: Shop) -> Headers:
    return bearer(client, shop.rival.username)


def test_a_bins_life(client: TestClient, runtime: Runtime, shop: Shop, buyer: Headers) -> None:
    created = client.post("/v1/bins", json={"name": "cats"}, headers=buyer)
    assert created.status_code == 201, created.text
    cats = created.json()
    assert (cats["active"], cats["generation"], cats["item_count"]) == (True, 0, 0)
    item = photo_id(runtime, shop.seller)
    added = client.post(f"/v1/bins/{cats['id']}/items", json={"item_ids": [item]}, headers=buyer)
    assert added.json() == {"added": 1, "removed": 0, "generation": 1}
    renamed = client.patch(f"/v1/bins/{cats['id']}", json={"name": "kittens"}, headers=buyer)
    assert (renamed.json()["name"], renamed.json()["generation"]) == ("kittens", 2)
    detail = client.get(f"/v1/bins/{cats['id']}", headers=buyer).json()
    assert [i["id"] for i in detail["items"]] == [item]
    removed = client.delete(f"/v1/bins/{cats['id']}/items/{item}", headers=buyer)
    assert removed.json() == {"added": 0, "removed": 1, "generation": 3}
    assert client.delete(f"/v1/bins/{cats['id']}", headers=buyer).status_code == 204
    assert client.get("/v1/bins", headers=buyer).json() == []
    assert_error(client.get("/v1/bins/active", headers=buyer), 404, "not_found")


def test_active_bin(client: TestClient, buyer: Headers) -> None:
    client.post("/v1/bins", json={"name": "cats"}, headers=buyer)
    dogs = client.post("/v1/bins", json={"name": "dogs"}, headers=buyer).json()
    assert client.get("/v1/bins/active", headers=buyer).json()["name"] == "cats"
    moved = client.put("/v1/bins/active", json={"bin_id": dogs["id"]}, headers=buyer)
    assert moved.json()["active"] is True
    listed = client.get("/v1/bins", headers=buyer).json()
    assert [(b["name"], b["active"]) for b in listed] == [("cats", False), ("dogs", True)]


def test_private_bins_are_nobody_elses(client: TestClient, buyer: Headers, rival: Headers) -> None:
    cats = client.post("/v1/bins", json={"name": "cats"}, headers=buyer).json()
    assert_error(client.get(f"/v1/bins/{cats['id']}", headers=rival), 404, "not_found")
    assert_error(client.get(f"/v1/bins/{cats['id']}"), 404, "not_found")
    assert_error(client.delete(f"/v1/bins/{cats['id']}", headers=rival), 404, "not_found")
    assert_error(
        client.put("/v1/bins/active", json={"bin_id": cats["id"]}, headers=rival), 404, "not_found"
    )


def test_public_bins_are_readable_by_anyone(
    client: TestClient, runtime: Runtime, shop: Shop, buyer: Headers, rival: Headers
) -> None:
    cats = client.post("/v1/bins", json={"name": "cats", "public": True}, headers=buyer).json()
    item = photo_id(runtime, shop.seller)
    client.post(f"/v1/bins/{cats['id']}/items", json={"item_ids": [item]}, headers=buyer)
    for headers in (rival, {}):
        shown = client.get(f"/v1/bins/{cats['id']}", headers=headers)
        assert shown.status_code == 200, shown.text
        assert ([i["id"] for i in shown.json()["items"]], shown.json()["owner_id"]) == (
            [item],
            shop.buyer.id,
        )
    assert_error(
        client.post(f"/v1/bins/{cats['id']}/items", json={"item_ids": [item]}, headers=rival),
        404,
        "not_found",
    )


def test_bin_refusals(client: TestClient, buyer: Headers) -> None:
    client.post("/v1/bins", json={"name": "cats"}, headers=buyer)
    assert_error(client.post("/v1/bins", json={"name": "cats"}, headers=buyer), 409, "conflict")
    assert_error(
        client.post("/v1/bins", json={"name": "  "}, headers=buyer),
        400,
        "invalid_parameter",
        "name",
    )
    assert_error(
        client.get("/v1/bins/1", headers={"Authorization": "Bearer nope"}),
        401,
        "authentication_failed",
    )
