"""Native API: a contributor's FTP inbox (GET /v1/inbox, POST /v1/inbox/process)."""

from __future__ import annotations

import dataclasses
import os
import time
from pathlib import Path

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import Role
from stockhouse.app import create_app
from stockhouse.catalog.models import Upload
from stockhouse.ingest.inbox import inbox_dir
from stockhouse.runtime import Runtime
from tests.api.conftest import PASSWORD, Caller, log_in
from tests.ingest.image_factory import make_image


@pytest.fixture
def contributor(client: TestClient, runtime: Runtime, users: None) -> Caller:
    with runtime.db.session() as session:
        accounts.create_user(session, username="cora", password=PASSWORD, roles=[Role.CONTRIBUTOR])
    return log_in(client, "cora")


@pytest.fixture
def inbox(runtime: Runtime, contributor: Caller) -> Path:
    with runtime.db.read_session() as session:
        user_id = accounts.get_user_by_username(session, "cora").id
    return inbox_dir(runtime.settings, user_id, create=True)


def settled(path: Path) -> Path:
    """Last written a minute ago: finished, as far as the inbox can tell."""
    moment = time.time() - 60
    os.utime(path, (moment, moment))
    return path


def test_get_inbox_says_where_to_connect_and_what_waits(
    client: TestClient, contributor: Caller, inbox: Path
) -> None:
    (inbox / "done.jpg").write_bytes(b"abc")
    settled(inbox / "done.jpg")
    (inbox / "arriving.jpg").write_bytes(b"x")

    response = client.get("/v1/inbox", headers=contributor.headers)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ftp"] == {
        "enabled": True,
        "host": "127.0.0.1",
        "port": 2121,
        "username": "cora",
        "passive_ports": "30000-30099",
    }
    assert [(f["name"], f["size"], f["state"]) for f in body["files"]] == [
        ("arriving.jpg", 1, "receiving"),
        ("done.jpg", 3, "ready"),
    ]


def test_process_receives_the_finished_files_and_reports_each(
    client: TestClient, runtime: Runtime, contributor: Caller, inbox: Path
) -> None:
    settled(make_image(inbox / "sunset.jpg"))
    (inbox / "arriving.jpg").write_bytes(b"x")

    response = client.post("/v1/inbox/process", json={"submit": True}, headers=contributor.headers)

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["received"], body["more_waiting"]) == (1, False)
    assert [(f["name"], f["outcome"]) for f in body["files"]] == [
        ("arriving.jpg", "skipped"),
        ("sunset.jpg", "queued"),
    ]
    with runtime.db.read_session() as session:
        upload = session.scalars(select(Upload)).one()
    assert body["files"][1]["upload_id"] == upload.id
    assert (upload.filename, upload.source, upload.submit_after) == ("sunset.jpg", "ftp", True)
    assert [p.name for p in inbox.iterdir()] == ["arriving.jpg"]


def test_process_without_a_body_does_not_submit(
    client: TestClient, runtime: Runtime, contributor: Caller, inbox: Path
) -> None:
    settled(make_image(inbox / "sunset.jpg"))
    response = client.post("/v1/inbox/process", headers=contributor.headers)
    assert response.status_code == 200, response.text
    with runtime.db.read_session() as session:
        assert session.scalars(select(Upload.submit_after)).one() is False


@pytest.mark.parametrize(("method", "path"), [("GET", "/v1/inbox"), ("POST", "/v1/inbox/process")])
def test_the_inbox_is_for_contributors_only(
    client: TestClient, buyer: Caller, method: str, path: str
) -> None:
    response = client.request(method, path, headers=buyer.headers)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


@pytest.mark.parametrize(("method", "path"), [("GET", "/v1/inbox"), ("POST", "/v1/inbox/process")])
def test_the_inbox_needs_credentials(client: TestClient, method: str, path: str) -> None:
    response = client.request(method, path)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def test_ftp_shows_as_disabled_when_its_port_is_0(runtime: Runtime, users: None) -> None:
    with runtime.db.session() as session:
        accounts.create_user(session, username="cora", password=PASSWORD, roles=[Role.CONTRIBUTOR])
    no_ftp = Runtime(dataclasses.replace(runtime.settings, ftp_port=0))
    try:
        with TestClient(create_app(no_ftp)) as client:
            response = client.get("/v1/inbox", headers=log_in(client, "cora").headers)
    finally:
        no_ftp.close()
    assert response.json()["ftp"]["enabled"] is False
    assert response.json()["ftp"]["port"] is None
