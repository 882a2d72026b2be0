"""Helpers for the generator tests: a real HTTP server in a thread, fast job workers."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from stockhouse.jobs.queue import JobQueue
from stockhouse.runtime import Runtime

FAST_JOBS: dict[str, Any] = {
    "poll_interval_s": 0.05,
    "heartbeat_ttl_s": 2.0,
    "recover_interval_s": 0.5,
    "schedule_tick_s": 0.02,
    "shutdown_timeout_s": 20.0,
}


@dataclass
class Received:
    """One request the test server got."""

    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class TestServer:
    """A local HTTP server; `answers` says (status, body, content type) per POST, in order."""

    port: int
    received: list[Received] = field(default_factory=list)
    answers: list[tuple[int, bytes, str]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextmanager
def http_server(answers: list[tuple[int, bytes, str]] | None = None) -> Iterator[TestServer]:
    """Serve on 127.0.0.1 (a free port) until the block ends; the last answer repeats."""
    state = TestServer(port=0, answers=list(answers or [(200, b"{}", "application/json")]))
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length)
            with lock:
                state.received.append(Received(self.path, dict(self.headers), body))
                index = min(len(state.received), len(state.answers)) - 1
                status, payload, content_type = state.answers[index]
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def fast_workers(runtime: Runtime, count: int = 2) -> JobQueue:
    """Replace the runtime's queue by one with fast timings and start its workers."""
    queue = JobQueue(runtime, **FAST_JOBS)
    runtime.__dict__["jobs"] = queue
    queue.start_workers(count)
    return queue


def wait_for(condition: Callable[[], bool], timeout_s: float = 30.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout_s}s waiting for {what or condition}")
        time.sleep(0.05)
