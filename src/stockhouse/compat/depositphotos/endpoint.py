"""The HTTP side of the Depositphotos API: one endpoint, `dp_command` dispatch, always 200 JSON.

Parameters are merged from the query string, the form body (urlencoded or multipart) and a
JSON body, in that order; the API key comes from `dp_apikey` or the `Api-Key` header (the
official SDK sends only the header); the session from `dp_session_id` or `dp_sessionid`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any
from urllib.parse import parse_qsl
from weakref import WeakKeyDictionary

from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import ApiKind
from stockhouse.accounts.tokens import digest
from stockhouse.compat.depositphotos import wire
from stockhouse.compat.phpquery import merge, parse_pairs
from stockhouse.errors import AuthenticationFailed, DomainError
from stockhouse.runtime import Runtime

log = logging.getLogger("stockhouse.compat.depositphotos")

MAX_BODY_BYTES = 1_000_000
MAX_FIELDS = 5000
MAX_KEY_CHARS = 200
SESSION_PARAMS = ("dp_session_id", "dp_sessionid")
CREDENTIAL_CACHE_TTL_S = 5.0
MAX_CACHED_CREDENTIALS = 10_000


class BadBody(Exception):
    """A body that cannot be read as form or JSON parameters."""


async def _body_params(request: Request) -> dict[str, Any]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if request.method not in ("POST", "PUT"):
        return {}
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > MAX_BODY_BYTES:
        raise BadBody("request body is too large")
    if content_type == "multipart/form-data":
        form = await request.form(max_files=4, max_fields=MAX_FIELDS)
        pairs = [(k, v) for k, v in form.multi_items() if not isinstance(v, UploadFile)]
        return parse_pairs(pairs)
    body = await _limited_body(request)
    if content_type == "application/x-www-form-urlencoded":
        # parse_qsl on the whole (size-limited) body: a fraction of the streaming parser's cost
        try:
            text = body.decode("utf-8", "replace")
            return parse_pairs(parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FIELDS))
        except ValueError as exc:
            raise BadBody("the form has too many fields") from exc
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


async def _limited_body(request: Request) -> bytes:
    received = bytearray()
    async for chunk in request.stream():
        received += chunk
        if len(received) > MAX_BODY_BYTES:
            raise BadBody("request body is too large")
    return bytes(received)


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


class CredentialCache:
    """Recently verified API keys of one runtime: key digest -> (credential id, expiry).

    Resolving a key costs a database round trip on every call; a key seen valid within
    CREDENTIAL_CACHE_TTL_S is trusted without one (so a disabled key keeps working for at
    most that long in each server process). Sessions are always checked in the database.
    """

    def __init__(self, ttl_s: float = CREDENTIAL_CACHE_TTL_S) -> None:
        self.ttl_s = ttl_s
        self._entries: dict[str, tuple[int, float]] = {}

    def get(self, key: str) -> int | None:
        entry = self._entries.get(digest(key))
        if entry is None or entry[1] <= time.monotonic():
            return None
        return entry[0]

    def put(self, key: str, credential_id: int) -> None:
        if len(self._entries) >= MAX_CACHED_CREDENTIALS:
            self._entries.clear()
        self._entries[digest(key)] = (credential_id, time.monotonic() + self.ttl_s)

    def clear(self) -> None:
        self._entries.clear()


_credential_caches: WeakKeyDictionary[Runtime, CredentialCache] = WeakKeyDictionary()


def credential_cache(runtime: Runtime) -> CredentialCache:
    """The runtime's cache of verified keys (one per runtime, so tests never share one)."""
    cache = _credential_caches.get(runtime)
    if cache is None:
        cache = _credential_caches[runtime] = CredentialCache()
    return cache


def _resolve_key(session: Session, call: wire.Call) -> int:
    try:
        credential = accounts.resolve_credential(session, call.api_key, ApiKind.DEPOSITPHOTOS)
    except AuthenticationFailed as exc:
        raise wire.illegal_api_key() from exc
    return credential.id


def _resolve_login(session: Session, call: wire.Call, token: str) -> None:
    """The session's user; a session made under another API key (or none) is refused."""
    try:
        login = accounts.resolve_session(session, token)
    except AuthenticationFailed as exc:
        raise wire.illegal_session() from exc
    if login.credential_id != call.credential_id:
        raise wire.illegal_session()
    call.user_id = login.user_id
    call.session_token = token


def authenticate(runtime: Runtime, call: wire.Call) -> wire.Command:
    """Check the key (and the session when the command needs one or one is given); the
    command to run. Errors in the catalogue's order: key, command, session."""
    name = call.params.text("dp_command")
    if not name:
        raise wire.undefined_command()
    spec = wire.COMMANDS.get(name)
    token = _session_token(call.params)
    cache = credential_cache(runtime)
    cached = cache.get(call.api_key)
    if cached is not None and (spec is None or not (spec.needs_session or token)):
        call.credential_id = cached
        if spec is None:
            raise wire.command_not_found()
        return spec
    with runtime.db.session() as session:
        call.credential_id = cached if cached is not None else _resolve_key(session, call)
        cache.put(call.api_key, call.credential_id)
        if spec is None:
            raise wire.command_not_found()
        if spec.needs_session or token:
            if not token:
                raise wire.illegal_session()
            _resolve_login(session, call, token)
    return spec


def execute(runtime: Runtime, call: wire.Call) -> dict[str, Any]:
    """Authenticate the key (and the session when the command needs one), run the handler."""
    return authenticate(runtime, call).handler(call)


def _run(runtime: Runtime, call: wire.Call) -> dict[str, Any] | bytes:
    """The answer envelope (bytes when the handler's fields came pre-encoded)."""
    try:
        fields = execute(runtime, call)
        if isinstance(fields, wire.Encoded):
            return wire.success_bytes(fields)
        return wire.success(fields)
    except wire.DpError as exc:
        return wire.failure(exc)
    except DomainError as exc:
        return wire.failure(wire.from_domain(exc))
    except Exception:
        log.exception("Depositphotos command failed")
        return wire.failure(wire.internal_error())


_base_urls: dict[tuple[Any, ...], str] = {}
MAX_BASE_URLS = 1000


def base_url(request: Request) -> str:
    """The configured public base URL, else the one the request came to (memoised per
    scheme, host header and root path: it is on every answer's picture URLs)."""
    runtime: Runtime = request.app.state.runtime
    if runtime.settings.base_url:
        return runtime.settings.base_url.rstrip("/")
    scope = request.scope
    host = next((v for k, v in scope["headers"] if k == b"host"), b"")
    key = (scope.get("scheme"), host, scope.get("root_path"), str(scope.get("server")))
    found = _base_urls.get(key)
    if found is None:
        if len(_base_urls) >= MAX_BASE_URLS:
            _base_urls.clear()
        found = _base_urls[key] = str(request.base_url).rstrip("/")
    return found


async def dispatch(request: Request) -> Response:
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
    spec = wire.COMMANDS.get(str(params.raw("dp_command") or ""))
    if spec is not None and spec.inline:
        answer = _run(runtime, call)  # a few short reads: cheaper than a threadpool hop
    else:
        answer = await asyncio.to_thread(_run, runtime, call)
    if isinstance(answer, bytes):
        return Response(answer, media_type="application/json")
    return JSONResponse(answer)


def depositphotos_routes(prefix: str = "/depositphotos") -> list[BaseRoute]:
    """The API at `prefix/` and `prefix/rpc.php` (prefix "" serves it at the root)."""
    methods = ["GET", "POST"]
    return [
        Route(f"{prefix}/", dispatch, methods=methods),
        Route(f"{prefix}/rpc.php", dispatch, methods=methods),
        *([Route(prefix, dispatch, methods=methods)] if prefix else []),
    ]
