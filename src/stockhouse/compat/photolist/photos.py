"""photo.list, photo.get, photo.count and photo.size over the catalog's photos.

The photos are the catalog's active and archived images (issue 9: photos, vectors and
illustrations, every kind that is a still picture with the same renditions); `visible` is
the catalog's public visibility (active and visible). Their URLs point at renditions
Stockhouse serves: thumb-url the 170 px thumbnail, resized-url the 450 px one, and
original-url the watermarked 1000 px preview (a stock agency never hands its originals
to a gallery). Listing and counting go through catalog.listing; this module translates.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from starlette.requests import Request

from stockhouse.api.media import absolute_url, rendition_link
from stockhouse.catalog.access import is_public
from stockhouse.catalog.listing import (
    ListingField,
    ListingOrder,
    ListingQuery,
    count_listing,
    list_listing,
)
from stockhouse.catalog.models import ItemStatus, MediaItem, MediaKind
from stockhouse.compat.photolist import errors
from stockhouse.runtime import Runtime

FIELDS = (
    "id",
    "filename",
    "title",
    "description",
    "publish-date",
    "visible",
    "thumb-url",
    "resized-url",
    "original-url",
)
SORT_FIELDS: dict[str, ListingField] = {
    "id": ListingField.ID,
    "filename": ListingField.FILENAME,
    "title": ListingField.TITLE,
    "description": ListingField.DESCRIPTION,
    "publish-date": ListingField.PUBLISHED,
    "visible": ListingField.PUBLIC,
}
DIRECTIONS = ("asc", "desc")
FILTERS = ("visible", "publish-date-interval")
# Every still-picture kind: each has the 170/450 px thumbnails and the 1000 px preview.
PHOTO_KINDS = frozenset({MediaKind.PHOTO, MediaKind.VECTOR, MediaKind.ILLUSTRATION})
PHOTO_STATUSES = frozenset({ItemStatus.ACTIVE, ItemStatus.ARCHIVED})
MAX_PER_PAGE = 1000  # also the most photos one photo.list without pager returns
MAX_PAGE = 1_000_000_000
MAX_FIELDS = 50  # entries in `fields`, repeats included
MAX_ID = 2**31 - 1
# Renditions behind the urls, and the sizes photo.size reports for them (ingest/images.py).
THUMB_RENDITION, THUMB_EDGE = "thumb170", 170
RESIZED_RENDITION, RESIZED_EDGE = "thumb450", 450
ORIGINAL_RENDITION = "preview_brand"
_INTEGER = re.compile(r"\s*(-?[0-9]{1,18})\s*")
# RFC 3339 date-time; a space before the offset is a "+" that a query string decoded.
_RFC3339 = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]{1,9})?"
    r"(?:([Zz])|([+\- ])([0-9]{2}):([0-9]{2}))"
)
_TRUE = frozenset({"1", "true"})
_FALSE = frozenset({"0", "false", ""})


@dataclass(frozen=True)
class Filters:
    public: bool | None = None
    published_from: datetime | None = None
    published_to: datetime | None = None


# -- arguments --------------------------------------------------------------------------


def _mapping(value: Any, field: str) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    if value in ("", {}, []):  # an empty XML element or form value: nothing given
        return {}
    raise errors.field_not_valid(field)


def _values(value: Any) -> list[Any]:
    """A PHP array's values: a list, a mapping's values, or one scalar."""
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        return list(value.values())
    return [value]


def parse_fields(request: dict[str, Any], method: str) -> list[str]:
    """The requested fields in their first-given order, each once."""
    if "fields" not in request or request["fields"] is None:
        raise errors.field_required(method, "fields")
    raw = _values(request["fields"])
    if not raw or raw == [""] or raw == [{}]:
        raise errors.field_empty("fields")
    if len(raw) > MAX_FIELDS:
        raise errors.field_out_of_bounds("fields", 1, MAX_FIELDS)
    if any(not isinstance(v, str) or v not in FIELDS for v in raw):
        raise errors.field_not_in_list("fields", FIELDS)
    return list(dict.fromkeys(raw))


def parse_integer(value: Any, field: str, low: int, high: int) -> int:
    """A JSON integer or a decimal string of at most 18 digits, within [low, high]."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise errors.field_not_valid(field)
    number: int
    if isinstance(value, str):
        match = _INTEGER.fullmatch(value)
        if match is None:
            raise errors.field_not_valid(field)
        number = int(match.group(1))
    else:
        number = value
    if not low <= number <= high:
        raise errors.field_out_of_bounds(field, low, high)
    return number


def parse_pager(request: dict[str, Any], method: str) -> tuple[int, int]:
    """(offset, limit): pages count from 1; without a pager, the first MAX_PER_PAGE."""
    if "pager" not in request:
        return 0, MAX_PER_PAGE
    pager = _mapping(request["pager"], "pager")
    for key in ("page", "max-per-page"):
        if key not in pager:
            raise errors.field_required(method, f"pager::{key}")
    page = parse_integer(pager["page"], "pager::page", 1, MAX_PAGE)
    size = parse_integer(pager["max-per-page"], "pager::max-per-page", 1, MAX_PER_PAGE)
    return (page - 1) * size, size


def parse_sort(request: dict[str, Any]) -> tuple[ListingOrder, ...]:
    """Sort keys in the order given; each `asc` or `desc` (any case)."""
    sort = _mapping(request.get("sort", {}), "sort")
    keys: list[ListingOrder] = []
    for key, direction in sort.items():
        if key not in SORT_FIELDS:
            raise errors.field_not_in_list("sort", SORT_FIELDS)
        text = direction.strip().lower() if isinstance(direction, str) else None
        if text not in DIRECTIONS:
            raise errors.field_not_in_list(f"sort::{key}", DIRECTIONS)
        keys.append(ListingOrder(SORT_FIELDS[key], descending=text == "desc"))
    return tuple(keys)


def parse_boolean(value: Any, field: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    text = value.strip().lower() if isinstance(value, str) else None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise errors.field_not_valid(field, "a boolean")


def parse_rfc3339(value: Any, field: str) -> datetime:
    """An RFC 3339 date-time as an aware UTC datetime; bad_data for anything else."""
    match = _RFC3339.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise errors.field_not_valid(field, "required RFC3339 date")
    year, month, day, hour, minute, second = (int(match.group(i)) for i in range(1, 7))
    fraction = match.group(7)
    micro = int((fraction[1:] + "000000")[:6]) if fraction else 0
    try:
        if match.group(8):
            zone = UTC
        else:
            hours, minutes = int(match.group(10)), int(match.group(11))
            if hours > 23 or minutes > 59:
                raise ValueError("offset out of range")
            sign = -1 if match.group(9) == "-" else 1
            zone = timezone(sign * timedelta(hours=hours, minutes=minutes))
        moment = datetime(year, month, day, hour, minute, second, micro, tzinfo=zone)
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise errors.field_not_valid(field, "required RFC3339 date") from None


def parse_filters(request: dict[str, Any]) -> Filters:
    raw = _mapping(request.get("filter", {}), "filter")
    filters = Filters()
    for key, value in raw.items():
        if key == "visible":
            filters = replace(filters, public=parse_boolean(value, "visible"))
        elif key == "publish-date-interval":
            interval = _mapping(value, "publish-date-interval")
            start, end = interval.get("start"), interval.get("end")
            filters = replace(
                filters,
                published_from=None if start is None else parse_rfc3339(start, "start"),
                published_to=None if end is None else _end_of_second(parse_rfc3339(end, "end")),
            )
        else:
            raise errors.field_not_in_list("filter", FILTERS)
    return filters


def _end_of_second(moment: datetime) -> datetime:
    # Publish dates are shown to the second; an end given to the second includes it.
    return moment.replace(microsecond=999_999) if moment.microsecond == 0 else moment


# -- answers ----------------------------------------------------------------------------


def rfc3339(moment: datetime) -> str:
    """`2011-05-03T16:38:12+00:00`, as PHP's DateTime::RFC3339 writes UTC times."""
    utc = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _photo_fields(runtime: Runtime, request: Request) -> dict[str, Callable[[MediaItem], Any]]:
    def url(name: str) -> Callable[[MediaItem], str]:
        return lambda item: absolute_url(runtime, request, rendition_link(runtime, item, name))

    return {
        "id": lambda item: item.id,
        "filename": lambda item: item.original_filename,
        "title": lambda item: item.title,
        "description": lambda item: item.description,
        "publish-date": lambda item: rfc3339(item.published_at or item.created_at),
        "visible": is_public,
        "thumb-url": url(THUMB_RENDITION),
        "resized-url": url(RESIZED_RENDITION),
        "original-url": url(ORIGINAL_RENDITION),
    }


def _listing(filters: Filters, **extra: Any) -> ListingQuery:
    return ListingQuery(
        kinds=PHOTO_KINDS,
        statuses=PHOTO_STATUSES,
        public=filters.public,
        published_from=filters.published_from,
        published_to=filters.published_to,
        **extra,
    )


def _request_mapping(request: Any) -> dict[str, Any]:
    return request if isinstance(request, dict) else {}


def photo_list(runtime: Runtime, http: Request, request: Any) -> Any:
    """`{"photo": [...]}` with the requested fields, or `[]` when nothing matches."""
    request = _request_mapping(request)
    fields = parse_fields(request, "photo.list")
    offset, limit = parse_pager(request, "photo.list")
    order = parse_sort(request)
    filters = parse_filters(request)
    getters = _photo_fields(runtime, http)
    with runtime.db.read_session() as session:
        query = _listing(filters, order=order, offset=offset, limit=limit)
        page = list_listing(session, query, count=False)
        photos = [{name: getters[name](item) for name in fields} for item in page.items]
    return {"photo": photos} if photos else []


def photo_get(runtime: Runtime, http: Request, request: Any) -> Any:
    """One photo's requested fields; bad_data when no listed photo has the id."""
    request = _request_mapping(request)
    if request.get("id") is None:
        raise errors.field_required("photo.get", "id")
    fields = parse_fields(request, "photo.get")
    photo_id = parse_integer(request["id"], "id", -(10**18), 10**18)
    if not 1 <= photo_id <= MAX_ID:
        raise errors.field_not_exists("id", photo_id)
    getters = _photo_fields(runtime, http)
    with runtime.db.read_session() as session:
        query = _listing(Filters(), item_ids=frozenset({photo_id}), limit=1)
        page = list_listing(session, query, count=False)
        if not page.items:
            raise errors.field_not_exists("id", photo_id)
        return {name: getters[name](page.items[0]) for name in fields}


def photo_count(runtime: Runtime, http: Request, request: Any) -> Any:
    """`{"total": n}`: the photos the same filters would list."""
    filters = parse_filters(_request_mapping(request))
    with runtime.db.read_session() as session:
        return {"total": count_listing(session, _listing(filters))}


def photo_size(runtime: Runtime, http: Request, request: Any) -> Any:
    """The sizes behind resized-url and thumb-url (original-url's is not announced)."""
    return {
        "resized": {"type": "larger-border", "size": RESIZED_EDGE},
        "thumb": {"type": "larger-border", "size": THUMB_EDGE},
    }
