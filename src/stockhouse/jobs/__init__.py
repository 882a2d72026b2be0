"""Durable background jobs: embedded (SQLite, workers inside `serve`) or on Redis.

Define jobs with `@job(...)` (see `registry`), enqueue them with
`runtime.jobs.enqueue(job, *args)`. Delivery is at-least-once: jobs must be idempotent.
"""

from stockhouse.jobs.queue import JobQueue
from stockhouse.jobs.registry import JOB_MODULES, JobSpec, UnknownJob, job
from stockhouse.jobs.storage import FailedJob

__all__ = ["JOB_MODULES", "FailedJob", "JobQueue", "JobSpec", "UnknownJob", "job"]
