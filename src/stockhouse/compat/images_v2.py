"""`GET /api/2/images`: the CMS "Image APIs / Get Image List" (v2) over the catalog's images.

Wire format of seed 004 and docs/compat/images_v2.md: JSON by default, XML for
`Accept: application/xml`; errors are HTTP 400/401/403/405 with `{"ref", "summary"}` or
`<error><ref/><summary/></error>`.
"""

from __future__ import annotations

import asyncio
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from stockhouse.accounts.models import ApiKind, Role, User
from stockhouse.accounts.service import resolve_credential
from stockhouse.api.media import absolute_url, rendition_link
from stockhouse.catalog.models import ItemStatus, MediaItem, MediaKind
from stockhouse.errors import AuthenticationFailed, InvalidParameter
from stockhouse.runtime import Runtime
from stockhouse.search.query import (
    MAX_LIMIT,
    MAX_OFFSET,
    MAX_QUERY_LENGTH,
    SearchQuery,
    SortField,
    SortKey,
)
from stockhouse.search.service import MAX_FILTER_VALUES, search

IMAGE_KINDS = frozenset({MediaKind.PHOTO, MediaKind.VECTOR, MediaKind.ILLUSTRATION})
DEFAULT_LIMIT = 30
DEFAULT_SORT = "-modifieddate"
READ_GRANT = "read"
ALLOWED_ROLES = frozenset({Role.ADMIN, Role.REVIEWER})
THUMBNAIL_RENDITION = "thumb170"
IMAGE_RENDITION = "large"
MAX_NUMBER_DIGITS = 18  # longer digit strings are "huge": clamped (limit) or past the end
MAX_PARAMETER_LENGTH = 4000
MAX_ACCEPT_ENTRIES = 50  # media ranges of an Accept header that are looked at
_EXTENSION = re.compile(r"[a-z0-9]{1,16}")
# Characters XML 1.0 cannot carry at all (a title may hold them; the XML must stay valid).
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_SIZE_UNITS = ("KB", "MB", "GB", "TB")
_XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

# "+" and no sign mean ascending, "-" descending (seed 004: "+/-name").
_SORT_FIELDS: dict[str, SortField] = {
    "name": SortField.NAME,
    "createdby": SortField.USERNAME,
    "createddate": SortField.CREATED,
    "modifieddate": SortField.MODIFIED,
    "status": SortField.STATUS,
    "extension": SortField.EXTENSION,
}
_NATURALLY_DESCENDING = frozenset({SortField.CREATED, SortField.MODIFIED})
_STATUSES: dict[str, ItemStatus] = {
    "active": ItemStatus.ACTIVE,
    "1": ItemStatus.ACTIVE,
    "archived": ItemStatus.ARCHIVED,
    "2": ItemStatus.ARCHIVED,
}


class ImagesV2Error(Exception):
    """An answer other than 200: HTTP status, the error's ref and its summary."""

    def __init__(self, status: int, ref: int, summary: str) -> None:
        super().__init__(summary)
        self.status = status
        self.ref = ref
        self.summary = summary


# Error refs: 79, 106 and 107 are seed 004's; the others are Stockhouse's own.
REF_SORT = 79
REF_OFFSET = 106
REF_LIMIT = 107
REF_STATUS = 108
REF_EXTENSION = 109
REF_SEARCH = 110
REF_UNAUTHORIZED = 401
REF_FORBIDDEN = 403
REF_METHOD = 405
READ_METHODS = frozenset({"GET", "HEAD"})
ANY_METHOD = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def _invalid(ref: int, name: str) -> ImagesV2Error:
    return ImagesV2Error(400, ref, f"Invalid parameter: {name}")


@dataclass(frozen=True)
class ListRequest:
    """The parameters of one image list request, checked."""

    extensions: frozenset[str]
    limit: int
    page: int
    text: str
    sort: SortKey
    statuses: frozenset[ItemStatus]


# -- parameters -------------------------------------------------------------------------


def _number(value: str | None, default: int, ref: int, name: str, *, positive: bool) -> int:
    """A plain decimal number; digit strings too long to matter give `10**MAX_NUMBER_DIGITS`."""
    if value is None:
        return default
    text = value.strip()
    if not (text.isascii() and text.isdigit()):
        raise _invalid(ref, name)
    number = 10**MAX_NUMBER_DIGITS if len(text) > MAX_NUMBER_DIGITS else int(text)
    if positive and number < 1:
        raise _invalid(ref, name)
    return number


def parse_sort_parameter(value: str | None) -> SortKey:
    """One `[+|-]column` of seed 004 as a search sort key; ImagesV2Error ref 79 otherwise."""
    text = (DEFAULT_SORT if value is None else value).strip().lower()
    descending = text.startswith("-")
    column = text[1:] if text[:1] in "+-" and text else text
    field = _SORT_FIELDS.get(column.strip())
    if field is None:
        raise _invalid(REF_SORT, "sort")
    return SortKey(field, reverse=descending != (field in _NATURALLY_DESCENDING))


def _csv(value: str, ref: int, name: str) -> list[str]:
    if len(value) > MAX_PARAMETER_LENGTH:
        raise _invalid(ref, name)
    parts = [part.strip().lower() for part in value.split(",") if part.strip()]
    if len(parts) > MAX_FILTER_VALUES:
        raise _invalid(ref, name)
    return parts


def parse_statuses(value: str | None) -> frozenset[ItemStatus]:
    """`active,archived` or `1,2` (any mix, any case); empty means both."""
    parts = _csv(value or "", REF_STATUS, "status")
    if any(part not in _STATUSES for part in parts):
        raise _invalid(REF_STATUS, "status")
    return frozenset(_STATUSES[part] for part in parts) or frozenset(_STATUSES.values())


def parse_extensions(value: str | None) -> frozenset[str]:
    """Lower-cased extensions without dots; empty means every extension."""
    parts = [part.lstrip(".") for part in _csv(value or "", REF_EXTENSION, "extension")]
    if any(not _EXTENSION.fullmatch(part) for part in parts):
        raise _invalid(REF_EXTENSION, "extension")
    return frozenset(parts)


def parse_request(params: Mapping[str, str]) -> ListRequest:
    """Every parameter checked in the order offset, limit, sort, status, extension, search."""
    page = _number(params.get("offset"), 0, REF_OFFSET, "offset", positive=False)
    limit = _number(params.get("limit"), DEFAULT_LIMIT, REF_LIMIT, "limit", positive=True)
    sort = parse_sort_parameter(params.get("sort"))
    statuses = parse_statuses(params.get("status"))
    extensions = parse_extensions(params.get("extension"))
    text = params.get("search", "")
    if len(text) > MAX_QUERY_LENGTH:
        raise _invalid(REF_SEARCH, "search")
    return ListRequest(
        extensions=extensions,
        limit=min(limit, MAX_LIMIT),
        page=page,
        text=text,
        sort=sort,
        statuses=statuses,
    )


# -- access -----------------------------------------------------------------------------


def bearer_token(header: str | None) -> str:
    """The token of `Authorization: <token>` or `Authorization: Bearer <token>`."""
    value = (header or "").strip()
    scheme, _, rest = value.partition(" ")
    if scheme.lower() == "bearer":
        value = rest.strip()
    return value


def check_access(runtime: Runtime, header: str | None) -> None:
    """401 for a missing or unknown token, 403 for one whose user or grants do not allow reading."""
    token = bearer_token(header)
    if not token or len(token) > MAX_PARAMETER_LENGTH:
        raise ImagesV2Error(401, REF_UNAUTHORIZED, "Invalid token")
    with runtime.db.session() as session:
        try:
            credential = resolve_credential(session, token, ApiKind.IMAGES_V2)
        except AuthenticationFailed:
            raise ImagesV2Error(401, REF_UNAUTHORIZED, "Invalid token") from None
        allowed = READ_GRANT in credential.grant_names and bool(
            credential.user.role_names & ALLOWED_ROLES
        )
    if not allowed:
        raise ImagesV2Error(403, REF_FORBIDDEN, "Access denied")


# -- listing ----------------------------------------------------------------------------


def format_date(moment: datetime) -> str:
    """Seed 004's date form, in UTC: `27 Feb 2019 11:19` (English months, any locale)."""
    utc = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return f"{utc.day:02d} {_MONTHS[utc.month - 1]} {utc.year} {utc.hour:02d}:{utc.minute:02d}"


def format_size(size: int) -> str:
    """A 1024-based size with two decimals (`118.57 KB`); below 1 KB in bytes."""
    if size < 1024:
        return f"{size} bytes"
    value = float(size)
    for unit in _SIZE_UNITS:
        value /= 1024
        if value < 1024 or unit == _SIZE_UNITS[-1]:
            return f"{value:.2f} {unit}"
    raise AssertionError("unreachable")


def display_name(user: User | None) -> str:
    if user is None:
        return ""
    full = f"{user.first_name} {user.last_name}".strip()
    return full or user.username


def image_name(item: MediaItem) -> str:
    """The title, else the original file name without its extension."""
    if item.title.strip():
        return item.title
    stem, dot, _ = item.original_filename.rpartition(".")
    return stem if dot and stem else item.original_filename


def _image(
    runtime: Runtime, request: Request, item: MediaItem, users: Mapping[int, User]
) -> dict[str, Any]:
    owner = users.get(item.owner_id)
    reviewer = item.reviewed_by
    modifier_id = reviewer if reviewer is not None and reviewer in users else item.owner_id
    modifier = users.get(modifier_id)

    def link(name: str) -> str:
        return absolute_url(runtime, request, rendition_link(runtime, item, name))

    return {
        "id": item.id,
        "name": image_name(item),
        "createdby": {"id": item.owner_id, "name": display_name(owner)},
        "createddate": format_date(item.created_at),
        "modifiedby": {"id": modifier_id, "name": display_name(modifier)},
        "modifieddate": format_date(item.updated_at),
        "status": item.status.value,
        "attachmentid": item.id,
        "filesize": format_size(item.file_size),
        "thumbnailurl": link(THUMBNAIL_RENDITION),
        "url": link(IMAGE_RENDITION),
        "extension": item.extension,
        "height": item.height or 0,
        "width": item.width or 0,
    }


def list_images(runtime: Runtime, request: Request, wanted: ListRequest) -> dict[str, Any]:
    """The response document: `total` (on this page), `totalcount` (all pages), the page."""
    query = SearchQuery(
        text=wanted.text,
        kinds=IMAGE_KINDS,
        extensions=wanted.extensions,
        statuses=wanted.statuses,
        visible=None,
        sort=(wanted.sort,),
        offset=wanted.page * wanted.limit,
        limit=wanted.limit,
    )
    if query.offset > MAX_OFFSET:
        # Past anything the search serves: an empty page, with the count of the first one.
        found = search(runtime, replace(query, offset=0, limit=1))
        ids: list[int] = []
    else:
        found = search(runtime, query)
        ids = [summary.id for summary in found.items]
    with runtime.db.read_session() as session:
        items = {i.id: i for i in session.scalars(select(MediaItem).where(MediaItem.id.in_(ids)))}
        user_ids = {i.owner_id for i in items.values()} | {
            i.reviewed_by for i in items.values() if i.reviewed_by is not None
        }
        users = {u.id: u for u in session.scalars(select(User).where(User.id.in_(user_ids)))}
        images = [_image(runtime, request, items[i], users) for i in ids if i in items]
    return {
        "total": len(images),
        "totalcount": found.total,
        "currentpage": wanted.page,
        "image": images,
    }


# -- wire -------------------------------------------------------------------------------


_JSON_TYPES = frozenset({"application/json", "text/json"})
_XML_TYPES = frozenset({"application/xml", "text/xml"})


def _quality(parameters: list[str]) -> float:
    """The `q` of one Accept entry (1 when absent; 0, never chosen, when unreadable)."""
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip() == "q":
            try:
                quality = float(value.strip())
            except ValueError:
                return 0.0
            return quality if 0.0 <= quality <= 1.0 else 0.0
    return 1.0


def wants_xml(accept: str | None) -> bool:
    """XML when Accept prefers an XML type to a JSON one: the higher `q` wins, on a tie the
    one named first; JSON when neither is named (or both are refused with q=0)."""
    best: tuple[float, bool] | None = None
    for part in (accept or "").lower().split(",")[:MAX_ACCEPT_ENTRIES]:
        media, *parameters = part.split(";")
        media = media.strip()
        if media not in _JSON_TYPES and media not in _XML_TYPES:
            continue
        quality = _quality(parameters)
        if quality > 0 and (best is None or quality > best[0]):
            best = (quality, media in _XML_TYPES)
    return best is not None and best[1]


def _fill(parent: ET.Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            _add(parent, key, child)
    else:
        parent.text = _NOT_XML.sub("", str(value))


def _add(parent: ET.Element, tag: str, value: Any) -> None:
    if isinstance(value, list):
        for entry in value:
            _fill(ET.SubElement(parent, tag), entry)
    else:
        _fill(ET.SubElement(parent, tag), value)


def to_xml(root_tag: str, document: Mapping[str, Any]) -> str:
    """The XML form of a response document: lists become repeated elements."""
    root = ET.Element(root_tag)
    _fill(root, dict(document))
    ET.indent(root, space="    ")
    return _XML_DECLARATION + ET.tostring(root, encoding="unicode") + "\n"


def render(document: Mapping[str, Any], root_tag: str, xml: bool, status: int = 200) -> Response:
    if xml:
        return Response(to_xml(root_tag, document), status, media_type="application/xml")
    body = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    return Response(body, status, media_type="application/json")


def _params(request: Request) -> dict[str, str]:
    # The first value of a repeated parameter counts, like most servlet containers do.
    params: dict[str, str] = {}
    for key, value in request.query_params.multi_items():
        params.setdefault(key.lower(), value)
    return params


def _answer(runtime: Runtime, request: Request) -> dict[str, Any]:
    check_access(runtime, request.headers.get("authorization"))
    return list_images(runtime, request, parse_request(_params(request)))


async def get_images(request: Request) -> Response:
    """`GET /api/2/images` (any other HTTP method: 405 in the API's error form)."""
    runtime: Runtime = request.app.state.runtime
    xml = wants_xml(request.headers.get("accept"))
    if request.method not in READ_METHODS:
        summary = f"Method not allowed: {request.method[:16]}"
        response = render({"ref": REF_METHOD, "summary": summary}, "error", xml, 405)
        response.headers["Allow"] = "GET, HEAD"
        return response
    try:
        document = await asyncio.to_thread(_answer, runtime, request)
    except InvalidParameter as error:
        # A limit of the search itself that the checks above do not know of.
        ref = {"offset": REF_OFFSET, "limit": REF_LIMIT, "sort": REF_SORT}.get(
            error.name, REF_SEARCH
        )
        name = {REF_OFFSET: "offset", REF_LIMIT: "limit", REF_SORT: "sort"}.get(ref, "search")
        return render({"ref": ref, "summary": f"Invalid parameter: {name}"}, "error", xml, 400)
    except ImagesV2Error as error:
        return render({"ref": error.ref, "summary": error.summary}, "error", xml, error.status)
    return render(document, "images", xml)


def images_v2_routes() -> list[BaseRoute]:
    # Other methods reach get_images too, for the API's own 405 answer (not Starlette's).
    return [
        Route("/api/2/images", get_images, methods=ANY_METHOD),
        Route("/api/2/images/", get_images, methods=ANY_METHOD),
    ]
