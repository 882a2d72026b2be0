"""Native API: uploading, listing and downloading releases; attaching them to items."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from stockhouse.catalog import releases
from stockhouse.catalog.models import ItemStatus
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

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def people(runtime: Runtime) -> People:
    return make_people(runtime)


@pytest.fixture
def as_(client: TestClient, people: People) -> Headers:
    return headers_by_role(client, people)


def upload(
    client: TestClient,
    headers: dict[str, str],
    *,
    data: bytes = PDF,
    filename: str = "jane-roe.pdf",
    kind: str = "1",
    name: str = "Jane Roe",
) -> httpx.Response:
    return client.post(
        "/v1/releases",
        params={"type": kind, "name": name},
        files={"file": (filename, data, "application/pdf")},
        headers=headers,
    )


def release_id(client: TestClient, headers: dict[str, str], **kwargs: str) -> int:
    response = upload(client, headers, **kwargs)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def test_a_release_is_uploaded_listed_and_downloaded(
    client: TestClient, people: People, as_: Headers
) -> None:
    response = upload(client, as_["owner"], filename="C:\\scans\\jane roe.pdf")
    assert response.status_code == 201
    body = response.json()
    assert {k: body[k] for k in ("owner_id", "type", "type_name", "name", "filename")} == {
        "owner_id": people.owner.id,
        "type": 1,
        "type_name": "model",
        "name": "Jane Roe",
        "filename": "jane roe.pdf",
    }
    listed = client.get("/v1/releases", headers=as_["owner"]).json()
    assert [r["id"] for r in listed] == [body["id"]]
    document = client.get(f"/v1/releases/{body['id']}/document", headers=as_["owner"])
    assert document.content == PDF
    assert document.headers["content-type"] == "application/pdf"
    assert document.headers["content-disposition"] == 'attachment; filename="jane_roe.pdf"'


def test_a_property_release_may_be_a_jpeg(client: TestClient, as_: Headers) -> None:
    response = upload(
        client,
        as_["owner"],
        data=tiny_jpeg(),
        filename="villa.jpg",
        kind="property",
        name="Villa Rosa",
    )
    assert response.json()["type"] == 2


def test_releases_are_listed_by_type(client: TestClient, as_: Headers) -> None:
    release_id(client, as_["owner"], kind="1")
    prop = release_id(client, as_["owner"], kind="2", name="House")
    listed = client.get("/v1/releases?type=property", headers=as_["owner"]).json()
    assert [r["id"] for r in listed] == [prop]


def test_others_releases_are_missing(client: TestClient, as_: Headers) -> None:
    rid = release_id(client, as_["owner"])
    assert_error(client.get(f"/v1/releases/{rid}", headers=as_["other"]), 404, "not_found")
    assert_error(client.get(f"/v1/releases/{rid}/document", headers=as_["other"]), 404, "not_found")
    assert client.get("/v1/releases", headers=as_["other"]).json() == []
    assert client.get(f"/v1/releases/{rid}", headers=as_["admin"]).status_code == 200


def test_bad_uploads_answer_invalid_parameter(client: TestClient, as_: Headers) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"data": b"GIF89a not a release"}, "file"),
        ({"data": b""}, "file"),
        ({"kind": "3"}, "type"),
        ({"name": "   "}, "name"),
        ({"name": "n" * 201}, "name"),
    ]
    for kwargs, param in cases:
        assert_error(upload(client, as_["owner"], **kwargs), 400, "invalid_parameter", param)
    assert client.get("/v1/releases", headers=as_["owner"]).json() == []


def test_an_over_long_document_answers_payload_too_large(
    client: TestClient, runtime: Runtime, as_: Headers, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(releases, "MAX_RELEASE_BYTES", 1000)
    blobs_before = set(runtime.blobs.keys())
    response = upload(client, as_["owner"], data=PDF + b"0" * 2000)
    assert_error(response, 413, "payload_too_large")
    assert set(runtime.blobs.keys()) == blobs_before
    assert client.get("/v1/releases", headers=as_["owner"]).json() == []


def test_a_body_that_is_not_multipart_is_refused(client: TestClient, as_: Headers) -> None:
    response = client.post(
        "/v1/releases?type=1&name=x",
        content=PDF,
        headers={**as_["owner"], "content-type": "application/pdf"},
    )
    assert_error(response, 400, "invalid_parameter", "file")


def test_uploading_needs_a_contributor(client: TestClient, as_: Headers) -> None:
    assert_error(upload(client, as_["buyer"]), 403, "permission_denied")
    assert_error(upload(client, as_["nobody"]), 401, "authentication_failed")


def test_a_release_is_attached_to_an_item_and_detached(
    client: TestClient, runtime: Runtime, people: People, as_: Headers
) -> None:
    rid = release_id(client, as_["owner"])
    item_id = add_item(runtime, people.owner)
    attached = client.post(
        f"/v1/items/{item_id}/releases", json={"release_id": rid}, headers=as_["owner"]
    )
    assert attached.json() == [{"id": rid, "type": 1, "name": "Jane Roe"}]
    assert client.get(f"/v1/items/{item_id}", headers=as_["owner"]).json()["releases"] == [
        {"id": rid, "type": 1, "name": "Jane Roe"}
    ]
    assert client.get(f"/v1/releases/{rid}", headers=as_["owner"]).json()["item_ids"] == [item_id]
    detached = client.delete(f"/v1/items/{item_id}/releases/{rid}", headers=as_["owner"])
    assert detached.status_code == 204
    assert client.get(f"/v1/items/{item_id}", headers=as_["owner"]).json()["releases"] == []
    assert_error(
        client.delete(f"/v1/items/{item_id}/releases/{rid}", headers=as_["owner"]), 404, "not_found"
    )


def test_someone_elses_release_cannot_be_attached(
    client: TestClient, runtime: Runtime, people: People, as_: Headers
) -> None:
    theirs = release_id(client, as_["other"])
    item_id = add_item(runtime, people.owner)
    response = client.post(
        f"/v1/items/{item_id}/releases", json={"release_id": theirs}, headers=as_["owner"]
    )
    assert_error(response, 403, "permission_denied")
    assert response.json()["error"]["message"] == f"release {theirs} is not yours"


def test_a_release_cannot_be_attached_to_someone_elses_item(
    client: TestClient, runtime: Runtime, people: People, as_: Headers
) -> None:
    rid = release_id(client, as_["owner"])
    published = add_item(runtime, people.other, status=ItemStatus.ACTIVE)
    hidden = add_item(runtime, people.other)
    response = client.post(
        f"/v1/items/{published}/releases", json={"release_id": rid}, headers=as_["owner"]
    )
    assert_error(response, 403, "permission_denied")
    assert response.json()["error"]["message"] == f"item {published} is not yours"
    assert_error(
        client.post(f"/v1/items/{hidden}/releases", json={"release_id": rid}, headers=as_["owner"]),
        404,
        "not_found",
    )


def test_attaching_a_missing_release_is_not_found(
    client: TestClient, runtime: Runtime, people: People, as_: Headers
) -> None:
    item_id = add_item(runtime, people.owner)
    response = client.post(
        f"/v1/items/{item_id}/releases", json={"release_id": 987654}, headers=as_["owner"]
    )
    assert_error(response, 404, "not_found")
