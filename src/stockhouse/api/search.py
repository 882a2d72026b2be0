"""Native API: search the catalog (every filter, facets, paging) and complete tags.

Anyone may search what is published (active and visible). Other statuses and hidden
items need a Bearer token: reviewers and admins see every item, a contributor sees their
own (with `author` set to their user id).

The routes are `async` and call the search service inline: a search is a few short reads
(performance.md: a threadpool hop costs more than the work), and the answer is built as
plain JSON without a response-model validation pass.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from stockhouse.accounts.models import Role
from stockhouse.api.deps import RuntimeDep, get_principal
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
    with runtime.db.read_session() as session:
        user = get_principal(request, session).user
        if user.has_role(Role.ADMIN) or user.has_role(Role.REVIEWER):
            return
        if query.author_ids == frozenset({user.id}):
            return
    raise PermissionDenied(
        "only reviewers and admins see others' unpublished items; set author to your user id"
    )


# -- responses --------------------------------------------------------------------------


def _item(item: ItemSummary, with_tags: bool) -> dict[str, Any]:
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


Flag = Annotated[bool | None, Query()]
Text = Annotated[str | None, Query(max_length=10_000)]
Whole = Annotated[int | None, Query()]
Number = Annotated[float | None, Query()]


@router.get("", response_model=SearchOut)
async def search(
    request: Request,
    runtime: RuntimeDep,
    q: Annotated[str, Query(max_length=10_000, description="docs/search.md syntax")] = "",
    lang: Annotated[str, Query(max_length=20)] = "en",
    translate: bool = False,
    tags: bool = False,
    kind: Text = None,
    editorial: Flag = None,
    nudity: Flag = None,
    orientation: Text = None,
    color: Text = None,
    size: Text = None,
    min_width: Number = None,
    max_width: Number = None,
    min_height: Number = None,
    max_height: Number = None,
    units: Annotated[str, Query(max_length=8)] = "px",
    min_duration_ms: Whole = None,
    max_duration_ms: Whole = None,
    gender: Text = None,
    age: Text = None,
    race: Text = None,
    min_people: Whole = None,
    max_people: Whole = None,
    people_only: Flag = None,
    author: Text = None,
    username: Text = None,
    category: Text = None,
    extension: Text = None,
    status: Text = None,
    visible: Text = None,
    published_from: Annotated[datetime | None, Query()] = None,
    published_to: Annotated[datetime | None, Query()] = None,
    ai_generated: Flag = None,
    exclusive: Flag = None,
    free: Flag = None,
    ids: Text = None,
    exclude_ids: Text = None,
    exclude: Text = None,
    series: Whole = None,
    video_standard: Text = None,
    model_release: Flag = None,
    sort: Annotated[str, Query(max_length=200)] = "relevance",
    offset: Whole = None,
    limit: Whole = None,
    page: Whole = None,
    per_page: Whole = None,
    facets: bool = False,
) -> JSONResponse:
    """Search the catalog; see docs/api.md for every parameter."""
    first, size_of_page = _paging(offset, limit, page, per_page)
    query = SearchQuery(
        text=q,
        lang=lang,
        kinds=_values("kind", kind, _lower(MediaKind)),
        editorial=editorial,
        nudity=nudity,
        orientations=_values("orientation", orientation, _lower(Orientation)),
        colors=_values("color", color, int),
        size_class=size.lower() if size else None,
        min_width=_px("min_width", min_width, units),
        max_width=_px("max_width", max_width, units),
        min_height=_px("min_height", min_height, units),
        max_height=_px("max_height", max_height, units),
        min_duration_ms=min_duration_ms,
        max_duration_ms=max_duration_ms,
        people_gender=gender,
        people_age=age,
        people_race=race,
        people_quantity_min=min_people,
        people_quantity_max=max_people,
        people_only=people_only,
        author_ids=_values("author", author, _positive),
        author_usernames=_values("username", username, str),
        category_ids=_values("category", category, _positive),
        extensions=_values("extension", extension, str),
        statuses=_statuses(status),
        visible=_visibility(visible),
        published_from=published_from,
        published_to=published_to,
        ai_generated=ai_generated,
        exclusive=exclusive,
        free=free,
        item_ids=_values("ids", ids, _positive),
        exclude_item_ids=_values("exclude_ids", exclude_ids, _positive),
        exclude_keywords=tuple(_split("exclude", exclude)),
        series_id=series,
        video_standards=_values("video_standard", video_standard, int),
        has_model_release=model_release,
        sort=parse_sort(sort),
        offset=first,
        limit=size_of_page,
        facets=facets,
    )
    _check_restricted(request, runtime, query)
    try:
        result = service.search(runtime, query, translate=translate, with_tags=tags)
    except InvalidParameter as exc:
        exc.name = PARAMETER_NAMES.get(exc.name, exc.name)
        raise
    return JSONResponse(
        {
            "total": result.total,
            "offset": result.offset,
            "limit": result.limit,
            "items": [_item(item, tags) for item in result.items],
            "facets": _facets(result),
        }
    )


@router.get("/suggest", response_model=SuggestOut)
async def suggest(
    runtime: RuntimeDep,
    prefix: Annotated[str, Query(max_length=200)],
    lang: Annotated[str, Query(max_length=20)] = "en",
    limit: int = service.DEFAULT_SUGGESTIONS,
) -> JSONResponse:
    """Tags of published items that start with `prefix`, the most used first."""
    found = service.suggest(runtime, prefix, lang, limit)
    return JSONResponse(
        {"prefix": prefix, "suggestions": [{"tag": s.tag, "count": s.count} for s in found]}
    )
