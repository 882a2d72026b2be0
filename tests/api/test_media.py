"""/media: renditions with ETag and cache headers; originals through signed, expiring links."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.testclient import TestClient

from stockhouse import signing
from stockhouse.api import create_native_api
from stockhouse.api.media import PUBLIC_MAX_AGE_S, download_name, media_routes
from stockhouse.catalog.models import ItemStatus
from stockhouse.catalog.service import get_item
from stockhouse.db.base import utcnow
from stockhouse.observability import RequestContextMiddleware
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
def client(runtime: Runtime) -> Iterator[TestClient]:
    """/media beside /v1, as the application mounts them."""
    app = Starlette(routes=[*media_routes(), Mount("/v1", app=create_native_api(runtime))])
    app.state.runtime = runtime
    app.add_middleware(RequestContextMiddleware)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def people(runtime: Runtime) -> People:
    return make_people(runtime)


@pytest.fixture
def as_(client: TestClient, people: People) -> Headers:
    return headers_by_role(client, people)


def blob_of(runtime: Runtime, item_id: int, name: str) -> str:
    with runtime.db.read_session() as session:
        item = get_item(session, item_id)
        return item.original_blob if name == "original" else item.rendition(name).blob  # type: ignore[union-attr]


def stored_bytes(runtime: Runtime, key: str) -> bytes:
    with runtime.blobs.open(key) as stream:
        return stream.read()


def original_url(client: TestClient, headers: dict[str, str], item_id: int) -> str:
    response = client.post(f"/v1/items/{item_id}/original-link", headers=headers)
    assert response.status_code == 200, response.text
    url = urlsplit(response.json()["url"])
    return f"{url.path}?{url.query}"


# -- renditions -------------------------------------------------------------------------


def test_a_published_items_rendition_is_public_and_cacheable(
    client: TestClient, runtime: Runtime, people: People
) -> None:
    item_id = add_item(runtime, people.owner, status=ItemStatus.ACTIVE)
    key = blob_of(runtime, item_id, "large")
    response = client.get(f"/media/{item_id}/large")
    assert response.status_code == 200
    assert response.content == stored_bytes(runtime, key)
    assert hashlib.sha256(response.content).hexdigest() == key
    assert response.headers["etag"] == f'"{key}"'
    assert response.headers["cache-control"] == f"public, max-age={PUBLIC_MAX_AGE_S}"
    assert response.headers["content-type"] == "image/jpeg"


def test_a_matching_if_none_match_answers_304(
    client: TestClient, runtime: Runtime, people: People
) -> None:
    item_id = add_item(runtime, people.owner, status=ItemStatus.ACTIVE)
    key = blob_of(runtime, item_id, "thumb110")
    for form in ('"{k}"', 'W/"{k}"', '"other", "{k}"', "*"):
        response = client.get(
            f"/media/{item_id}/thumb110", headers={"If-None-Match": form.format(k=key)}
        )
        assert response.status_code == 304, form
        assert response.content == b""
        assert response.headers["etag"] == f'"{key}"'


def test_a_stale_etag_gets_the_bytes(client: TestClient, runtime: Runtime, people: People) -> None:
    item_id = add_item(runtime, people.owner, status=ItemStatus.ACTIVE)
    response = client.get(f"/media/{item_id}/large", headers={"If-None-Match": '"0000"'})
    assert response.status_code == 200
    assert response.content


def test_head_and_range_requests_are_answered(
    client: TestClient, runtime: Runtime, people: People
) -> None:
    item_id = add_item(runtime, people.owner, status=ItemStatus.ACTIVE)
    whole = client.get(f"/media/{item_id}/large").content
    head = client.head(f"/media/{item_id}/large")
    assert (head.status_code, head.content) == (200, b"")
    assert head.headers["content-length"] == str(len(whole))
    part = client.get(f"/media/{item_id}/large", headers={"Range": "bytes=0-9"})
    assert (part.status_code, part.content) == (206, whole[:10])


def test_an_unpublished_items_rendition_is_missing_for_the_public(
    client: TestClient, runtime: Runtime, people: People, as_: Headers
) -> None:
    for status in (ItemStatus.UPLOADED, ItemStatus.PENDING, ItemStatus.ARCHIVED):
        item_id = add_item(runtime, people.owner, status=status)
        assert_error(client.get(f"/media/{item_id}/large"), 404, "not_found")
        response = client.get(f"/media/{item_id}/large", headers=as_["buyer"])
        assert_error(response, 404, "not_found")


def test_owner_reviewers_and_admins_see_unpublished_renditions_privately(
    client: TestClient, runtime: Runtime, people: People, as_: Headers
) -> None:
    item_id = add_item(runtime, people.owner, status=ItemStatus.PENDING)
    for who in ("owner", "reviewer", "admin"):
        response = client.get(f"/media/{item_id}/large", headers=as_[who])
        assert response.status_code == 200
        assert response.headers["cache-control"] == "private, no-cache"


def test_a_wrong_token_is_refused(client: TestClient, runtime: Runtime, people: People) -> None:
    item_id = add_item(runtime, people.owner, status=ItemStatus.PENDING)
    response = client.get(f"/media/{item_id}/large", headers={"Authorization": "Bearer nope"})
    assert_error(response, 401, "authentication_failed")


def test_the_signed_urls_of_the_renditions_endpoint_work_without_a_login(
    client: TestClient, runtime: Runtime, people: People, as_: Headers
) -> None:
    item_id = add_item(runtime, people.owner, status=ItemStatus.PENDING)
    listed = client.get(f"/v1/items/{item_id}/renditions", headers=as_["owner"]).json()
    for rendition in listed:
        url = urlsplit(rendition["url"])
        response = client.get(f"{url.path}?{url.query}")
        assert response.status_code == 200
        assert len(response.content) == rendition["size"]


def test_a_signed_rendition_url_is_for_its_own_path_only(
    client: TestClient, runtime: Runtime, people: People, as_: Headers
) -> None:
    item_id = add_item(runtime, people.owner, status=ItemStatus.PENDING)
    other_id = add_item(runtime, people.owner, status=ItemStatus.PENDING)
    listed = client.get(f"/v1/items/{item_id}/renditions", headers=as_["owner"]).json()
    query = urlsplit(listed[0]["url"]).query
    assert_error(client.get(f"/media/{other_id}/large?{query}"), 403, "permission_denied")
    assert_error(client.get(f"/media/{item_id}/thumb110?{query}"), 403, "permission_denied")


def test_unknown_renditions_are_not_found(
    client: TestClient, runtime: Runtime, people: People
) -> None:
    item_id = add_item(runtime, people.owner, status=ItemStatus.ACTIVE)
    for path in (
        f"/media/{item_id}/nope",
        "/media/987654/large",
        f"/media/{item_id}/..%2F..%2Fx",
        f"/media/{item_id}/LARGE",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "Traceback" not in response.text


# -- originals --------------------------------------------------------------------------


def test_a_signed_link_downloads_the_original_as_an_attachment(
    client: TestClient, runtime: Runtime, people: People, as_: Headers
) -> None:
    item_id = add_item(runtime, people.owner, filename='Füchse im "Schnee"\r\n.jpg')
    response = client.get(original_url(client, as_["owner"], item_id))
    assert response.status_code == 200
    assert response.content == stored_bytes(runtime, blob_of(runtime, item_id, "original"))
    assert response.headers["content-disposition"] == (
        'attachment; filename="Fuchse_im_Schnee.jpg"'
    )
    assert response.headers["cache-control"] == "private, no-store"


def test_an_expired_link_is_refused(
    client: TestClient,
    runtime: Runtime,
    people: People,
    as_: Headers,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    item_id = add_item(runtime, people.owner)
    url = original_url(client, as_["owner"], item_id)
    later = utcnow() + timedelta(minutes=16)
    monkeypatch.setattr(signing, "utcnow", lambda: later)
    response = client.get(url)
    assert_error(response, 403, "permission_denied")
    assert "expired" in response.json()["error"]["message"]


def test_a_link_still_valid_just_before_expiry_works(
    client: TestClient,
    runtime: Runtime,
    people: People,
    as_: Headers,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    item_id = add_item(runtime, people.owner)
    url = original_url(client, as_["owner"], item_id)
    later = utcnow() + timedelta(minutes=14)
    monkeypatch.setattr(signing, "utcnow", lambda: later)
    assert client.get(url).status_code == 200


def tampered(url: str, **changes: str) -> str:
    path, _, query = url.partition("?")
    params = {k: v[0] for k, v in parse_qs(query).items()}
    return f"{path}?{urlencode({**params, **changes})}"


def test_a_tampered_link_is_refused(
    client: TestClient, runtime: Runtime, people: People, as_: Headers
) -> None:
    item_id = add_item(runtime, people.owner)
    other_id = add_item(runtime, people.owner)
    url = original_url(client, as_["owner"], item_id)
    expires = parse_qs(url.partition("?")[2])["expires"][0]
    forgeries = {
        "later expiry": tampered(url, expires=str(int(expires) + 86400)),
        "other signature": tampered(url, sig="A" * 43),
        "other item": url.replace(f"/original/{item_id}?", f"/original/{other_id}?"),
        "no signature": url.partition("?")[0],
    }
    for what, forged in forgeries.items():
        response = client.get(forged)
        assert response.status_code == 403, what
        assert_error(response, 403, "permission_denied")


def test_a_link_to_a_deleted_item_is_not_found(
    client: TestClient, runtime: Runtime, people: People, as_: Headers
) -> None:
    item_id = add_item(runtime, people.owner)
    url = original_url(client, as_["owner"], item_id)
    with runtime.db.session() as session:
        session.delete(get_item(session, item_id))
    assert_error(client.get(url), 404, "not_found")


@pytest.mark.parametrize(
    ("name", "extension", "expected"),
    [
        ("Füchse im Schnee.jpg", "jpg", "Fuchse_im_Schnee.jpg"),
        ("../../etc/passwd", "jpg", "passwd.jpg"),
        ('a"b;c\\d.tif', "TIF", "d.tif"),
        ("雪の中の狐.png", "png", "item-7.png"),
        ("...", "mp4", "item-7.mp4"),
        ("x" * 300 + ".jpg", "jpg", "x" * 100 + ".jpg"),
    ],
)
def test_download_names_are_safe_ascii(name: str, extension: str, expected: str) -> None:
    assert download_name(name, extension, "item-7") == expected
