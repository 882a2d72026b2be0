"""Fixtures for the job tests: each behaviour runs on the embedded queue and on Redis.

The jobs need no database, so these tests build their own Runtime on a throwaway SQLite
URL instead of using the database-parametrized `runtime` fixture.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from jobs_support import FAST

from stockhouse.config import Settings, load_settings
from stockhouse.jobs.queue import JobQueue
from stockhouse.runtime import Runtime


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def backend_redis_url(request: pytest.FixtureRequest) -> str | None:
    """None for the embedded queue, else the test Redis URL (skips when not configured)."""
    if request.param == "sqlite":
        return None
    url: str = request.getfixturevalue("redis_url")
    return url


@pytest.fixture
def queue_name() -> str:
    return f"test_{uuid.uuid4().hex[:12]}"


@pytest.fixture
def job_settings(data_dir: Path, backend_redis_url: str | None) -> Settings:
    flags = {
        "data_dir": str(data_dir),
        "database_url": f"sqlite:///{data_dir / 'stockhouse.db'}",
        "redis_url": backend_redis_url,
    }
    return load_settings(flags, environ={})


@pytest.fixture
def job_runtime(job_settings: Settings) -> Iterator[Runtime]:
    rt = Runtime(job_settings)
    yield rt
    rt.close()


@pytest.fixture
def make_queue(job_runtime: Runtime, queue_name: str) -> Iterator[Callable[[], JobQueue]]:
    """Open queues named `queue_name` with fast timings; all are closed and emptied after."""
    queues: list[JobQueue] = []

    def make() -> JobQueue:
        queue = JobQueue(job_runtime, queue_name, **FAST)
        queues.append(queue)
        return queue

    yield make
    for queue in queues:
        queue.close()
    if queues:
        queues[0].flush()
    redis_url = job_runtime.settings.redis_url
    if redis_url is not None:
        client = redis.Redis.from_url(redis_url)
        leftovers = list(client.scan_iter(f"huey.*{queue_name}*"))
        if leftovers:
            client.delete(*leftovers)
        client.close()
