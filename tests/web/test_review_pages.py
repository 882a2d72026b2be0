"""The reviewer's queue over the TestClient: pending items oldest first, approve publishes,
reject needs a reason, the keys are documented, and only reviewers and admins get in."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from stockhouse.catalog.models import ItemStatus, MediaItem
from stockhouse.runtime import Runtime
from tests.catalog.factories import People, add_item, make_people
from tests.web.support import csrf_of, login


def _queue(runtime: Runtime) -> tuple[People, int, int]:
    people = make_people(runtime)
    first = add_item(runtime, people.owner, status=ItemStatus.PENDING, title="Older")
    second = add_item(runtime, people.owner, status=ItemStatus.PENDING, title="Newer")
    return people, first, second


def _item(runtime: Runtime, item_id: int) -> MediaItem:
    with runtime.db.read_session() as session:
        item = session.get(MediaItem, item_id)
        assert item is not None
        session.expunge(item)
        return item


def test_the_queue_lists_pending_items_longest_waiting_first(
    client: TestClient, runtime: Runtime
) -> None:
    people, first, second = _queue(runtime)
    add_item(runtime, people.owner, status=ItemStatus.UPLOADED)  # not submitted: not listed
    login(client, people.reviewer.username)
    html = client.get("/review").text
    assert re.findall(r'id="review-(\d+)"', html) == [str(first), str(second)]


def test_the_keyboard_shortcuts_are_documented_on_the_page(
    client: TestClient, runtime: Runtime
) -> None:
    people, *_ = _queue(runtime)
    login(client, people.reviewer.username)
    html = client.get("/review").text
    keys = re.findall(r"<dt><kbd>(\w)</kbd></dt>", html)
    assert keys == ["j", "k", "a", "r"]


def test_approving_publishes_the_item(client: TestClient, runtime: Runtime) -> None:
    people, first, _ = _queue(runtime)
    login(client, people.reviewer.username)
    response = client.post(
        f"/review/{first}/approve", data={"csrf_token": csrf_of(client, "/review")}
    )
    assert f"Item #{first} approved and published." in response.text
    item = _item(runtime, first)
    assert (item.status, item.visible, item.reviewed_by) == (
        ItemStatus.ACTIVE,
        True,
        people.reviewer.id,
    )


def test_rejecting_keeps_the_reason(client: TestClient, runtime: Runtime) -> None:
    people, first, _ = _queue(runtime)
    login(client, people.reviewer.username)
    client.post(
        f"/review/{first}/reject",
        data={"csrf_token": csrf_of(client, "/review"), "reason": "Out of focus"},
    )
    item = _item(runtime, first)
    assert (item.status, item.rejection_reason) == (ItemStatus.REJECTED, "Out of focus")


def test_rejecting_without_a_reason_is_refused(client: TestClient, runtime: Runtime) -> None:
    people, first, _ = _queue(runtime)
    login(client, people.reviewer.username)
    response = client.post(
        f"/review/{first}/reject",
        data={"csrf_token": csrf_of(client, "/review"), "reason": "  "},
        headers={"referer": "http://testserver/review"},
    )
    assert "a rejection needs a reason" in response.text
    assert _item(runtime, first).status == ItemStatus.PENDING


def test_approving_twice_is_a_conflict_not_a_crash(client: TestClient, runtime: Runtime) -> None:
    people, first, _ = _queue(runtime)
    login(client, people.reviewer.username)
    token = csrf_of(client, "/review")
    client.post(f"/review/{first}/approve", data={"csrf_token": token})
    response = client.post(f"/review/{first}/approve", data={"csrf_token": token})
    assert response.status_code == 409
    assert "Cannot do that now" in response.text


def test_a_decision_without_csrf_is_refused(client: TestClient, runtime: Runtime) -> None:
    people, first, _ = _queue(runtime)
    login(client, people.reviewer.username)
    client.get("/review")
    assert client.post(f"/review/{first}/approve").status_code == 403
    assert _item(runtime, first).status == ItemStatus.PENDING


def test_buyers_and_contributors_cannot_review(client: TestClient, runtime: Runtime) -> None:
    people, first, _ = _queue(runtime)
    for username in (people.buyer.username, people.owner.username):
        client.cookies.clear()
        login(client, username)
        assert client.get("/review").status_code == 403
        token = csrf_of(client, "/search")
        response = client.post(f"/review/{first}/approve", data={"csrf_token": token})
        assert response.status_code == 403
    assert _item(runtime, first).status == ItemStatus.PENDING


def test_hostile_metadata_is_escaped_in_the_queue(client: TestClient, runtime: Runtime) -> None:
    people = make_people(runtime)
    add_item(
        runtime,
        people.owner,
        status=ItemStatus.PENDING,
        title="<img src=x onerror=alert(1)>",
        tags=["<b>bold</b>"],
    )
    login(client, people.reviewer.username)
    html = client.get("/review").text
    assert "<img src=x onerror" not in html and "<b>bold</b>" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
