"""Huey storages with an in-flight journal, so that a job survives the death of its worker.

Huey's own storages delete a message when a worker dequeues it; a worker killed while it
runs the job loses the job. These subclasses instead *claim* a message: in one atomic step
it leaves the queue and enters the claiming worker's journal. The worker releases the
entry once the job has finished (succeeded, been rescheduled for a retry, or failed for
good). Entries of a worker that died go back to the head of the queue (`recover_dead`).

How a dead worker is recognised:

- SQLite (embedded): each worker process holds an exclusive `flock` on its own lock file
  next to the database. The kernel drops the lock when the process dies, so a lock that
  can be taken belongs to a dead worker; recovery is immediate after a restart.
- Redis: each worker keeps a heartbeat key with a TTL. Once the key has expired, the
  worker's journal is moved back to the queue by a Lua script (atomic, so two recovering
  workers never both re-enqueue the same entry).

Both storages also move due scheduled messages straight into the queue in one atomic step
(Huey pops them first and enqueues them afterwards, which a crash in between would lose),
and keep a bounded record of jobs that failed for good.
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from huey.storage import RedisStorage, SqliteStorage

FAILED_KEEP = 1000  # failure records kept per queue; older ones are dropped


@dataclass(frozen=True)
class Claim:
    """A message a worker has taken from the queue; `token` identifies its journal entry."""

    data: bytes
    token: Any


@dataclass(frozen=True)
class FailedJob:
    """A job that failed on its last attempt."""

    job_id: str
    name: str
    arguments: str  # repr of the positional and keyword arguments, shortened
    error: str
    attempts: int
    failed_at: datetime.datetime


class JournaledStorage(Protocol):
    """What the workers need from a storage beyond Huey's own interface."""

    blocking: bool

    def begin_worker(self, worker_id: str, ttl_s: float) -> None: ...

    def keep_alive(self, worker_id: str, ttl_s: float) -> None: ...

    def end_worker(self, worker_id: str) -> None: ...

    def claim(self, worker_id: str) -> Claim | None: ...

    def release(self, worker_id: str, claim: Claim) -> None: ...

    def recover_dead(self, own_worker_id: str | None) -> int: ...

    def in_flight_count(self) -> int: ...

    def record_failure(self, failure: FailedJob) -> None: ...

    def failed_items(self, limit: int) -> list[FailedJob]: ...

    def flush_journal(self) -> None: ...


class JournaledSqliteStorage(SqliteStorage):  # type: ignore[misc]  # huey is untyped
    """SqliteStorage plus in-flight journal (liveness by flock) and failure records."""

    table_inflight = (
        "create table if not exists inflight (id integer not null primary key, "
        "queue text not null, worker text not null, data blob not null, "
        "claimed_at real not null)"
    )
    table_failed = (
        "create table if not exists failed_job (id integer not null primary key, "
        "queue text not null, job_id text not null, name text not null, "
        "arguments text not null, error text not null, attempts integer not null, "
        "failed_at real not null)"
    )
    ddl = [*SqliteStorage.ddl, table_inflight, table_failed]

    def __init__(self, name: str = "huey", filename: str = "huey.db", **kwargs: Any) -> None:
        super().__init__(name, filename=filename, **kwargs)
        self.lock_dir = Path(filename).with_name(Path(filename).name + ".workers")
        self._lock_fds: dict[str, int] = {}

    def _lock_path(self, worker_id: str) -> Path:
        return self.lock_dir / f"{worker_id}.lock"

    def begin_worker(self, worker_id: str, ttl_s: float) -> None:
        """Take this worker's lock; the kernel releases it if the process dies."""
        self.lock_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._lock_path(worker_id), os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self._lock_fds[worker_id] = fd

    def keep_alive(self, worker_id: str, ttl_s: float) -> None:
        """Nothing to do: the held lock is the sign of life."""

    def end_worker(self, worker_id: str) -> None:
        fd = self._lock_fds.pop(worker_id, None)
        if fd is not None:
            self._lock_path(worker_id).unlink(missing_ok=True)
            os.close(fd)

    def claim(self, worker_id: str) -> Claim | None:
        """Move the next message from the queue into `worker_id`'s journal."""
        if not self.sql("select 1 from task where queue = ? limit 1", (self.name,), results=True):
            return None
        with self.db(commit=True) as curs:
            curs.execute(
                "select id, data from task where queue = ? order by priority desc, id limit 1",
                (self.name,),
            )
            row = curs.fetchone()
            if row is None:
                return None
            curs.execute("delete from task where id = ?", (row[0],))
            curs.execute(
                "insert into inflight (queue, worker, data, claimed_at) values (?, ?, ?, ?)",
                (self.name, worker_id, row[1], time.time()),
            )
            return Claim(bytes(row[1]), curs.lastrowid)

    def release(self, worker_id: str, claim: Claim) -> None:
        self.sql("delete from inflight where id = ?", (claim.token,), commit=True)

    def recover_dead(self, own_worker_id: str | None) -> int:
        """Re-enqueue the journal entries of every worker whose lock is free."""
        rows = self.sql(
            "select distinct worker from inflight where queue = ?", (self.name,), results=True
        )
        return sum(self._recover_if_dead(worker) for (worker,) in rows if worker != own_worker_id)

    def _recover_if_dead(self, worker_id: str) -> int:
        path = self._lock_path(worker_id)
        with contextlib.ExitStack() as stack:
            with contextlib.suppress(FileNotFoundError):
                fd = os.open(path, os.O_RDWR)
                stack.callback(os.close, fd)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    return 0  # the worker is alive
            moved = self._requeue_journal(worker_id)
            path.unlink(missing_ok=True)
            return moved

    def _requeue_journal(self, worker_id: str) -> int:
        # Claimed messages go ahead of everything queued (priority above any real one).
        with self.db(commit=True) as curs:
            curs.execute(
                "insert into task (queue, data, priority) select queue, data, 1e9 "
                "from inflight where queue = ? and worker = ? order by id",
                (self.name, worker_id),
            )
            moved: int = curs.rowcount
            curs.execute(
                "delete from inflight where queue = ? and worker = ?", (self.name, worker_id)
            )
            return moved

    def read_schedule(self, ts: datetime.datetime) -> list[bytes]:
        """Move due messages into the queue atomically; nothing is left for Huey to enqueue."""
        params = (self.name, ts.timestamp())
        due = "select 1 from schedule where queue = ? and timestamp <= ? limit 1"
        if not self.sql(due, params, results=True):  # no write lock when nothing is due
            return []
        with self.db(commit=True) as curs:
            curs.execute(
                "insert into task (queue, data, priority) select queue, data, 0 from schedule "
                "where queue = ? and timestamp <= ? order by timestamp, id",
                params,
            )
            curs.execute("delete from schedule where queue = ? and timestamp <= ?", params)
        return []

    def in_flight_count(self) -> int:
        rows = self.sql("select count(*) from inflight where queue = ?", (self.name,), True, True)
        return int(rows[0][0])

    def record_failure(self, failure: FailedJob) -> None:
        with self.db(commit=True) as curs:
            curs.execute(
                "insert into failed_job (queue, job_id, name, arguments, error, attempts, "
                "failed_at) values (?, ?, ?, ?, ?, ?, ?)",
                (
                    self.name,
                    failure.job_id,
                    failure.name,
                    failure.arguments,
                    failure.error,
                    failure.attempts,
                    failure.failed_at.timestamp(),
                ),
            )
            curs.execute(
                "delete from failed_job where queue = ? and id <= "
                "(select max(id) from failed_job where queue = ?) - ?",
                (self.name, self.name, FAILED_KEEP),
            )

    def failed_items(self, limit: int) -> list[FailedJob]:
        rows = self.sql(
            "select job_id, name, arguments, error, attempts, failed_at from failed_job "
            "where queue = ? order by id desc limit ?",
            (self.name, limit),
            results=True,
        )
        return [
            FailedJob(job_id, name, arguments, error, attempts, _from_timestamp(failed_at))
            for job_id, name, arguments, error, attempts, failed_at in rows
        ]

    def flush_journal(self) -> None:
        self.sql("delete from inflight where queue = ?", (self.name,), commit=True)
        self.sql("delete from failed_job where queue = ?", (self.name,), commit=True)


# KEYS: heartbeat, journal, queue, workers set. ARGV: worker id.
RECOVER_LUA = """\
if redis.call('exists', KEYS[1]) == 1 then return -1 end
local moved = 0
while redis.call('lmove', KEYS[2], KEYS[3], 'LEFT', 'RIGHT') do moved = moved + 1 end
redis.call('srem', KEYS[4], ARGV[1])
return moved"""

# KEYS: schedule, queue. ARGV: unix timestamp.
SCHEDULE_TO_QUEUE_LUA = """\
local due = redis.call('zrangebyscore', KEYS[1], '-inf', ARGV[1])
for _, message in ipairs(due) do redis.call('lpush', KEYS[2], message) end
if #due > 0 then redis.call('zremrangebyscore', KEYS[1], '-inf', ARGV[1]) end
return #due"""


class JournaledRedisStorage(RedisStorage):  # type: ignore[misc]  # huey is untyped
    """RedisStorage plus per-worker journals (liveness by heartbeat) and failure records.

    The queue is a list: producers LPUSH, workers BLMOVE from its right end (the head)
    into their journal list, and recovery moves journal entries back onto the head.
    """

    def __init__(self, name: str = "huey", **kwargs: Any) -> None:
        super().__init__(name, **kwargs)
        self.workers_key = f"huey.workers.{self.name}"
        self.failed_key = f"huey.failed.{self.name}"
        self._recover = self.conn.register_script(RECOVER_LUA)
        self._schedule_to_queue = self.conn.register_script(SCHEDULE_TO_QUEUE_LUA)

    def _journal_key(self, worker_id: str) -> str:
        return f"huey.inflight.{self.name}.{worker_id}"

    def _heartbeat_key(self, worker_id: str) -> str:
        return f"huey.heartbeat.{self.name}.{worker_id}"

    def _recover_keys(self, worker_id: str) -> list[str]:
        """The KEYS of RECOVER_LUA for one worker."""
        return [
            self._heartbeat_key(worker_id),
            self._journal_key(worker_id),
            self.queue_key,
            self.workers_key,
        ]

    def begin_worker(self, worker_id: str, ttl_s: float) -> None:
        self.keep_alive(worker_id, ttl_s)

    def keep_alive(self, worker_id: str, ttl_s: float) -> None:
        """Refresh the heartbeat (and the registration, should recovery have dropped it)."""
        pipe = self.conn.pipeline()
        pipe.set(self._heartbeat_key(worker_id), b"1", px=max(1, int(ttl_s * 1000)))
        pipe.sadd(self.workers_key, worker_id)
        pipe.execute()

    def end_worker(self, worker_id: str) -> None:
        """Stop the heartbeat; entries still in the journal are recovered by other workers."""
        self.conn.delete(self._heartbeat_key(worker_id))
        self._recover(keys=self._recover_keys(worker_id), args=[worker_id])

    def claim(self, worker_id: str) -> Claim | None:
        data = self.conn.blmove(
            self.queue_key, self._journal_key(worker_id), self.read_timeout, "RIGHT", "LEFT"
        )
        return None if data is None else Claim(data, data)

    def release(self, worker_id: str, claim: Claim) -> None:
        self.conn.lrem(self._journal_key(worker_id), 1, claim.token)

    def recover_dead(self, own_worker_id: str | None) -> int:
        """Re-enqueue the journals of registered workers whose heartbeat has expired."""
        moved = 0
        for raw in self.conn.smembers(self.workers_key):
            worker_id = raw.decode() if isinstance(raw, bytes) else str(raw)
            if worker_id == own_worker_id:
                continue
            moved += max(
                0, int(self._recover(keys=self._recover_keys(worker_id), args=[worker_id]))
            )
        return moved

    def read_schedule(self, ts: datetime.datetime) -> list[bytes]:
        """Move due messages into the queue atomically; nothing is left for Huey to enqueue."""
        self._schedule_to_queue(
            keys=[self.schedule_key, self.queue_key], args=[self.convert_ts(ts)]
        )
        return []

    def in_flight_count(self) -> int:
        workers = self.conn.smembers(self.workers_key)
        pipe = self.conn.pipeline()
        for raw in workers:
            pipe.llen(self._journal_key(raw.decode()))
        return sum(int(n) for n in pipe.execute())

    def record_failure(self, failure: FailedJob) -> None:
        record = {
            "job_id": failure.job_id,
            "name": failure.name,
            "arguments": failure.arguments,
            "error": failure.error,
            "attempts": failure.attempts,
            "failed_at": failure.failed_at.timestamp(),
        }
        pipe = self.conn.pipeline()
        pipe.lpush(self.failed_key, json.dumps(record))
        pipe.ltrim(self.failed_key, 0, FAILED_KEEP - 1)
        pipe.execute()

    def failed_items(self, limit: int) -> list[FailedJob]:
        items = []
        for raw in self.conn.lrange(self.failed_key, 0, limit - 1):
            record = json.loads(raw)
            record["failed_at"] = _from_timestamp(record["failed_at"])
            items.append(FailedJob(**record))
        return items

    def close(self) -> bool:
        self.pool.disconnect()
        return True

    def flush_journal(self) -> None:
        workers = [raw.decode() for raw in self.conn.smembers(self.workers_key)]
        keys = [self.workers_key, self.failed_key]
        keys += [self._journal_key(w) for w in workers]
        keys += [self._heartbeat_key(w) for w in workers]
        self.conn.delete(*keys)


def _from_timestamp(value: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(value, tz=datetime.UTC)
