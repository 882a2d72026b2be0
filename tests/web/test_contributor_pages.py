"""Contributor pages over the TestClient: upload (streamed, with the CSRF header), items
and their status, bulk metadata edits, submit for review, the inbox, releases, earnings
and the Cliparto API code."""

from __future__ import annotations

import hashlib
import os
import re
from typing import Any

from starlette.testclient import TestClient

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import ApiKind, Role
from stockhouse.catalog.models import ItemStatus, MediaItem, Upload, UploadState
from stockhouse.ingest.pipeline import ingest_now
from stockhouse.runtime import Runtime
from tests.catalog.factories import PASSWORD, People, add_item, make_people, tiny_jpeg
from tests.commerce.factories import buy, open_market
from tests.web.support import csrf_of, login

JSON = {"accept": "application/json"}
CONTRIBUTOR_PATHS = (
    "/contribute",
    "/contribute/inbox",
    "/contribute/earnings",
    "/contribute/api-code",
)


def _contributor(client: TestClient, runtime: Runtime) -> People:
    people = make_people(runtime)
    login(client, people.owner.username)
    return people


def _status(runtime: Runtime, item_id: int) -> ItemStatus:
    with runtime.db.read_session() as session:
        item = session.get(MediaItem, item_id)
        assert item is not None
        return item.status


def _upload(client: TestClient, token: str, data: bytes, name: str = "sky.jpg") -> dict[str, Any]:
    response = client.post(
        "/contribute/upload",
        files={"file": (name, data, "image/jpeg")},
        headers={"x-csrf-token": token, **JSON},
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


# -- upload -----------------------------------------------------------------------------


def test_an_uploaded_file_becomes_an_upload_of_the_contributor(
    client: TestClient, runtime: Runtime
) -> None:
    people = _contributor(client, runtime)
    body = _upload(client, csrf_of(client, "/contribute"), tiny_jpeg())
    assert body["state"] == "queued" and body["filename"] == "sky.jpg"
    with runtime.db.read_session() as session:
        upload = session.get(Upload, body["id"])
        assert upload is not None
        assert (upload.owner_id, upload.source) == (people.owner.id, "web")


def test_the_upload_state_follows_the_ingest(client: TestClient, runtime: Runtime) -> None:
    _contributor(client, runtime)
    body = _upload(client, csrf_of(client, "/contribute"), tiny_jpeg(320, 240))
    ingest_now(runtime, body["id"])
    state = client.get(f"/contribute/uploads/{body['id']}").json()
    assert state["state"] == UploadState.DONE.value
    assert isinstance(state["item_id"], int)
    assert _status(runtime, state["item_id"]) == ItemStatus.UPLOADED


def test_an_upload_without_the_csrf_token_is_refused(client: TestClient, runtime: Runtime) -> None:
    _contributor(client, runtime)
    client.get("/contribute")
    response = client.post(
        "/contribute/upload", files={"file": ("a.jpg", tiny_jpeg(), "image/jpeg")}, headers=JSON
    )
    assert response.status_code == 403
    with runtime.db.read_session() as session:
        assert session.query(Upload).count() == 0


def test_a_buyer_cannot_upload(client: TestClient, runtime: Runtime) -> None:
    people = make_people(runtime)
    login(client, people.buyer.username)
    token = csrf_of(client, "/search")
    response = client.post(
        "/contribute/upload",
        files={"file": ("a.jpg", tiny_jpeg(), "image/jpeg")},
        headers={"x-csrf-token": token, **JSON},
    )
    assert response.status_code == 403
    assert response.json() == {"error": "uploading needs a contributor account"}


def test_the_form_fallback_redirects_with_a_message(client: TestClient, runtime: Runtime) -> None:
    _contributor(client, runtime)
    token = csrf_of(client, "/contribute")
    response = client.post(
        f"/contribute/upload?csrf_token={token}",
        files={"file": ("plain.jpg", tiny_jpeg(), "image/jpeg")},
        follow_redirects=False,
    )
    assert (response.status_code, response.headers["location"]) == (303, "/contribute")
    assert "Received plain.jpg" in client.get("/contribute").text


def test_another_contributors_upload_state_is_not_found(
    client: TestClient, runtime: Runtime
) -> None:
    people = _contributor(client, runtime)
    body = _upload(client, csrf_of(client, "/contribute"), tiny_jpeg())
    client.cookies.clear()
    login(client, people.other.username)
    assert client.get(f"/contribute/uploads/{body['id']}").status_code == 404


# -- items, bulk edit, submit -----------------------------------------------------------


def test_items_page_lists_own_items_with_status(client: TestClient, runtime: Runtime) -> None:
    people = _contributor(client, runtime)
    mine = add_item(runtime, people.owner, title="Harbour at dusk")
    add_item(runtime, people.other, title="Not mine")
    html = client.get("/contribute").text
    assert re.findall(r'name="item" value="(\d+)"', html) == [str(mine)]
    assert "Harbour at dusk" in html and "Not mine" not in html
    assert '<span class="status status-uploaded">uploaded</span>' in html


def test_bulk_edit_sets_title_and_tags_of_every_ticked_item(
    client: TestClient, runtime: Runtime
) -> None:
    people = _contributor(client, runtime)
    first, second = add_item(runtime, people.owner), add_item(runtime, people.owner)
    response = client.post(
        "/contribute/items",
        data={
            "csrf_token": csrf_of(client, "/contribute"),
            "item": [str(first), str(second)],
            "action": "edit",
            "title": "Red kite",
            "tags": "bird, sky , ,kite",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    with runtime.db.read_session() as session:
        for item_id in (first, second):
            item = session.get(MediaItem, item_id)
            assert item is not None
            assert (item.title, item.tag_names()) == ("Red kite", ["bird", "sky", "kite"])


def test_submit_sends_ticked_items_to_review(client: TestClient, runtime: Runtime) -> None:
    people = _contributor(client, runtime)
    ticked, left = add_item(runtime, people.owner), add_item(runtime, people.owner)
    client.post(
        "/contribute/items",
        data={
            "csrf_token": csrf_of(client, "/contribute"),
            "item": str(ticked),
            "action": "submit",
        },
    )
    assert (_status(runtime, ticked), _status(runtime, left)) == (
        ItemStatus.PENDING,
        ItemStatus.UPLOADED,
    )


def test_editing_someone_elses_item_is_refused_and_changes_nothing(
    client: TestClient, runtime: Runtime
) -> None:
    people = _contributor(client, runtime)
    theirs = add_item(runtime, people.other, title="theirs")
    response = client.post(
        "/contribute/items",
        data={
            "csrf_token": csrf_of(client, "/contribute"),
            "item": str(theirs),
            "action": "edit",
            "title": "stolen",
        },
        headers={"referer": "http://testserver/contribute"},
    )
    assert "only the item&#39;s owner can edit it" in response.text
    with runtime.db.read_session() as session:
        item = session.get(MediaItem, theirs)
        assert item is not None and item.title == "theirs"


def test_hostile_titles_are_escaped(client: TestClient, runtime: Runtime) -> None:
    people = _contributor(client, runtime)
    add_item(runtime, people.owner, title='<script>alert("x")</script>')
    html = client.get("/contribute").text
    assert '<script>alert("x")</script>' not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html


def test_a_bulk_form_without_csrf_is_refused(client: TestClient, runtime: Runtime) -> None:
    people = _contributor(client, runtime)
    item_id = add_item(runtime, people.owner)
    response = client.post("/contribute/items", data={"item": str(item_id), "action": "submit"})
    assert response.status_code == 403
    assert _status(runtime, item_id) == ItemStatus.UPLOADED


def test_a_buyer_cannot_open_the_contributor_pages(client: TestClient, runtime: Runtime) -> None:
    people = make_people(runtime)
    login(client, people.buyer.username)
    for path in (
        "/contribute",
        "/contribute/inbox",
        "/contribute/earnings",
        "/contribute/api-code",
    ):
        assert client.get(path).status_code == 403, path


def test_visitors_are_sent_to_log_in(client: TestClient, runtime: Runtime) -> None:
    response = client.get("/contribute", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fcontribute"


def test_a_new_contributor_lands_on_the_contributor_page(
    client: TestClient, runtime: Runtime
) -> None:
    response = client.post(
        "/signup",
        data={
            "csrf_token": csrf_of(client, "/signup"),
            "account": "contributor",
            "username": "newbie",
            "password": PASSWORD,
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/contribute"


# -- inbox ------------------------------------------------------------------------------


def test_inbox_lists_waiting_files_and_ftp_details(client: TestClient, runtime: Runtime) -> None:
    people = _contributor(client, runtime)
    folder = runtime.settings.inbox_dir / str(people.owner.id)
    folder.mkdir(parents=True)
    (folder / "beach.jpg").write_bytes(tiny_jpeg())
    html = client.get("/contribute/inbox").text
    assert "beach.jpg" in html
    assert f"<code>{runtime.settings.ftp_port}</code>" in html
    assert f"<code>{people.owner.username}</code>" in html


def test_process_inbox_receives_ready_files(client: TestClient, runtime: Runtime) -> None:
    people = _contributor(client, runtime)
    folder = runtime.settings.inbox_dir / str(people.owner.id)
    folder.mkdir(parents=True)
    path = folder / "beach.jpg"
    path.write_bytes(tiny_jpeg())
    os.utime(path, (1_000_000, 1_000_000))  # long finished
    response = client.post(
        "/contribute/inbox/process", data={"csrf_token": csrf_of(client, "/contribute/inbox")}
    )
    assert "Received 1 file." in response.text
    assert not path.exists()
    with runtime.db.read_session() as session:
        assert [u.filename for u in session.query(Upload)] == ["beach.jpg"]


# -- releases ---------------------------------------------------------------------------


def test_a_release_is_uploaded_and_attached(client: TestClient, runtime: Runtime) -> None:
    people = _contributor(client, runtime)
    item_id = add_item(runtime, people.owner)
    token = csrf_of(client, "/contribute/releases")
    response = client.post(
        "/contribute/releases",
        data={"csrf_token": token, "type": "model", "name": "Jane Roe"},
        files={"file": ("jane.pdf", b"%PDF-1.4 signed release", "application/pdf")},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    html = client.get("/contribute/releases").text
    release_id = int(re.findall(r'<option value="(\d+)">#\d+ Jane Roe \(model\)', html)[0])
    client.post(
        "/contribute/releases/attach",
        data={"csrf_token": token, "release_id": str(release_id), "item": str(item_id)},
    )
    with runtime.db.read_session() as session:
        item = session.get(MediaItem, item_id)
        assert item is not None and [r.name for r in item.releases] == ["Jane Roe"]


def test_a_release_that_is_not_a_document_is_refused(client: TestClient, runtime: Runtime) -> None:
    _contributor(client, runtime)
    response = client.post(
        "/contribute/releases",
        data={"csrf_token": csrf_of(client, "/contribute/releases"), "name": "X"},
        files={"file": ("x.exe", b"MZ\x90\x00 not a pdf", "application/octet-stream")},
        headers={"referer": "http://testserver/contribute/releases"},
    )
    assert "a release document must be a PDF or a JPEG file" in response.text


# -- earnings ---------------------------------------------------------------------------


def test_earnings_show_the_month_chart_and_recent_downloads(
    client: TestClient, runtime: Runtime
) -> None:
    market = open_market(runtime)
    transaction = buy(runtime, market.solo, market.photo, country="FR", query="harbour")
    with runtime.db.read_session() as session:
        contributor = accounts.get_user(session, market.contributor)
        username = contributor.username
    login(client, username)
    html = client.get("/contribute/earnings").text
    assert html.count('class="bar"') == 12  # one bar a month
    assert "harbour" in html and "FR" in html
    assert f'<a href="/items/{market.photo}">#{market.photo}</a>' in html
    assert transaction > 0


# -- the Cliparto API code --------------------------------------------------------------


def _cliparto_signature(user_id: int, code: str) -> str:
    text = f"{user_id}BalanceCurrent{code}"
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def test_the_api_code_is_shown_once_and_signs_cliparto_queries(
    client: TestClient, runtime: Runtime
) -> None:
    people = _contributor(client, runtime)
    response = client.post(
        "/contribute/api-code",
        data={"csrf_token": csrf_of(client, "/contribute/api-code"), "action": "create"},
    )
    assert response.status_code == 201
    code = re.findall(r'<code class="secret" id="new-code">([^<]+)</code>', response.text)[0]
    assert code not in client.get("/contribute/api-code").text
    answer = client.get(
        "/apiq/",
        params={
            "id": str(people.owner.id),
            "q": "BalanceCurrent",
            "ext": "",
            "md5": _cliparto_signature(people.owner.id, code),
        },
    )
    assert answer.text.strip() == "0.00"


def test_rotating_the_api_code_retires_the_old_one(client: TestClient, runtime: Runtime) -> None:
    people = _contributor(client, runtime)
    token = csrf_of(client, "/contribute/api-code")
    client.post("/contribute/api-code", data={"csrf_token": token, "action": "create"})
    with runtime.db.read_session() as session:
        old = [c.id for c in accounts.list_credentials(session) if c.api == ApiKind.CLIPARTO]
    response = client.post(
        "/contribute/api-code",
        data={"csrf_token": token, "action": "rotate", "credential_id": str(old[0])},
    )
    assert response.status_code == 201
    with runtime.db.read_session() as session:
        codes = {
            c.id: c.enabled
            for c in accounts.list_credentials(session, accounts.get_user(session, people.owner.id))
        }
    assert codes[old[0]] is False and sum(codes.values()) == 1


def test_rotating_another_users_code_is_not_found(client: TestClient, runtime: Runtime) -> None:
    people = _contributor(client, runtime)
    with runtime.db.session() as session:
        other = accounts.get_user(session, people.other.id)
        theirs = accounts.create_credential(
            session, runtime.secrets, user=other, api=ApiKind.CLIPARTO, with_secret=True
        ).credential.id
    response = client.post(
        "/contribute/api-code",
        data={
            "csrf_token": csrf_of(client, "/contribute/api-code"),
            "action": "rotate",
            "credential_id": str(theirs),
        },
    )
    assert response.status_code == 404
    with runtime.db.read_session() as session:
        assert accounts.get_credential(session, theirs).enabled
    assert Role.CONTRIBUTOR  # the page is for contributors only (see the buyer test)
