"""The search page (also the start page): query, seed 001's filters with facet counts,
sort, a grid of results with previews, and pagination that keeps every filter in the URL.

The URL parameters are the page's own (q, kind, orientation, color, size, editorial,
gender, age, race, people_only, author, sort, lang, page). A value the page does not
offer is ignored, not refused: links get edited and shared, and a filter that does not
apply should not cost the visitor their results.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response

from stockhouse.catalog.models import MediaKind, Orientation
from stockhouse.catalog.service import PEOPLE_AGES, PEOPLE_GENDERS, PEOPLE_RACES
from stockhouse.search import service as search_service
from stockhouse.search.query import (
    MAX_COLOR,
    MAX_OFFSET,
    SIZE_CLASS_MIN_LONG_EDGE,
    SearchQuery,
    SortField,
    SortKey,
)
from stockhouse.web.pages import Web, page

PER_PAGE = 24
MAX_PAGE = MAX_OFFSET // PER_PAGE
MAX_TEXT = 500
MAX_AUTHOR = 64
LANGUAGES = {"en": "English", "de": "Deutsch", "fr": "Français", "es": "Español"}
SORTS: dict[str, tuple[str, SortKey]] = {
    "relevance": ("Most relevant", SortKey(SortField.RELEVANCE)),
    "best_sales": ("Best selling", SortKey(SortField.BEST_SALES)),
    "newest": ("Newest", SortKey(SortField.NEWEST)),
    "views": ("Most viewed", SortKey(SortField.VIEWS)),
    "undiscovered": ("Undiscovered", SortKey(SortField.UNDISCOVERED)),
}
KIND_LABELS = {
    MediaKind.PHOTO: "Photos",
    MediaKind.VECTOR: "Vectors",
    MediaKind.ILLUSTRATION: "Illustrations",
    MediaKind.VIDEO: "Video",
    MediaKind.MUSIC: "Music",
    MediaKind.SFX: "Sound effects",
}
SIZE_LABELS = {"s": "S (500 px+)", "m": "M (1000 px+)", "l": "L (2000 px+)", "xl": "XL (3000 px+)"}
PAGE_LINKS_AROUND = 2


@dataclass(frozen=True)
class SearchForm:
    """The filters of one search page request, cleaned to the values the page offers."""

    text: str
    lang: str
    translate: bool
    kinds: tuple[str, ...]
    orientations: tuple[str, ...]
    colors: tuple[int, ...]
    size: str | None
    editorial: bool | None
    gender: str | None
    age: str | None
    race: str | None
    people_only: bool
    author: str | None
    sort: str
    page: int

    def query(self) -> SearchQuery:
        return SearchQuery(
            text=self.text,
            lang=self.lang,
            kinds=frozenset(MediaKind(k) for k in self.kinds),
            orientations=frozenset(Orientation(o) for o in self.orientations),
            colors=frozenset(self.colors),
            size_class=self.size,
            editorial=self.editorial,
            people_gender=self.gender,
            people_age=self.age,
            people_race=self.race,
            people_only=True if self.people_only else None,
            author_usernames=frozenset({self.author}) if self.author else frozenset(),
            sort=(SORTS[self.sort][1],),
            offset=(self.page - 1) * PER_PAGE,
            limit=PER_PAGE,
            facets=True,
            facet_categories=False,  # the page has no category filter: not counted
        )


def _choices(params: QueryParams, name: str, allowed: tuple[str, ...]) -> tuple[str, ...]:
    wanted = {value.strip().lower() for value in params.getlist(name)}
    return tuple(value for value in allowed if value in wanted)


def _one(params: QueryParams, name: str, allowed: tuple[str, ...]) -> str | None:
    value = params.get(name, "").strip().lower()
    return value if value in allowed else None


def _flag(params: QueryParams, name: str) -> bool | None:
    value = params.get(name, "").strip().lower()
    return {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}.get(
        value
    )


def _page_number(params: QueryParams) -> int:
    text = params.get("page", "1").strip()
    number = int(text) if text.isdigit() and len(text) < 7 else 1
    return min(max(number, 1), MAX_PAGE)


def parse_form(params: QueryParams) -> SearchForm:
    """The page's filters from its query string (values it does not offer are dropped)."""
    colors = tuple(
        sorted(
            {int(v) for v in params.getlist("color") if v.isdigit() and 1 <= int(v) <= MAX_COLOR}
        )
    )
    author = params.get("author", "").strip()[:MAX_AUTHOR] or None
    return SearchForm(
        text=params.get("q", "")[:MAX_TEXT],
        lang=_one(params, "lang", tuple(LANGUAGES)) or "en",
        translate=(_one(params, "lang", tuple(LANGUAGES)) or "en") != "en",
        kinds=_choices(params, "kind", tuple(kind.value for kind in MediaKind)),
        orientations=_choices(params, "orientation", tuple(o.value for o in Orientation)),
        colors=colors,
        size=_one(params, "size", tuple(SIZE_CLASS_MIN_LONG_EDGE)),
        editorial=_flag(params, "editorial"),
        gender=_one(params, "gender", PEOPLE_GENDERS),
        age=_one(params, "age", PEOPLE_AGES),
        race=_one(params, "race", PEOPLE_RACES),
        people_only=bool(_flag(params, "people_only")),
        author=author,
        sort=_one(params, "sort", tuple(SORTS)) or "relevance",
        page=_page_number(params),
    )


def _page_numbers(current: int, last: int) -> list[int | None]:
    """Page links to show: first, last, and a few around the current (None is a gap)."""
    shown = {1, last, *range(current - PAGE_LINKS_AROUND, current + PAGE_LINKS_AROUND + 1)}
    numbers = sorted(n for n in shown if 1 <= n <= last)
    result: list[int | None] = []
    for number in numbers:
        if result and result[-1] is not None and number - result[-1] > 1:
            result.append(None)
        result.append(number)
    return result


@page(inline=True)
def search(request: Request, web: Web) -> Response:
    """The search page; a short read, answered on the event loop (no threadpool hop)."""
    form = parse_form(request.query_params)
    result = search_service.search(web.runtime, form.query(), translate=form.translate)
    last_page = max(1, min(math.ceil(result.total / PER_PAGE), MAX_PAGE))
    return web.render(
        "search.html",
        form=form,
        result=result,
        facets=result.facets,
        last_page=last_page,
        page_numbers=_page_numbers(form.page, last_page),
        languages=LANGUAGES,
        sorts={key: label for key, (label, _) in SORTS.items()},
        kind_labels={kind.value: label for kind, label in KIND_LABELS.items()},
        orientations=[o.value for o in Orientation],
        size_labels=SIZE_LABELS,
        genders=PEOPLE_GENDERS,
        ages=PEOPLE_AGES,
        races=PEOPLE_RACES,
        is_home=request.url.path == "/" and not request.query_params,
    )
