"""Crash safety with real worker processes killed by SIGKILL, embedded and on Redis.

Jobs write "start <marker>" and "done <marker>" lines (the built-in `record_marker` job);
counting the lines tells how often each job started and finished.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from jobs_support import wait_for

from stockhouse.jobs import JobQueue
from stockhouse.jobs.builtin import marker_file, record_marker
from stockhouse.runtime import Runtime

WORKER_SCRIPT = Path(__file__).with_name("worker_process.py")

StartWorker = Callable[[], subprocess.Popen[bytes]]


@pytest.fixture
def start_worker(job_runtime: Runtime, queue_name: str, tmp_path: Path) -> Iterator[StartWorker]:
    """Start worker processes on this test's queue; any still running are killed after."""
    processes: list[subprocess.Popen[bytes]] = []
    log_path = tmp_path / "workers.log"

    def start() -> subprocess.Popen[bytes]:
        settings = job_runtime.settings
        args = [str(settings.data_dir), settings.redis_url or "-", queue_name]
        with log_path.open("ab") as log:
            process = subprocess.Popen(
                [sys.executable, str(WORKER_SCRIPT), *args], stdout=log, stderr=log
            )
        processes.append(process)
        return process

    yield start
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def kill(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL: no cleanup, no graceful shutdown; the worker just vanishes."""
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)


def markers(rt: Runtime) -> Counter[str]:
    """How many "start x" / "done x" lines the jobs wrote, by "start x" / "done x"."""
    path = marker_file(rt)
    lines = path.read_text().splitlines() if path.exists() else []
    return Counter(" ".join(line.split()[:2]) for line in lines)


def test_jobs_queued_before_a_crash_run_exactly_once_after_restart(
    make_queue: Callable[[], JobQueue], job_runtime: Runtime, start_worker: StartWorker
) -> None:
    queue = make_queue()
    queue.enqueue(record_marker, "early")  # no worker runs yet
    worker = start_worker()
    wait_for(lambda: markers(job_runtime)["done early"] == 1, what="the first job")
    queue.enqueue(record_marker, "scheduled", delay_s=1.0)
    kill(worker)

    start_worker()
    wait_for(lambda: markers(job_runtime)["done scheduled"] == 1, what="the scheduled job")
    queue.enqueue(record_marker, "sentinel")
    wait_for(lambda: markers(job_runtime)["done sentinel"] == 1, what="the sentinel job")
    wait_for(lambda: queue.in_flight_count() == 0, what="the journal to empty")

    counts = markers(job_runtime)
    assert counts["start early"] == counts["done early"] == 1
    assert counts["start scheduled"] == counts["done scheduled"] == 1
    assert queue.pending_count() == 0


def test_a_job_killed_midway_runs_again_and_the_queue_behind_it_once(
    make_queue: Callable[[], JobQueue], job_runtime: Runtime, start_worker: StartWorker
) -> None:
    queue = make_queue()
    queue.enqueue(record_marker, "long", duration_s=1.0)
    queue.enqueue(record_marker, "behind")
    worker = start_worker()  # one worker thread: "behind" waits for "long"
    wait_for(lambda: markers(job_runtime)["start long"] == 1, what="the long job to start")
    kill(worker)
    assert markers(job_runtime)["done long"] == 0

    start_worker()
    wait_for(lambda: markers(job_runtime)["done long"] == 1, what="the long job to finish")
    wait_for(lambda: markers(job_runtime)["done behind"] == 1, what="the job behind it")
    wait_for(lambda: queue.in_flight_count() == 0, what="the journal to empty")

    counts = markers(job_runtime)
    assert counts["start long"] == 2  # killed once, then run to completion
    assert counts["done long"] == 1
    assert counts["start behind"] == counts["done behind"] == 1
    assert queue.pending_count() == 0


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_sigterm_and_sigint_let_the_running_job_finish(
    make_queue: Callable[[], JobQueue],
    job_runtime: Runtime,
    start_worker: StartWorker,
    signum: signal.Signals,
) -> None:
    queue = make_queue()
    queue.enqueue(record_marker, "graceful", duration_s=0.5)
    worker = start_worker()
    wait_for(lambda: markers(job_runtime)["start graceful"] == 1, what="the job to start")
    worker.send_signal(signum)
    assert worker.wait(timeout=10) == 0
    assert markers(job_runtime)["done graceful"] == 1
    assert queue.in_flight_count() == 0
