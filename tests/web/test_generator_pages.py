"""The AI generator page over the TestClient: ask with a prompt, ratio and medium; follow
the job; its finished pictures link to their catalog items to license."""

from __future__ import annotations

import re

from sqlalchemy import select
from starlette.testclient import TestClient

from stockhouse.generation import service
from stockhouse.generation.models import GenerationJob
from stockhouse.runtime import Runtime
from tests.catalog.factories import People, make_people
from tests.web.support import csrf_of, login


def _buyer(client: TestClient, runtime: Runtime) -> People:
    people = make_people(runtime)
    login(client, people.buyer.username)
    return people


def _ask(client: TestClient, prompt: str = "a lighthouse at dawn", ratio: str = "3:2") -> str:
    response = client.post(
        "/generate",
        data={
            "csrf_token": csrf_of(client, "/generate"),
            "prompt": prompt,
            "aspect_ratio": ratio,
            "medium": "photography",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    location: str = response.headers["location"]
    return location.rsplit("/", 1)[1]


def _run(runtime: Runtime, uuid: str) -> None:
    with runtime.db.read_session() as session:
        job_id = session.scalar(select(GenerationJob.id).where(GenerationJob.uuid == uuid))
    assert job_id is not None
    service.run_generation(runtime, job_id)


def test_the_form_offers_every_aspect_ratio_and_medium(
    client: TestClient, runtime: Runtime
) -> None:
    _buyer(client, runtime)
    html = client.get("/generate").text
    assert re.findall(r'name="aspect_ratio" value="([^"]+)"', html) == list(service.ASPECT_RATIOS)
    assert re.findall(r'name="medium" value="([^"]+)"', html) == list(service.MEDIUMS)


def test_asking_makes_a_job_that_shows_its_progress(client: TestClient, runtime: Runtime) -> None:
    people = _buyer(client, runtime)
    uuid = _ask(client)
    html = client.get(f"/generate/{uuid}").text
    assert 'data-job-state="/generate/' in html and ">new</span>" in html
    assert client.get(f"/generate/{uuid}/state").json() == {
        "status": "new",
        "failure_reason": None,
        "ready": 0,
        "pictures": 4,
    }
    with runtime.db.read_session() as session:
        job = session.scalar(select(GenerationJob).where(GenerationJob.uuid == uuid))
        assert job is not None
        assert (job.user_id, job.aspect_ratio, job.prompt) == (
            people.buyer.id,
            "3:2",
            "a lighthouse at dawn",
        )


def test_a_finished_job_links_its_pictures_to_their_items(
    client: TestClient, runtime: Runtime
) -> None:
    _buyer(client, runtime)
    uuid = _ask(client)
    _run(runtime, uuid)
    html = client.get(f"/generate/{uuid}").text
    links = re.findall(r'<a class="tile-link" href="/items/(\d+)">', html)
    assert len(links) == 4
    assert client.get(f"/items/{links[0]}").status_code == 200


def test_another_users_job_is_not_found(client: TestClient, runtime: Runtime) -> None:
    people = _buyer(client, runtime)
    uuid = _ask(client)
    client.cookies.clear()
    login(client, people.owner.username)
    assert client.get(f"/generate/{uuid}").status_code == 404
    assert client.get("/generate/not-a-uuid").status_code == 400


def test_a_bad_ratio_and_an_empty_prompt_are_refused(client: TestClient, runtime: Runtime) -> None:
    _buyer(client, runtime)
    token = csrf_of(client, "/generate")
    for data in ({"prompt": "x", "aspect_ratio": "7:1"}, {"prompt": "   "}):
        response = client.post(
            "/generate",
            data={"csrf_token": token, **data},
            headers={"referer": "http://testserver/generate"},
        )
        assert "flash-error" in response.text
    with runtime.db.read_session() as session:
        assert session.scalar(select(GenerationJob.id)) is None


def test_the_prompt_is_escaped(client: TestClient, runtime: Runtime) -> None:
    _buyer(client, runtime)
    uuid = _ask(client, prompt="<script>alert(1)</script> sunset")
    html = client.get(f"/generate/{uuid}").text
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; sunset" in html


def test_asking_needs_a_login_and_the_csrf_token(client: TestClient, runtime: Runtime) -> None:
    assert client.get("/generate", follow_redirects=False).status_code == 303
    _buyer(client, runtime)
    client.get("/generate")
    assert client.post("/generate", data={"prompt": "sky"}).status_code == 403
