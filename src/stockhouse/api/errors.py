"""The one error shape of the native API, and the handlers that produce it.

Every failure under /v1 answers `{"error": {"code", "message", "request_id", ...}}` with a
4xx/5xx status; `code` is stable and machine-readable (see ERROR_CODES).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from stockhouse.errors import DomainError, InvalidParameter, RateLimited
from stockhouse.observability import request_id_var

log = logging.getLogger("stockhouse.api")

# Every code the native API can answer with; tests assert that each is documented.
ERROR_CODES: dict[str, str] = {
    "authentication_failed": "no, unknown, expired or revoked credentials (401)",
    "permission_denied": "authenticated, but not allowed to do this (403)",
    "not_found": "no such resource or route (404)",
    "method_not_allowed": "the route exists, the HTTP method does not (405)",
    "invalid_parameter": "one named input is wrong; `param` names it (400)",
    "invalid_request": "the body or query does not match the schema; `details` lists where (422)",
    "malformed_json": "the body is not valid JSON (400)",
    "conflict": "clashes with existing state, e.g. a taken username (409)",
    "insufficient_funds": "the balance does not cover the purchase (402)",
    "rate_limited": "too many requests; `retry_after_s` says when to retry (429)",
    "payload_too_large": "the request body is over the limit (413)",
    "internal_error": "a bug: quote the request id when reporting it (500)",
}

_STATUS_CODES = {
    400: "invalid_parameter",
    401: "authentication_failed",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
}


def error_response(status: int, code: str, message: str, **extra: Any) -> JSONResponse:
    body = {"code": code, "message": message, "request_id": request_id_var.get(), **extra}
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse({"error": body}, status_code=status, headers=headers)


async def _domain_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    extra: dict[str, Any] = {}
    if isinstance(exc, InvalidParameter):
        extra["param"] = exc.name
    if isinstance(exc, RateLimited):
        extra["retry_after_s"] = exc.retry_after_s
    return error_response(exc.http_status, exc.code, exc.message, **extra)


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return error_response(400, "malformed_json", "the request body is not valid JSON")
    details = [
        {"loc": [str(part) for part in e.get("loc", ())], "message": str(e.get("msg", ""))}
        for e in errors
    ]
    return error_response(
        422, "invalid_request", "the request does not match the schema", details=details
    )


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _STATUS_CODES.get(exc.status_code, "invalid_parameter")
    return error_response(exc.status_code, code, str(exc.detail))


async def _unexpected_error(_: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", exc_info=exc)
    return error_response(
        500, "internal_error", f"internal error; quote request id {request_id_var.get()}"
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
