"""Native API: logging in and out, and /v1/me."""

from __future__ import annotations

from datetime import datetime, timedelta

from starlette.testclient import TestClient

from tests.api.conftest import PASSWORD, Caller


def test_login_returns_a_session_token_that_expires_in_three_hours(
    client: TestClient, users: None
) -> None:
    response = client.post("/v1/sessions", json={"username": "bea", "password": PASSWORD})
    body = response.json()
    assert response.status_code == 201
    assert body["token"].startswith("shs_")
    assert body["user"]["username"] == "bea"
    expires = datetime.fromisoformat(body["expires_at"])
    lifetime = expires - datetime.now(expires.tzinfo)
    assert timedelta(hours=2, minutes=59) < lifetime <= timedelta(hours=3)


def test_me_answers_the_logged_in_user(client: TestClient, buyer: Caller) -> None:
    body = client.get("/v1/me", headers=buyer.headers).json()
    assert body["user"]["username"] == "bea"
    assert body["user"]["roles"] == ["buyer"]
    assert body["group"] is None
    assert body["authenticated_by"] == "session"


def test_me_shows_the_enterprise_group(client: TestClient, admin: Caller, buyer: Caller) -> None:
    group = client.post("/v1/groups", json={"name": "Acme"}, headers=admin.headers).json()
    bea_id = client.get("/v1/me", headers=buyer.headers).json()["user"]["id"]
    client.post(
        f"/v1/groups/{group['id']}/members",
        json={"user_id": bea_id, "role": "group-admin"},
        headers=admin.headers,
    )
    body = client.get("/v1/me", headers=buyer.headers).json()
    assert body["group"] == {"group_id": group["id"], "group_name": "Acme", "role": "group-admin"}


def test_logout_makes_the_token_useless(client: TestClient, buyer: Caller) -> None:
    assert client.delete("/v1/sessions/current", headers=buyer.headers).status_code == 204
    response = client.get("/v1/me", headers=buyer.headers)
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "session ended by logout"


def test_wrong_password_is_refused(client: TestClient, users: None) -> None:
    response = client.post("/v1/sessions", json={"username": "bea", "password": "not it at all"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"
    assert response.headers["www-authenticate"] == "Bearer"


def test_made_up_token_is_refused(client: TestClient, users: None) -> None:
    response = client.get("/v1/me", headers={"Authorization": "Bearer shs_not-a-real-token"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"
