"""Background jobs of the AI image generator (the worker imports this module; JOB_MODULES)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from stockhouse.jobs.registry import job

if TYPE_CHECKING:
    from stockhouse.runtime import Runtime

GENERATION_RETRIES = 3  # for a busy backend or an unavailable database; see service
GENERATION_BACKOFF_S = 10.0


@job(retries=GENERATION_RETRIES, backoff_s=GENERATION_BACKOFF_S, name="stockhouse.generation.run")
def run_generation_job(rt: Runtime, job_id: int) -> None:
    """Draw, ingest and publish a job's pictures (idempotent: finished steps are skipped)."""
    from stockhouse.generation.service import run_generation

    run_generation(rt, job_id)


@job(retries=2, backoff_s=5.0, name="stockhouse.generation.callback")
def deliver_callback_job(rt: Runtime, job_id: int, attempt: int) -> None:
    """One attempt at posting a job's result to its callback URL (it queues the next)."""
    from stockhouse.generation.service import deliver_callback

    deliver_callback(rt, job_id, attempt)
