"""Media files over HTTP: item renditions at /media/{item_id}/{name}, originals through
signed links at /media/original/{item_id}?expires=...&sig=...

These are plain Starlette routes (not under /v1): previews are the hottest path of the
site and must be cacheable by browsers and proxies. A rendition of a published (active,
visible) item is public; any other item's renditions are served to its owner, reviewers
and admins (Bearer token), or to whoever holds a signed link from
`GET /v1/items/{id}/renditions`. Originals are served only through signed links.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from pathlib import PurePosixPath

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from stockhouse.accounts.models import User
from stockhouse.api.deps import get_principal
from stockhouse.api.file_responses import answers_domain_errors, blob_response
from stockhouse.catalog.access import is_public, sees_every_status
from stockhouse.catalog.models import MediaItem
from stockhouse.errors import NotFound
from stockhouse.runtime import Runtime
from stockhouse.signing import EXPIRES_PARAM, SIGNATURE_PARAM, LinkSigner

ORIGINAL_LINK_TTL = timedelta(minutes=15)
PREVIEW_LINK_TTL = timedelta(hours=1)
PUBLIC_MAX_AGE_S = 86400  # a day: a re-rendered preview gets a new ETag
PUBLIC_CACHE_CONTROL = f"public, max-age={PUBLIC_MAX_AGE_S}"
PRIVATE_CACHE_CONTROL = "private, no-cache"  # cache, but ask every time (ETag makes it cheap)
ORIGINAL_CACHE_CONTROL = "private, no-store"
MAX_DOWNLOAD_NAME_LENGTH = 100
_RENDITION_NAME = re.compile(r"[a-z0-9_]{1,32}")
_UNSAFE_FILENAME_CHARS = re.compile(r"[^A-Za-z0-9._-]+")


# -- links ------------------------------------------------------------------------------


def signer_for(runtime: Runtime) -> LinkSigner:
    """The link signer keyed by the data dir's secret key."""
    return LinkSigner(runtime.settings.secret_key)


def absolute_url(runtime: Runtime, request: Request, path: str) -> str:
    """`path` on this server: under the configured base URL, else the request's own host."""
    base = runtime.settings.base_url or f"{request.url.scheme}://{request.url.netloc}"
    return base.rstrip("/") + path


def rendition_path(item_id: int, name: str) -> str:
    return f"/media/{item_id}/{name}"


def original_path(item_id: int) -> str:
    return f"/media/original/{item_id}"


def rendition_link(runtime: Runtime, item: MediaItem, name: str) -> str:
    """The path of a rendition: plain for public items, signed (PREVIEW_LINK_TTL) otherwise."""
    path = rendition_path(item.id, name)
    if is_public(item):
        return path
    return signer_for(runtime).signed_path(path, PREVIEW_LINK_TTL)[0]


# -- helpers ----------------------------------------------------------------------------


def etag_of(blob: str) -> str:
    """A strong ETag: the blob's sha256 names its exact bytes."""
    return f'"{blob}"'


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Whether an If-None-Match header names `etag` (weak comparison, as RFC 9110 asks)."""
    if not if_none_match:
        return False
    for candidate in if_none_match.split(","):
        tag = candidate.strip()
        if tag == "*" or tag.removeprefix("W/") == etag:
            return True
    return False


def download_name(name: str, extension: str, fallback: str) -> str:
    """A safe ASCII file name for a Content-Disposition header: `name`'s stem folded to
    ASCII and cleaned, with `extension`; `fallback` when nothing of the name is left."""
    stem = PurePosixPath(name.replace("\\", "/")).stem
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    clean = _UNSAFE_FILENAME_CHARS.sub("_", ascii_stem).strip("._-")
    clean = clean[:MAX_DOWNLOAD_NAME_LENGTH] or fallback
    suffix = _UNSAFE_FILENAME_CHARS.sub("", extension.lower())[:16]
    return f"{clean}.{suffix}" if suffix else clean


def download_filename(item: MediaItem) -> str:
    """The download name of an item's original: its own name, made safe, and extension."""
    return download_name(item.original_filename, item.extension, f"item-{item.id}")


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def _bearer_user(request: Request, runtime: Runtime) -> User | None:
    """The caller named by an Authorization header, if any (errors if it is wrong)."""
    if "authorization" not in request.headers:
        return None
    with runtime.db.session() as session:
        return get_principal(request, session).user


@dataclass(frozen=True)
class _Served:
    """What to send for a rendition, read from the database before streaming starts."""

    blob: str
    mime_type: str
    size: int
    public: bool


def _may_see_unpublished(request: Request, runtime: Runtime, item: MediaItem) -> bool:
    """A signed link to this very path, or a Bearer token of the owner, a reviewer or admin."""
    if SIGNATURE_PARAM in request.query_params or EXPIRES_PARAM in request.query_params:
        signer_for(runtime).verify_query(request.url.path, request.query_params)
        return True
    return sees_every_status(_bearer_user(request, runtime), item)


def _find_rendition(session: Session, item_id: int, name: str) -> tuple[MediaItem, _Served]:
    item = session.get(MediaItem, item_id)
    rendition = item.rendition(name) if item is not None else None
    if item is None or rendition is None:
        raise NotFound(f"item {item_id} has no rendition {name!r}")
    served = _Served(rendition.blob, rendition.mime_type, rendition.size, is_public(item))
    return item, served


# -- routes -----------------------------------------------------------------------------


@answers_domain_errors
def serve_rendition(request: Request) -> Response:
    """A rendition's bytes with a strong ETag; 304 when the client has them already."""
    runtime = _runtime(request)
    item_id: int = request.path_params["item_id"]
    name: str = request.path_params["name"]
    if not _RENDITION_NAME.fullmatch(name):
        raise NotFound(f"item {item_id} has no rendition {name[:40]!r}")
    with runtime.db.read_session() as session:
        item, served = _find_rendition(session, item_id, name)
    if not served.public and not _may_see_unpublished(request, runtime, item):
        raise NotFound(f"item {item_id} has no rendition {name!r}")
    headers = {
        "etag": etag_of(served.blob),
        "cache-control": PUBLIC_CACHE_CONTROL if served.public else PRIVATE_CACHE_CONTROL,
    }
    if etag_matches(request.headers.get("if-none-match"), headers["etag"]):
        return Response(status_code=304, headers=headers)
    return blob_response(
        request, runtime.blobs, served.blob, served.mime_type, served.size, headers
    )


@answers_domain_errors
def serve_original(request: Request) -> Response:
    """An item's original file, as an attachment, for the holder of a signed link."""
    runtime = _runtime(request)
    item_id: int = request.path_params["item_id"]
    signer_for(runtime).verify_query(original_path(item_id), request.query_params)
    with runtime.db.read_session() as session:
        item = session.get(MediaItem, item_id)
        if item is None:
            raise NotFound(f"item {item_id} does not exist")
        blob, mime_type, size = item.original_blob, item.mime_type, item.file_size
        filename = download_filename(item)
    headers = {
        "content-disposition": f'attachment; filename="{filename}"',
        "cache-control": ORIGINAL_CACHE_CONTROL,
        "x-content-type-options": "nosniff",
    }
    return blob_response(request, runtime.blobs, blob, mime_type, size, headers)


def media_routes() -> list[BaseRoute]:
    """The /media routes, for the application to mount at its root."""
    return [
        Route("/media/original/{item_id:int}", serve_original, methods=["GET"]),
        Route("/media/{item_id:int}/{name:str}", serve_rendition, methods=["GET"]),
    ]
