"""Job queue behaviours, in worker threads, on the embedded queue and on Redis."""

from __future__ import annotations

import datetime
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable

import pytest
from jobs_support import wait_for

from stockhouse.jobs import FailedJob, JobQueue, UnknownJob, job
from stockhouse.jobs.builtin import marker_file, record_marker
from stockhouse.jobs.queue import MAX_BACKOFF_S
from stockhouse.runtime import Runtime

# Per-test records, keyed by a token each test passes to the jobs it enqueues.
CALLS: dict[str, list[float]] = defaultdict(list)
SEEN: dict[str, tuple[Runtime, str, str]] = {}


@job(retries=0, name="tests.jobs.remember")
def remember(rt: Runtime, token: str, value: str) -> None:
    SEEN[token] = (rt, value, threading.current_thread().name)


@job(retries=2, backoff_s=0.2, name="tests.jobs.flaky")
def flaky(rt: Runtime, token: str, failures: int) -> None:
    CALLS[token].append(time.monotonic())
    if len(CALLS[token]) <= failures:
        raise RuntimeError(f"attempt {len(CALLS[token])} fails")


@job(retries=1, backoff_s=0.01, name="tests.jobs.broken")
def broken(rt: Runtime, token: str) -> None:
    CALLS[token].append(time.monotonic())
    raise ValueError("never works")


def test_a_job_runs_in_a_worker_thread_with_the_runtime(
    make_queue: Callable[[], JobQueue], job_runtime: Runtime, queue_name: str
) -> None:
    queue = make_queue()
    queue.start_workers(2)
    job_id = queue.enqueue(remember, queue_name, value="hello")
    assert job_id
    wait_for(lambda: queue_name in SEEN, what="the job to run")
    rt, value, thread_name = SEEN.pop(queue_name)
    assert rt is job_runtime
    assert value == "hello"
    assert thread_name != threading.main_thread().name


def test_jobs_can_be_named_by_string(make_queue: Callable[[], JobQueue], queue_name: str) -> None:
    queue = make_queue()
    queue.enqueue("tests.jobs.remember", queue_name, "by name")
    queue.start_workers(1)
    wait_for(lambda: queue_name in SEEN, what="the job to run")
    assert SEEN.pop(queue_name)[1] == "by name"


def test_unknown_jobs_are_refused(make_queue: Callable[[], JobQueue]) -> None:
    with pytest.raises(UnknownJob):
        make_queue().enqueue("tests.jobs.no_such_job")


def test_a_failing_job_is_retried_with_growing_delays(
    make_queue: Callable[[], JobQueue], queue_name: str
) -> None:
    queue = make_queue()
    queue.start_workers(2)
    queue.enqueue(flaky, queue_name, failures=2)
    wait_for(lambda: len(CALLS[queue_name]) == 3, what="three attempts")
    attempts = CALLS.pop(queue_name)
    first_wait, second_wait = attempts[1] - attempts[0], attempts[2] - attempts[1]
    assert first_wait >= 0.2 * 0.95  # backoff_s
    assert second_wait >= 0.4 * 0.95  # backoff_s * 2
    assert second_wait > first_wait
    wait_for(lambda: queue.pending_count() == 0 and queue.in_flight_count() == 0)
    assert queue.failed_jobs() == []


@job(retries=1, backoff_s=3600, name="tests.jobs.patient")
def patient(rt: Runtime, token: str) -> None:
    raise RuntimeError("fails, and would wait an hour to retry")


def test_the_backoff_is_capped(make_queue: Callable[[], JobQueue], queue_name: str) -> None:
    queue = make_queue()
    queue.start_workers(1)
    queue.enqueue(patient, queue_name)
    wait_for(lambda: queue.huey.scheduled_count() == 1, what="the retry to be scheduled")
    [retry] = queue.huey.scheduled()
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)  # Huey's naive UTC
    assert MAX_BACKOFF_S - 10 <= (retry.eta - now).total_seconds() <= MAX_BACKOFF_S


def test_a_job_failing_every_attempt_is_logged_and_recorded(
    make_queue: Callable[[], JobQueue], queue_name: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="stockhouse.jobs")
    queue = make_queue()
    queue.start_workers(1)
    job_id = queue.enqueue(broken, queue_name)
    wait_for(lambda: bool(queue.failed_jobs()), what="the failure record")
    assert len(CALLS.pop(queue_name)) == 2  # retries=1: two attempts
    [failure] = queue.failed_jobs()
    assert isinstance(failure, FailedJob)
    assert (failure.job_id, failure.name, failure.attempts) == (job_id, "tests.jobs.broken", 2)
    assert "never works" in failure.error
    assert queue_name in failure.arguments
    assert any(
        r.name == "stockhouse.jobs"
        and job_id in r.getMessage()
        and "tests.jobs.broken" in r.getMessage()
        for r in caplog.records
    )


def test_delay_schedules_a_job_for_later(
    make_queue: Callable[[], JobQueue], queue_name: str
) -> None:
    queue = make_queue()
    queue.start_workers(1)
    enqueued_at = time.monotonic()
    queue.enqueue(remember, queue_name, "later", delay_s=0.6)
    assert queue.pending_count() == 1
    time.sleep(0.3)
    assert queue_name not in SEEN
    wait_for(lambda: queue_name in SEEN, what="the delayed job")
    assert time.monotonic() - enqueued_at >= 0.6
    SEEN.pop(queue_name)


def test_jobs_wait_in_the_queue_until_a_worker_starts(
    make_queue: Callable[[], JobQueue], job_runtime: Runtime
) -> None:
    queue = make_queue()
    queue.enqueue(record_marker, "a")
    queue.enqueue(record_marker, "b")
    queue.enqueue(record_marker, "c", delay_s=60)
    assert queue.pending_count() == 3
    queue.start_workers(2)
    wait_for(lambda: queue.pending_count() == 1, what="the two due jobs to run")
    wait_for(lambda: queue.in_flight_count() == 0, what="the journal to empty")
    lines = marker_file(job_runtime).read_text().splitlines()
    assert sorted(line.split()[1] for line in lines if line.startswith("done")) == ["a", "b"]


def test_stopping_workers_lets_a_running_job_finish(
    make_queue: Callable[[], JobQueue], job_runtime: Runtime
) -> None:
    queue = make_queue()
    queue.start_workers(1)
    queue.enqueue(record_marker, "slow", duration_s=0.5)
    wait_for(lambda: marker_file(job_runtime).exists(), what="the job to start")
    assert queue.stop_workers() is True
    assert "done slow" in marker_file(job_runtime).read_text()
    assert queue.in_flight_count() == 0
    assert not queue.workers_running


def test_recovery_leaves_the_jobs_of_live_workers_alone(
    make_queue: Callable[[], JobQueue], job_runtime: Runtime
) -> None:
    first, second = make_queue(), make_queue()
    first.start_workers(1)
    first.enqueue(record_marker, "busy", duration_s=1.5)
    wait_for(lambda: first.in_flight_count() == 1, what="the job to be claimed")
    second.start_workers(1)  # looks for dead workers at start and every 0.2 s
    wait_for(lambda: "done busy" in marker_file(job_runtime).read_text(), what="the job")
    lines = marker_file(job_runtime).read_text().splitlines()
    assert [line.split()[0] for line in lines] == ["start", "done"]


def test_zero_workers_start_nothing_and_starting_twice_is_refused(
    make_queue: Callable[[], JobQueue],
) -> None:
    queue = make_queue()
    queue.start_workers(0)
    assert not queue.workers_running
    queue.start_workers(1)
    with pytest.raises(RuntimeError):
        queue.start_workers(1)
