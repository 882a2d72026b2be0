"""The job queue of one process: enqueue jobs, and run Huey workers in threads.

Backends: with no `STOCKHOUSE_REDIS_URL` the queue is embedded (`DATA_DIR/jobs.sqlite3`,
workers run inside `stockhouse serve`); with it, the queue lives in Redis and any number
of `stockhouse worker` processes share it.

Delivery is at-least-once: a job whose worker dies is run again from the start by another
(or the restarted) worker, so every job must be idempotent. Failed attempts are retried
with exponential backoff; a job that fails its last attempt is logged on the
"stockhouse.jobs" logger and recorded (`failed_jobs()`).
"""

from __future__ import annotations

import datetime
import logging
import signal
import threading
import uuid
from collections.abc import Callable
from types import FrameType
from typing import TYPE_CHECKING, Any

from huey import Huey
from huey.utils import normalize_time

from stockhouse.config import Settings
from stockhouse.jobs.consumer import Housekeeper, ThreadConsumer, recover_dead_workers
from stockhouse.jobs.registry import JobSpec, get_job, import_job_modules, registered_jobs
from stockhouse.jobs.storage import (
    FailedJob,
    JournaledRedisStorage,
    JournaledSqliteStorage,
    JournaledStorage,
)

if TYPE_CHECKING:
    from stockhouse.runtime import Runtime

logger = logging.getLogger("stockhouse.jobs")

DEFAULT_QUEUE_NAME = "stockhouse"
JOBS_FILE_NAME = "jobs.sqlite3"
MAX_BACKOFF_S = 600.0
FAILURE_TEXT_LIMIT = 1000  # characters of arguments and error kept in a failure record
TASK_MODULE = "job"  # Huey names a task "<module>.<name>"; ours are "job.<job name>"
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class SqliteJobHuey(Huey):  # type: ignore[misc]  # huey is untyped
    storage_class = JournaledSqliteStorage


class RedisJobHuey(Huey):  # type: ignore[misc]  # huey is untyped
    storage_class = JournaledRedisStorage


def open_huey(settings: Settings, name: str, poll_interval_s: float) -> Any:
    """The Huey instance for these settings: Redis when configured, else embedded SQLite."""
    if settings.redis_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        filename = str(settings.data_dir / JOBS_FILE_NAME)
        return SqliteJobHuey(name, results=False, filename=filename)
    return RedisJobHuey(
        name, results=False, url=settings.redis_url, blocking=True, read_timeout=poll_interval_s
    )


class JobQueue:
    """Durable background jobs with retries and backoff, embedded or on Redis.

    `name` namespaces the queue (tests use a unique one per test on a shared Redis). The
    keyword arguments tune timing: how long an idle worker waits between looks at the
    queue, the Redis heartbeat TTL after which a silent worker counts as dead, how often
    dead workers' jobs are looked for, how often the scheduler moves due jobs into the
    queue, and how long a graceful stop waits for running jobs.
    """

    def __init__(
        self,
        runtime: Runtime,
        name: str | None = None,
        *,
        poll_interval_s: float = 1.0,
        heartbeat_ttl_s: float = 30.0,
        recover_interval_s: float = 15.0,
        schedule_tick_s: float = 0.25,
        shutdown_timeout_s: float = 30.0,
    ) -> None:
        self.runtime = runtime
        self.name = name or DEFAULT_QUEUE_NAME
        self.poll_interval_s = poll_interval_s
        self.heartbeat_ttl_s = heartbeat_ttl_s
        self.recover_interval_s = recover_interval_s
        self.schedule_tick_s = schedule_tick_s
        self.shutdown_timeout_s = shutdown_timeout_s
        self.huey = open_huey(runtime.settings, self.name, poll_interval_s)
        self.journal: JournaledStorage = self.huey.storage
        self._tasks: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._consumer: ThreadConsumer | None = None
        self._housekeeper: Housekeeper | None = None
        self.huey.post_execute("stockhouse")(self._after_attempt)
        import_job_modules()
        self._register_all()

    @property
    def backend(self) -> str:
        """The backend in use: "redis" or "sqlite"."""
        return "redis" if isinstance(self.journal, JournaledRedisStorage) else "sqlite"

    # -- producing ---------------------------------------------------------------------

    def enqueue(
        self, job: str | Callable[..., Any], *args: Any, delay_s: float = 0, **kwargs: Any
    ) -> str:
        """Queue a run of `job` (its name or function) with these arguments; its id.

        Arguments are pickled: pass ids and plain values. `delay_s` schedules it later.
        """
        if delay_s < 0:
            raise ValueError("delay_s must not be negative")
        task = self._task_wrapper(get_job(job)).task_class(args, kwargs)
        if delay_s > 0:
            task.eta = normalize_time(delay=delay_s, utc=self.huey.utc)
            self.huey.add_schedule(task)
        else:
            self.huey.enqueue(task)
        return str(task.id)

    def pending_count(self) -> int:
        """Jobs waiting to run: queued now, or scheduled for later (including retries)."""
        return int(self.huey.pending_count()) + int(self.huey.scheduled_count())

    def in_flight_count(self) -> int:
        """Jobs claimed by a worker and not finished (running, or left by a dead worker)."""
        return self.journal.in_flight_count()

    def failed_jobs(self, limit: int = 100) -> list[FailedJob]:
        """Jobs that failed their last attempt, newest first (the last 1000 are kept)."""
        return self.journal.failed_items(limit)

    def flush(self) -> None:
        """Delete every queued, scheduled and in-flight job and every failure record."""
        self.huey.flush()
        self.journal.flush_journal()

    # -- consuming ---------------------------------------------------------------------

    @property
    def workers_running(self) -> bool:
        return self._consumer is not None

    def start_workers(self, count: int) -> None:
        """Run `count` worker threads in this process (no signal handlers are installed).

        Jobs left in flight by dead workers are re-enqueued first. `count` 0 does nothing.
        """
        if count <= 0:
            return
        if self._consumer is not None:
            raise RuntimeError("job workers are already running in this process")
        import_job_modules()
        self._register_all()
        worker_id = uuid.uuid4().hex
        self.journal.begin_worker(worker_id, self.heartbeat_ttl_s)
        recover_dead_workers(self.journal, worker_id)
        consumer = ThreadConsumer(
            self.huey, worker_id, count, self.poll_interval_s, self.schedule_tick_s
        )
        consumer.start()
        self._housekeeper = Housekeeper(
            consumer, self.journal, self.heartbeat_ttl_s, self.recover_interval_s
        )
        self._housekeeper.start()
        self._consumer = consumer
        logger.info("%d job worker(s) started on the %s queue %r", count, self.backend, self.name)

    def stop_workers(self, timeout_s: float | None = None) -> bool:
        """Stop the worker threads, letting running jobs finish; False if some did not.

        Jobs still running after `timeout_s` (default: shutdown_timeout_s) stay in the
        journal and run again after the next recovery.
        """
        consumer, housekeeper = self._consumer, self._housekeeper
        if consumer is None or housekeeper is None:
            return True
        consumer.shutdown_timeout = self.shutdown_timeout_s if timeout_s is None else timeout_s
        consumer.stop(graceful=True)  # the heartbeat goes on while running jobs finish
        finished = not any(thread.is_alive() for _, thread in consumer.worker_threads)
        housekeeper.stop()
        self.journal.end_worker(consumer.worker_id)
        self._consumer = self._housekeeper = None
        if not finished:
            logger.warning("job workers stopped with jobs still running; they will run again")
        return finished

    def run_worker(self, workers: int) -> None:
        """Run `workers` worker threads until SIGTERM or SIGINT, then stop gracefully.

        For `stockhouse worker`; call it from the main thread. A second signal ends the
        process at once; its unfinished jobs are recovered from the journal.
        """
        if workers < 1:
            raise ValueError("a worker process needs at least one worker thread")
        stop = threading.Event()

        def request_stop(signum: int, _frame: FrameType | None) -> None:
            logger.info("%s received: finishing running jobs", signal.Signals(signum).name)
            stop.set()
            for sig in STOP_SIGNALS:
                signal.signal(sig, signal.SIG_DFL)

        previous = {sig: signal.signal(sig, request_stop) for sig in STOP_SIGNALS}
        try:
            self.start_workers(workers)
            while not stop.wait(1.0):
                pass
        finally:
            self.stop_workers()
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def close(self) -> None:
        """Stop workers (if any) and close the backend connection."""
        self.stop_workers()
        self.huey.storage.close()

    # -- Huey plumbing -----------------------------------------------------------------

    def _register_all(self) -> None:
        for spec in registered_jobs().values():
            self._task_wrapper(spec)

    def _task_wrapper(self, spec: JobSpec) -> Any:
        """The Huey task for `spec`, registered on first use (jobs may be added late)."""
        with self._lock:
            wrapper = self._tasks.get(spec.name)
            if wrapper is None or wrapper.func.job_spec is not spec:
                if wrapper is not None:
                    wrapper.unregister()
                wrapper = self._tasks[spec.name] = self._make_task(spec)
            return wrapper

    def _make_task(self, spec: JobSpec) -> Any:
        runtime, fn = self.runtime, spec.fn

        def run_job(*args: Any, **kwargs: Any) -> None:
            fn(runtime, *args, **kwargs)

        run_job.__module__ = TASK_MODULE
        run_job.job_spec = spec  # type: ignore[attr-defined]
        return self.huey.task(
            retries=spec.retries,
            retry_delay=spec.backoff_s,
            retry_backoff=2.0,
            name=spec.name,
        )(run_job)

    def _after_attempt(self, task: Any, _value: Any, exc: BaseException | None) -> None:
        """Huey post-execute hook: cap the next backoff, or log and record a final failure."""
        if exc is None:
            return
        if task.retries:
            task.retry_delay = min(task.retry_delay, MAX_BACKOFF_S)
            logger.warning(
                "job %s (%s) failed: %r; %d retries left, next in %.3gs",
                task.name,
                task.id,
                exc,
                task.retries,
                task.retry_delay,
            )
            return
        spec = self._tasks[task.name].func.job_spec
        failure = FailedJob(
            job_id=str(task.id),
            name=task.name,
            arguments=_shorten(f"{task.args!r} {task.kwargs!r}"),
            error=_shorten(repr(exc)),
            attempts=spec.retries + 1,
            failed_at=datetime.datetime.now(datetime.UTC),
        )
        logger.error(
            "job %s (%s) failed for good after %d attempt(s): %r",
            failure.name,
            failure.job_id,
            failure.attempts,
            exc,
            exc_info=exc,
        )
        self.journal.record_failure(failure)


def _shorten(text: str) -> str:
    """`text`, cut to FAILURE_TEXT_LIMIT characters."""
    if len(text) <= FAILURE_TEXT_LIMIT:
        return text
    return text[: FAILURE_TEXT_LIMIT - 1] + "…"
