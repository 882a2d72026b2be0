"""The HTTP side of the Depositphotos API: one endpoint, `dp_command` dispatch, always 200 JSON.

Parameters are merged from the query string, the form body (urlencoded or multipart) and a
JSON body, in that order; the API key comes from `dp_apikey` or the `Api-Key` header (the
official SDK sends only the header); the session from `dp_session_id` or `dp_sessionid`.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import ApiKind
from stockhouse.compat.depositphotos import wire
from stockhouse.compat.phpquery import merge, parse_pairs
from stockhouse.errors import AuthenticationFailed, DomainError
from stockhouse.runtime import Runtime

log = logging.getLogger("stockhouse.compat.depositphotos")

MAX_BODY_BYTES = 1_000_000
MAX_KEY_CHARS = 200
SESSION_PARAMS = ("dp_session_id", "dp_sessionid")


class BadBody(Exception):
    """A body that cannot be read as form or JSON parameters."""


async def _body_params(request: Request) -> dict[str, Any]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if request.method not in ("POST", "PUT"):
        return {}
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > MAX_BODY_BYTES:
        raise BadBody("request body is too large")
    if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.form(max_files=4, max_fields=5000)
        pairs = [(k, v) for k, v in form.multi_items() if not isinstance(v, UploadFile)]
        return parse_pairs(pairs)
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise BadBody("request body is too large")
    if not body.strip():
        return {}
    if content_type == "application/json" or body.lstrip()[:1] in (b"{", b"["):
        try:
            document = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise BadBody("the JSON body cannot be parsed") from exc
        if not isinstance(document, dict):
            raise BadBody("the JSON body must be an object")
        return document
    return {}


def _api_key(request: Request, params: wire.Params) -> str:
    key = params.text("dp_apikey") or request.headers.get("api-key", "")
    if not key or len(key) > MAX_KEY_CHARS or not key.isprintable():
        raise wire.illegal_api_key()
    return key


def _session_token(params: wire.Params) -> str | None:
    for name in SESSION_PARAMS:
        token = params.text(name)
        if token:
            return token
    return None


def execute(runtime: Runtime, call: wire.Call) -> dict[str, Any]:
    """Authenticate the key (and the session when the command needs one), run the handler."""
    name = call.params.text("dp_command")
    if not name:
        raise wire.undefined_command()
    spec = wire.COMMANDS.get(name)
    with runtime.db.session() as session:
        try:
            credential = accounts.resolve_credential(session, call.api_key, ApiKind.DEPOSITPHOTOS)
        except AuthenticationFailed as exc:
            raise wire.illegal_api_key() from exc
        call.credential_id = credential.id
        if spec is None:
            raise wire.command_not_found()
        token = _session_token(call.params)
        if spec.needs_session or token:
            if not token:
                raise wire.illegal_session()
            try:
                login = accounts.resolve_session(session, token)
            except AuthenticationFailed as exc:
                raise wire.illegal_session() from exc
            call.user_id = login.user_id
            call.session_token = token
    return spec.handler(call)


def _run(runtime: Runtime, call: wire.Call) -> dict[str, Any]:
    try:
        return wire.success(execute(runtime, call))
    except wire.DpError as exc:
        return wire.failure(exc)
    except DomainError as exc:
        return wire.failure(wire.from_domain(exc))
    except Exception:
        log.exception("Depositphotos command failed")
        return wire.failure(wire.internal_error())


def base_url(request: Request) -> str:
    runtime: Runtime = request.app.state.runtime
    configured = runtime.settings.base_url
    return (configured or str(request.base_url)).rstrip("/")


async def dispatch(request: Request) -> JSONResponse:
    runtime: Runtime = request.app.state.runtime
    try:
        body = await _body_params(request)
        params = wire.Params(merge(parse_pairs(request.query_params.multi_items()), body))
        call = wire.Call(runtime=runtime, params=params, base_url=base_url(request), api_key="")
        call.api_key = _api_key(request, params)
    except BadBody as exc:
        return JSONResponse(wire.failure(wire.invalid_param("body", str(exc))))
    except wire.DpError as exc:
        return JSONResponse(wire.failure(exc))
    answer = await asyncio.to_thread(_run, runtime, call)
    return JSONResponse(answer)


def depositphotos_routes(prefix: str = "/depositphotos") -> list[BaseRoute]:
    """The API at `prefix/` and `prefix/rpc.php` (prefix "" serves it at the root)."""
    methods = ["GET", "POST"]
    return [
        Route(f"{prefix}/", dispatch, methods=methods),
        Route(f"{prefix}/rpc.php", dispatch, methods=methods),
        *([Route(prefix, dispatch, methods=methods)] if prefix else []),
    ]
