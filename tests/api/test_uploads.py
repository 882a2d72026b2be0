"""Native API: streaming multipart uploads into the ingest pipeline."""

from __future__ import annotations

import hashlib
import os

import httpx
import pytest
from starlette.testclient import TestClient

from stockhouse.catalog.models import Upload
from stockhouse.ingest import pipeline
from stockhouse.runtime import Runtime
from tests.catalog.factories import (
    Headers,
    People,
    assert_error,
    headers_by_role,
    make_people,
    tiny_jpeg,
)

BOUNDARY = "stockhouse-test-boundary"


@pytest.fixture
def people(runtime: Runtime) -> People:
    return make_people(runtime)


@pytest.fixture
def as_(client: TestClient, people: People) -> Headers:
    return headers_by_role(client, people)


def multipart(data: bytes, filename: str = "fox.jpg", *, close: bool = True) -> bytes:
    """A multipart body with a text field, then the file, built by hand (so it can be cut)."""
    body = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="note"\r\n\r\nhello\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
    ).encode() + data
    return body + f"\r\n--{BOUNDARY}--\r\n".encode() if close else body


def post(
    client: TestClient, headers: dict[str, str], body: bytes, query: str = ""
) -> httpx.Response:
    return client.post(
        f"/v1/uploads{query}",
        content=body,
        headers={**headers, "content-type": f"multipart/form-data; boundary={BOUNDARY}"},
    )


def uploads_in_db(runtime: Runtime) -> int:
    with runtime.db.read_session() as session:
        return session.query(Upload).count()


def test_an_upload_is_streamed_into_the_blob_store_and_queued(
    client: TestClient, runtime: Runtime, people: People, as_: Headers
) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)  # larger than the pipe holds at once
    response = post(client, as_["owner"], multipart(data, "noise.jpg"))
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["state"], body["filename"], body["file_size"]) == (
        "queued",
        "noise.jpg",
        len(data),
    )
    with runtime.db.read_session() as session:
        blob = session.get(Upload, body["id"]).blob  # type: ignore[union-attr]
    assert blob == hashlib.sha256(data).hexdigest()
    with runtime.blobs.open(blob) as stored:
        assert stored.read() == data
    polled = client.get(f"/v1/uploads/{body['id']}", headers=as_["owner"]).json()
    assert polled == body


def test_wait_ingests_before_answering(
    client: TestClient, runtime: Runtime, people: People, as_: Headers
) -> None:
    response = post(client, as_["owner"], multipart(tiny_jpeg(640, 480)), "?wait=true")
    body = response.json()
    assert body["state"] == "done", body
    item = client.get(f"/v1/items/{body['item_id']}", headers=as_["owner"]).json()
    assert (item["status"], item["owner_id"], item["original_filename"]) == (
        "uploaded",
        people.owner.id,
        "fox.jpg",
    )


def test_submit_sends_the_new_item_to_review(
    client: TestClient, runtime: Runtime, people: People, as_: Headers
) -> None:
    response = post(client, as_["owner"], multipart(tiny_jpeg(640, 480)), "?wait=true&submit=true")
    item_id = response.json()["item_id"]
    queue = client.get("/v1/review/queue", headers=as_["reviewer"]).json()
    assert [i["id"] for i in queue] == [item_id]


def test_the_same_file_again_is_a_duplicate(
    client: TestClient, runtime: Runtime, people: People, as_: Headers
) -> None:
    data = tiny_jpeg(640, 480)
    first = post(client, as_["owner"], multipart(data), "?wait=true").json()
    second = post(client, as_["owner"], multipart(data, "again.jpg"), "?wait=true").json()
    assert (second["state"], second["duplicate_of"]) == ("duplicate", first["item_id"])
    assert second["reason"]


def test_a_file_over_the_limit_answers_payload_too_large_and_leaves_nothing(
    client: TestClient, runtime: Runtime, as_: Headers, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pipeline, "MAX_UPLOAD_BYTES", 200_000)
    blobs_before = set(runtime.blobs.keys())
    response = post(client, as_["owner"], multipart(os.urandom(200_001)))
    assert_error(response, 413, "payload_too_large")
    assert set(runtime.blobs.keys()) == blobs_before
    assert uploads_in_db(runtime) == 0


def test_a_file_at_the_limit_is_accepted(
    client: TestClient, runtime: Runtime, as_: Headers, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pipeline, "MAX_UPLOAD_BYTES", 200_000)
    response = post(client, as_["owner"], multipart(os.urandom(200_000)))
    assert response.status_code == 201


def test_a_declared_length_over_the_limit_is_refused_before_reading(
    client: TestClient, as_: Headers, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pipeline, "MAX_UPLOAD_BYTES", 1000)
    body = multipart(b"x" * 200_000)
    response = client.post(
        "/v1/uploads",
        content=body,
        headers={
            **as_["owner"],
            "content-type": f"multipart/form-data; boundary={BOUNDARY}",
            "content-length": str(len(body)),
        },
    )
    assert_error(response, 413, "payload_too_large")


MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"
NO_FILE_PART = (
    f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="a"\r\n\r\nb\r\n--{BOUNDARY}--\r\n'
).encode()
# (what is wrong, body, content type)
MALFORMED = [
    ("not multipart", b"just bytes", "application/octet-stream"),
    ("no boundary", b"--x\r\n", "multipart/form-data"),
    ("cut short", multipart(b"data", close=False), MULTIPART),
    ("no file part", NO_FILE_PART, MULTIPART),
    ("garbage", b"garbage without boundaries", MULTIPART),
]


def test_malformed_bodies_answer_invalid_parameter(
    client: TestClient, runtime: Runtime, as_: Headers
) -> None:
    for what, body, content_type in MALFORMED:
        response = client.post(
            "/v1/uploads", content=body, headers={**as_["owner"], "content-type": content_type}
        )
        assert response.status_code == 400, what
        assert_error(response, 400, "invalid_parameter", "file")
    assert uploads_in_db(runtime) == 0


def test_uploading_needs_a_contributor(client: TestClient, runtime: Runtime, as_: Headers) -> None:
    for who, status, code in [
        ("nobody", 401, "authentication_failed"),
        ("buyer", 403, "permission_denied"),
        ("reviewer", 403, "permission_denied"),
    ]:
        assert_error(post(client, as_[who], multipart(b"x")), status, code)
    assert uploads_in_db(runtime) == 0


def test_uploads_are_private_to_their_owner(
    client: TestClient, runtime: Runtime, as_: Headers
) -> None:
    upload_id = post(client, as_["owner"], multipart(b"abc")).json()["id"]
    assert_error(client.get(f"/v1/uploads/{upload_id}", headers=as_["other"]), 404, "not_found")
    assert client.get(f"/v1/uploads/{upload_id}", headers=as_["admin"]).status_code == 200
    assert [u["id"] for u in client.get("/v1/uploads", headers=as_["owner"]).json()] == [upload_id]
    assert client.get("/v1/uploads", headers=as_["other"]).json() == []
