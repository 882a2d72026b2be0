"""PostgreSQL full-text search (`STOCKHOUSE_SEARCH=postgres`): tsvector documents, GIN.

For deployments where many machines share one PostgreSQL and keep no local index. It
answers like the Tantivy backend (query.py's ordering rules, text.py's syntax): each
item has a row in `search_document` (migration 0003) with its filter and sort columns
and its English text as one tsvector (title weight A, tags B, description C), analysed
like Tantivy analyses it (Snowball stemmer, no stop words, accents folded); the
commonest filters sit inside the same GIN index (btree_gin), so that "word + kind +
colour" is one index intersection. Other languages live in `search_text`, one row per
item and language group; a query in such a language matches it and English, word by word.

What keeps it fast at a million items (design/performance.md, bench/search.py):
- A query whose total must be exact, or that matches up to EXACT_COUNT_LIMIT items (by
  the planner's estimate, under a millisecond), visits every match once through the GIN
  index: page and exact total (`count(*) OVER ()`) come from that one pass.
- Above it, a query that allows an inexact total (`SearchQuery.exact_count=False`) gets
  the planner's estimate (within a few per cent for common words) and walks the index of
  its first sort key instead (best sales, newest, views), reading rows in order until
  the page is full; relevance ranks the RERANK_WINDOW best-selling matches by ts_rank and
  continues in best-selling order after them. Its facets are counted on a repeatable
  block sample of the table and scaled to the estimated total.
- Browsing by colour, orientation and kind alone walks the sort key's index when that
  fills the page within WALK_ROW_BUDGET rows, and counts from the (color, orientation,
  kind) index without touching the table.
- Rows are written in best-selling order and vacuumed after a rebuild, so that walks
  read the heap in order and no reader has to set hint bits.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ColumnElement,
    Connection,
    DateTime,
    FromClause,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    case,
    cast,
    column,
    func,
    literal,
    or_,
    select,
    table,
    tablesample,
    text,
    true,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY, REAL, REGCONFIG, TSQUERY, TSVECTOR
from sqlalchemy.orm import Session

from stockhouse.catalog.models import ItemStatus, MediaKind, ReleaseType
from stockhouse.catalog.translations import DEFAULT_LANGUAGE
from stockhouse.commerce.prices import from_prices
from stockhouse.errors import InvalidParameter
from stockhouse.runtime import Runtime
from stockhouse.search.documents import (
    LANGUAGE_ALIASES,
    OTHER_GROUP,
    SORT_TEXT_LENGTH,
    STEMMERS,
    canonical_language,
    language_group,
)
from stockhouse.search.query import (
    MAX_LIMIT,
    MAX_OFFSET,
    SIZE_CLASS_MIN_LONG_EDGE,
    Facets,
    SearchQuery,
    SearchResult,
    SortField,
    SortKey,
)
from stockhouse.search.text import ParsedText, clean_text, parse_text

# Above this many estimated matches, a query that allows it (exact_count=False) gets the
# planner's estimate as its total and sampled facets, and walks an index for its page.
EXACT_COUNT_LIMIT = 10_000
RERANK_WINDOW = 200  # relevance over many matches: the best sellers that ts_rank orders
WALK_ROW_BUDGET = 30_000  # rows an index walk may read to fill a page (~1 us each)
FACET_SAMPLE_ROWS = 20_000  # rows of the table a facet sample reads
STATEMENT_TIMEOUT_MS = 10_000  # a hostile query is cut off rather than tying up the server
INDEX_BATCH = 5_000  # items (re)indexed per statement
REBUILD_LOCK_KEY = 0x5EA2C4  # advisory lock: one rebuild at a time
ITEM_ID_BOOST = 1000.0  # an item id typed as the query puts that item first
# ts_rank's weights for D, C (description), B (tags), A (title): Tantivy's boosts 1:2:3.
RANK_WEIGHTS = "{0.0, 0.333, 0.667, 1.0}"
ENGLISH_GROUP = STEMMERS[DEFAULT_LANGUAGE]
SIMPLE_CONFIG = "sh_simple"  # unstemmed languages (migration 0003)
OTHER_KEY_PREFIX = f"{OTHER_GROUP}:"

DOCUMENT = table(
    "search_document",
    column("item_id", Integer),
    column("searchable", Boolean),
    column("status", String),
    column("visible", Boolean),
    column("kind", String),
    column("owner_id", Integer),
    column("owner_username", String),
    column("title", String),
    column("extension", String),
    column("editorial", Boolean),
    column("nudity", Boolean),
    column("exclusive", Boolean),
    column("free", Boolean),
    column("ai_generated", Boolean),
    column("people_only", Boolean),
    column("orientation", String),
    column("color", Integer),
    column("width", Integer),
    column("height", Integer),
    column("duration_ms", Integer),
    column("people_gender", String),
    column("people_age", String),
    column("people_race", String),
    column("people_quantity", Integer),
    column("series_id", Integer),
    column("video_standard", Integer),
    column("model_release", Boolean),
    column("category_ids", ARRAY(Integer)),
    column("views", Integer),
    column("downloads", Integer),
    column("published_at", DateTime(timezone=True)),
    column("published_s", BigInteger),
    column("created_s", BigInteger),
    column("updated_s", BigInteger),
    column("tsv", TSVECTOR),
    column("price", BigInteger),  # migration 0007: the "from" price, minor units
)
TEXT = table(
    "search_text",
    column("item_id", Integer),
    column("language_key", String),
    column("tsv", TSVECTOR),
)


# -- languages ---------------------------------------------------------------------------


def language_key(lang: str) -> str:
    """Where a language's text is kept: its stemmer's group, or `other:<code>` unstemmed."""
    group = language_group(lang)
    return OTHER_KEY_PREFIX + canonical_language(lang) if group == OTHER_GROUP else group


def text_config(key: str) -> str:
    """The text search configuration (migration 0003) of a language key."""
    return SIMPLE_CONFIG if key.startswith(OTHER_KEY_PREFIX) else f"sh_{key}"


def _language_key_sql(lang_column: str) -> str:
    """SQL computing `language_key` from a catalog `lang` column (mirrors the Python)."""
    normalised = f"lower(replace({lang_column}, '_', '-'))"
    aliases = " ".join(f"WHEN '{a}' THEN '{c}'" for a, c in sorted(LANGUAGE_ALIASES.items()))
    canonical = f"(CASE {normalised} {aliases} ELSE {normalised} END)"
    groups = " ".join(f"WHEN '{code}' THEN '{group}'" for code, group in sorted(STEMMERS.items()))
    base = f"split_part({canonical}, '-', 1)"
    return f"(CASE {base} {groups} ELSE '{OTHER_KEY_PREFIX}' || {canonical} END)"


# -- the query text ----------------------------------------------------------------------


@dataclass(frozen=True)
class TextPlan:
    """What the query text asks for: required terms and exclusions, in which language."""

    parsed: ParsedText
    key: str  # language key of the query's language
    terms: tuple[str, ...]  # required words and phrases
    excluded: tuple[str, ...]

    @property
    def english(self) -> bool:
        return self.key == ENGLISH_GROUP


def _term_tsquery(term: str, configs: Sequence[str]) -> ColumnElement[Any]:
    """A word or phrase in any of `configs`; several tokens must follow each other.

    phraseto_tsquery takes every character as text, so no query syntax can be injected.
    """
    alternatives = [func.phraseto_tsquery(cast(literal(c), REGCONFIG), term) for c in configs]
    combined = alternatives[0]
    for alternative in alternatives[1:]:
        combined = func.tsquery_or(combined, alternative)
    return combined


def _and_all(parts: Sequence[ColumnElement[Any]]) -> ColumnElement[Any]:
    combined = parts[0]
    for part in parts[1:]:
        combined = func.tsquery_and(combined, part)
    return combined


def _clean(value: str) -> str:
    """PostgreSQL text cannot hold NUL characters; Tantivy would simply not match them."""
    return value.replace("\x00", " ")


def text_plan(query: SearchQuery) -> TextPlan | None:
    parsed = parse_text(query.text)
    keywords = (clean_text(k).strip() for k in query.exclude_keywords)
    excluded = (*parsed.excluded, *(k for k in keywords if k))
    if not parsed.required and not excluded and parsed.item_id is None:
        return None
    return TextPlan(parsed, language_key(query.lang), parsed.required, tuple(excluded))


@dataclass(frozen=True)
class Tsqueries:
    """The tsquery texts of a search: the whole text, and its first term per language."""

    full: str  # "" when no term has a token: then the text constrains nothing
    first_english: str = ""
    first_other: str = ""


def _tsquery_columns(plan: TextPlan) -> list[ColumnElement[Any]]:
    configs = [text_config(ENGLISH_GROUP)]
    if not plan.english:
        configs.append(text_config(plan.key))
    parts = [_term_tsquery(term, configs) for term in plan.terms]
    parts += [func.tsquery_not(_term_tsquery(term, configs)) for term in plan.excluded]
    columns: list[ColumnElement[Any]] = [cast(_and_all(parts), String) if parts else literal("")]
    if not plan.english and plan.terms:
        columns += [cast(_term_tsquery(plan.terms[0], configs[i : i + 1]), String) for i in (0, 1)]
    return columns


# -- the SQL of one search ---------------------------------------------------------------


@dataclass(frozen=True)
class Match:
    """The FROM and WHERE of one search over a document table (or a sample of it)."""

    doc: FromClause
    source: FromClause  # doc, or doc joined with its other-language text
    conditions: list[ColumnElement[bool]]
    rank: ColumnElement[Any] | None  # the text score; None without text
    searchable_only: bool  # the partial indexes' predicate is among the conditions

    @property
    def where(self) -> ColumnElement[bool]:
        return and_(true(), *self.conditions)

    def select_ids(self) -> Select[Any]:
        return select(self.doc.c.item_id).select_from(self.source).where(self.where)


def _any_of(col: ColumnElement[Any], values: Iterable[Any]) -> list[ColumnElement[bool]]:
    items = sorted(set(values))
    if not items:
        return []
    return [col == items[0]] if len(items) == 1 else [col.in_(items)]


def _between(col: ColumnElement[Any], low: Any, high: Any) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if low is not None:
        conditions.append(col >= low)
    if high is not None:
        conditions.append(col <= high)
    return conditions


def _status_conditions(doc: FromClause, query: SearchQuery) -> list[ColumnElement[bool]]:
    if query.statuses == {ItemStatus.ACTIVE} and query.visible is True:
        # Exactly the partial indexes' predicate (`searchable IS true` would not match it).
        return [doc.c.searchable]
    conditions = _any_of(doc.c.status, [s.value for s in query.statuses])
    if query.visible is not None:
        conditions.append(doc.c.visible.is_(query.visible))
    return conditions


FLAGS = ("editorial", "ai_generated", "exclusive", "free", "people_only")
PEOPLE = ("people_gender", "people_age", "people_race")


def _attribute_conditions(doc: FromClause, query: SearchQuery) -> list[ColumnElement[bool]]:
    c = doc.c
    conditions = _any_of(c.kind, [k.value for k in query.kinds])
    conditions += _any_of(c.orientation, [o.value for o in query.orientations])
    conditions += _any_of(c.color, query.colors)
    conditions += _any_of(c.video_standard, query.video_standards)
    if query.footage_standards:
        standard = func.coalesce(c.video_standard, 0)
        chosen = sorted(query.footage_standards)
        conditions.append(or_(c.kind != MediaKind.VIDEO.value, standard.in_(chosen)))
    for name in FLAGS:
        if getattr(query, name) is not None:
            conditions.append(c[name].is_(getattr(query, name)))
    if query.has_model_release is not None:
        conditions.append(c.model_release.is_(query.has_model_release))
    if query.nudity is False:  # True and None show every item
        conditions.append(c.nudity.is_(False))
    conditions += [
        c[name] == _clean(getattr(query, name).lower()) for name in PEOPLE if getattr(query, name)
    ]
    if query.size_class is not None:
        edge = SIZE_CLASS_MIN_LONG_EDGE.get(query.size_class)
        if edge is None:
            raise InvalidParameter("size_class", "size_class is one of s, m, l, xl")
        conditions.append(func.greatest(c.width, c.height) >= edge)
    conditions += _between(c.width, query.min_width, query.max_width)
    conditions += _between(c.height, query.min_height, query.max_height)
    conditions += _between(c.duration_ms, query.min_duration_ms, query.max_duration_ms)
    conditions += _between(c.published_at, query.published_from, query.published_to)
    conditions += _between(c.people_quantity, query.people_quantity_min, query.people_quantity_max)
    return conditions


def _ownership_conditions(doc: FromClause, query: SearchQuery) -> list[ColumnElement[bool]]:
    c = doc.c
    conditions = _any_of(c.owner_id, query.author_ids)
    conditions += _any_of(c.owner_username, {_clean(u) for u in query.author_usernames})
    if query.category_ids:
        wanted = cast(bindparam("category_ids", sorted(query.category_ids)), ARRAY(Integer))
        conditions.append(c.category_ids.op("&&")(wanted))
    conditions += _any_of(c.extension, {_clean(e.lower().lstrip(".")) for e in query.extensions})
    conditions += _any_of(c.item_id, query.item_ids)
    if query.exclude_item_ids:
        conditions.append(c.item_id.not_in(sorted(query.exclude_item_ids)))
    if query.series_id is not None:
        conditions.append(c.series_id == query.series_id)
    return conditions


def match_of(
    query: SearchQuery,
    plan: TextPlan | None,
    tsqueries: Tsqueries | None,
    doc: FromClause = DOCUMENT,
) -> Match:
    """The conditions of `query` over `doc`, with its text as computed tsquery texts."""
    conditions = _status_conditions(doc, query)
    searchable_only = len(conditions) == 1 and query.visible is True
    conditions += _attribute_conditions(doc, query)
    conditions += _ownership_conditions(doc, query)
    if plan is None or tsqueries is None:
        return Match(doc, doc, conditions, None, searchable_only)
    source, tsv = _text_source(doc, plan)
    tsquery = cast(bindparam("tsq", tsqueries.full), TSQUERY)
    text_conditions: list[ColumnElement[bool]] = []
    rank: ColumnElement[Any] | None = None
    if tsqueries.full:
        text_conditions.append(tsv.op("@@")(tsquery))
        if not plan.english and (tsqueries.first_english or tsqueries.first_other):
            text_conditions.append(_prefilter(doc, plan, tsqueries))
        weights = cast(literal(RANK_WEIGHTS), ARRAY(REAL))
        rank = func.ts_rank(weights, tsv, tsquery)
    item_id = plan.parsed.item_id
    if item_id is not None:
        by_text = and_(true(), *text_conditions) if text_conditions else None
        text_conditions = [or_(doc.c.item_id == item_id, by_text)] if by_text is not None else []
        boost = case((doc.c.item_id == item_id, ITEM_ID_BOOST), else_=0.0)
        rank = boost + rank if rank is not None else boost
    if not plan.parsed.has_text:
        rank = None  # only exclusions: nothing to score
    return Match(doc, source, conditions + text_conditions, rank, searchable_only)


def _text_source(doc: FromClause, plan: TextPlan) -> tuple[FromClause, ColumnElement[Any]]:
    """The documents joined with their text in the query's language, and the tsvector
    holding both that text and the English one."""
    if plan.english:
        return doc, doc.c.tsv
    other = TEXT.alias("t")
    source = doc.outerjoin(
        other, and_(other.c.item_id == doc.c.item_id, other.c.language_key == plan.key)
    )
    empty = cast(literal(""), TSVECTOR)
    return source, doc.c.tsv.op("||")(func.coalesce(other.c.tsv, empty))


def _prefilter(doc: FromClause, plan: TextPlan, tsqueries: Tsqueries) -> ColumnElement[bool]:
    """Items whose English or other-language text holds the first term: each side through
    its own GIN index, so that the combined tsvector is only checked on those."""
    sides: list[Select[Any]] = []
    if tsqueries.first_english:
        first = cast(literal(tsqueries.first_english), TSQUERY)
        sides.append(select(DOCUMENT.c.item_id).where(DOCUMENT.c.tsv.op("@@")(first)))
    if tsqueries.first_other:
        first = cast(literal(tsqueries.first_other), TSQUERY)
        sides.append(
            select(TEXT.c.item_id).where(
                TEXT.c.language_key == plan.key, TEXT.c.tsv.op("@@")(first)
            )
        )
    return doc.c.item_id.in_(union_all(*sides))


# -- sorting -----------------------------------------------------------------------------


def _collated(expression: ColumnElement[Any]) -> ColumnElement[Any]:
    return expression.collate("C")  # code point order, like Tantivy's byte order


def _sort_expression(doc: FromClause, key: SortField) -> ColumnElement[Any] | None:
    """The value a sort key orders by (query.py's rules)."""
    c = doc.c
    columns: dict[SortField, ColumnElement[Any] | None] = {
        SortField.BEST_SALES: c.downloads,
        SortField.NEWEST: c.published_s,
        SortField.UNDISCOVERED: c.views,
        SortField.VIEWS: c.views,
        SortField.PRICE: c.price,
        SortField.DURATION: func.coalesce(c.duration_ms, 0),
        SortField.NAME: _collated(func.substr(func.lower(c.title), 1, SORT_TEXT_LENGTH)),
        SortField.USERNAME: _collated(
            func.substr(func.lower(c.owner_username), 1, SORT_TEXT_LENGTH)
        ),
        SortField.CREATED: c.created_s,
        SortField.MODIFIED: c.updated_s,
        SortField.STATUS: _collated(c.status),
        SortField.EXTENSION: _collated(func.lower(c.extension)),
        SortField.ID: c.item_id,
    }
    return columns[key]


# Sorts whose first key an index of migration 0003 walks in order (descending).
WALKABLE = frozenset({SortField.RELEVANCE, SortField.BEST_SALES, SortField.NEWEST, SortField.VIEWS})


def _ordered(expression: ColumnElement[Any], descending: bool) -> ColumnElement[Any]:
    return expression.desc() if descending else expression.asc()


def order_by(match: Match, sort: Sequence[SortKey]) -> list[ColumnElement[Any]]:
    """ORDER BY terms: relevance is the score then best sales (best sales alone without
    text); ties on every key by item id, highest first unless the first key is reversed."""
    keys = list(sort) or [SortKey(SortField.RELEVANCE)]
    terms: list[ColumnElement[Any]] = []
    for key in keys:
        if key.field is SortField.RELEVANCE:
            if match.rank is not None:
                terms.append(_ordered(match.rank, key.descending))
            terms.append(_ordered(match.doc.c.downloads, key.descending))
            continue
        expression = _sort_expression(match.doc, key.field)
        if expression is not None:
            terms.append(_ordered(expression, key.descending))
    terms.append(_ordered(match.doc.c.item_id, not keys[0].reverse))
    return terms


# -- the backend -------------------------------------------------------------------------


class PostgresSearchBackend:
    """The SearchBackend of STOCKHOUSE_SEARCH=postgres: search_document rows and GIN."""

    def __init__(self, runtime: Runtime) -> None:
        if runtime.db.dialect != "postgresql":
            raise ValueError("the PostgreSQL search backend needs a PostgreSQL database")
        self._engine = runtime.db.engine

    def search(self, query: SearchQuery) -> SearchResult:
        _check_paging(query)
        plan = text_plan(query)
        with self._engine.connect() as conn:
            tsqueries = _prepare(conn, plan)
            match = match_of(query, plan, tsqueries)
            browsing = plan is None and _browsing(query)
            needs_estimate = browsing or not query.exact_count
            estimate = _estimate(conn, match) if needs_estimate else None
            if _walks(query, match, estimate):
                item_ids = _walked_page(conn, query, match)
                total = _walked_total(query, item_ids, estimate or 0)
            elif browsing and _walk_is_short(conn, query, estimate or 0):
                total = _count(conn, match)  # an index-only scan of ix_search_document_browse
                item_ids = _walked_page(conn, query, match)
            else:
                item_ids, total = _exact_page(conn, query, match)
            facets = None
            if query.facets:
                sample = estimate is not None and estimate > EXACT_COUNT_LIMIT
                facets = _facets(conn, query, plan, tsqueries, total if sample else None)
        return SearchResult(item_ids=item_ids, total=total, facets=facets)

    def index_items(self, item_ids: list[int]) -> None:
        """Write the current state of these items (deleted items drop out)."""
        ids = sorted(set(item_ids))
        for start in range(0, len(ids), INDEX_BATCH):
            with self._engine.begin() as conn:
                _write_documents(conn, ids[start : start + INDEX_BATCH])

    def remove_items(self, item_ids: list[int]) -> None:
        ids = sorted(set(item_ids))
        if not ids:
            return
        with self._engine.begin() as conn:
            conn.execute(TEXT.delete().where(TEXT.c.item_id.in_(ids)))
            conn.execute(DOCUMENT.delete().where(DOCUMENT.c.item_id.in_(ids)))

    def rebuild(self) -> int:
        """Build fresh tables beside the live ones, then swap them in one transaction.

        Searches keep answering from the old tables while the new ones are filled and
        indexed. Items indexed by `index_items` during a rebuild are taken as they were
        when the rebuild read them.
        """
        with self._engine.begin() as conn:
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": REBUILD_LOCK_KEY})
            conn.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))
            conn.execute(text("SET LOCAL synchronous_commit = off"))
            _load_prices(conn)
            count = _rebuild_table(
                conn, "search_document", _document_rows("TRUE"), "m.downloads DESC, m.id DESC"
            )
            _rebuild_table(conn, "search_text", _text_rows("TRUE"), "1")
        with self._engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            # Sets hint bits and the visibility map now, rather than in readers' queries.
            conn.execute(text("VACUUM (ANALYZE) search_document"))
            conn.execute(text("VACUUM (ANALYZE) search_text"))
        return count


def _check_paging(query: SearchQuery) -> None:
    if not 0 <= query.offset <= MAX_OFFSET:
        raise InvalidParameter("offset", f"offset must be between 0 and {MAX_OFFSET}")
    if not 0 <= query.limit <= MAX_LIMIT:
        raise InvalidParameter("limit", f"limit must be between 0 and {MAX_LIMIT}")


def _prepare(conn: Connection, plan: TextPlan | None) -> Tsqueries | None:
    """Set this transaction's time limit and turn the text into tsquery texts (one trip).

    The page and count queries then carry each tsquery as a constant, which the planner
    estimates from the column's statistics.
    """
    settings = [
        func.set_config("statement_timeout", str(STATEMENT_TIMEOUT_MS), True),
        # Plan every statement for its own values: a plan made for a rare word must not be
        # reused for a common one (the driver prepares statements it sees repeatedly).
        func.set_config("plan_cache_mode", "force_custom_plan", True),
    ]
    columns = _tsquery_columns(plan) if plan is not None else []
    row = conn.execute(select(*settings, *columns)).one()
    if plan is None:
        return None
    return Tsqueries(*(str(value) for value in row[len(settings) :]))


def _estimate(conn: Connection, match: Match) -> int:
    """The planner's estimate of how many rows match (no row is read)."""
    statement = select(literal(1)).select_from(match.source).where(match.where)
    compiled = statement.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    plan = conn.exec_driver_sql(
        "EXPLAIN (FORMAT JSON) " + compiled.string, compiled.params
    ).scalar_one()
    document = plan if isinstance(plan, list) else json.loads(plan)
    return int(document[0]["Plan"]["Plan Rows"])


def _walks(query: SearchQuery, match: Match, estimate: int | None) -> bool:
    """Whether to walk an ordered index (many matches, an inexact total allowed) rather
    than visit every match once (which also gives the exact total)."""
    if query.exact_count or estimate is None or estimate <= EXACT_COUNT_LIMIT:
        return False
    primary = query.sort[0] if query.sort else SortKey(SortField.RELEVANCE)
    return match.searchable_only and primary.field in WALKABLE and primary.descending


_NEUTRAL = SearchQuery()


def _browsing(query: SearchQuery) -> bool:
    """Whether the query is only colour, orientation and kind filters over the searchable
    items, whose count the (color, orientation, kind) index answers without the table."""
    neutral = dataclasses.replace(
        query,
        kinds=_NEUTRAL.kinds,
        colors=_NEUTRAL.colors,
        orientations=_NEUTRAL.orientations,
        text=_NEUTRAL.text,
        lang=_NEUTRAL.lang,
        sort=_NEUTRAL.sort,
        offset=_NEUTRAL.offset,
        limit=_NEUTRAL.limit,
        facets=_NEUTRAL.facets,
        exact_count=_NEUTRAL.exact_count,
    )
    return neutral == _NEUTRAL


def _walk_is_short(conn: Connection, query: SearchQuery, estimate: int) -> bool:
    """Whether walking the first sort key's index fills the page within WALK_ROW_BUDGET
    rows (the matches are spread evenly along it, as far as the planner knows)."""
    primary = query.sort[0] if query.sort else SortKey(SortField.RELEVANCE)
    if primary.field not in WALKABLE or not primary.descending or estimate <= 0:
        return False
    rows = conn.execute(
        text("SELECT reltuples FROM pg_class WHERE oid = 'search_document'::regclass")
    ).scalar_one()
    walked = (query.offset + query.limit) * max(float(rows), 1.0) / estimate
    return walked <= WALK_ROW_BUDGET


def _count(conn: Connection, match: Match) -> int:
    statement = select(func.count()).select_from(match.source).where(match.where)
    return int(conn.execute(statement).scalar_one())


def _exact_page(conn: Connection, query: SearchQuery, match: Match) -> tuple[list[int], int]:
    """The page and the exact total in one pass over the matches."""
    # Every match is read anyway: an ordered index walk would read the whole index.
    conn.execute(select(func.set_config("enable_indexscan", "off", True)))
    total_column = func.count().over().label("total")
    statement = (
        select(match.doc.c.item_id, total_column)
        .select_from(match.source)
        .where(match.where)
        .order_by(*order_by(match, query.sort))
        .offset(query.offset)
        .limit(query.limit)
    )
    rows = conn.execute(statement).all()
    if rows:
        return [row.item_id for row in rows], int(rows[0].total)
    return [], _count(conn, match)  # the page is past the end


def _walked_page(conn: Connection, query: SearchQuery, match: Match) -> list[int]:
    """A page read along the first sort key's index; relevance re-ranks a window."""
    _walk_indexes(conn)
    primary = query.sort[0] if query.sort else SortKey(SortField.RELEVANCE)
    if primary.field is SortField.RELEVANCE and match.rank is not None:
        return _reranked_page(conn, query, match)
    statement = (
        match.select_ids()
        .order_by(*order_by(match, query.sort))
        .offset(query.offset)
        .limit(query.limit)
    )
    return list(conn.scalars(statement))


def _walked_total(query: SearchQuery, page: list[int], estimate: int) -> int:
    """The estimate, unless the page shows where the matches end."""
    if len(page) < query.limit and (page or query.offset == 0):
        return query.offset + len(page)
    return max(estimate, query.offset + len(page))


def _walk_indexes(conn: Connection) -> None:
    """Make the planner walk an ordered index rather than gather every match and sort."""
    conn.execute(select(func.set_config("enable_bitmapscan", "off", True)))


def _best_selling(match: Match) -> list[ColumnElement[Any]]:
    return [match.doc.c.downloads.desc(), match.doc.c.item_id.desc()]


def _reranked_page(conn: Connection, query: SearchQuery, match: Match) -> list[int]:
    """Relevance over very many matches: the RERANK_WINDOW best-selling matches ordered
    by score, then every other match in best-selling order."""
    assert match.rank is not None
    start, end = query.offset, query.offset + query.limit
    item_ids: list[int] = []
    if start < RERANK_WINDOW:
        window = (
            select(match.doc.c.item_id, match.doc.c.downloads, match.rank.label("score"))
            .select_from(match.source)
            .where(match.where)
            .order_by(*_best_selling(match))
            .limit(RERANK_WINDOW)
            .subquery("window_rows")
        )
        ranked = (
            select(window.c.item_id)
            .order_by(window.c.score.desc(), window.c.downloads.desc(), window.c.item_id.desc())
            .offset(start)
            .limit(min(end, RERANK_WINDOW) - start)
        )
        item_ids = list(conn.scalars(ranked))
    if end > RERANK_WINDOW:
        tail_start = max(start, RERANK_WINDOW)
        tail = (
            match.select_ids()
            .order_by(*_best_selling(match))
            .offset(tail_start)
            .limit(end - tail_start)
        )
        item_ids += list(conn.scalars(tail))
    return item_ids


FACET_COLUMNS = ("kind", "orientation", "color")


def _facets(
    conn: Connection,
    query: SearchQuery,
    plan: TextPlan | None,
    tsqueries: Tsqueries | None,
    scale_to: int | None,
) -> Facets:
    """Counts per kind, orientation, colour and (unless the query leaves them out)
    category over the whole match.

    Exact; or, given `scale_to` (an estimated total), counted on a repeatable block sample
    of the table and scaled so that they add up to it.
    """
    sample = scale_to is not None
    doc: FromClause = DOCUMENT
    if sample:
        doc = tablesample(DOCUMENT, func.system(_sample_percent(conn)), name="d", seed=literal(0))
    match = match_of(query, plan, tsqueries, doc)
    c = match.doc.c
    matches = (
        select(c.kind, c.orientation, c.color, c.category_ids)
        .select_from(match.source)
        .where(match.where)
        .cte("matches")
        .prefix_with("MATERIALIZED")
    )
    per_value = [
        select(literal(name), cast(matches.c[name], String), func.count())
        .where(matches.c[name].is_not(None))
        .group_by(matches.c[name])
        for name in FACET_COLUMNS
    ]
    if query.facet_categories:
        categories = select(func.unnest(matches.c.category_ids).label("value")).subquery()
        per_value.append(
            select(literal("category"), cast(categories.c.value, String), func.count()).group_by(
                categories.c.value
            )
        )
    rows = conn.execute(union_all(*per_value)).all()
    return _facets_from_rows(rows, scale_to)


def _sample_percent(conn: Connection) -> float:
    rows = conn.execute(
        text("SELECT reltuples FROM pg_class WHERE oid = 'search_document'::regclass")
    ).scalar_one()
    return min(100.0, 100.0 * FACET_SAMPLE_ROWS / max(float(rows), 1.0))


def _facets_from_rows(rows: Sequence[Any], scale_to: int | None) -> Facets:
    counts: dict[str, dict[str, int]] = {"kind": {}, "orientation": {}, "color": {}, "category": {}}
    for facet, value, number in rows:
        counts[facet][value] = int(number)
    if scale_to is not None:
        sampled = sum(counts["kind"].values())
        factor = scale_to / sampled if sampled else 0.0
        counts = {
            facet: {value: max(1, round(n * factor)) for value, n in values.items()}
            for facet, values in counts.items()
        }
    return Facets(
        kind=counts["kind"],
        orientation=counts["orientation"],
        color={int(value): n for value, n in counts["color"].items()},
        category={int(value): n for value, n in counts["category"].items()},
    )


# -- documents ---------------------------------------------------------------------------
# Assembled only from this module's constants and the catalog's language tables; every
# value travels as a bound parameter.

DOCUMENT_COLUMNS = ", ".join(col.name for col in DOCUMENT.columns)
_TAG_SEPARATOR = " , "
PRICES = "search_price_input"  # a temporary table: item id -> "from" price
_INSERT_PRICES = (
    f"INSERT INTO {PRICES} SELECT * FROM unnest(CAST(:ids AS integer[]), CAST(:prices AS bigint[]))"  # noqa: S608
)
_EPOCH_S = "COALESCE(floor(extract(epoch FROM {0}))::bigint, 0)"


def _document_rows(where: str) -> str:
    """Every item's columns, and its English title, description and tags as one weighted
    tsvector (the item's own texts and any English-group translations and tags); its price
    comes from the PRICES table `_load_prices` filled in the same transaction."""
    config = f"'{text_config(ENGLISH_GROUP)}'::regconfig"
    english_tag = f"{_language_key_sql('g.lang')} = '{ENGLISH_GROUP}'"
    english_translation = f"{_language_key_sql('tr.lang')} = '{ENGLISH_GROUP}'"
    return f"""
SELECT m.id, (m.status = '{ItemStatus.ACTIVE.value}' AND m.visible), m.status, m.visible,
    m.kind, m.owner_id, u.username, m.title, lower(m.extension), m.editorial, m.nudity,
    m.exclusive, m.free, m.ai_generated, m.people_only, m.orientation, m.color, m.width,
    m.height, m.duration_ms, lower(m.people_gender), lower(m.people_age),
    lower(m.people_race), m.people_quantity, m.series_id, m.video_standard,
    EXISTS (SELECT 1 FROM item_release ir JOIN release r ON r.id = ir.release_id
            WHERE ir.item_id = m.id AND r.type = {int(ReleaseType.MODEL)}),
    COALESCE((SELECT array_agg(c.category_id ORDER BY c.category_id)
              FROM item_category c WHERE c.item_id = m.id), '{{}}'::integer[]),
    m.views, m.downloads, m.published_at, {_EPOCH_S.format("m.published_at")},
    {_EPOCH_S.format("m.created_at")}, {_EPOCH_S.format("m.updated_at")},
    setweight(to_tsvector({config}, m.title || ' ' || COALESCE(
        (SELECT string_agg(tr.title, ' ') FROM item_translation tr
         WHERE tr.item_id = m.id AND {english_translation}), '')), 'A')
    || setweight(to_tsvector({config}, COALESCE(
        (SELECT string_agg(g.tag, '{_TAG_SEPARATOR}' ORDER BY g.position, g.tag)
         FROM item_tag g WHERE g.item_id = m.id AND {english_tag}), '')), 'B')
    || setweight(to_tsvector({config}, m.description || ' ' || COALESCE(
        (SELECT string_agg(tr.description, ' ') FROM item_translation tr
         WHERE tr.item_id = m.id AND {english_translation}), '')), 'C'),
    COALESCE(p.price, 0)
FROM media_item m JOIN user_account u ON u.id = m.owner_id
LEFT JOIN {PRICES} p ON p.item_id = m.id
WHERE {where}
"""  # noqa: S608


def _text_rows(where: str) -> str:
    """One row per item and non-English language key: its titles, tags, descriptions."""
    tag_key = _language_key_sql("g.lang")
    translation_key = _language_key_sql("tr.lang")
    config = (
        f"(CASE WHEN x.language_key LIKE '{OTHER_KEY_PREFIX}%' THEN '{SIMPLE_CONFIG}' "
        f"ELSE 'sh_' || x.language_key END)::regconfig"
    )
    return f"""
SELECT x.item_id, x.language_key,
    setweight(to_tsvector({config}, COALESCE(string_agg(x.title, ' '), '')), 'A')
    || setweight(to_tsvector({config}, COALESCE(
        string_agg(x.tag, '{_TAG_SEPARATOR}' ORDER BY x.position, x.tag), '')), 'B')
    || setweight(to_tsvector({config}, COALESCE(string_agg(x.description, ' '), '')), 'C')
FROM (
    SELECT tr.item_id, {translation_key} AS language_key, tr.title, tr.description,
        NULL AS tag, 0 AS position
    FROM item_translation tr
    UNION ALL
    SELECT g.item_id, {tag_key}, NULL, NULL, g.tag, g.position FROM item_tag g
) x
WHERE x.language_key <> '{ENGLISH_GROUP}' AND ({where})
GROUP BY x.item_id, x.language_key
"""  # noqa: S608


def _load_prices(conn: Connection, item_ids: Sequence[int] | None = None) -> None:
    """Fill PRICES (dropped at commit) with the "from" prices of `item_ids` (None: of every
    item), computed by commerce in batches of INDEX_BATCH."""
    conn.execute(
        text(
            f"CREATE TEMP TABLE IF NOT EXISTS {PRICES} "
            "(item_id integer PRIMARY KEY, price bigint NOT NULL) ON COMMIT DROP"
        )
    )
    with Session(bind=conn) as session:
        for ids in _id_batches(conn, item_ids):
            found = from_prices(session, ids)
            if found:
                conn.execute(
                    text(_INSERT_PRICES), {"ids": list(found), "prices": list(found.values())}
                )


def _id_batches(conn: Connection, item_ids: Sequence[int] | None) -> Iterable[list[int]]:
    if item_ids is not None:
        for start in range(0, len(item_ids), INDEX_BATCH):
            yield list(item_ids[start : start + INDEX_BATCH])
        return
    last = 0
    while True:
        ids = list(
            conn.scalars(
                text("SELECT id FROM media_item WHERE id > :last ORDER BY id LIMIT :n"),
                {"last": last, "n": INDEX_BATCH},
            )
        )
        if not ids:
            return
        yield ids
        last = ids[-1]


def _write_documents(conn: Connection, item_ids: list[int]) -> None:
    """Upsert the documents of `item_ids`; drop those of items that no longer exist."""
    params = {"ids": item_ids}
    _load_prices(conn, item_ids)
    updates = ", ".join(f"{col.name} = EXCLUDED.{col.name}" for col in DOCUMENT.columns)
    conn.execute(
        text(
            f"INSERT INTO search_document ({DOCUMENT_COLUMNS}) "
            f"{_document_rows('m.id = ANY(:ids)')} ON CONFLICT (item_id) DO UPDATE SET {updates}"
        ),
        params,
    )
    media = table("media_item", column("id", Integer))
    exists = select(media.c.id).where(media.c.id == DOCUMENT.c.item_id).exists()
    conn.execute(DOCUMENT.delete().where(DOCUMENT.c.item_id.in_(item_ids), ~exists))
    conn.execute(TEXT.delete().where(TEXT.c.item_id.in_(item_ids)))
    conn.execute(
        text(
            f"INSERT INTO search_text (item_id, language_key, tsv) "
            f"{_text_rows('x.item_id = ANY(:ids)')}"
        ),
        params,
    )


_INDEX_DEFINITION = re.compile(r"^CREATE (UNIQUE )?INDEX (\S+) ON (\S+) ", re.IGNORECASE)


def _rebuild_table(conn: Connection, table_name: str, rows: str, order: str) -> int:
    """Fill `<table>_build` like `table` (same columns, indexes and keys), then swap it in.

    The layout comes from the live table (migration 0003 owns it); indexes are built
    after the rows are in, which is several times faster than maintaining them row by row.
    """
    build = f"{table_name}_build"
    indexes = conn.execute(
        text("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = :t"),
        {"t": table_name},
    ).all()
    constraints = conn.execute(
        text(
            "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = CAST(:t AS regclass)"
        ),
        {"t": table_name},
    ).all()
    conn.execute(text(f"DROP TABLE IF EXISTS {build}"))
    conn.execute(text(f"CREATE TABLE {build} (LIKE {table_name} INCLUDING DEFAULTS)"))
    count = conn.execute(text(f"INSERT INTO {build} {rows} ORDER BY {order}")).rowcount
    primary = {name for name, kind, _ in constraints if kind == "p"}
    for name, definition in indexes:
        found = _INDEX_DEFINITION.match(definition)
        if found is None:
            raise RuntimeError(f"unexpected index definition: {definition}")
        unique = found.group(1) or ""
        rest = definition[found.end() :]
        conn.execute(text(f"CREATE {unique}INDEX {name}_build ON {build} {rest}"))
    conn.execute(text(f"DROP TABLE {table_name}"))
    conn.execute(text(f"ALTER TABLE {build} RENAME TO {table_name}"))
    for name, _ in indexes:
        if name in primary:
            conn.execute(
                text(
                    f"ALTER TABLE {table_name} ADD CONSTRAINT {name} "
                    f"PRIMARY KEY USING INDEX {name}_build"
                )
            )
        else:
            conn.execute(text(f"ALTER INDEX {name}_build RENAME TO {name}"))
    for name, kind, definition in constraints:
        if kind == "f":  # NOT VALID: the rows were just read from the referenced table
            conn.execute(
                text(f"ALTER TABLE {table_name} ADD CONSTRAINT {name} {definition} NOT VALID")
            )
    return int(count)
