"""Native API: search the catalog (every filter, facets, paging) and complete tags.

Anyone may search what is published (active and visible). Other statuses and hidden
items need a Bearer token: reviewers and admins see every item, a contributor sees their
own (with `author` set to their user id).

The routes are `async` and call the search service inline: a search is a few short reads
(performance.md: a threadpool hop costs more than the work), and the answer is built as
plain JSON without a response-model validation pass.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from stockhouse.accounts.models import Role
from stockhouse.api.deps import get_principal
from stockhouse.catalog.models import ItemStatus, MediaKind, Orientation
from stockhouse.errors import AuthenticationFailed, InvalidParameter, PermissionDenied
from stockhouse.runtime import Runtime
from stockhouse.search import service
from stockhouse.search.hydrate import ItemSummary
from stockhouse.search.query import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    MAX_OFFSET,
    SearchQuery,
    dimension_to_px,
    parse_sort,
)

router = APIRouter(prefix="/search", tags=["search"])

MAX_LIST_VALUES = 1000  # values in one comma-separated parameter
ANY = "any"
# SearchQuery field names that this API's parameters spell differently (for errors).
PARAMETER_NAMES = {
    "size_class": "size",
    "people_gender": "gender",
    "people_age": "age",
    "people_race": "race",
    "min_people_quantity": "min_people",
    "max_people_quantity": "max_people",
    "item_ids": "ids",
    "author_ids": "author",
    "author_usernames": "username",
    "category_ids": "category",
    "extensions": "extension",
    "kinds": "kind",
    "text": "q",
}
T = TypeVar("T")
ITEM_JSON_CACHE_ITEMS = 50_000  # encoded results kept per process


class OwnerOut(BaseModel):
    id: int
    username: str


class ItemOut(BaseModel):
    """One result: the item's searchable facts (title and description maybe translated)."""

    id: int
    kind: str
    title: str
    description: str
    lang: str
    owner: OwnerOut
    status: str
    visible: bool
    extension: str
    width: int | None
    height: int | None
    orientation: str | None
    color: int | None
    duration_ms: int | None
    editorial: bool
    nudity: bool
    exclusive: bool
    free: bool
    ai_generated: bool
    views: int
    downloads: int
    series_id: int | None
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None
    tags: list[str] | None = None


class FacetsOut(BaseModel):
    kind: dict[str, int]
    orientation: dict[str, int]
    color: dict[str, int]
    category: dict[str, int]


class SearchOut(BaseModel):
    total: int
    offset: int
    limit: int
    items: list[ItemOut]
    facets: FacetsOut | None = None


class SuggestionOut(BaseModel):
    tag: str
    count: int


class SuggestOut(BaseModel):
    prefix: str
    suggestions: list[SuggestionOut]


# -- parameter parsing ------------------------------------------------------------------


def _split(name: str, value: str | None) -> list[str]:
    if value is None:
        return []
    parts = [part.strip() for part in value.split(",") if part.strip()]
    if len(parts) > MAX_LIST_VALUES:
        raise InvalidParameter(name, f"{name} takes at most {MAX_LIST_VALUES} values")
    return parts


def _values(name: str, value: str | None, convert: Callable[[str], T]) -> frozenset[T]:
    result: set[T] = set()
    for part in _split(name, value):
        try:
            result.add(convert(part))
        except ValueError:
            raise InvalidParameter(name, f"{part[:40]!r} is not a valid {name}") from None
    return frozenset(result)


def _positive(text: str) -> int:
    number = int(text)
    if number <= 0:
        raise ValueError(text)
    return number


def _lower(kind: Callable[[str], T]) -> Callable[[str], T]:
    return lambda text: kind(text.lower())


def _statuses(value: str | None) -> frozenset[ItemStatus]:
    """`status`: a list of statuses, or "any"; active when not given."""
    if value is not None and value.strip().lower() == ANY:
        return frozenset()
    return _values("status", value, _lower(ItemStatus)) or frozenset({ItemStatus.ACTIVE})


def _visibility(value: str | None) -> bool | None:
    """`visible`: true (the default), false, or "any"."""
    text = (value or "true").strip().lower()
    if text == ANY:
        return None
    if text in ("1", "true", "yes"):
        return True
    if text in ("0", "false", "no"):
        return False
    raise InvalidParameter("visible", "visible is true, false or any")


def _px(name: str, value: float | None, units: str) -> int | None:
    return None if value is None else dimension_to_px(value, units, name)


def _paging(
    offset: int | None, limit: int | None, page: int | None, per_page: int | None
) -> tuple[int, int]:
    if page is None and per_page is None:
        return offset or 0, DEFAULT_LIMIT if limit is None else limit
    if offset is not None or limit is not None:
        raise InvalidParameter("page", "give offset and limit, or page and per_page, not both")
    size = DEFAULT_LIMIT if per_page is None else per_page
    number = 1 if page is None else page
    if not 1 <= size <= MAX_LIMIT:
        raise InvalidParameter("per_page", f"per_page must be between 1 and {MAX_LIMIT}")
    if number < 1 or (number - 1) * size > MAX_OFFSET:
        raise InvalidParameter("page", f"pages are numbered from 1, up to {MAX_OFFSET} results")
    return (number - 1) * size, size


def _check_restricted(request: Request, runtime: Runtime, query: SearchQuery) -> None:
    """Unpublished or hidden items: reviewers and admins, or a contributor's own items."""
    if query.statuses == frozenset({ItemStatus.ACTIVE}) and query.visible is True:
        return
    if not request.headers.get("authorization"):
        raise AuthenticationFailed("searching unpublished or hidden items needs a Bearer token")
    with runtime.db.session() as session:  # resolving an API key notes when it was used
        user = get_principal(request, session).user
        if user.has_role(Role.ADMIN) or user.has_role(Role.REVIEWER):
            return
        if query.author_ids == frozenset({user.id}):
            return
    raise PermissionDenied(
        "only reviewers and admins see others' unpublished items; set author to your user id"
    )


# -- responses --------------------------------------------------------------------------


def item_json(item: ItemSummary, with_tags: bool) -> dict[str, Any]:
    """One search result as the native API shows it (also used by similar-item lists)."""
    return {
        "id": item.id,
        "kind": item.kind.value,
        "title": item.title,
        "description": item.description,
        "lang": item.lang,
        "owner": {"id": item.owner_id, "username": item.owner_username},
        "status": item.status.value,
        "visible": item.visible,
        "extension": item.extension,
        "width": item.width,
        "height": item.height,
        "orientation": item.orientation.value if item.orientation else None,
        "color": item.color,
        "duration_ms": item.duration_ms,
        "editorial": item.editorial,
        "nudity": item.nudity,
        "exclusive": item.exclusive,
        "free": item.free,
        "ai_generated": item.ai_generated,
        "views": item.views,
        "downloads": item.downloads,
        "series_id": item.series_id,
        "created_at": item.created_at.isoformat(),
        "updated_at": item.updated_at.isoformat(),
        "published_at": item.published_at.isoformat() if item.published_at else None,
        "tags": list(item.tags) if with_tags else None,
    }


def _dumps(value: Any) -> bytes:
    """JSON exactly as JSONResponse renders it."""
    return json.dumps(
        value, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")
    ).encode("utf-8")


# id(summary) -> (the summary, its encoded item_json without tags). Summaries read from
# the search index are shared objects, reused while the item is unchanged, so a page of
# popular items is mostly encoded already. Holding the summary keeps its id from reuse.
_encoded_items: dict[int, tuple[ItemSummary, bytes]] = {}


def _encoded_item(item: ItemSummary) -> bytes:
    cached = _encoded_items.get(id(item))
    if cached is not None and cached[0] is item:
        return cached[1]
    encoded = _dumps(item_json(item, False))
    if len(_encoded_items) >= ITEM_JSON_CACHE_ITEMS:
        _encoded_items.clear()
    _encoded_items[id(item)] = (item, encoded)
    return encoded


def _page_json(result: service.SearchPage, with_tags: bool) -> bytes:
    """The response body: what JSONResponse would render for the page, byte for byte."""
    if with_tags:
        items = b",".join(_dumps(item_json(item, True)) for item in result.items)
    else:
        items = b",".join(_encoded_item(item) for item in result.items)
    head = _dumps({"total": result.total, "offset": result.offset, "limit": result.limit})
    return b"".join(
        (head[:-1], b',"items":[', items, b'],"facets":', _dumps(_facets(result)), b"}")
    )


def _facets(page: service.SearchPage) -> dict[str, Any] | None:
    if page.facets is None:
        return None
    facets = page.facets
    return {
        "kind": facets.kind,
        "orientation": facets.orientation,
        "color": {str(k): v for k, v in facets.color.items()},
        "category": {str(k): v for k, v in facets.category.items()},
    }


# The parameters of GET /v1/search: name, JSON-schema type, description. The route reads
# them from the query string itself (declaring 45 parameters to FastAPI costs more per
# request than the search) and this table documents them in the OpenAPI schema.
SEARCH_PARAMETERS: tuple[tuple[str, str, str], ...] = (
    ("q", "string", 'the text (docs/search.md): words, "phrases", -exclusions, field:value'),
    ("lang", "string", "language of q (default en)"),
    ("translate", "boolean", "titles and descriptions in lang where translated"),
    ("tags", "boolean", "include each item's tags"),
    ("kind", "string", "comma list: photo, vector, illustration, video, music, sfx"),
    ("editorial", "boolean", "only editorial items (true) or none (false)"),
    ("nudity", "boolean", "false hides items with nudity"),
    ("orientation", "string", "comma list: horizontal, vertical, square"),
    ("color", "string", "comma list of colour numbers 1-17"),
    ("size", "string", "s, m, l or xl: minimum long edge 500, 1000, 2000, 3000 px"),
    ("min_width", "number", "in units"),
    ("max_width", "number", "in units"),
    ("min_height", "number", "in units"),
    ("max_height", "number", "in units"),
    ("units", "string", "px (default), inch or cm (300 DPI)"),
    ("min_duration_ms", "integer", "inclusive"),
    ("max_duration_ms", "integer", "inclusive"),
    ("gender", "string", "male, female or both"),
    ("age", "string", "infant, child, teenager, 20, 30, 40, 50, 60, 70"),
    ("race", "string", "asian, brazilian, black, caucasian, hispanic, middle, multi, ..."),
    ("min_people", "integer", "people in the picture, at least"),
    ("max_people", "integer", "people in the picture, at most"),
    ("people_only", "boolean", "only pictures of people"),
    ("author", "string", "comma list of owner user ids"),
    ("username", "string", "comma list of owner usernames (exact)"),
    ("category", "string", "comma list of category ids"),
    ("extension", "string", "comma list of file extensions"),
    ("status", "string", "comma list of statuses, or any (default active)"),
    ("visible", "string", "true (default), false or any"),
    ("published_from", "string", "ISO 8601 time with a zone, inclusive"),
    ("published_to", "string", "ISO 8601 time with a zone, inclusive"),
    ("ai_generated", "boolean", "AI-generated items only (true) or none (false)"),
    ("exclusive", "boolean", "exclusive items only (true) or none (false)"),
    ("free", "boolean", "free items only (true) or none (false)"),
    ("ids", "string", "comma list: only these item ids"),
    ("exclude_ids", "string", "comma list: not these item ids"),
    ("exclude", "string", "comma list: not items with these keywords"),
    ("series", "integer", "a series id"),
    ("video_standard", "string", "comma list of Pond5 video-standard codes"),
    ("model_release", "boolean", "items with a model release (true) or without (false)"),
    ("sort", "string", "comma list of keys, - reverses: e.g. -best_sales,newest"),
    ("offset", "integer", "0-100000 (default 0)"),
    ("limit", "integer", "1-1000 (default 50)"),
    ("page", "integer", "from 1 (with per_page, instead of offset and limit)"),
    ("per_page", "integer", "1-1000 (default 50)"),
    ("facets", "boolean", "add counts per kind, orientation, colour and category"),
)
_OPENAPI_PARAMETERS = [
    {"name": name, "in": "query", "required": False, "schema": {"type": kind}, "description": text}
    for name, kind, text in SEARCH_PARAMETERS
]
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})
MAX_TEXT_PARAMETER = 10_000


class _Params:
    """The query string of one request, read with InvalidParameter for bad values."""

    def __init__(self, request: Request) -> None:
        self.values = request.query_params

    def text(self, name: str, default: str | None = None) -> str | None:
        value = self.values.get(name)
        if value is None:
            return default
        if len(value) > MAX_TEXT_PARAMETER:
            raise InvalidParameter(name, f"{name} is longer than {MAX_TEXT_PARAMETER} characters")
        return value

    def integer(self, name: str) -> int | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        try:
            return int(value)
        except ValueError:
            raise InvalidParameter(name, f"{name} must be a whole number") from None

    def number(self, name: str) -> float | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        try:
            number = float(value)
        except ValueError:
            raise InvalidParameter(name, f"{name} must be a number") from None
        if number != number or number in (float("inf"), float("-inf")):  # NaN, infinities
            raise InvalidParameter(name, f"{name} must be a number")
        return number

    def flag(self, name: str) -> bool | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE:
            return False
        raise InvalidParameter(name, f"{name} must be true or false")

    def moment(self, name: str) -> datetime | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            raise InvalidParameter(name, f"{name} must be an ISO 8601 time") from None


def _query_from(params: _Params) -> tuple[SearchQuery, bool, bool]:
    """The SearchQuery of a request, and whether to translate and to include tags."""
    units = params.text("units", "px") or "px"
    first, size_of_page = _paging(
        params.integer("offset"),
        params.integer("limit"),
        params.integer("page"),
        params.integer("per_page"),
    )
    size = params.text("size")
    query = SearchQuery(
        text=params.text("q", "") or "",
        lang=params.text("lang", "en") or "en",
        kinds=_values("kind", params.text("kind"), _lower(MediaKind)),
        editorial=params.flag("editorial"),
        nudity=params.flag("nudity"),
        orientations=_values("orientation", params.text("orientation"), _lower(Orientation)),
        colors=_values("color", params.text("color"), int),
        size_class=size.lower() if size else None,
        min_width=_px("min_width", params.number("min_width"), units),
        max_width=_px("max_width", params.number("max_width"), units),
        min_height=_px("min_height", params.number("min_height"), units),
        max_height=_px("max_height", params.number("max_height"), units),
        min_duration_ms=params.integer("min_duration_ms"),
        max_duration_ms=params.integer("max_duration_ms"),
        people_gender=params.text("gender"),
        people_age=params.text("age"),
        people_race=params.text("race"),
        people_quantity_min=params.integer("min_people"),
        people_quantity_max=params.integer("max_people"),
        people_only=params.flag("people_only"),
        author_ids=_values("author", params.text("author"), _positive),
        author_usernames=_values("username", params.text("username"), str),
        category_ids=_values("category", params.text("category"), _positive),
        extensions=_values("extension", params.text("extension"), str),
        statuses=_statuses(params.text("status")),
        visible=_visibility(params.text("visible")),
        published_from=params.moment("published_from"),
        published_to=params.moment("published_to"),
        ai_generated=params.flag("ai_generated"),
        exclusive=params.flag("exclusive"),
        free=params.flag("free"),
        item_ids=_values("ids", params.text("ids"), _positive),
        exclude_item_ids=_values("exclude_ids", params.text("exclude_ids"), _positive),
        exclude_keywords=tuple(_split("exclude", params.text("exclude"))),
        series_id=params.integer("series"),
        video_standards=_values("video_standard", params.text("video_standard"), int),
        has_model_release=params.flag("model_release"),
        sort=parse_sort(params.text("sort", "relevance") or "relevance"),
        offset=first,
        limit=size_of_page,
        facets=bool(params.flag("facets")),
    )
    return query, bool(params.flag("translate")), bool(params.flag("tags"))


@router.get(
    "",
    response_model=SearchOut,
    openapi_extra={"parameters": _OPENAPI_PARAMETERS},
)
async def search(request: Request) -> Response:
    """Search the catalog; see docs/api.md for every parameter."""
    runtime: Runtime = request.app.state.runtime  # no dependency: no threadpool hop
    query, translate, with_tags = _query_from(_Params(request))
    _check_restricted(request, runtime, query)
    try:
        result = service.search(runtime, query, translate=translate, with_tags=with_tags)
    except InvalidParameter as exc:
        exc.name = PARAMETER_NAMES.get(exc.name, exc.name)
        raise
    return Response(_page_json(result, with_tags), media_type="application/json")


@router.get("/suggest", response_model=SuggestOut)
async def suggest(
    request: Request,
    prefix: Annotated[str, Query(max_length=200)],
    lang: Annotated[str, Query(max_length=20)] = "en",
    limit: int = service.DEFAULT_SUGGESTIONS,
) -> JSONResponse:
    """Tags of published items that start with `prefix`, the most used first."""
    runtime: Runtime = request.app.state.runtime
    found = service.suggest(runtime, prefix, lang, limit)
    return JSONResponse(
        {"prefix": prefix, "suggestions": [{"tag": s.tag, "count": s.count} for s in found]}
    )
