"""The search service every adapter calls: validate a SearchQuery, search, hydrate.

`search(runtime, query)` checks the query's limits (InvalidParameter naming the wrong
input), moves `field:value` terms of the text into the filters, asks the configured
backend (`runtime.search`: Tantivy unless STOCKHOUSE_SEARCH=postgres) for a page of ids,
and fills them with item fields in one batched query. `suggest` completes a prefix from
the tags of searchable items.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stockhouse.catalog.models import ItemStatus, ItemTag, MediaItem
from stockhouse.catalog.service import PEOPLE_AGES, PEOPLE_GENDERS, PEOPLE_RACES
from stockhouse.catalog.translations import DEFAULT_LANGUAGE, MAX_TAG_LENGTH, validate_language
from stockhouse.errors import InvalidParameter
from stockhouse.search.documents import equivalent_languages
from stockhouse.search.hydrate import ItemSummary, hydrate
from stockhouse.search.query import (
    MAX_COLOR,
    MAX_LIMIT,
    MAX_OFFSET,
    MAX_SORT_KEYS,
    SIZE_CLASS_MIN_LONG_EDGE,
    Facets,
    SearchBackend,
    SearchQuery,
    Suggestion,
)
from stockhouse.search.text import apply_field_terms, clean_text, parse_text

if TYPE_CHECKING:
    from stockhouse.runtime import Runtime

MAX_EXCLUDE_KEYWORDS = 50
MAX_ITEM_IDS = 100_000  # an item permission collection, at most
MAX_FILTER_VALUES = 1000  # values of one set filter (categories, authors, ...)
MAX_DIMENSION_PX = 1_000_000
MAX_DURATION_MS = 100 * 3600 * 1000
DEFAULT_SUGGESTIONS = 10
MAX_SUGGESTIONS = 50


@dataclass(frozen=True)
class SearchPage:
    """One page of hydrated results, the exact total over all pages, and facets."""

    items: list[ItemSummary]
    total: int
    offset: int
    limit: int
    facets: Facets | None = None


@runtime_checkable
class SuggestingBackend(Protocol):
    """A backend with its own prefix completion (Tantivy walks its term dictionary)."""

    def suggest(self, prefix: str, lang: str, limit: int) -> list[Suggestion]: ...


def open_backend(runtime: Runtime, *, maintain: bool = True) -> SearchBackend:
    """The backend STOCKHOUSE_SEARCH selects (what Runtime.search opens).

    With `maintain`, the runtime's catalog changes are indexed through jobs, and an index
    that was never built is built by one (see indexing.install).
    """
    from stockhouse.search import indexing

    backend: SearchBackend
    if runtime.settings.search == "postgres":
        from stockhouse.search.postgres_backend import PostgresSearchBackend

        backend = PostgresSearchBackend(runtime)
    else:
        from stockhouse.search.tantivy_backend import TantivySearchBackend

        backend = TantivySearchBackend(runtime)
    if maintain:
        indexing.install(runtime, backend)
    return backend


# -- validation -------------------------------------------------------------------------


def _check_range(name: str, value: int | None, low: int, high: int) -> None:
    if value is not None and not low <= value <= high:
        raise InvalidParameter(name, f"{name} must be between {low} and {high}")


def _check_bounds(name: str, low: int | None, high: int | None, maximum: int) -> None:
    _check_range(f"min_{name}", low, 0, maximum)
    _check_range(f"max_{name}", high, 0, maximum)
    if low is not None and high is not None and low > high:
        raise InvalidParameter(f"min_{name}", f"min_{name} is larger than max_{name}")


def _check_choice(name: str, value: str | None, choices: tuple[str, ...]) -> None:
    if value is not None and value.lower() not in choices:
        raise InvalidParameter(name, f"{name} must be one of {', '.join(choices)}")


def validate_query(query: SearchQuery) -> SearchQuery:
    """`query` checked against the limits, with its text cleaned and field terms applied.

    Raises InvalidParameter naming the first wrong input. Text is never refused: it is cut
    to MAX_QUERY_LENGTH and stripped of control characters.
    """
    _check_range("offset", query.offset, 0, MAX_OFFSET)
    _check_range("limit", query.limit, 1, MAX_LIMIT)
    if not query.sort or len(query.sort) > MAX_SORT_KEYS:
        raise InvalidParameter("sort", f"give 1 to {MAX_SORT_KEYS} sort keys")
    if query.size_class is not None and query.size_class not in SIZE_CLASS_MIN_LONG_EDGE:
        raise InvalidParameter("size_class", "size_class must be one of s, m, l, xl")
    if any(not 1 <= color <= MAX_COLOR for color in query.colors):
        raise InvalidParameter("color", f"colours are numbered 1 to {MAX_COLOR}")
    _check_bounds("width", query.min_width, query.max_width, MAX_DIMENSION_PX)
    _check_bounds("height", query.min_height, query.max_height, MAX_DIMENSION_PX)
    _check_bounds("duration_ms", query.min_duration_ms, query.max_duration_ms, MAX_DURATION_MS)
    _check_bounds("people_quantity", query.people_quantity_min, query.people_quantity_max, 1000)
    _check_choice("people_gender", query.people_gender, PEOPLE_GENDERS)
    _check_choice("people_age", query.people_age, PEOPLE_AGES)
    _check_choice("people_race", query.people_race, PEOPLE_RACES)
    if query.published_from and query.published_to and query.published_from > query.published_to:
        raise InvalidParameter("published_from", "published_from is after published_to")
    for moment, name in (
        (query.published_from, "published_from"),
        (query.published_to, "published_to"),
    ):
        if moment is not None and moment.tzinfo is None:
            raise InvalidParameter(name, f"{name} needs a time zone")
    if len(query.item_ids) > MAX_ITEM_IDS or len(query.exclude_item_ids) > MAX_ITEM_IDS:
        raise InvalidParameter("item_ids", f"at most {MAX_ITEM_IDS} item ids")
    for name in (
        "author_ids",
        "author_usernames",
        "category_ids",
        "extensions",
        "kinds",
        "footage_standards",
    ):
        if len(getattr(query, name)) > MAX_FILTER_VALUES:
            raise InvalidParameter(name, f"at most {MAX_FILTER_VALUES} values")
    lang = validate_language(query.lang or DEFAULT_LANGUAGE)
    keywords = tuple(
        word for word in (clean_text(k).strip() for k in query.exclude_keywords) if word
    )[:MAX_EXCLUDE_KEYWORDS]
    text = clean_text(query.text)
    cleaned = query
    if (text, lang, keywords) != (query.text, query.lang, query.exclude_keywords):
        # Copying a query costs more than the rest of the checks: only when it changes.
        cleaned = dataclasses.replace(query, text=text, lang=lang, exclude_keywords=keywords)
    return apply_field_terms(cleaned, parse_text(text))


# -- searching --------------------------------------------------------------------------


def search(
    runtime: Runtime,
    query: SearchQuery,
    *,
    translate: bool = False,
    with_tags: bool = False,
    backend: SearchBackend | None = None,
) -> SearchPage:
    """One page of results for `query`: from the summaries the backend stores (Tantivy),
    else hydrated in one batched query.

    With `translate`, titles, descriptions (and tags, with `with_tags`) are in the query's
    language where the items have translations. `backend` overrides the configured one.
    """
    query = validate_query(query)
    result = (backend or runtime.search).search(query)
    lang = query.lang if translate else None
    if result.summaries is not None and not with_tags:
        # Summaries stored in the index (Tantivy): no query at all. Tags still come from
        # the catalog, in their order there.
        items = [summary.in_language(lang) for summary in result.summaries]
    else:
        with runtime.db.read_session() as session:
            items = hydrate(session, result.item_ids, lang, with_tags=with_tags)
    return SearchPage(
        items=items,
        total=result.total,
        offset=query.offset,
        limit=query.limit,
        facets=result.facets,
    )


def suggest(
    runtime: Runtime,
    prefix: str,
    lang: str = DEFAULT_LANGUAGE,
    limit: int = DEFAULT_SUGGESTIONS,
    *,
    backend: SearchBackend | None = None,
) -> list[Suggestion]:
    """Tags of searchable items in `lang` that start with `prefix`, the most used first."""
    _check_range("limit", limit, 1, MAX_SUGGESTIONS)
    lang = validate_language(lang or DEFAULT_LANGUAGE)
    cleaned = " ".join(clean_text(prefix).lower().split())
    if not cleaned:
        return []
    if len(cleaned) > MAX_TAG_LENGTH:
        return []
    chosen = backend or runtime.search
    if isinstance(chosen, SuggestingBackend):
        return chosen.suggest(cleaned, lang, limit)
    with runtime.db.read_session() as session:
        return suggest_from_database(session, cleaned, lang, limit)


def _like_prefix(prefix: str) -> str:
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


def suggest_from_database(session: Session, prefix: str, lang: str, limit: int) -> list[Suggestion]:
    """Prefix completion straight from the catalog's tags (for backends without their own)."""
    uses = func.count(ItemTag.item_id)
    rows = session.execute(
        select(ItemTag.tag, uses)
        .join(MediaItem, MediaItem.id == ItemTag.item_id)
        .where(
            ItemTag.lang.in_(equivalent_languages(lang)),
            ItemTag.tag.like(_like_prefix(prefix), escape="\\"),
            MediaItem.status == ItemStatus.ACTIVE,
            MediaItem.visible.is_(True),
        )
        .group_by(ItemTag.tag)
        .order_by(uses.desc(), ItemTag.tag)
        .limit(limit)
    )
    return [Suggestion(tag, int(count)) for tag, count in rows]
