"""The one search query every adapter builds, and the one result every backend returns.

Adapters (Depositphotos `search`, Pond5 `search`, photo.list, images_v2, the web UI,
/v1/search) only translate their parameters into a `SearchQuery`; backends only answer it.

Ordering rules every backend follows (tests/search/test_backends.py pins them):

- Each key has a natural direction (NATURAL_DESCENDING: most relevant, most downloads,
  newest, most views, latest created or modified first; the others A-Z or smallest
  first); `SortKey.reverse` turns it round.
- relevance is the text score, then best sales; without text it is best sales alone.
- undiscovered is fewest views first.
- Ties on every requested key are broken by the item id: highest (newest) first when the
  first key is in its natural direction, lowest first when it is reversed. A reversed
  single-key order is therefore exactly the natural one read backwards.
- Missing values (no published date, no duration...) sort as 0, and times compare at
  whole seconds.
- name, username and extension sort by their lower-cased text, code point by code point
  (PostgreSQL: `lower(x) COLLATE "C"`); name is the item's own (default-language) title.
- status sorts alphabetically: active, archived, blocked, pending, rejected, uploaded.
- price: the item's "from" price under the default price list, in minor units (the lowest
  base price among the active standard licenses covering its kind and sizes:
  commerce.prices.from_prices), cheapest first; items not for sale count as 0. It is
  taken when the item is indexed, so a price-list change applies at the next reindex.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from stockhouse.catalog.models import ItemStatus, MediaKind, Orientation
from stockhouse.errors import InvalidParameter

if TYPE_CHECKING:
    from stockhouse.search.hydrate import StoredSummary

MAX_LIMIT = 1000
MAX_OFFSET = 100_000
MAX_QUERY_LENGTH = 1000
DEFAULT_LIMIT = 50
MAX_SORT_KEYS = 4
MAX_COLOR = 17  # seed 001's colour table: 1-17 (0 = any)

# Size classes (dp_search_imagesize) as the minimum long edge of the original, in px:
# the s, m and l sizes Stockhouse sells scale to a long edge of 500, 1000 and 2000 px;
# xl is a large original (3000 px and more).
SIZE_CLASS_MIN_LONG_EDGE: dict[str, int] = {"s": 500, "m": 1000, "l": 2000, "xl": 3000}

# dp_search_dimension_units: inch and cm are converted to pixels at 300 DPI.
PRINT_DPI = 300
CM_PER_INCH = 2.54
DIMENSION_UNITS = ("px", "inch", "cm")


class SortField(enum.StrEnum):
    RELEVANCE = "relevance"
    BEST_SALES = "best_sales"  # downloads
    NEWEST = "newest"  # published_at
    UNDISCOVERED = "undiscovered"  # fewest views among recent items
    VIEWS = "views"
    PRICE = "price"
    DURATION = "duration"
    NAME = "name"  # title
    USERNAME = "username"  # owner's username
    CREATED = "created"
    MODIFIED = "modified"
    STATUS = "status"
    EXTENSION = "extension"
    ID = "id"


# Names accepted by `parse_sort` besides the canonical ones (images_v2 and photo.list names).
SORT_ALIASES: dict[str, SortField] = {
    "best_match": SortField.RELEVANCE,
    "downloads": SortField.BEST_SALES,
    "sales": SortField.BEST_SALES,
    "published": SortField.NEWEST,
    "publish-date": SortField.NEWEST,
    "title": SortField.NAME,
    "createdby": SortField.USERNAME,
    "createddate": SortField.CREATED,
    "modifieddate": SortField.MODIFIED,
}


# The direction each sort has when not reversed (e.g. best sales: most downloads first).
NATURAL_DESCENDING = frozenset(
    {
        SortField.RELEVANCE,
        SortField.BEST_SALES,
        SortField.NEWEST,
        SortField.VIEWS,
        SortField.CREATED,
        SortField.MODIFIED,
    }
)


@dataclass(frozen=True)
class SortKey:
    field: SortField
    reverse: bool = False

    @property
    def descending(self) -> bool:
        return (self.field in NATURAL_DESCENDING) != self.reverse


def parse_sort(text: str, name: str = "sort") -> tuple[SortKey, ...]:
    """Sort keys from a comma list like `-best_sales,newest` ("-" reverses a key's natural
    direction, "+" is allowed and changes nothing); InvalidParameter(name) when unknown."""
    keys: list[SortKey] = []
    for raw in text.split(","):
        part = raw.strip().lower()
        if not part:
            continue
        reverse = part.startswith("-")
        token = part.lstrip("+-").strip()
        field = SORT_ALIASES.get(token) or next((f for f in SortField if f.value == token), None)
        if field is None:
            raise InvalidParameter(name, f"unknown sort key {token[:40]!r}")
        keys.append(SortKey(field, reverse))
    if not keys:
        raise InvalidParameter(name, "give at least one sort key")
    if len(keys) > MAX_SORT_KEYS:
        raise InvalidParameter(name, f"at most {MAX_SORT_KEYS} sort keys")
    return tuple(keys)


def dimension_to_px(value: float, unit: str, name: str = "dimension") -> int:
    """A length in px, inch or cm (at PRINT_DPI) as whole pixels (rounded up)."""
    if unit not in DIMENSION_UNITS:
        raise InvalidParameter(name, f"units must be one of {', '.join(DIMENSION_UNITS)}")
    if not 0 <= value <= 1_000_000:
        raise InvalidParameter(name, f"{name} must be between 0 and 1000000")
    inches = value / CM_PER_INCH if unit == "cm" else value
    pixels = value if unit == "px" else inches * PRINT_DPI
    return math.ceil(pixels)


@dataclass(frozen=True)
class SearchQuery:
    """Everything a caller can ask of the catalog. Empty collections and None mean "any".

    `text` follows docs/search.md (words, "phrases", -exclusions, an item id, field:value
    terms); the service moves field terms into the filters before a backend sees them.
    `lang` is the language the text is in: it matches that language's titles, descriptions
    and tags, and English ones too. Width, height and size bounds are inclusive, in px;
    published_from/to are inclusive. A boolean filter keeps only the items with the flag
    (True) or only those without it (False), except nudity (False hides nudity).
    """

    text: str = ""
    lang: str = "en"
    kinds: frozenset[MediaKind] = frozenset()
    editorial: bool | None = None
    nudity: bool | None = None  # False hides items with nudity; True and None show all
    orientations: frozenset[Orientation] = frozenset()
    colors: frozenset[int] = frozenset()  # 1-17 of seed 001's table
    size_class: str | None = None  # s, m, l, xl: minimum size of the original
    min_width: int | None = None
    max_width: int | None = None
    min_height: int | None = None
    max_height: int | None = None
    min_duration_ms: int | None = None
    max_duration_ms: int | None = None
    people_gender: str | None = None
    people_age: str | None = None
    people_race: str | None = None
    people_quantity_min: int | None = None
    people_quantity_max: int | None = None
    people_only: bool | None = None
    author_ids: frozenset[int] = frozenset()
    author_usernames: frozenset[str] = frozenset()
    category_ids: frozenset[int] = frozenset()
    extensions: frozenset[str] = frozenset()
    statuses: frozenset[ItemStatus] = frozenset({ItemStatus.ACTIVE})
    visible: bool | None = True
    published_from: datetime | None = None
    published_to: datetime | None = None
    ai_generated: bool | None = None
    exclusive: bool | None = None
    free: bool | None = None
    item_ids: frozenset[int] = frozenset()  # restrict to these (permission collections)
    exclude_item_ids: frozenset[int] = frozenset()
    exclude_keywords: tuple[str, ...] = ()
    series_id: int | None = None
    video_standards: frozenset[int] = frozenset()  # Pond5 "vs" codes (bm bits hd, pal...)
    has_model_release: bool | None = None  # Pond5 bm bit 256
    # Pond5 bm video bits: videos must have one of these "vs" codes (a video without one
    # counts as 0, Multimedia / Unknown); items of other kinds pass unrestricted.
    footage_standards: frozenset[int] = frozenset()
    sort: tuple[SortKey, ...] = (SortKey(SortField.RELEVANCE),)
    offset: int = 0
    limit: int = DEFAULT_LIMIT
    facets: bool = False
    # False leaves the category counts out of the facets (Facets.category stays empty):
    # an item has several categories, so they cost the most to count, and not every
    # caller shows them (the web search page does not).
    facet_categories: bool = True
    # False lets a backend answer an estimate above its exact-count threshold (PostgreSQL:
    # the planner's estimate above 10 000 matches) where the caller does not need exactness.
    exact_count: bool = True


@dataclass(frozen=True)
class Facets:
    """Counts of matching items per value, over the whole match (not just the page)."""

    kind: dict[str, int] = field(default_factory=dict)
    orientation: dict[str, int] = field(default_factory=dict)
    color: dict[int, int] = field(default_factory=dict)
    category: dict[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class SearchResult:
    """Item ids of one page in order, the exact total, and facets when asked for.

    A backend that stores item summaries (Tantivy) gives them too, one per id, so that
    the page needs no hydration query.
    """

    item_ids: list[int]
    total: int
    facets: Facets | None = None
    summaries: list[StoredSummary] | None = None


@dataclass(frozen=True)
class Suggestion:
    """A tag that completes a typed prefix, and how many searchable items carry it."""

    tag: str
    count: int


class SearchBackend(Protocol):
    """What the Tantivy and PostgreSQL backends both provide."""

    def search(self, query: SearchQuery) -> SearchResult: ...

    def index_items(self, item_ids: list[int]) -> None:
        """(Re)index these items from the database; items no longer searchable are removed."""

    def remove_items(self, item_ids: list[int]) -> None: ...

    def rebuild(self) -> int:
        """Rebuild the whole index from the database; returns the number of items indexed."""
