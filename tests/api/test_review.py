"""Native API: the review queue, approving and rejecting."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import Role
from stockhouse.catalog.models import ItemStatus
from stockhouse.runtime import Runtime
from tests.catalog.factories import (
    Headers,
    People,
    add_item,
    assert_error,
    headers_by_role,
    make_people,
)


@pytest.fixture
def people(runtime: Runtime) -> People:
    return make_people(runtime)


@pytest.fixture
def as_(client: TestClient, people: People) -> Headers:
    return headers_by_role(client, people)


def test_the_queue_lists_pending_items_oldest_first(
    client: TestClient, runtime: Runtime, people: People, as_: Headers
) -> None:
    pending = [add_item(runtime, people.owner, status=ItemStatus.PENDING) for _ in range(3)]
    add_item(runtime, people.owner, status=ItemStatus.UPLOADED)
    body = client.get("/v1/review/queue", headers=as_["reviewer"]).json()
    assert [i["id"] for i in body] == pending
    paged = client.get("/v1/review/queue?limit=1&offset=2", headers=as_["admin"]).json()
    assert [i["id"] for i in paged] == pending[2:]


def test_a_freshly_submitted_item_joins_the_end_of_the_queue(
    client: TestClient, runtime: Runtime, people: People, as_: Headers
) -> None:
    waiting = add_item(runtime, people.owner, status=ItemStatus.PENDING)
    fresh = add_item(runtime, people.owner)
    client.post(f"/v1/items/{fresh}/submit", headers=as_["owner"])
    body = client.get("/v1/review/queue", headers=as_["reviewer"]).json()
    assert [i["id"] for i in body] == [waiting, fresh]


def test_the_queue_is_for_reviewers(client: TestClient, as_: Headers) -> None:
    for who, status, code in [
        ("nobody", 401, "authentication_failed"),
        ("owner", 403, "permission_denied"),
        ("buyer", 403, "permission_denied"),
    ]:
        assert_error(client.get("/v1/review/queue", headers=as_[who]), status, code)


def test_approval_publishes_the_item(
    client: TestClient, runtime: Runtime, people: People, as_: Headers
) -> None:
    item_id = add_item(runtime, people.owner, status=ItemStatus.PENDING)
    body = client.post(f"/v1/review/{item_id}/approve", headers=as_["reviewer"]).json()
    assert (body["status"], body["visible"], body["reviewed_by"]) == (
        "active",
        True,
        people.reviewer.id,
    )
    assert body["published_at"] == body["reviewed_at"] is not None
    assert client.get(f"/v1/items/{item_id}", headers=as_["buyer"]).status_code == 200
    assert client.get("/v1/review/queue", headers=as_["reviewer"]).json() == []


def test_rejection_tells_the_owner_why(
    client: TestClient, runtime: Runtime, people: People, as_: Headers
) -> None:
    item_id = add_item(runtime, people.owner, status=ItemStatus.PENDING)
    response = client.post(
        f"/v1/review/{item_id}/reject",
        json={"reason": "Watermark visible"},
        headers=as_["admin"],
    )
    assert response.json()["status"] == "rejected"
    mine = client.get(f"/v1/items/{item_id}", headers=as_["owner"]).json()
    assert (mine["status"], mine["rejection_reason"]) == ("rejected", "Watermark visible")


def test_a_rejected_item_is_fixed_and_submitted_again(
    client: TestClient, runtime: Runtime, people: People, as_: Headers
) -> None:
    item_id = add_item(runtime, people.owner, status=ItemStatus.PENDING)
    client.post(
        f"/v1/review/{item_id}/reject", json={"reason": "no title"}, headers=as_["reviewer"]
    )
    fixed = client.patch(f"/v1/items/{item_id}", json={"title": "Harbour"}, headers=as_["owner"])
    assert fixed.status_code == 200
    again = client.post(f"/v1/items/{item_id}/submit", headers=as_["owner"]).json()
    assert again["status"] == "pending"
    approved = client.post(f"/v1/review/{item_id}/approve", headers=as_["reviewer"]).json()
    assert (approved["status"], approved["rejection_reason"]) == ("active", None)


def test_a_rejection_needs_a_reason(
    client: TestClient, runtime: Runtime, people: People, as_: Headers
) -> None:
    item_id = add_item(runtime, people.owner, status=ItemStatus.PENDING)
    for body, status, code in [
        ({"reason": ""}, 400, "invalid_parameter"),
        ({"reason": "  "}, 400, "invalid_parameter"),
        ({}, 422, "invalid_request"),
        (None, 422, "invalid_request"),
        ({"reason": "r" * 2001}, 400, "invalid_parameter"),
    ]:
        response = client.post(f"/v1/review/{item_id}/reject", json=body, headers=as_["reviewer"])
        assert_error(response, status, code)
    assert client.get(f"/v1/items/{item_id}", headers=as_["owner"]).json()["status"] == "pending"


def test_reviewing_a_non_pending_item_is_a_conflict(
    client: TestClient, runtime: Runtime, people: People, as_: Headers
) -> None:
    item_id = add_item(runtime, people.owner, status=ItemStatus.ACTIVE)
    for action in ("approve", "reject"):
        response = client.post(
            f"/v1/review/{item_id}/{action}", json={"reason": "r"}, headers=as_["reviewer"]
        )
        assert_error(response, 409, "conflict")
        message = response.json()["error"]["message"]
        assert f"item {item_id} is active; only pending items" in message


def test_a_reviewer_cannot_approve_their_own_item(
    client: TestClient, runtime: Runtime, people: People, as_: Headers
) -> None:
    with runtime.db.session() as session:
        accounts.set_roles(
            session, session.merge(people.reviewer), [Role.REVIEWER, Role.CONTRIBUTOR]
        )
    item_id = add_item(runtime, people.reviewer, status=ItemStatus.PENDING)
    response = client.post(f"/v1/review/{item_id}/approve", headers=as_["reviewer"])
    assert_error(response, 403, "permission_denied")


def test_only_reviewers_approve(
    client: TestClient, runtime: Runtime, people: People, as_: Headers
) -> None:
    item_id = add_item(runtime, people.owner, status=ItemStatus.PENDING)
    for who, status in (("owner", 403), ("buyer", 403), ("nobody", 401)):
        response = client.post(f"/v1/review/{item_id}/approve", headers=as_[who])
        assert response.status_code == status
    assert client.get(f"/v1/items/{item_id}", headers=as_["owner"]).json()["status"] == "pending"


def test_reviewing_a_missing_item_is_not_found(client: TestClient, as_: Headers) -> None:
    assert_error(
        client.post("/v1/review/987654/approve", headers=as_["reviewer"]), 404, "not_found"
    )
