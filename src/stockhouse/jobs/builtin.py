"""Built-in diagnostic jobs: prove that workers pick up, run and finish jobs."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

from stockhouse.jobs.registry import job

if TYPE_CHECKING:
    from stockhouse.runtime import Runtime

MARKER_FILE_NAME = "job-markers.log"


def marker_file(rt: Runtime) -> Path:
    """Where `record_marker` writes: DATA_DIR/job-markers.log."""
    return rt.settings.data_dir / MARKER_FILE_NAME


def _append_line(path: Path, line: str) -> None:
    # One O_APPEND write per line, so concurrent workers never interleave within a line.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, f"{line}\n".encode())
    finally:
        os.close(fd)


@job(retries=0, name="stockhouse.record_marker")
def record_marker(rt: Runtime, marker: str = "ping", duration_s: float = 0.0) -> None:
    """Append "start <marker>", wait `duration_s`, then append "done <marker>".

    Diagnostic only: it is deliberately *not* idempotent, so that a job run twice shows
    up as two "done" lines (the crash tests count them).
    """
    path = marker_file(rt)
    path.parent.mkdir(parents=True, exist_ok=True)
    _append_line(path, f"start {marker} {os.getpid()}")
    time.sleep(duration_s)
    _append_line(path, f"done {marker} {os.getpid()}")
