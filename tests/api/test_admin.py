"""Native API: users and groups are administered by admins only."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.api.conftest import Caller, log_in


def test_admin_creates_a_user_who_can_then_log_in(client: TestClient, admin: Caller) -> None:
    response = client.post(
        "/v1/users",
        json={"username": "carl", "password": "a long password", "roles": ["contributor"]},
        headers=admin.headers,
    )
    assert response.status_code == 201
    assert response.json()["roles"] == ["contributor"]
    carl = log_in(client, "carl", "a long password")
    assert client.get("/v1/me", headers=carl.headers).json()["user"]["username"] == "carl"


def test_buyer_may_not_create_users(client: TestClient, buyer: Caller) -> None:
    response = client.post(
        "/v1/users", json={"username": "eve", "password": "a long password"}, headers=buyer.headers
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_taken_username_is_a_conflict(client: TestClient, admin: Caller) -> None:
    response = client.post(
        "/v1/users", json={"username": "bea", "password": "a long password"}, headers=admin.headers
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"


def test_invalid_username_names_the_parameter(client: TestClient, admin: Caller) -> None:
    response = client.post(
        "/v1/users",
        json={"username": "../../etc", "password": "a long password"},
        headers=admin.headers,
    )
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "username"


def test_disabling_a_user_ends_their_access(
    client: TestClient, admin: Caller, buyer: Caller
) -> None:
    bea_id = client.get("/v1/me", headers=buyer.headers).json()["user"]["id"]
    patched = client.patch(f"/v1/users/{bea_id}", json={"is_active": False}, headers=admin.headers)
    assert patched.json()["is_active"] is False
    assert client.get("/v1/me", headers=buyer.headers).status_code == 401


def test_group_lists_its_members_in_user_order(client: TestClient, admin: Caller) -> None:
    group = client.post(
        "/v1/groups", json={"name": "Globex", "payment_mode": "postpaid"}, headers=admin.headers
    ).json()
    users = client.get("/v1/users", headers=admin.headers).json()
    for user in reversed(users):
        client.post(
            f"/v1/groups/{group['id']}/members", json={"user_id": user["id"]}, headers=admin.headers
        )
    listed = client.get(f"/v1/groups/{group['id']}", headers=admin.headers).json()
    assert listed["payment_mode"] == "postpaid"
    assert [m["username"] for m in listed["members"]] == [u["username"] for u in users]


def test_user_list_pages_with_limit_and_offset(client: TestClient, admin: Caller) -> None:
    page = client.get("/v1/users?limit=1&offset=1", headers=admin.headers).json()
    assert [u["username"] for u in page] == ["bea"]
