"""The native /v1/generations endpoints."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import Role
from stockhouse.generation import service
from stockhouse.generation.models import GenerationJob
from stockhouse.runtime import Runtime
from tests.api.conftest import PASSWORD, Caller, log_in


@pytest.fixture
def buyer(client: TestClient, runtime: Runtime) -> Caller:
    with runtime.db.session() as session:
        accounts.create_user(session, username="bea", password=PASSWORD, roles=[Role.BUYER])
    return log_in(client, "bea")


@pytest.fixture
def admin(client: TestClient, runtime: Runtime) -> Caller:
    with runtime.db.session() as session:
        accounts.create_user(session, username="root", password=PASSWORD, roles=[Role.ADMIN])
    return log_in(client, "root")


def run_job(runtime: Runtime, job_uuid: str) -> None:
    with runtime.db.read_session() as session:
        job_id = session.scalars(
            select(GenerationJob.id).where(GenerationJob.uuid == job_uuid)
        ).one()
    service.run_generation(runtime, job_id)


def test_post_makes_a_job_and_get_follows_it_to_completion(
    client: TestClient, runtime: Runtime, buyer: Caller
) -> None:
    created = client.post(
        "/v1/generations",
        json={"prompt": "a teal teapot", "aspect_ratio": "4:3", "medium": "art"},
        headers=buyer.headers,
    )
    assert created.status_code == 201
    job = created.json()
    assert (job["status"], job["purchase_status"], len(job["items"])) == ("new", "deferred", 4)

    run_job(runtime, job["uuid"])
    done = client.get(f"/v1/generations/{job['uuid']}", headers=buyer.headers).json()

    assert (done["status"], done["purchase_status"]) == ("completed", "paid")
    assert {(i["width"], i["height"]) for i in done["items"]} == {(640, 480)}
    preview = client.get(done["items"][0]["preview_url"].removeprefix("http://testserver"))
    assert preview.status_code == 200
    assert preview.content[:3] == b"\xff\xd8\xff"


def test_another_users_job_is_not_found(client: TestClient, buyer: Caller, admin: Caller) -> None:
    job = client.post("/v1/generations", json={"prompt": "a cat"}, headers=buyer.headers).json()

    response = client.get(f"/v1/generations/{job['uuid']}", headers=admin.headers)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_a_long_prompt_is_an_invalid_parameter(client: TestClient, buyer: Caller) -> None:
    response = client.post("/v1/generations", json={"prompt": "p" * 401}, headers=buyer.headers)

    assert response.status_code == 400
    assert (response.json()["error"]["code"], response.json()["error"]["param"]) == (
        "invalid_parameter",
        "prompt",
    )


def test_an_unsigned_preview_link_is_refused(client: TestClient, buyer: Caller) -> None:
    job = client.post("/v1/generations", json={"prompt": "a cat"}, headers=buyer.headers).json()

    response = client.get(f"/v1/generations/previews/{job['items'][0]['uuid']}.jpg")

    assert response.status_code == 403
