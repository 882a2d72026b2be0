"""Depositphotos imageGenerator.generate / .get / .getMediaData, through the wire.

Jobs run in the test's thread (`run_generation`), so each step of a job can be watched;
the callback test runs real job workers and a real local HTTP receiver.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from stockhouse.catalog.models import MediaItem
from stockhouse.config import Settings, load_settings
from stockhouse.generation import service
from stockhouse.generation.models import CallbackState, GenerationJob
from stockhouse.runtime import Runtime
from tests.commerce.factories import license_id
from tests.compat.depositphotos.conftest import DP_KEY, World, assert_failure, dp
from tests.generation.support import fast_workers, http_server, wait_for

PROMPT = "A lighthouse on a rocky coast at sunset"
INVALID = ("EInternal\\InvalidParam", 400)


@pytest.fixture
def settings(data_dir: Path, database_url: str) -> Settings:
    """Small pictures (quick ingest) and a quick callback backoff; no private allowlist."""
    flags = {
        "data_dir": str(data_dir),
        "database_url": database_url,
        "generation_long_edge": 640,
        "generation_callback_backoff_s": 0.05,
    }
    return load_settings(flags, environ={})


def generate(client: TestClient, session_id: str, **params: Any) -> dict[str, Any]:
    return dp(client, "imageGenerator.generate", dp_session_id=session_id, **params)


def run_job(runtime: Runtime, job_uuid: str) -> None:
    with runtime.db.read_session() as session:
        job_id = session.scalars(
            select(GenerationJob.id).where(GenerationJob.uuid == job_uuid)
        ).one()
    service.run_generation(runtime, job_id)


def generated(
    client: TestClient, runtime: Runtime, session_id: str, **params: Any
) -> dict[str, Any]:
    """A completed job's imageGenerator.get data."""
    job_uuid = generate(client, session_id, dp_prompt=PROMPT, **params)["data"]["uuid"]
    run_job(runtime, job_uuid)
    answer = dp(client, "imageGenerator.get", dp_session_id=session_id, dp_uuid=job_uuid)
    assert answer["type"] == "success", answer
    data: dict[str, Any] = answer["data"]
    return data


def test_generate_answers_a_new_deferred_job_with_four_empty_items(
    client: TestClient, world: World, sessions: dict[str, str]
) -> None:
    answer = generate(
        client, sessions["mia"], dp_prompt=PROMPT, dp_aspect_ratio="16:9", dp_medium="photography"
    )

    assert answer["type"] == "success"
    data = answer["data"]
    assert (data["prompt"], data["status"], data["purchaseStatus"]) == (PROMPT, "new", "deferred")
    assert len(data["uuid"]) == 36
    assert [set(i) for i in data["items"]] == [{"uuid", "dpItemId", "previewUrl"}] * 4
    assert [(i["dpItemId"], i["previewUrl"]) for i in data["items"]] == [(None, None)] * 4


def test_get_shows_previews_first_then_catalog_ids_when_completed(
    client: TestClient, runtime: Runtime, world: World, sessions: dict[str, str]
) -> None:
    job_uuid = generate(client, sessions["mia"], dp_prompt=PROMPT)["data"]["uuid"]
    with runtime.db.read_session() as session:
        job_id = session.scalars(
            select(GenerationJob.id).where(GenerationJob.uuid == job_uuid)
        ).one()

    service.draw_pictures(runtime, job_id)
    drawing = dp(client, "imageGenerator.get", dp_session_id=sessions["mia"], dp_uuid=job_uuid)[
        "data"
    ]
    service.run_generation(runtime, job_id)
    done = dp(client, "imageGenerator.get", dp_session_id=sessions["mia"], dp_uuid=job_uuid)["data"]

    assert drawing["status"] == "new"  # drawn outside the job: not started as a job yet
    assert [i["dpItemId"] for i in drawing["items"]] == [None] * 4
    assert all(
        i["previewUrl"].startswith("http://testserver/v1/generations/previews/")
        for i in drawing["items"]
    )
    assert (done["status"], done["purchaseStatus"]) == ("completed", "paid")
    assert [i["uuid"] for i in done["items"]] == [i["uuid"] for i in drawing["items"]]
    assert all(isinstance(i["dpItemId"], int) for i in done["items"])
    assert len({i["dpItemId"] for i in done["items"]}) == 4


def test_a_preview_url_serves_a_jpeg_and_a_forged_one_is_refused(
    client: TestClient, runtime: Runtime, world: World, sessions: dict[str, str]
) -> None:
    data = generated(client, runtime, sessions["mia"], dp_aspect_ratio="2:3")
    url = data["items"][0]["previewUrl"].removeprefix("http://testserver")

    preview = client.get(url)
    forged = client.get(url.replace("sig=", "sig=x"))

    assert preview.status_code == 200
    assert preview.headers["content-type"] == "image/jpeg"
    assert preview.content[:3] == b"\xff\xd8\xff"
    assert forged.status_code == 403


def test_get_media_data_answers_the_generated_item_flagged_ai_generated(
    client: TestClient, runtime: Runtime, world: World, sessions: dict[str, str]
) -> None:
    data = generated(client, runtime, sessions["mia"], dp_aspect_ratio="4:5", dp_medium="art")
    picture = data["items"][2]

    answer = dp(
        client,
        "imageGenerator.getMediaData",
        dp_session_id=sessions["mia"],
        dp_uuid=picture["uuid"],
    )

    assert answer["type"] == "success", answer
    media = answer["data"]
    assert (media["id"], media["type"], media["aiGenerated"]) == (picture["dpItemId"], "i", True)
    assert (media["width"], media["height"]) == (512, 640)
    assert media["title"] == PROMPT


def test_a_generated_item_is_licensed_with_license_item(
    client: TestClient, runtime: Runtime, world: World, sessions: dict[str, str]
) -> None:
    data = generated(client, runtime, sessions["mia"])
    item_id = data["items"][1]["dpItemId"]
    with runtime.db.read_session() as session:
        standard = license_id(session, session.get_one(MediaItem, item_id), extended=False)

    answer = dp(
        client,
        "licenseItem",
        dp_session_id=sessions["mia"],
        dp_licensing={"dp_item_id": item_id, "dp_license_id": standard, "dp_option": "s-2015"},
    )

    assert answer["type"] == "success", answer
    result = answer["result"][str(item_id)]
    assert result["result"] == "success", result
    assert result["fileId"] == item_id
    download = client.get(result["downloadLink"].removeprefix("http://testserver"))
    assert download.status_code == 200
    assert download.content[:3] == b"\xff\xd8\xff"


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"dp_prompt": "x" * 401}, "prompt"),
        ({"dp_prompt": ""}, "dp_prompt"),
        ({}, "dp_prompt"),
        ({"dp_prompt": PROMPT, "dp_aspect_ratio": "21:9"}, "aspect ratio"),
        ({"dp_prompt": PROMPT, "dp_medium": "video"}, "medium"),
        ({"dp_prompt": ["a", "list"]}, "dp_prompt"),
    ],
)
def test_a_bad_prompt_ratio_or_medium_is_invalid_param(
    client: TestClient, world: World, sessions: dict[str, str], params: dict[str, Any], name: str
) -> None:
    answer = generate(client, sessions["mia"], **params)

    assert_failure(answer, *INVALID)
    assert name.lower() in answer["error"]["errormsg"].lower()


def test_a_prompt_of_exactly_400_characters_is_accepted(
    client: TestClient, world: World, sessions: dict[str, str]
) -> None:
    assert generate(client, sessions["mia"], dp_prompt="é" * 400)["type"] == "success"


@pytest.mark.parametrize(
    "url",
    ["http://10.0.0.1/hook", "http://169.254.169.254/latest/meta-data/", "http://localhost/hook"],
)
def test_a_callback_to_a_private_address_is_refused(
    client: TestClient, world: World, sessions: dict[str, str], url: str
) -> None:
    answer = generate(client, sessions["mia"], dp_prompt=PROMPT, dp_callback_url=url)

    assert_failure(answer, *INVALID)
    assert "callback URL refused" in answer["error"]["errormsg"]


def test_another_users_job_and_items_are_not_visible(
    client: TestClient, runtime: Runtime, world: World, sessions: dict[str, str]
) -> None:
    data = generated(client, runtime, sessions["mia"])

    job = dp(client, "imageGenerator.get", dp_session_id=sessions["max"], dp_uuid=data["uuid"])
    item = dp(
        client,
        "imageGenerator.getMediaData",
        dp_session_id=sessions["max"],
        dp_uuid=data["items"][0]["uuid"],
    )

    assert_failure(job, "NotFoundItemException", 0)
    assert_failure(item, "NotFoundItemException", 0)


def test_media_data_of_an_unfinished_job_is_not_ready(
    client: TestClient, world: World, sessions: dict[str, str]
) -> None:
    data = generate(client, sessions["mia"], dp_prompt=PROMPT)["data"]

    answer = dp(
        client,
        "imageGenerator.getMediaData",
        dp_session_id=sessions["mia"],
        dp_uuid=data["items"][0]["uuid"],
    )

    assert_failure(answer, "NotFoundItemException", 0)
    assert answer["error"]["errormsg"] == "Generated item is not ready yet"


@pytest.mark.parametrize("bad", ["", "not-a-uuid", "' OR 1=1 --", "../../etc/passwd"])
def test_a_malformed_uuid_is_invalid_param(
    client: TestClient, world: World, sessions: dict[str, str], bad: str
) -> None:
    answer = dp(client, "imageGenerator.get", dp_session_id=sessions["mia"], dp_uuid=bad)

    assert_failure(answer, *INVALID)


def test_the_generator_needs_a_session(client: TestClient, world: World) -> None:
    answer = dp(client, "imageGenerator.generate", dp_prompt=PROMPT)

    assert_failure(answer, "EAPI\\EIllegalSession", 403)


def test_generate_as_json_with_the_key_in_the_url_and_as_a_header_key_form(
    client: TestClient, world: World, sessions: dict[str, str]
) -> None:
    as_json = client.post(
        f"/depositphotos/?dp_apikey={DP_KEY}&dp_command=imageGenerator.generate",
        json={"dp_session_id": sessions["mia"], "dp_prompt": PROMPT, "dp_aspect_ratio": "9:16"},
    ).json()
    with_header = client.post(
        "/depositphotos/",
        data={
            "dp_command": "imageGenerator.generate",
            "dp_session_id": sessions["mia"],
            "dp_prompt": PROMPT,
        },
        headers={"Api-Key": DP_KEY},
    ).json()

    assert (as_json["type"], as_json["data"]["status"]) == ("success", "new")
    assert (with_header["type"], with_header["data"]["prompt"]) == ("success", PROMPT)


def test_the_callback_receives_the_get_answer_after_a_retry(
    client: TestClient, runtime: Runtime, world: World, sessions: dict[str, str]
) -> None:
    runtime.settings = dataclasses.replace(runtime.settings, fetch_allowlist=("127.0.0.1/32",))
    queue = fast_workers(runtime)
    try:
        with http_server([(500, b"no", "text/plain"), (200, b"ok", "text/plain")]) as receiver:
            answer = generate(
                client, sessions["mia"], dp_prompt=PROMPT, dp_callback_url=receiver.url + "/dp-hook"
            )
            job_uuid = answer["data"]["uuid"]

            def delivered() -> bool:
                with runtime.db.read_session() as session:
                    job = session.scalars(
                        select(GenerationJob).where(GenerationJob.uuid == job_uuid)
                    ).one()
                    return job.callback_state == CallbackState.DELIVERED

            wait_for(delivered, what="the callback")
    finally:
        queue.stop_workers()

    assert [r.path for r in receiver.received] == ["/dp-hook", "/dp-hook"]
    posted = json.loads(receiver.received[1].body)
    assert (posted["type"], posted["version"]) == ("success", "1.3")
    assert (posted["data"]["uuid"], posted["data"]["status"]) == (job_uuid, "completed")
    assert all(isinstance(i["dpItemId"], int) for i in posted["data"]["items"])
