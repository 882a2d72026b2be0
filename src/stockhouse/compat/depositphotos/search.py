"""Depositphotos `search`: every parameter of the document, translated into a SearchQuery.

The core search (stockhouse.search) does the work; this module only reads the wire's
parameters, checks them (InvalidParam naming the parameter), and renders the page in the
document's item fields. Decisions where the document is vague (docs/compat/depositphotos.md):

- dp_search_sort: 1 best match, 2 = 3 = 4 best sales (the default), 5 newest,
  6 undiscovered (wire-notes.md section 2).
- dp_search_limit: default 100, at most MAX_SEARCH_LIMIT (a larger value is cut to it).
- dp_search_quantity above 3 means any number of people (no filter), as documented.
- dp_item_permission "enterprise" (curated) and "premium" (focused) are Stockhouse's
  exclusive items; "regular" is everything.
- dp_image_url: the picture is fetched under search/fetch.py's rules (public addresses
  only unless the operator allowlists a network, size and time limits) and the items
  nearest to it (perceptual hash, then colour) are the candidates the other filters apply
  to, in order of closeness.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any

from stockhouse.catalog.models import MediaKind, Orientation
from stockhouse.catalog.service import PEOPLE_AGES, PEOPLE_GENDERS, PEOPLE_RACES
from stockhouse.compat.depositphotos import documents, wire
from stockhouse.compat.depositphotos.documents import Links, Style
from stockhouse.compat.depositphotos.media import caller_group as _caller_group
from stockhouse.compat.depositphotos.options import language, watermark
from stockhouse.search import similar
from stockhouse.search.fetch import fetch_image
from stockhouse.search.query import (
    DIMENSION_UNITS,
    MAX_COLOR,
    MAX_OFFSET,
    SIZE_CLASS_MIN_LONG_EDGE,
    SearchQuery,
    SortField,
    SortKey,
    dimension_to_px,
)
from stockhouse.search.service import SearchPage
from stockhouse.search.service import search as run_search

DEFAULT_SEARCH_LIMIT = 100
MAX_SEARCH_LIMIT = 500
MAX_QUERY_CHARS = 1000
MAX_PEOPLE_QUANTITY = 3  # above this, "any"
MAX_DIMENSION = 1_000_000
SORTS = {
    1: SortField.RELEVANCE,
    2: SortField.BEST_SALES,
    3: SortField.BEST_SALES,
    4: SortField.BEST_SALES,
    5: SortField.NEWEST,
    6: SortField.UNDISCOVERED,
}
DEFAULT_SORT = 4
PERMISSIONS = ("regular", "enterprise", "premium")
# Content switches: parameter, default, kinds it includes (dp_illustration follows
# dp_search_vector when not given; audio ones are the official SDK's additions).
KIND_SWITCHES: tuple[tuple[str, bool, tuple[MediaKind, ...]], ...] = (
    ("dp_search_photo", True, (MediaKind.PHOTO,)),
    ("dp_search_vector", True, (MediaKind.VECTOR,)),
    ("dp_search_video", False, (MediaKind.VIDEO,)),
    ("dp_search_audio", False, (MediaKind.MUSIC, MediaKind.SFX)),
    ("dp_search_music", False, (MediaKind.MUSIC,)),
    ("dp_search_sound_effect", False, (MediaKind.SFX,)),
)
IGNORED_TEXT = ("dp_tracking_url", "dp_domain", "dp_country_excluded", "dp_search_hash")


def _choice(params: wire.Params, name: str, choices: tuple[str, ...]) -> str | None:
    value = params.text(name, max_chars=40)
    if value is None or not value.strip():
        return None
    word = value.strip().lower()
    if word not in choices:
        raise wire.invalid_param(name, f"{name.capitalize()} must be one of {', '.join(choices)}")
    return word


def _kinds(params: wire.Params) -> frozenset[MediaKind]:
    chosen: set[MediaKind] = set()
    for name, default, kinds in KIND_SWITCHES:
        if params.boolean(name, default):
            chosen.update(kinds)
    if params.boolean("dp_illustration", params.boolean("dp_search_vector", True)):
        chosen.add(MediaKind.ILLUSTRATION)
    return frozenset(chosen)


def _number(params: wire.Params, name: str) -> float | None:
    """A dimension: an integer or a decimal number (inches and cm need fractions)."""
    value = params.raw(name)
    if value is None or value == "":
        return None
    text = params.text(name, max_chars=20) or ""
    try:
        number = float(text)
    except ValueError:
        raise wire.invalid_param(name, f"{name.capitalize()} must be a number") from None
    if not 0 <= number <= MAX_DIMENSION:
        raise wire.invalid_param(name, f"{name.capitalize()} is out of range")
    return number


def _dimensions(params: wire.Params) -> dict[str, Any]:
    unit = _choice(params, "dp_search_dimension_units", DIMENSION_UNITS) or "px"
    bounds: dict[str, Any] = {}
    for name, field in (
        ("dp_search_width", "min_width"),
        ("dp_search_max_width", "max_width"),
        ("dp_search_height", "min_height"),
        ("dp_search_max_height", "max_height"),
    ):
        number = _number(params, name)
        bounds[field] = None if number is None else dimension_to_px(number, unit, name)
    return bounds


def _people(params: wire.Params) -> dict[str, Any]:
    quantity = params.integer("dp_search_quantity", minimum=0)
    exact = quantity if quantity is not None and 1 <= quantity <= MAX_PEOPLE_QUANTITY else None
    return {
        "people_gender": _choice(params, "dp_search_gender", PEOPLE_GENDERS),
        "people_age": _choice(params, "dp_search_age", PEOPLE_AGES),
        "people_race": _choice(params, "dp_search_race", PEOPLE_RACES),
        "people_quantity_min": exact,
        "people_quantity_max": exact,
        "people_only": True if params.boolean("dp_search_people_only", False) else None,
    }


def _words(text: str | None) -> tuple[str, ...]:
    return tuple(word.strip() for word in (text or "").split(",") if word.strip())


def _categories(params: wire.Params) -> frozenset[int]:
    """dp_search_categories (2018 document): space-delimited category ids."""
    text = params.text("dp_search_categories", max_chars=1000) or ""
    ids: set[int] = set()
    for part in text.replace(",", " ").split():
        if not part.isascii() or not part.isdigit() or len(part) > 9:
            raise wire.invalid_param("dp_search_categories", "Dp_search_categories holds ids")
        ids.add(int(part))
    return frozenset(ids)


def _usernames(username: str | None) -> frozenset[str]:
    return frozenset({username.strip()}) if username and username.strip() else frozenset()


def build_query(params: wire.Params) -> SearchQuery:
    """The SearchQuery for the wire's parameters (limit and offset included)."""
    sort = params.integer("dp_search_sort", DEFAULT_SORT, minimum=1, maximum=6)
    limit = params.integer("dp_search_limit", DEFAULT_SEARCH_LIMIT, minimum=1) or 1
    offset = params.integer("dp_search_offset", 0, minimum=0, maximum=MAX_OFFSET) or 0
    color = params.integer("dp_search_color", 0, minimum=0, maximum=MAX_COLOR)
    user = params.integer("dp_search_user", minimum=1)
    username = params.text("dp_search_username", max_chars=64)
    orientation = _choice(params, "dp_search_orientation", tuple(o.value for o in Orientation))
    size_class = _choice(params, "dp_search_imagesize", tuple(SIZE_CLASS_MIN_LONG_EDGE))
    permission = _choice(params, "dp_item_permission", PERMISSIONS) or "regular"
    exclude = _words(params.text("dp_exclude_keyword")) + _words(params.text("dp_exclude_keywords"))
    params.boolean("dp_search_correction", True)  # no spelling correction: see the docs
    for name in IGNORED_TEXT:
        params.text(name)
    query = SearchQuery(
        text=params.text("dp_search_query", max_chars=MAX_QUERY_CHARS) or "",
        lang=language(params) or "en",
        kinds=_kinds(params),
        editorial=params.boolean("dp_search_editorial"),
        nudity=bool(params.boolean("dp_search_nudity", False)),
        orientations=frozenset({Orientation(orientation)}) if orientation else frozenset(),
        colors=frozenset({color}) if color else frozenset(),
        size_class=size_class,
        author_ids=frozenset({user}) if user else frozenset(),
        author_usernames=_usernames(username),
        category_ids=_categories(params),
        exclusive=True if permission != "regular" else None,
        exclude_keywords=exclude,
        sort=(SortKey(SORTS[sort or DEFAULT_SORT]),),
        offset=offset,
        limit=min(limit, MAX_SEARCH_LIMIT),
    )
    return dataclasses.replace(query, **_dimensions(params), **_people(params))


def _query_hash(params: wire.Params) -> str:
    """A stable name of the search (the document's `hash`): the digest of its parameters."""
    wanted = {n: params.raw(n) for n in sorted(params.names()) if n.startswith("dp_search")}
    text = json.dumps(wanted, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _by_image(call: wire.Call, query: SearchQuery, url: str) -> SearchPage:
    """The candidates nearest to the picture at `url`, filtered, in order of closeness."""
    fetched = fetch_image(url, allowlist=call.runtime.settings.fetch_allowlist)
    matches = similar.by_image(call.runtime, fetched.content, similar.MAX_LIMIT)
    order = [m.item_id for m in matches]
    if not order:
        return SearchPage(items=[], total=0, offset=query.offset, limit=query.limit)
    candidates = dataclasses.replace(
        query, item_ids=frozenset(order), offset=0, limit=similar.MAX_LIMIT
    )
    page = run_search(call.runtime, candidates, translate=candidates.lang != "en")
    rank = {item_id: position for position, item_id in enumerate(order)}
    ordered = sorted(page.items, key=lambda s: rank[s.id])
    chosen = ordered[query.offset : query.offset + query.limit]
    return SearchPage(items=chosen, total=len(ordered), offset=query.offset, limit=query.limit)


@wire.command("search", session=False)
def search(call: wire.Call) -> dict[str, Any]:
    """A page of published items: `count` (all matches), `result`, `hash`."""
    params = call.params
    query = build_query(params)
    image_url = params.text("dp_image_url", max_chars=2048)
    searched = query.text.strip() or query.author_ids or query.author_usernames
    if not (searched or image_url or query.category_ids):
        raise wire.invalid_param(
            "dp_search_query",
            "One of dp_search_query, dp_search_user, dp_search_username is required",
        )
    full_info = bool(params.boolean("dp_full_info", False))
    style = Style(links=Links(call.base_url, watermark(params)))
    if not query.kinds:
        page = SearchPage(items=[], total=0, offset=query.offset, limit=query.limit)
    elif image_url:
        page = _by_image(call, query, image_url.strip())
    else:
        translate = language(params) is not None
        page = run_search(call.runtime, query, translate=translate, with_tags=full_info)
    return {
        "count": page.total,
        "result": _render(call, page, style, full_info, query.lang),
        "hash": _query_hash(params),
    }


def _render(
    call: wire.Call, page: SearchPage, style: Style, full_info: bool, lang: str
) -> list[dict[str, Any]]:
    """The page's items in the sample's layout (with dp_full_info, getMediaData's too)."""
    ids = [s.id for s in page.items]
    if not ids:
        return []
    translated = lang if lang != "en" else None
    if not full_info:
        brief = documents.brief_records(call.runtime, ids, translated)
        return [documents.search_result(r, style) for r in brief]
    records = documents.cached_records(call.runtime, ids, translated)
    prices = documents.record_cache(call.runtime).prices(call.runtime, _caller_group(call))
    return [documents.search_layout(documents.media_document(r, style, prices)) for r in records]
