"""The generator through job workers and a real backend endpoint; callbacks with retries."""

from __future__ import annotations

import base64
import dataclasses
import json
from collections.abc import Iterator

import pytest
import pyvips
from sqlalchemy import select

from stockhouse.accounts import service as accounts
from stockhouse.generation import service
from stockhouse.generation.callbacks import MAX_CALLBACK_ATTEMPTS
from stockhouse.generation.models import CallbackState, GenerationJob, GenerationStatus
from stockhouse.generation.service import GenerationRequest
from stockhouse.runtime import Runtime
from tests.generation.support import fast_workers, http_server, wait_for

OK = (200, b"{}", "application/json")
BROKEN = (500, b"oops", "text/plain")


@pytest.fixture
def bea(runtime: Runtime) -> int:
    with runtime.db.session() as session:
        return accounts.create_user(session, username="bea", password=None).id


@pytest.fixture
def workers(runtime: Runtime) -> Iterator[None]:
    queue = fast_workers(runtime)
    yield
    queue.stop_workers()


def job_row(runtime: Runtime, job_uuid: str) -> GenerationJob:
    with runtime.db.read_session() as session:
        return session.scalars(select(GenerationJob).where(GenerationJob.uuid == job_uuid)).one()


def test_a_worker_completes_the_job_and_the_callback_is_retried_after_a_500(
    runtime: Runtime, bea: int, workers: None
) -> None:
    with http_server([BROKEN, OK]) as receiver:
        wish = GenerationRequest(prompt="a lighthouse", callback_url=receiver.url + "/hook")
        view = service.create_generation(runtime, bea, wish)
        wait_for(lambda: job_row(runtime, view.uuid).callback_state == CallbackState.DELIVERED)

    job = job_row(runtime, view.uuid)
    assert (job.status, job.callback_attempts, job.callback_error) == (
        GenerationStatus.COMPLETED,
        2,
        None,
    )
    first, second = receiver.received
    assert first.json()["uuid"] == second.json()["uuid"] == view.uuid
    posted = second.json()
    assert (posted["uuid"], posted["status"], posted["purchase_status"]) == (
        view.uuid,
        "completed",
        "paid",
    )
    assert len([i for i in posted["items"] if i["item_id"]]) == 4


def test_a_callback_that_keeps_failing_is_given_up_after_the_last_attempt(
    runtime: Runtime, bea: int, workers: None
) -> None:
    with http_server([BROKEN]) as receiver:
        wish = GenerationRequest(prompt="a lighthouse", callback_url=receiver.url + "/hook")
        view = service.create_generation(runtime, bea, wish)
        wait_for(lambda: job_row(runtime, view.uuid).callback_state == CallbackState.FAILED)

    job = job_row(runtime, view.uuid)
    assert job.callback_attempts == MAX_CALLBACK_ATTEMPTS == len(receiver.received)
    assert job.callback_error == "the callback URL answered HTTP 500"


def test_the_backoff_between_callback_attempts_doubles() -> None:
    from stockhouse.generation.callbacks import backoff_s

    assert [backoff_s(5.0, n) for n in (1, 2, 3, 4)] == [5.0, 10.0, 20.0, 40.0]


def openai_answer(count: int) -> tuple[int, bytes, str]:
    png = pyvips.Image.black(300, 300, bands=3).draw_circle([200, 40, 40], 150, 150, 80, fill=True)
    data = [{"b64_json": base64.b64encode(png.pngsave_buffer()).decode()}] * count
    return 200, json.dumps({"data": data}).encode(), "application/json"


def test_the_openai_backend_makes_the_jobs_pictures_cropped_to_the_ratio(
    runtime: Runtime, bea: int
) -> None:
    with http_server([openai_answer(4)]) as endpoint:
        runtime.settings = dataclasses.replace(
            runtime.settings, generation_backend="openai", generation_endpoint=endpoint.url
        )
        view = service.create_generation(
            runtime, bea, GenerationRequest(prompt="a red disc", aspect_ratio="16:9")
        )
        status = service.run_generation(runtime, job_row(runtime, view.uuid).id)

    assert status == GenerationStatus.COMPLETED
    assert endpoint.received[0].json()["size"] == "1024x576"
    done = service.get_generation(runtime, bea, view.uuid)
    assert {(i.width, i.height) for i in done.items} == {(300, 169)}


def test_a_refusing_backend_fails_the_job_with_its_reason(runtime: Runtime, bea: int) -> None:
    refusal = (400, b'{"error": {"message": "prompt rejected"}}', "application/json")
    with http_server([refusal]) as endpoint:
        runtime.settings = dataclasses.replace(
            runtime.settings, generation_backend="openai", generation_endpoint=endpoint.url
        )
        view = service.create_generation(runtime, bea, GenerationRequest(prompt="something"))
        status = service.run_generation(runtime, job_row(runtime, view.uuid).id)

    assert status == GenerationStatus.FAILED
    job = job_row(runtime, view.uuid)
    assert job.failure_reason == "the image endpoint answered HTTP 400: prompt rejected"
    assert [i.media_item_id for i in job.items] == [None] * 4
