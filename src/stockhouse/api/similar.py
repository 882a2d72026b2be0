"""Native API: items like a given one (similar, same model, series) and search by image.

Anyone may ask about a published item; an item's owner, reviewers and admins may also
ask about an unpublished one (with a Bearer token). The answers list published items only.
Search by image takes an uploaded picture (multipart field `image`) or a URL (JSON
`{"url": ...}`) that the server fetches under search/fetch.py's SSRF rules.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from stockhouse.accounts.models import User
from stockhouse.api.deps import RuntimeDep, get_principal
from stockhouse.api.search import item_json
from stockhouse.catalog.access import require_viewable
from stockhouse.catalog.limits import PayloadTooLarge
from stockhouse.catalog.models import MediaItem
from stockhouse.catalog.service import get_item
from stockhouse.errors import InvalidParameter
from stockhouse.runtime import Runtime
from stockhouse.search import similar
from stockhouse.search.fetch import MAX_IMAGE_BYTES, fetch_image
from stockhouse.search.hydrate import hydrate

router = APIRouter(tags=["similar"])

UPLOAD_CHUNK = 1024 * 1024
MAX_JSON_BYTES = 16 * 1024
Limit = Annotated[int, Query(ge=1, le=similar.MAX_LIMIT)]
Found = tuple[list[int], dict[int, dict[str, Any]]]  # item ids, and extra fields per item
Finder = Callable[[Session, MediaItem], Found]
Lang = Annotated[str, Query(max_length=20)]
MULTIPART = "multipart/form-data"
BY_IMAGE_BODIES: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            MULTIPART: {
                "schema": {
                    "type": "object",
                    "properties": {"image": {"type": "string", "format": "binary"}},
                    "required": ["image"],
                }
            },
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {"url": {"type": "string", "format": "uri"}},
                    "required": ["url"],
                }
            },
        },
    }
}


def fetch_allowlist(runtime: Runtime) -> tuple[str, ...]:
    """Networks the operator lets URL fetches reach although private (`fetch_allowlist`)."""
    return runtime.settings.fetch_allowlist


def _viewer(request: Request, session: Session) -> User | None:
    """The caller when a Bearer token came (a bad one is refused), else anonymous."""
    if not request.headers.get("authorization"):
        return None
    return get_principal(request, session).user


def _related(
    request: Request,
    runtime: Runtime,
    item_id: int,
    lang: str,
    find: Finder,
) -> dict[str, Any]:
    """The item checked as viewable, `find(session, item)`'s ids hydrated in their order."""
    with runtime.db.read_session() as session:
        item = require_viewable(_viewer(request, session), get_item(session, item_id))
        ids, extras = find(session, item)
        items = hydrate(session, ids, lang)
    rendered = []
    for summary in items:
        entry = item_json(summary, False)
        entry.update(extras.get(summary.id, {}))
        rendered.append(entry)
    return {"item_id": item_id, "items": rendered}


@router.get("/items/{item_id}/similar")
def similar_items(
    item_id: int, request: Request, runtime: RuntimeDep, limit: Limit = 20, lang: Lang = "en"
) -> JSONResponse:
    """Published items most like this one (keywords, perceptual hash, colour), best first."""

    def find(session: Session, item: MediaItem) -> Found:
        found = similar.similar(session, item.id, limit)
        extras = {s.item_id: {"score": s.score, "shared_tags": s.shared_tags} for s in found}
        return [s.item_id for s in found], extras

    return JSONResponse(_related(request, runtime, item_id, lang, find))


@router.get("/items/{item_id}/same-model")
def same_model_items(
    item_id: int, request: Request, runtime: RuntimeDep, limit: Limit = 50, lang: Lang = "en"
) -> JSONResponse:
    """Published items sharing a model release with this one, in id order."""

    def find(session: Session, item: MediaItem) -> Found:
        return similar.same_model(session, item.id, limit), {}

    return JSONResponse(_related(request, runtime, item_id, lang, find))


@router.get("/items/{item_id}/series")
def series_of_item(
    item_id: int, request: Request, runtime: RuntimeDep, limit: Limit = 50, lang: Lang = "en"
) -> JSONResponse:
    """The other published items of this item's series, in id order."""

    series: dict[str, int | None] = {}

    def find(session: Session, item: MediaItem) -> Found:
        series["series_id"] = item.series_id
        return similar.series_items(session, item.id, limit), {}

    answer = _related(request, runtime, item_id, lang, find)
    return JSONResponse({**answer, **series})


@router.post("/search/by-image", openapi_extra=BY_IMAGE_BODIES)
async def search_by_image(
    request: Request, runtime: RuntimeDep, limit: Limit = 20, lang: Lang = "en"
) -> JSONResponse:
    """Published images nearest to an uploaded picture or to the picture at a URL."""
    data = await _picture(request, runtime)
    matches = await run_in_threadpool(similar.by_image, runtime, data, limit)
    distances = {m.item_id: m for m in matches}

    def render() -> list[dict[str, Any]]:
        with runtime.db.read_session() as session:
            items = hydrate(session, [m.item_id for m in matches], lang)
        rendered = []
        for summary in items:
            entry = item_json(summary, False)
            match = distances[summary.id]
            entry.update(hash_distance=match.hash_distance, color_distance=match.color_distance)
            rendered.append(entry)
        return rendered

    return JSONResponse({"items": await run_in_threadpool(render)})


async def _picture(request: Request, runtime: Runtime) -> bytes:
    """The picture's bytes: the multipart `image` field, or fetched from the JSON `url`."""
    content_type = request.headers.get("content-type", "")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_IMAGE_BYTES + UPLOAD_CHUNK:
        raise PayloadTooLarge("the request body", MAX_IMAGE_BYTES)
    if content_type.startswith(MULTIPART):
        async with request.form(max_files=1, max_fields=10) as form:
            upload = form.get("image")
            if not isinstance(upload, UploadFile):
                raise InvalidParameter("image", "send the picture as the multipart field 'image'")
            return await _read_upload(upload)
    url = _json_url(await _limited_body(request))
    fetched = await run_in_threadpool(fetch_image, url, allowlist=fetch_allowlist(runtime))
    return fetched.content


async def _read_upload(upload: UploadFile) -> bytes:
    received = bytearray()
    while chunk := await upload.read(UPLOAD_CHUNK):
        received += chunk
        if len(received) > MAX_IMAGE_BYTES:
            raise PayloadTooLarge("the image", MAX_IMAGE_BYTES)
    return bytes(received)


async def _limited_body(request: Request) -> bytes:
    received = bytearray()
    async for chunk in request.stream():
        received += chunk
        if len(received) > MAX_JSON_BYTES:
            raise PayloadTooLarge("the request body", MAX_JSON_BYTES)
    return bytes(received)


def _json_url(body: bytes) -> str:
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise InvalidParameter(
            "url", 'send the picture as multipart field "image", or JSON {"url": "..."}'
        ) from None
    url = document.get("url") if isinstance(document, dict) else None
    if not isinstance(url, str) or not url.strip():
        raise InvalidParameter("url", 'send JSON {"url": "https://..."} or a multipart "image"')
    return url.strip()
