"""The job registry: plain functions marked with `@job`, bound to a queue only at start-up.

A job is a function whose first argument is the process's `Runtime`:

    @job(retries=5, backoff_s=10)
    def reindex_item(rt: Runtime, item_id: int) -> None:
        ...

The decorator returns the function unchanged (tests may call it directly) and records it
here; `JobQueue` registers every recorded job with its backend when it is constructed,
because the backend (embedded SQLite or Redis) is only known from the Settings.

Delivery is at-least-once: a worker that dies mid-job leaves the job to be run again by
another worker. Every job must therefore be idempotent: running it twice with the same
arguments has the same effect as running it once. Arguments are pickled: pass ids and
plain values, never ORM objects or open files.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

if TYPE_CHECKING:
    from stockhouse.runtime import Runtime

P = ParamSpec("P")
R = TypeVar("R")
JobFunction = Callable[Concatenate["Runtime", P], R]

# Modules that define jobs. A worker imports them all before it starts, so that every
# job a producer may enqueue is known to it. Capabilities add their `jobs` module here.
JOB_MODULES: list[str] = [
    "stockhouse.jobs.builtin",
    "stockhouse.ingest.jobs",
    "stockhouse.search.indexing",
    "stockhouse.generation.jobs",
]

DEFAULT_RETRIES = 3
DEFAULT_BACKOFF_S = 2.0


class UnknownJob(LookupError):
    """No job is registered under that name (or for that function)."""


@dataclass(frozen=True)
class JobSpec:
    """A registered job: its stable name, its function and its retry policy."""

    name: str
    fn: Callable[..., Any]
    retries: int
    backoff_s: float


_JOBS: dict[str, JobSpec] = {}


def job(
    retries: int = DEFAULT_RETRIES, backoff_s: float = DEFAULT_BACKOFF_S, name: str | None = None
) -> Callable[[JobFunction[P, R]], JobFunction[P, R]]:
    """Mark a function `fn(rt: Runtime, ...)` as a durable background job.

    `retries` more attempts follow a failure; retry n waits `backoff_s * 2**(n-1)` seconds
    (capped at 10 minutes). `name` is the identifier stored in queued messages and defaults
    to `module.function`; give one explicitly if the function may be renamed or moved while
    jobs are queued. Jobs must be idempotent (delivery is at-least-once).
    """
    if callable(retries) or isinstance(retries, bool) or not isinstance(retries, int):
        raise TypeError("use @job(...) with parentheses; retries must be an int")
    if retries < 0 or backoff_s < 0:
        raise ValueError("retries and backoff_s must not be negative")

    def register(fn: JobFunction[P, R]) -> JobFunction[P, R]:
        spec = JobSpec(name or _default_name(fn), fn, retries, float(backoff_s))
        _add(spec)
        return fn

    return register


def _default_name(fn: Callable[..., Any]) -> str:
    return f"{fn.__module__}.{fn.__qualname__}"


def _add(spec: JobSpec) -> None:
    """Record `spec`; re-importing the same module re-registers the same function."""
    existing = _JOBS.get(spec.name)
    if existing is not None and _default_name(existing.fn) != _default_name(spec.fn):
        raise ValueError(f"job name {spec.name!r} is already used by {_default_name(existing.fn)}")
    _JOBS[spec.name] = spec


def registered_jobs() -> dict[str, JobSpec]:
    """Every registered job by name (a copy)."""
    return dict(_JOBS)


def get_job(job: str | Callable[..., Any]) -> JobSpec:
    """The spec of a job given by name or by its (decorated) function."""
    if isinstance(job, str):
        spec = _JOBS.get(job)
    else:
        spec = next((s for s in _JOBS.values() if s.fn is job), None)
    if spec is None:
        raise UnknownJob(f"no job is registered as {job!r}; is its module in JOB_MODULES?")
    return spec


def import_job_modules(modules: Iterable[str] | None = None) -> None:
    """Import the job modules (JOB_MODULES by default) so their jobs are registered."""
    for module in JOB_MODULES if modules is None else modules:
        importlib.import_module(module)
