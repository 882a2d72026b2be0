"""Background jobs of the ingest pipeline (the worker imports this module; see JOB_MODULES)."""

from __future__ import annotations

import os
from functools import cache
from typing import TYPE_CHECKING

from stockhouse.jobs.registry import job

if TYPE_CHECKING:
    from stockhouse.runtime import Runtime

INGEST_JOB_NAME = "stockhouse.ingest.ingest_upload"
INGEST_RETRIES = 4  # for failures outside the file: database or storage unavailable
INGEST_BACKOFF_S = 5.0
VIPS_THREADS_PER_JOB = 1  # design/performance.md: parallel jobs, not parallel libvips


@job(retries=INGEST_RETRIES, backoff_s=INGEST_BACKOFF_S, name=INGEST_JOB_NAME)
def ingest_upload_job(rt: Runtime, upload_id: int) -> None:
    """Ingest one received upload; safe to run again (a finished upload is skipped)."""
    from stockhouse.ingest.pipeline import ingest_upload

    _configure_vips()
    ingest_upload(rt, upload_id)


@cache
def _configure_vips() -> None:
    """One libvips thread per job (unless VIPS_CONCURRENCY says otherwise): job workers
    already run several ingests at once, and per-image thread pools only add overhead."""
    if "VIPS_CONCURRENCY" not in os.environ:
        import pyvips

        pyvips.concurrency_set(VIPS_THREADS_PER_JOB)
