"""Helpers shared by the job tests (not a test module)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

# Timings small enough for fast tests: idle workers look at the queue every 50 ms and a
# killed Redis worker counts as dead one second after its last heartbeat.
FAST: dict[str, Any] = {
    "poll_interval_s": 0.05,
    "heartbeat_ttl_s": 1.0,
    "recover_interval_s": 0.2,
    "schedule_tick_s": 0.02,
    "shutdown_timeout_s": 10.0,
}


def wait_for(condition: Callable[[], bool], timeout_s: float = 10.0, what: str = "") -> None:
    """Poll `condition` until it holds; fail the test after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout_s}s waiting for {what or condition}")
        time.sleep(0.02)
