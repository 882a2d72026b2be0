"""Native API: API keys are shown once, listed by prefix, and can be disabled."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.api.conftest import Caller


def test_new_key_authenticates_as_its_owner(client: TestClient, buyer: Caller) -> None:
    issued = client.post("/v1/apikeys", json={"name": "script"}, headers=buyer.headers).json()
    body = client.get("/v1/me", headers={"Authorization": f"Bearer {issued['key']}"}).json()
    assert body["user"]["username"] == "bea"
    assert body["authenticated_by"] == "api_key"


def test_key_listing_never_shows_the_key(client: TestClient, buyer: Caller) -> None:
    issued = client.post(
        "/v1/apikeys", json={"api": "pond5", "with_secret": True}, headers=buyer.headers
    ).json()
    assert issued["secret"]
    listing = client.get("/v1/apikeys", headers=buyer.headers)
    assert issued["key"] not in listing.text
    assert issued["secret"] not in listing.text
    [listed] = listing.json()
    assert listed["key_prefix"] == issued["key"][:12]
    assert listed["has_secret"] is True
    assert listed["api"] == "pond5"


def test_disabled_key_stops_working(client: TestClient, buyer: Caller) -> None:
    issued = client.post("/v1/apikeys", json={}, headers=buyer.headers).json()
    key_id = issued["credential"]["id"]
    disabled = client.post(f"/v1/apikeys/{key_id}/disable", headers=buyer.headers).json()
    assert disabled["enabled"] is False
    response = client.get("/v1/me", headers={"Authorization": f"Bearer {issued['key']}"})
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "API key is disabled"


def test_rotated_key_replaces_the_old_one_with_the_same_protocol_and_grants(
    client: TestClient, buyer: Caller
) -> None:
    issued = client.post(
        "/v1/apikeys",
        json={"api": "pond5", "with_secret": True, "name": "nle"},
        headers=buyer.headers,
    ).json()
    rotated = client.post(
        f"/v1/apikeys/{issued['credential']['id']}/rotate", headers=buyer.headers
    ).json()
    new = rotated["credential"]
    assert (new["api"], new["name"], new["grants"]) == (
        "pond5",
        "nle",
        issued["credential"]["grants"],
    )
    assert rotated["key"] != issued["key"] and rotated["secret"] != issued["secret"]
    assert rotated["key"].startswith(f"{new['user_id']}_")  # Pond5's key format
    listing = {
        k["id"]: k["enabled"] for k in client.get("/v1/apikeys", headers=buyer.headers).json()
    }
    assert listing == {issued["credential"]["id"]: False, new["id"]: True}


def test_a_disabled_key_cannot_be_rotated(client: TestClient, buyer: Caller) -> None:
    key_id = client.post("/v1/apikeys", json={}, headers=buyer.headers).json()["credential"]["id"]
    client.post(f"/v1/apikeys/{key_id}/disable", headers=buyer.headers)
    response = client.post(f"/v1/apikeys/{key_id}/rotate", headers=buyer.headers)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"


def test_someone_elses_key_cannot_be_rotated(
    client: TestClient, admin: Caller, buyer: Caller
) -> None:
    key_id = client.post("/v1/apikeys", json={}, headers=admin.headers).json()["credential"]["id"]
    assert client.post(f"/v1/apikeys/{key_id}/rotate", headers=buyer.headers).status_code == 404


def test_key_of_another_protocol_is_not_a_native_bearer_token(
    client: TestClient, buyer: Caller
) -> None:
    issued = client.post("/v1/apikeys", json={"api": "depositphotos"}, headers=buyer.headers)
    key = issued.json()["key"]
    assert client.get("/v1/me", headers={"Authorization": f"Bearer {key}"}).status_code == 401


def test_someone_elses_key_is_not_found(client: TestClient, admin: Caller, buyer: Caller) -> None:
    issued = client.post("/v1/apikeys", json={}, headers=admin.headers).json()
    key_id = issued["credential"]["id"]
    response = client.post(f"/v1/apikeys/{key_id}/disable", headers=buyer.headers)
    assert response.status_code == 404


def test_only_admins_issue_keys_for_others(
    client: TestClient, admin: Caller, buyer: Caller
) -> None:
    admin_id = client.get("/v1/me", headers=admin.headers).json()["user"]["id"]
    refused = client.post("/v1/apikeys", json={"user_id": admin_id}, headers=buyer.headers)
    assert refused.status_code == 403
    bea_id = client.get("/v1/me", headers=buyer.headers).json()["user"]["id"]
    issued = client.post("/v1/apikeys", json={"user_id": bea_id}, headers=admin.headers)
    assert issued.json()["credential"]["user_id"] == bea_id
