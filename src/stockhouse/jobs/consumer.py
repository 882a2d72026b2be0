"""Huey's consumer, adapted: journaled claims, sub-second scheduling, no signal handlers.

The worker threads claim messages through the storage's in-flight journal (see
`storage.py`) instead of Huey's destructive dequeue. A housekeeping thread keeps the
worker's heartbeat fresh, re-enqueues the journals of dead workers and restarts worker
threads that died.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from huey.consumer import Consumer, Scheduler, Worker

from stockhouse.jobs.storage import Claim, JournaledStorage

logger = logging.getLogger("stockhouse.jobs")

HEALTH_CHECK_INTERVAL_S = 10.0


class JournaledWorker(Worker):  # type: ignore[misc]  # huey is untyped
    """A Huey worker thread that claims messages instead of dequeuing them."""

    def __init__(self, huey: Any, stop_flag: Any, worker_id: str, **options: Any) -> None:
        super().__init__(huey, stop_flag, **options)
        self.worker_id = worker_id
        self.journal: JournaledStorage = huey.storage

    def loop(self, now: Any = None) -> None:
        """Claim one message and run it, or wait a little when the queue is empty."""
        try:
            claim = self.journal.claim(self.worker_id)
        except Exception as exc:
            logger.warning("cannot read the job queue: %s", exc)
            self.sleep()
            return
        if claim is None:
            if not self.journal.blocking:
                self.sleep()
            return
        self.delay = self.default_delay
        try:
            self._execute(claim, now)
        finally:
            self._release(claim)

    def _execute(self, claim: Claim, now: Any) -> None:
        try:
            task = self.huey.deserialize_task(claim.data)
        except Exception:
            logger.exception("dropping a job message that cannot be read (unknown job?)")
            return
        try:
            self.huey.execute(task, now)
        except Exception:
            logger.exception("error while running job %s", task.id)

    def _release(self, claim: Claim) -> None:
        try:
            self.journal.release(self.worker_id, claim)
        except Exception:
            # The entry stays in the journal and the job may run again: at-least-once.
            logger.exception("cannot remove a finished job from the in-flight journal")


class ThreadConsumer(Consumer):  # type: ignore[misc]  # huey is untyped
    """Huey's thread consumer with journaled workers and a sub-second scheduler tick.

    It never installs signal handlers: the embedding process (or `JobQueue.run_worker`)
    owns them.
    """

    def __init__(
        self, huey: Any, worker_id: str, workers: int, poll_interval_s: float, tick_s: float
    ) -> None:
        self.worker_id = worker_id
        self.tick_s = tick_s
        super().__init__(
            huey,
            workers=workers,
            periodic=False,
            initial_delay=min(0.1, poll_interval_s),
            backoff=1.5,
            max_delay=poll_interval_s,
            worker_type="thread",
            check_worker_health=True,
        )

    def _create_worker(self) -> JournaledWorker:
        return JournaledWorker(
            self.huey,
            self.stop_flag,
            self.worker_id,
            default_delay=self.default_delay,
            max_delay=self.max_delay,
            backoff=self.backoff,
        )

    def _create_scheduler(self) -> Any:
        scheduler = Scheduler(self.huey, self.stop_flag, interval=1, periodic=False)
        scheduler.interval = self.tick_s  # Huey clamps to whole seconds; retries need less
        return scheduler

    def _set_signal_handlers(self) -> None:
        """Leave signals alone: the process that embeds the workers owns them."""


class Housekeeper(threading.Thread):
    """Heartbeat, recovery of dead workers' jobs and worker-thread health checks."""

    def __init__(
        self,
        consumer: ThreadConsumer,
        journal: JournaledStorage,
        heartbeat_ttl_s: float,
        recover_interval_s: float,
    ) -> None:
        super().__init__(name="stockhouse-jobs-housekeeper", daemon=True)
        self.consumer = consumer
        self.journal = journal
        self.heartbeat_ttl_s = heartbeat_ttl_s
        self.recover_interval_s = recover_interval_s
        self.stopping = threading.Event()

    def run(self) -> None:
        chores = [
            (self.heartbeat_ttl_s / 3, self._heartbeat),
            (self.recover_interval_s, self._recover),
            (HEALTH_CHECK_INTERVAL_S, self._check_health),
        ]
        tick = min(every for every, _ in chores)
        next_due = [time.monotonic() + every for every, _ in chores]
        while not self.stopping.wait(tick):
            now = time.monotonic()
            for index, (every, chore) in enumerate(chores):
                if now >= next_due[index]:
                    next_due[index] = now + every
                    self._run(chore)

    @staticmethod
    def _run(chore: Callable[[], object]) -> None:
        try:
            chore()
        except Exception:
            logger.exception("job housekeeping (%s) failed", chore.__name__)

    def _heartbeat(self) -> None:
        self.journal.keep_alive(self.consumer.worker_id, self.heartbeat_ttl_s)

    def _recover(self) -> None:
        recover_dead_workers(self.journal, self.consumer.worker_id)

    def _check_health(self) -> None:
        if not self.consumer.stop_flag.is_set():  # stopping workers are not dead ones
            self.consumer.check_worker_health()

    def stop(self) -> None:
        self.stopping.set()
        self.join()


def recover_dead_workers(journal: JournaledStorage, own_worker_id: str | None) -> int:
    """Re-enqueue the in-flight jobs of dead workers, logging how many there were."""
    moved = journal.recover_dead(own_worker_id)
    if moved:
        logger.warning("re-enqueued %d job(s) left in flight by a dead worker", moved)
    return moved
