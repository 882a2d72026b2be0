"""Structured logs with a request id, and Prometheus metrics, for every HTTP request."""

from __future__ import annotations

import functools
import json
import logging
import os
import re
import sys
import time
from contextvars import ContextVar
from typing import Any

from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")

REQUEST_ID_HEADER = "x-request-id"
_REQUEST_ID_HEADER_BYTES = REQUEST_ID_HEADER.encode()
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

HTTP_REQUESTS = Counter(
    "stockhouse_http_requests_total", "HTTP requests answered", ["surface", "method", "status"]
)
HTTP_LATENCY = Histogram(
    "stockhouse_http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["surface"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)

access_log = logging.getLogger("stockhouse.access")


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the request id of the request being served."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": request_id_var.get(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        fields = " ".join(f"{k}={v}" for k, v in getattr(record, "fields", {}).items())
        line = (
            f"{record.levelname:<7} [{request_id_var.get()}] {record.name}: {record.getMessage()}"
        )
        return f"{line} {fields}".rstrip()


def configure_logging(level: str = "info", fmt: str = "json") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("uvicorn.access", "botocore", "urllib3", "huey"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


@functools.lru_cache(maxsize=1024)
def _request_counter(surface: str, method: str, status: int) -> Any:
    # labels() hashes and locks on every call; the children never change, so keep them.
    return HTTP_REQUESTS.labels(surface, method, str(status))


@functools.lru_cache(maxsize=1024)
def _latency_histogram(surface: str) -> Any:
    return HTTP_LATENCY.labels(surface)


def _surface(path: str) -> str:
    """A low-cardinality label for metrics: the first path segment."""
    segment = path.lstrip("/").split("/", 1)[0]
    return segment if segment in _KNOWN_SURFACES else ("web" if segment else "root")


_KNOWN_SURFACES = frozenset(
    {"v1", "depositphotos", "pond5", "apiq", "api", "healthz", "metrics", "docs", "static", "media"}
)


class RequestContextMiddleware:
    """Assigns a request id (or keeps a sane incoming one), logs and counts each request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(_REQUEST_ID_HEADER_BYTES, b"").decode("latin-1")
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else os.urandom(8).hex()
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((_REQUEST_ID_HEADER_BYTES, request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            surface = _surface(scope["path"])
            _request_counter(surface, scope["method"], status).inc()
            _latency_histogram(surface).observe(elapsed)
            access_log.info(
                "%s %s %s",
                scope["method"],
                scope["path"],
                status,
                extra={"fields": {"status": status, "duration_ms": round(elapsed * 1000, 2)}},
            )
            request_id_var.reset(token)
