"""Native API: items, their workflow actions, renditions, original links, categories, series."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from starlette.testclient import TestClient

from stockhouse.catalog.categories import ensure_default_categories, list_categories
from stockhouse.catalog.formats import add_video_format, add_video_version
from stockhouse.catalog.models import ItemStatus, MediaKind
from stockhouse.catalog.service import get_item
from stockhouse.runtime import Runtime
from tests.catalog.factories import (
    Headers,
    People,
    add_item,
    assert_error,
    headers_by_role,
    make_people,
    tiny_jpeg,
)


@pytest.fixture
def people(runtime: Runtime) -> People:
    return make_people(runtime)


@pytest.fixture
def as_(client: TestClient, people: People) -> Headers:
    return headers_by_role(client, people)


# -- listing and viewing ----------------------------------------------------------------


def test_my_items_are_listed_newest_first_with_a_total(
    client: TestClient, runtime: Runtime, people: People, as_: Headers
) -> None:
    mine = [add_item(runtime, people.owner) for _ in range(3)]
    add_item(runtime, people.other)
    response = client.get("/v1/items?limit=2", headers=as_["owner"])
    assert response.status_code == 200
    assert [i["id"] for i in response.json()] == [mine[2], mine[1]]
    assert response.headers["x-total-count"] == "3"


def test_my_items_are_filtered_by_status_and_kind(
    client: TestClient, runtime: Runtime, people: People, as_: Headers
) -> None:
    pending = add_item(runtime, people.owner, status=ItemStatus.PENDING)
    video = add_item(runtime, people.owner, kind=MediaKind.VIDEO)
    by_status = client.get("/v1/items?status=pending", headers=as_["owner"]).json()
    by_kind = client.get("/v1/items?kind=video", headers=as_["owner"]).json()
    assert ([i["id"] for i in by_status], [i["id"] for i in by_kind]) == ([pending], [video])


def test_bad_list_parameters_are_refused(client: TestClient, as_: Headers) -> None:
    for query in ("status=gone", "kind=gif", "limit=0", "limit=501", "offset=-1"):
        response = client.get(f"/v1/items?{query}", headers=as_["owner"])
        assert_error(response, 422, "invalid_request")


def test_an_item_shows_its_facts(
    client: TestClient, runtime: Runtime, people: People, as_: Headers
) -> None:
    item_id = add_item(runtime, people.owner, title="Fox", tags=["fox", "snow"])
    body = client.get(f"/v1/items/{item_id}", headers=as_["owner"]).json()
    assert body["id"] == item_id
    assert (body["kind"], body["status"], body["title"], body["tags"]) == (
        "photo",
        "uploaded",
        "Fox",
        ["fox", "snow"],
    )
    assert (body["width"], body["height"], body["mime_type"]) == (64, 48, "image/jpeg")
    assert body["translations"] == {}
    assert "original_blob" not in body


def test_unpublished_items_are_missing_for_others(
    client: TestClient, runtime: Runtime, people: People, as_: Headers
) -> None:
    for status, who, seen in [
        (ItemStatus.ACTIVE, "buyer", True),
        (ItemStatus.PENDING, "buyer", False),
        (ItemStatus.PENDING, "other", False),
        (ItemStatus.PENDING, "reviewer", True),
        (ItemStatus.ARCHIVED, "buyer", False),
        (ItemStatus.ARCHIVED, "owner", True),
    ]:
        item_id = add_item(runtime, people.owner, status=status)
        response = client.get(f"/v1/items/{item_id}", headers=as_[who])
        if seen:
            assert response.status_code == 200
        else:
            assert_error(response, 404, "not_found")


def test_views_by_others_are_counted(
    client: TestClient, runtime: Runtime, people: People, as_: Headers
) -> None:
    item_id = add_item(runtime, people.owner, status=ItemStatus.ACTIVE)
    client.get(f"/v1/items/{item_id}", headers=as_["owner"])
    client.get(f"/v1/items/{item_id}", headers=as_["buyer"])
    client.get(f"/v1/items/{item_id}", headers=as_["buyer"])
    assert client.get(f"/v1/items/{item_id}", headers=as_["owner"]).json()["views"] == 2


def test_items_need_authentication(client: TestClient) -> None:
    for method, path in [
        ("GET", "/v1/items"),
        ("GET", "/v1/items/1"),
        ("PATCH", "/v1/items/1"),
        ("POST", "/v1/items/1/submit"),
        ("POST", "/v1/items/submit-all"),
        ("GET", "/v1/categories"),
        ("GET", "/v1/series"),
    ]:
        assert_error(client.request(method, path, json={}), 401, "authentication_failed")


def test_a_missing_or_malformed_item_id_is_refused(client: TestClient, as_: Headers) -> None:
    assert_error(client.get("/v1/items/987654", headers=as_["owner"]), 404, "not_found")
    assert_error(client.get("/v1/items/abc", headers=as_["owner"]), 422, "invalid_request")


# -- editing ----------------------------------------------------------------------------


def test_an_edit_changes_texts_tags_translations_and_flags(
    client: TestClient, runtime: Runtime, people: People, as_: Headers
) -> None:
    item_id = add_item(runtime, people.owner)
    patch = {
        "title": "Füchse im Schnee ❄️",
        "description": "Zwei Füchse\nim Wald",
        "tags": ["Fox", "fox", "snow, winter"],
        "translations": {"de": {"title": "Füchse", "tags": ["Fuchs"]}, "ja": {"title": "狐"}},
        "editorial": True,
        "people_gender": "female",
        "people_quantity": 2,
    }
    response = client.patch(f"/v1/items/{item_id}", json=patch, headers=as_["owner"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["title"], body["description"]) == ("Füchse im Schnee ❄️", "Zwei Füchse\nim Wald")
    assert body["tags"] == ["fox", "snow", "winter"]
    assert body["translations"] == {
        "de": {"title": "Füchse", "description": "", "tags": ["fuchs"]},
        "ja": {"title": "狐", "description": "", "tags": []},
    }
    assert (body["editorial"], body["people_gender"], body["people_quantity"]) == (
        True,
        "female",
        2,
    )


def test_null_clears_people_fields_and_removes_a_language(
    client: TestClient, runtime: Runtime, people: People, as_: Headers
) -> None:
    item_id = add_item(runtime, people.owner)
    url = f"/v1/items/{item_id}"
    client.patch(
        url,
        json={"people_age": "child", "translations": {"de": {"title": "T"}}},
        headers=as_["owner"],
    )
    body = client.patch(
        url, json={"people_age": None, "translations": {"de": None}}, headers=as_["owner"]
    ).json()
    assert (body["people_age"], body["translations"]) == (None, {})


def test_hostile_text_is_stored_and_returned_verbatim(
    client: TestClient, runtime: Runtime, people: People, as_: Headers
) -> None:
    item_id = add_item(runtime, people.owner)
    for text in (
        "'; DROP TABLE media_item; --",
        "<img src=x onerror=alert(1)>",
        "${jndi:ldap://x}",
    ):
        client.patch(f"/v1/items/{item_id}", json={"title": text}, headers=as_["owner"])
        assert client.get(f"/v1/items/{item_id}", headers=as_["owner"]).json()["title"] == text
    assert client.get("/v1/items", headers=as_["owner"]).headers["x-total-count"] == "1"


def test_wrong_values_answer_invalid_parameter(
    client: TestClient, runtime: Runtime, people: People, as_: Headers
) -> None:
    item_id = add_item(runtime, people.owner, title="Before")
    for patch, param in [
        ({"title": "t" * 301}, "title"),
        ({"title": "a\x00b"}, "title"),
        ({"tags": ["k" * 51]}, "tags"),
        ({"people_race": "robot"}, "people_race"),
        ({"category_ids": [999999]}, "categories"),
        ({"series_id": 999999}, "series_id"),
        ({"translations": {"xx-invalid-code": {"title": "t"}}}, "lang"),
    ]:
        response = client.patch(f"/v1/items/{item_id}", json=patch, headers=as_["owner"])
        assert_error(response, 400, "invalid_parameter", param)
    assert client.get(f"/v1/items/{item_id}", headers=as_["owner"]).json()["title"] == "Before"


def test_a_body_off_the_schema_answers_invalid_request(
    client: TestClient, runtime: Runtime, people: People, as_: Headers
) -> None:
    item_id = add_item(runtime, people.owner)
    for patch in ({"editorial": "maybe"}, {"tags": "not a list"}, {"title": "x" * 20_001}):
        response = client.patch(f"/v1/items/{item_id}", json=patch, headers=as_["owner"])
        assert_error(response, 422, "invalid_request")


def test_editing_in_review_is_a_conflict(
    client: TestClient, runtime: Runtime, people: People, as_: Headers
) -> None:
    item_id = add_item(runtime, people.owner, status=ItemStatus.PENDING)
    response = client.patch(f"/v1/items/{item_id}", json={"title": "x"}, headers=as_["owner"])
    assert_error(response, 409, "conflict")
    assert "is pending" in response.json()["error"]["message"]


def test_editing_someone_elses_published_item_is_denied(
    client: TestClient, runtime: Runtime, people: People, as_: Headers
) -> None:
    item_id = add_item(runtime, people.owner, status=ItemStatus.ACTIVE)
    response = client.patch(f"/v1/items/{item_id}", json={"title": "x"}, headers=as_["other"])
    assert_error(response, 403, "permission_denied")


def test_an_admin_edits_a_published_item(
    client: TestClient, runtime: Runtime, people: People, as_: Headers
) -> None:
    item_id = add_item(runtime, people.owner, status=ItemStatus.ACTIVE)
    response = client.patch(f"/v1/items/{item_id}", json={"free": True}, headers=as_["admin"])
    assert response.json()["free"] is True


# -- workflow ---------------------------------------------------------------------------


def test_submit_sends_an_item_to_review_once(
    client: TestClient, runtime: Runtime, people: People, as_: Headers
) -> None:
    item_id = add_item(runtime, people.owner)
    first = client.post(f"/v1/items/{item_id}/submit", headers=as_["owner"])
    assert (first.status_code, first.json()["status"]) == (200, "pending")
    assert first.json()["submitted_at"] is not None
    again = client.post(f"/v1/items/{item_id}/submit", headers=as_["owner"])
    assert_error(again, 409, "conflict")
    assert again.json()["error"]["message"] == (
        f"item {item_id} is pending; only uploaded or rejected items can be submitted"
    )


def test_only_the_owner_submits(
    client: TestClient, runtime: Runtime, people: People, as_: Headers
) -> None:
    item_id = add_item(runtime, people.owner)
    for who, status, code in [
        ("other", 404, "not_found"),
        ("reviewer", 403, "permission_denied"),
        ("admin", 403, "permission_denied"),
    ]:
        assert_error(client.post(f"/v1/items/{item_id}/submit", headers=as_[who]), status, code)


def test_submit_all_submits_every_uploaded_item(
    client: TestClient, runtime: Runtime, people: People, as_: Headers
) -> None:
    uploaded = [add_item(runtime, people.owner) for _ in range(2)]
    add_item(runtime, people.owner, status=ItemStatus.ACTIVE)
    response = client.post("/v1/items/submit-all", headers=as_["owner"])
    assert response.json() == {"submitted": uploaded}
    assert client.post("/v1/items/submit-all", headers=as_["owner"]).json() == {"submitted": []}


def test_archive_hides_a_published_item(
    client: TestClient, runtime: Runtime, people: People, as_: Headers
) -> None:
    item_id = add_item(runtime, people.owner, status=ItemStatus.ACTIVE)
    body = client.post(f"/v1/items/{item_id}/archive", headers=as_["owner"]).json()
    assert (body["status"], body["visible"]) == ("archived", False)
    assert_error(client.get(f"/v1/items/{item_id}", headers=as_["buyer"]), 404, "not_found")
    assert_error(client.post(f"/v1/items/{item_id}/archive", headers=as_["owner"]), 409, "conflict")


def test_block_is_for_admins_and_keeps_the_reason(
    client: TestClient, runtime: Runtime, people: People, as_: Headers
) -> None:
    item_id = add_item(runtime, people.owner, status=ItemStatus.ACTIVE)
    url = f"/v1/items/{item_id}/block"
    assert_error(client.post(url, headers=as_["owner"]), 403, "permission_denied")
    assert (
        client.post(url, json={"reason": "stolen"}, headers=as_["admin"]).json()["status"]
        == "blocked"
    )
    history = client.get(f"/v1/items/{item_id}/history", headers=as_["owner"]).json()
    assert [(h["from_status"], h["to_status"], h["reason"]) for h in history] == [
        ("active", "blocked", "stolen")
    ]


def test_block_without_a_body_is_allowed(
    client: TestClient, runtime: Runtime, people: People, as_: Headers
) -> None:
    item_id = add_item(runtime, people.owner)
    response = client.post(f"/v1/items/{item_id}/block", headers=as_["admin"])
    assert response.json()["status"] == "blocked"


def test_history_lists_changes_with_who_and_when(
    client: TestClient, runtime: Runtime, people: People, as_: Headers
) -> None:
    item_id = add_item(runtime, people.owner)
    client.post(f"/v1/items/{item_id}/submit", headers=as_["owner"])
    client.post(f"/v1/review/{item_id}/reject", json={"reason": "blurry"}, headers=as_["reviewer"])
    history = client.get(f"/v1/items/{item_id}/history", headers=as_["owner"]).json()
    assert [(h["to_status"], h["by_user_id"], h["reason"]) for h in history] == [
        ("pending", people.owner.id, None),
        ("rejected", people.reviewer.id, "blurry"),
    ]
    assert all(h["at"] for h in history)


def test_history_of_a_published_item_is_not_for_buyers(
    client: TestClient, runtime: Runtime, people: People, as_: Headers
) -> None:
    item_id = add_item(runtime, people.owner, status=ItemStatus.ACTIVE)
    response = client.get(f"/v1/items/{item_id}/history", headers=as_["buyer"])
    assert_error(response, 403, "permission_denied")


# -- renditions and originals -------------------------------------------------------------


def test_renditions_of_a_published_item_have_plain_urls(
    client: TestClient, runtime: Runtime, people: People, as_: Headers
) -> None:
    item_id = add_item(runtime, people.owner, status=ItemStatus.ACTIVE)
    body = client.get(f"/v1/items/{item_id}/renditions", headers=as_["buyer"]).json()
    assert [(r["name"], r["width"], r["height"]) for r in body] == [
        ("large", 64, 48),
        ("thumb110", 110, 83),
    ]
    assert body[0]["url"] == f"http://testserver/media/{item_id}/large"
    assert body[0]["size"] > 0


def test_renditions_of_an_unpublished_item_have_signed_urls(
    client: TestClient, runtime: Runtime, people: People, as_: Headers
) -> None:
    item_id = add_item(runtime, people.owner)
    body = client.get(f"/v1/items/{item_id}/renditions", headers=as_["owner"]).json()
    url = urlsplit(body[0]["url"])
    assert url.path == f"/media/{item_id}/large"
    assert set(parse_qs(url.query)) == {"expires", "sig"}


def test_an_original_link_is_for_owner_reviewers_and_admins(
    client: TestClient, runtime: Runtime, people: People, as_: Headers
) -> None:
    item_id = add_item(runtime, people.owner, status=ItemStatus.ACTIVE)
    url = f"/v1/items/{item_id}/original-link"
    for who in ("owner", "reviewer", "admin"):
        body = client.post(url, headers=as_[who]).json()
        assert urlsplit(body["url"]).path == f"/media/original/{item_id}"
        assert body["expires_at"]
    for who in ("buyer", "other"):
        assert_error(client.post(url, headers=as_[who]), 403, "permission_denied")


def test_formats_of_a_video_are_listed_with_versions(
    client: TestClient, runtime: Runtime, people: People, as_: Headers
) -> None:
    item_id = add_item(runtime, people.owner, kind=MediaKind.VIDEO, status=ItemStatus.ACTIVE)
    blob = runtime.blobs.put_bytes(tiny_jpeg())
    with runtime.db.session() as session:
        pal = add_video_format(session, get_item(session, item_id), "PAL")
        add_video_version(
            session,
            pal,
            width=720,
            height=576,
            video_codec="dvvideo",
            audio_codec="pcm",
            extension="mov",
            video_standard=2,
            aspect_ratio=1,
            aspect_quotient=1,  # type: ignore[arg-type]
            blob=blob.key,
            file_size=blob.size,
        )
    body = client.get(f"/v1/items/{item_id}/formats", headers=as_["buyer"]).json()
    assert [(f["name"], f["sub_offset"], [v["width"] for v in f["versions"]]) for f in body] == [
        ("PAL", 0, [720])
    ]


# -- categories and series --------------------------------------------------------------


def test_categories_are_listed_per_group(
    client: TestClient, runtime: Runtime, as_: Headers
) -> None:
    with runtime.db.session() as session:
        ensure_default_categories(session)
    body = client.get("/v1/categories?group=sfx", headers=as_["buyer"]).json()
    assert {c["group"] for c in body} == {"sfx"}
    assert "Foley" in [c["name"] for c in body]
    assert_error(
        client.get("/v1/categories?group=gifs", headers=as_["buyer"]),
        400,
        "invalid_parameter",
        "group",
    )


def test_an_item_gets_categories_of_its_kind(
    client: TestClient, runtime: Runtime, people: People, as_: Headers
) -> None:
    with runtime.db.session() as session:
        ensure_default_categories(session)
        nature = next(c.id for c in list_categories(session, "image") if c.name == "Nature")
    item_id = add_item(runtime, people.owner)
    body = client.patch(
        f"/v1/items/{item_id}", json={"category_ids": [nature]}, headers=as_["owner"]
    ).json()
    assert body["categories"] == [{"id": nature, "group": "image", "name": "Nature"}]


def test_a_series_is_made_filled_and_emptied(
    client: TestClient, runtime: Runtime, people: People, as_: Headers
) -> None:
    items = [add_item(runtime, people.owner) for _ in range(2)]
    created = client.post("/v1/series", json={"name": "Harbour"}, headers=as_["owner"])
    assert created.status_code == 201
    series_id = created.json()["id"]
    filled = client.post(
        f"/v1/series/{series_id}/items", json={"item_ids": items}, headers=as_["owner"]
    ).json()
    assert filled["item_ids"] == items
    assert client.get(f"/v1/items/{items[0]}", headers=as_["owner"]).json()["series_id"] == (
        series_id
    )
    removed = client.delete(f"/v1/series/{series_id}/items/{items[0]}", headers=as_["owner"])
    assert removed.status_code == 204
    assert client.get(f"/v1/series/{series_id}", headers=as_["owner"]).json()["item_ids"] == [
        items[1]
    ]
    assert [s["id"] for s in client.get("/v1/series", headers=as_["owner"]).json()] == [series_id]


def test_series_of_others_are_missing_and_their_items_refused(
    client: TestClient, runtime: Runtime, people: People, as_: Headers
) -> None:
    series_id = client.post("/v1/series", json={"name": "Mine"}, headers=as_["owner"]).json()["id"]
    theirs = add_item(runtime, people.other)
    assert_error(client.get(f"/v1/series/{series_id}", headers=as_["other"]), 404, "not_found")
    response = client.post(
        f"/v1/series/{series_id}/items", json={"item_ids": [theirs]}, headers=as_["owner"]
    )
    assert_error(response, 403, "permission_denied")
    assert_error(
        client.post("/v1/series", json={"name": "Mine"}, headers=as_["owner"]), 409, "conflict"
    )
    assert_error(
        client.post("/v1/series", json={"name": "B"}, headers=as_["buyer"]),
        403,
        "permission_denied",
    )
