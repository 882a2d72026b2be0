"""The Pixelpost "Ultralite 2" API (seed 002: `photo.list`) at /api/json/, /api/xml/ and
/api/get/<method>/<format>/, with its read-grant authentication.

Methods: auth.request, auth.token, auth.refresh (no grant needed), photo.list, photo.get,
photo.count and photo.size (read grant). docs/compat/photolist.md describes the wire.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import ClientDisconnect, Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from stockhouse.compat.photolist import auth, errors, photos, transport
from stockhouse.runtime import Runtime

log = logging.getLogger("stockhouse.compat.photolist")

GET_PREFIX = "/api/get"
HTTP_METHODS = ["GET", "POST", "PUT"]


@dataclass(frozen=True)
class ApiMethod:
    """One method of the API: what answers it and the grant it needs (None: none)."""

    handler: Callable[[Runtime, Request, Any], Any]
    grant: str | None


def _auth(function: Callable[[Runtime, Any], Any]) -> Callable[[Runtime, Request, Any], Any]:
    return lambda runtime, _http, request: function(runtime, request)


METHODS: dict[str, ApiMethod] = {
    "auth.request": ApiMethod(_auth(auth.auth_request), None),
    "auth.token": ApiMethod(_auth(auth.auth_token), None),
    "auth.refresh": ApiMethod(_auth(auth.auth_refresh), None),
    "photo.list": ApiMethod(photos.photo_list, auth.READ_GRANT),
    "photo.get": ApiMethod(photos.photo_get, auth.READ_GRANT),
    "photo.count": ApiMethod(photos.photo_count, auth.READ_GRANT),
    "photo.size": ApiMethod(photos.photo_size, auth.READ_GRANT),
}


def answer(runtime: Runtime, http: Request, envelope: transport.Envelope) -> dict[str, Any]:
    """The answer document of one decoded call (raises ApiError)."""
    if envelope.method is None:
        raise errors.missing_envelope_field("method")
    if not isinstance(envelope.method, str):
        raise errors.bad_method(envelope.method)
    caller = auth.authenticate(
        runtime, envelope.method, envelope.request, envelope.token, envelope.hmac
    )
    name = envelope.method.strip()
    if not name:
        raise errors.empty_method()
    method = METHODS.get(name)
    if method is None:
        raise errors.bad_method(name)
    if method.grant is not None:
        auth.require_grant(caller, method.grant, name)
    response = method.handler(runtime, http, envelope.request)
    document: dict[str, Any] = {"status": "valid", "response": response}
    if caller is not None:
        document.update(auth.sign_response(runtime, caller, response))
    return document


def error_document(error: errors.ApiError) -> dict[str, Any]:
    return {"status": "error", "code": error.code, "message": error.message}


def _process(
    runtime: Runtime, http: Request, decode: Callable[[], transport.Envelope]
) -> dict[str, Any]:
    try:
        return answer(runtime, http, decode())
    except errors.ApiError as error:
        return error_document(error)
    except Exception:  # the API's own "unknown" answer, never a traceback
        log.exception("photo.list API call failed")
        return error_document(errors.unknown())


def render(document: dict[str, Any], xml: bool) -> Response:
    if xml:
        return Response(transport.encode_xml(document), media_type=transport.XML_MEDIA_TYPE)
    return Response(transport.encode_json(document), media_type=transport.JSON_MEDIA_TYPE)


async def read_body(request: Request) -> bytes:
    """The body, or ApiError when it is larger than MAX_BODY_BYTES (read no further)."""
    limit = transport.MAX_BODY_BYTES
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise errors.too_large(limit)
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise errors.too_large(limit)
            chunks.append(chunk)
    except ClientDisconnect:
        return b""
    return b"".join(chunks)


async def _serve(
    request: Request, xml: bool, decode: Callable[[bytes], transport.Envelope], *, body: bool
) -> Response:
    runtime: Runtime = request.app.state.runtime
    try:
        data = await read_body(request) if body else request.scope.get("query_string", b"")
    except errors.ApiError as error:
        return render(error_document(error), xml)
    document = await asyncio.to_thread(_process, runtime, request, lambda: decode(data))
    return render(document, xml)


async def json_endpoint(request: Request) -> Response:
    """`POST /api/json/`: a JSON envelope in the body."""
    return await _serve(request, False, transport.decode_json, body=True)


async def xml_endpoint(request: Request) -> Response:
    """`POST /api/xml/`: an XML envelope in the body."""
    return await _serve(request, True, transport.decode_xml, body=True)


def _get_path(request: Request) -> str:
    raw = request.scope.get("raw_path")
    path = raw.decode("latin-1") if isinstance(raw, bytes) else request.url.path
    path = path.split("?", 1)[0]
    return path[len(GET_PREFIX) :] if path.startswith(GET_PREFIX) else ""


async def get_endpoint(request: Request) -> Response:
    """`GET|POST /api/get/<method>/<format>/[key:value/...]`: the request in the query
    string (GET) or form body (POST)."""
    rest = _get_path(request)
    xml = transport.output_is_xml(rest)

    def decode(data: bytes) -> transport.Envelope:
        return transport.decode_get(rest, data).envelope

    return await _serve(request, xml, decode, body=request.method == "POST")


async def bad_url(request: Request) -> Response:
    """Any other `/api/` url: the real software's plain-text hint."""
    base = str(request.base_url).rstrip("/") + "/api/"
    lines = [
        "ERROR: Bad url format, please use:",
        f"- {base}json/",
        f"- {base}xml/",
        f"- {base}get/",
    ]
    return PlainTextResponse("\n".join(lines) + "\n")


def photolist_routes() -> list[BaseRoute]:
    return [
        Route("/api/json", json_endpoint, methods=HTTP_METHODS),
        Route("/api/json/", json_endpoint, methods=HTTP_METHODS),
        Route("/api/xml", xml_endpoint, methods=HTTP_METHODS),
        Route("/api/xml/", xml_endpoint, methods=HTTP_METHODS),
        Route("/api/get", get_endpoint, methods=HTTP_METHODS),
        Route("/api/get/{rest:path}", get_endpoint, methods=HTTP_METHODS),
        Route("/api", bad_url, methods=HTTP_METHODS),
        Route("/api/", bad_url, methods=HTTP_METHODS),
        # Last: any other /api/ url gets the hint (routes mounted earlier, such as
        # /api/2/images, still answer first).
        Route("/api/{rest:path}", bad_url, methods=HTTP_METHODS),
    ]
