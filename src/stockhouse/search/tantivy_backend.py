"""The default search backend: an embedded Tantivy index in DATA_DIR/search/tantivy.

The index is derived from the database (documents.py) and can be rebuilt at any time
(`stockhouse reindex`). Every process opens it to read; writes (indexing jobs, rebuilds)
take Tantivy's writer lock for the length of one commit, so a job worker, a rebuild from
the command line and the server can share one data dir. Readers see a commit within
RELOAD_INTERVAL_S.

Queries are built programmatically from the parsed text (text.py) and the filters, never
through Tantivy's query-language parser, so no user input is ever read as query syntax.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import tantivy

from stockhouse.catalog.models import ItemStatus, MediaKind, Orientation
from stockhouse.catalog.translations import DEFAULT_LANGUAGE
from stockhouse.errors import InvalidParameter
from stockhouse.runtime import Runtime
from stockhouse.search import documents as docs
from stockhouse.search.hydrate import StoredSummary, decode_summary, encode_summary
from stockhouse.search.query import (
    NATURAL_DESCENDING,
    SIZE_CLASS_MIN_LONG_EDGE,
    Facets,
    SearchQuery,
    SearchResult,
    SortField,
    SortKey,
    Suggestion,
)
from stockhouse.search.tantivy_sort import Sorter, SortSpec
from stockhouse.search.text import ParsedText, parse_text

log = logging.getLogger("stockhouse.search")

# Bump when documents.tantivy_schema or what a field holds changes: a new index is built.
SCHEMA_VERSION = 4  # v4: sk_price holds each item's "from" price
INDEX_DIR = Path("search") / "tantivy"
READY_MARKER = "stockhouse-complete"  # written once a full build has committed
RELOAD_INTERVAL_S = 0.2  # how stale a reader may be, at most
WRITER_HEAP_BYTES = 64_000_000
REBUILD_HEAP_BYTES = 256_000_000
REBUILD_THREADS = 2
WRITER_WAIT_S = 5.0  # how long to wait for this process's own writer before giving up
SUMMARY_CACHE_ITEMS = 50_000  # decoded summaries kept per process (~1 KiB each)
# In a process that froze its start-up objects (a server), summaries cached since the last
# freeze are frozen too once there are this many: see SummaryCache.
SUMMARY_REFREEZE_ITEMS = 5_000

TITLE_BOOST = 3.0
TAGS_BOOST = 2.0
DESCRIPTION_BOOST = 1.0
ITEM_ID_BOOST = 1000.0  # an item id typed as the query puts that item first
MAX_CATEGORY_FACETS = 1000
MAX_TERM_UNION = 16  # up to this many values, a filter is a union of term queries

PART_BOOSTS = (("title", TITLE_BOOST), ("tags", TAGS_BOOST), ("desc", DESCRIPTION_BOOST))
COMPOSITE_FIELDS: dict[SortField, str] = {
    SortField.BEST_SALES: "sk_best_sales",
    SortField.NEWEST: "sk_newest",
    SortField.VIEWS: "sk_views",
    SortField.CREATED: "sk_created",
    SortField.MODIFIED: "sk_modified",
    SortField.PRICE: "sk_price",
    SortField.DURATION: "sk_duration",
    SortField.STATUS: "sk_status",
    SortField.UNDISCOVERED: "sk_undiscovered",
}
TEXT_SORT_FIELDS: dict[SortField, str] = {
    SortField.NAME: "name_key",
    SortField.USERNAME: "username_key",
    SortField.EXTENSION: "extension_key",
}
KINDS_BY_CODE = {code: kind for kind, code in docs.KIND_CODES.items()}
ORIENTATIONS_BY_CODE = {code: o for o, code in docs.ORIENTATION_CODES.items()}


class IndexBusy(Exception):
    """Another process (or a rebuild) holds the index writer; try again later."""


class TantivySearchBackend:
    """Search, index and rebuild over the Tantivy index of one data dir."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.path = runtime.settings.data_dir / INDEX_DIR / f"v{SCHEMA_VERSION}"
        self.path.mkdir(parents=True, exist_ok=True)
        self.schema = docs.tantivy_schema()
        self.index = tantivy.Index(self.schema, path=str(self.path), reuse=True)
        docs.register_analyzers(self.index)
        self.analyzers = {
            group: docs.make_analyzer(group) for group in (*docs.STEMMED_GROUPS, docs.OTHER_GROUP)
        }
        self._write_lock = threading.RLock()
        self._pending_lock = threading.Lock()
        self._pending: set[int] = set()
        self._reloaded_at = time.monotonic()
        self._summaries = SummaryCache(SUMMARY_CACHE_ITEMS)

    @property
    def is_complete(self) -> bool:
        """Whether a full build has committed into this index (else it may lack items)."""
        return (self.path / READY_MARKER).exists()

    # -- searching ---------------------------------------------------------------------

    def searcher(self) -> tantivy.Searcher:
        """A searcher over the latest commit (reloaded at most every RELOAD_INTERVAL_S)."""
        now = time.monotonic()
        if now - self._reloaded_at >= RELOAD_INTERVAL_S:
            self._reloaded_at = now
            self.index.reload()
        return self.index.searcher()

    def search(self, query: SearchQuery) -> SearchResult:
        tantivy_query, scored = self.build_query(query, parse_text(query.text))
        searcher = self.searcher()
        facets = (
            self._facets(searcher, tantivy_query, query.facet_categories) if query.facets else None
        )
        specs = sort_specs(query.sort, scored)
        # Every item has a kind, so the kind facet adds up to the total: no second count.
        sorter = Sorter(searcher, self.schema)
        addresses, total = sorter.window(
            tantivy_query, specs, query.offset, query.limit, count=facets is None
        )
        if facets is not None:
            total = sum(facets.kind.values())
        ids = sorter.ids(addresses)
        summaries = self._stored_summaries(searcher, addresses, ids)
        return SearchResult(item_ids=ids, total=total, facets=facets, summaries=summaries)

    def _stored_summaries(
        self, searcher: tantivy.Searcher, addresses: list[tantivy.DocAddress], ids: list[int]
    ) -> list[StoredSummary] | None:
        """The summaries stored with these hits, from the cache when their revision is
        unchanged; None if any hit has none (then the service hydrates by SQL)."""
        if not addresses:
            return []
        revisions = searcher.fast_field_values(docs.REVISION_FIELD, addresses)
        cache = self._summaries
        found: list[StoredSummary] = []
        for item_id, revision, address in zip(ids, revisions, addresses, strict=True):
            summary = cache.get(item_id, revision)
            if summary is None:
                blob = searcher.doc(address).get_first(docs.SUMMARY_FIELD)
                summary = decode_summary(blob) if isinstance(blob, bytes) else None
                if summary is None:
                    return None
                cache.put(item_id, int(revision or 0), summary)
            found.append(summary)
        cache.settle()
        return found

    def build_query(self, query: SearchQuery, parsed: ParsedText) -> tuple[tantivy.Query, bool]:
        """The Tantivy query for `query`: text (scored), filters (unscored), exclusions.

        The flag says whether any text is scored: text with nothing searchable in it (`*`)
        scores every item alike, and relevance then falls back to best sales.
        """
        clauses: list[tuple[tantivy.Occur, tantivy.Query]] = []
        languages = _languages(query.lang)
        text = self._text_query(parsed, languages)
        if text is not None:
            clauses.append((tantivy.Occur.Must, text))
        filters = self._filters(query)
        if filters:
            matched = tantivy.Query.boolean_query([(tantivy.Occur.Must, f) for f in filters])
            clauses.append((tantivy.Occur.Must, tantivy.Query.const_score_query(matched, 0.0)))
        if not clauses:
            clauses.append((tantivy.Occur.Must, tantivy.Query.all_query()))
        for excluded in (*parsed.excluded, *query.exclude_keywords):
            term = self._term_query(excluded, languages)
            if term is not None:
                clauses.append((tantivy.Occur.MustNot, term))
        if query.exclude_item_ids:
            ids = sorted(query.exclude_item_ids)
            clauses.append((tantivy.Occur.MustNot, self._any_of("id", ids)))
        return tantivy.Query.boolean_query(clauses), text is not None

    def _text_query(self, parsed: ParsedText, languages: list[str]) -> tantivy.Query | None:
        required = [self._term_query(term, languages) for term in parsed.required]
        present = [(tantivy.Occur.Must, q) for q in required if q is not None]
        text = tantivy.Query.boolean_query(present) if present else None
        if parsed.item_id is None:
            return text
        by_id = tantivy.Query.boost_query(self._term("id", parsed.item_id), ITEM_ID_BOOST)
        if text is None:
            return by_id
        return tantivy.Query.boolean_query(
            [(tantivy.Occur.Should, by_id), (tantivy.Occur.Should, text)]
        )

    def _term_query(self, term: str, languages: list[str]) -> tantivy.Query | None:
        """A word or phrase in any text field of `languages`; None if it has no tokens.

        The term is analysed like the indexed text (so "running" looks for "run"); when it
        yields several tokens ("e-mail", a quoted phrase) they must appear in that order.
        """
        alternatives: list[tuple[tantivy.Occur, tantivy.Query]] = []
        for lang in languages:
            tokens = self.analyzers[docs.language_group(lang)].analyze(term)
            if not tokens:
                continue
            for part, boost in PART_BOOSTS:
                field = docs.text_field(part, lang)
                if len(tokens) == 1:
                    match = tantivy.Query.term_query(self.schema, field, tokens[0])
                else:
                    match = tantivy.Query.phrase_query(self.schema, field, list(tokens))
                alternatives.append((tantivy.Occur.Should, tantivy.Query.boost_query(match, boost)))
        return tantivy.Query.boolean_query(alternatives) if alternatives else None

    def _term(self, field: str, value: object) -> tantivy.Query:
        return tantivy.Query.term_query(self.schema, field, value)

    def _any_of(self, field: str, values: Iterable[object]) -> tantivy.Query:
        """Documents whose `field` holds one of `values`.

        A few values are a union of term queries, which is lazy: intersected with a rare
        word it only visits that word's documents. A term-set query first collects every
        match of every value into a bitset (a million documents for status = active), which
        only pays for many values, like an item collection. Term-set queries are also how
        documents are deleted: tantivy-py's delete_documents_by_term turns a Python int
        into a signed term, which never matches an unsigned field.
        """
        chosen = list(values)
        if len(chosen) == 1:
            return self._term(field, chosen[0])
        if len(chosen) <= MAX_TERM_UNION:
            return tantivy.Query.boolean_query(
                [(tantivy.Occur.Should, self._term(field, value)) for value in chosen]
            )
        return tantivy.Query.term_set_query(self.schema, field, chosen)

    def _ids(self, item_ids: list[int]) -> tantivy.Query:
        return tantivy.Query.term_set_query(self.schema, "id", list(item_ids))

    def _range(self, field: str, low: int | None, high: int | None) -> tantivy.Query:
        return tantivy.Query.range_query(
            self.schema, field, tantivy.FieldType.Unsigned, lower_bound=low, upper_bound=high
        )

    def _filters(self, query: SearchQuery) -> list[tantivy.Query]:
        """One query per filter the SearchQuery sets (empty sets and None set nothing)."""
        result: list[tantivy.Query] = []
        # The default (active and visible) is one term on one flag: intersecting the two
        # near-full postings of status and visibility doubled a common word's cost.
        searchable = query.statuses == {ItemStatus.ACTIVE} and query.visible is True
        statuses = () if searchable else query.statuses
        if searchable:
            result.append(self._term("searchable", True))
        sets: list[tuple[str, Iterable[object]]] = [
            ("kind", [docs.KIND_CODES[k] for k in query.kinds]),
            ("orientation", [docs.ORIENTATION_CODES[o] for o in query.orientations]),
            ("color", query.colors),
            ("owner_id", query.author_ids),
            ("username", query.author_usernames),
            ("category", query.category_ids),
            ("extension", [e.lower().lstrip(".") for e in query.extensions]),
            ("status", [docs.STATUS_CODES[s] for s in statuses]),
            ("id", query.item_ids),
            ("video_standard", query.video_standards),
        ]
        for field, values in sets:
            chosen = sorted(set(values), key=str)
            if chosen:
                result.append(self._any_of(field, chosen))
        flags = {
            "visible": None if searchable else query.visible,
            "editorial": query.editorial,
            "ai_generated": query.ai_generated,
            "exclusive": query.exclusive,
            "free": query.free,
            "people_only": query.people_only,
            "model_release": query.has_model_release,
            "nudity": False if query.nudity is False else None,
        }
        result += [self._term(name, flag) for name, flag in flags.items() if flag is not None]
        texts = {
            "people_gender": query.people_gender,
            "people_age": query.people_age,
            "people_race": query.people_race,
        }
        result += [self._term(name, value.lower()) for name, value in texts.items() if value]
        result += self._ranges(query)
        if query.series_id is not None:
            result.append(self._term("series", query.series_id))
        if query.footage_standards:
            result.append(self._footage(query.footage_standards))
        return result

    def _footage(self, standards: frozenset[int]) -> tantivy.Query:
        """Items that are not videos, and videos with one of `standards` (a video without a
        standard counts as 0)."""
        must, should, must_not = tantivy.Occur.Must, tantivy.Occur.Should, tantivy.Occur.MustNot
        video = self._term("kind", docs.KIND_CODES[MediaKind.VIDEO])
        everything = tantivy.Query.all_query()
        not_video = tantivy.Query.boolean_query([(must, everything), (must_not, video)])
        chosen = [(should, self._any_of("video_standard", sorted(standards)))]
        if 0 in standards:
            has_standard = self._range("video_standard", 0, None)
            without = tantivy.Query.boolean_query([(must, everything), (must_not, has_standard)])
            chosen.append((should, without))
        videos = tantivy.Query.boolean_query(
            [(must, video), (must, tantivy.Query.boolean_query(chosen))]
        )
        return tantivy.Query.boolean_query([(should, not_video), (should, videos)])

    def _ranges(self, query: SearchQuery) -> list[tantivy.Query]:
        bounds: list[tuple[str, int | None, int | None]] = [
            ("width", query.min_width, query.max_width),
            ("height", query.min_height, query.max_height),
            ("duration_ms", query.min_duration_ms, query.max_duration_ms),
            ("people_quantity", query.people_quantity_min, query.people_quantity_max),
            (
                "published_us",
                docs.epoch_micros(query.published_from) if query.published_from else None,
                docs.epoch_micros(query.published_to) if query.published_to else None,
            ),
        ]
        if query.size_class is not None:
            if query.size_class not in SIZE_CLASS_MIN_LONG_EDGE:
                raise InvalidParameter("size_class", "size_class is one of s, m, l, xl")
            bounds.append(("long_edge", SIZE_CLASS_MIN_LONG_EDGE[query.size_class], None))
        return [
            self._range(field, max(low, 0) if low is not None else None, high)
            for field, low, high in bounds
            if low is not None or high is not None
        ]

    def _facets(
        self, searcher: tantivy.Searcher, query: tantivy.Query, categories: bool = True
    ) -> Facets:
        """Counts per kind, orientation, colour and (with `categories`) category over
        every hit of `query`."""
        spec: dict[str, dict[str, dict[str, str | int]]] = {
            "kind": {"terms": {"field": "kind", "size": len(docs.KIND_CODES)}},
            "orientation": {"terms": {"field": "orientation", "size": len(Orientation)}},
            "color": {"terms": {"field": "color", "size": 32}},
        }
        if categories:
            spec["category"] = {"terms": {"field": "category", "size": MAX_CATEGORY_FACETS}}
        result = searcher.aggregate(query, spec)

        def buckets(name: str) -> dict[int, int]:
            return {
                int(b["key"]): int(b["doc_count"])
                for b in result.get(name, {}).get("buckets", [])
                if b["doc_count"]
            }

        return Facets(
            kind={KINDS_BY_CODE[k].value: n for k, n in buckets("kind").items()},
            orientation={
                ORIENTATIONS_BY_CODE[k].value: n for k, n in buckets("orientation").items()
            },
            color=buckets("color"),
            category=buckets("category"),
        )

    # -- suggestions -------------------------------------------------------------------

    def suggest(self, prefix: str, lang: str, limit: int) -> list[Suggestion]:
        """Tags of searchable items in `lang` starting with `prefix`, most used first."""
        key = f"{docs.canonical_language(lang)}:"
        searchable = tantivy.Query.boolean_query(
            [
                (tantivy.Occur.Must, self._term("status", docs.STATUS_CODES[ItemStatus.ACTIVE])),
                (tantivy.Occur.Must, self._term("visible", True)),
            ]
        )
        terms = self.searcher().terms_with_prefix(
            docs.SUGGEST_FIELD, key + prefix.lower(), filter_query=searchable, limit=limit
        )
        return [Suggestion(term[len(key) :], count) for term, count in terms if count > 0]

    # -- writing -----------------------------------------------------------------------

    @contextmanager
    def _write_lock_held(self) -> Iterator[None]:
        """This process's turn to write (re-entrant), or IndexBusy after WRITER_WAIT_S."""
        if not self._write_lock.acquire(timeout=WRITER_WAIT_S):
            raise IndexBusy("this process is already writing the search index")
        try:
            yield
        finally:
            self._write_lock.release()

    @contextmanager
    def _writer(self, heap_bytes: int, threads: int) -> Iterator[tantivy.IndexWriter]:
        """The index writer for one commit, or IndexBusy if another process is writing."""
        with self._write_lock_held():
            try:
                writer = self.index.writer(heap_bytes, threads)
            except ValueError as exc:
                if "LockBusy" in str(exc):
                    raise IndexBusy("another process is writing the search index") from None
                raise
            try:
                yield writer
                writer.commit()
            except BaseException:
                writer.rollback()
                raise
            finally:
                # Waiting for merges also releases Tantivy's writer lock.
                writer.wait_merging_threads()
            self.index.reload()
            self._reloaded_at = time.monotonic()

    def index_items(self, item_ids: list[int]) -> None:
        """Write the current state of these items (deleted items drop out).

        Commits are grouped: ids that other threads hand in while a commit is running go
        into the next one together (a commit costs a few fsyncs, whatever its size).
        """
        with self._pending_lock:
            self._pending.update(item_ids)
        with self._write_lock_held():
            with self._pending_lock:
                batch, self._pending = sorted(self._pending), set()
            if not batch:
                return  # another thread's commit carried these ids
            try:
                with self.runtime.db.read_session() as session:
                    loaded = docs.load_documents(session, batch)
                with self._writer(WRITER_HEAP_BYTES, 1) as writer:
                    writer.delete_documents_by_query(self._ids(batch))
                    for document in loaded:
                        writer.add_document(docs.to_tantivy(document, encode_summary(document)))
            except BaseException:
                with self._pending_lock:
                    self._pending.update(batch)  # the next attempt (or a waiting thread) retries
                raise

    def remove_items(self, item_ids: list[int]) -> None:
        unique = sorted(set(item_ids))
        if not unique:
            return
        with self._writer(WRITER_HEAP_BYTES, 1) as writer:
            writer.delete_documents_by_query(self._ids(unique))

    def rebuild(self) -> int:
        """Rebuild the whole index from the database in one commit; the items indexed.

        Readers keep seeing the old index until the commit, then the new one at once.
        """
        count = 0
        with self._writer(REBUILD_HEAP_BYTES, REBUILD_THREADS) as writer:
            writer.delete_all_documents()
            for batch in docs.iter_documents(self.runtime.db):
                for document in batch:
                    writer.add_document(docs.to_tantivy(document, encode_summary(document)))
                count += len(batch)
        (self.path / READY_MARKER).write_text(f"{count}\n")
        log.info("search index rebuilt: %d items", count)
        return count

    def document_count(self) -> int:
        """How many items the index holds (every status)."""
        return int(self.searcher().num_docs)


class SummaryCache:
    """Decoded summaries by item id and revision, the least recently used dropped first.

    A page of popular items decodes nothing. The cache is most of what a serving process
    allocates after start-up, and its entries live long: Python's full collections walk
    every tracked object they have not been told to skip, so a cache of tens of thousands
    of summaries made them take tens of milliseconds, inside a search. A server freezes its
    start-up objects (stockhouse.app.freeze_startup_objects); in such a process `settle`
    freezes the cached summaries too, every SUMMARY_REFREEZE_ITEMS new ones, after a young
    collection (frozen objects are still freed by reference counting when evicted, and
    summaries hold no reference cycles). Processes that never froze are left alone.
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[int, tuple[int, StoredSummary]] = OrderedDict()
        self._added = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, item_id: int, revision: object) -> StoredSummary | None:
        """The cached summary of `item_id` if it was decoded at `revision`."""
        entry = self._entries.get(item_id)
        if entry is None or entry[0] != revision:
            return None
        self._entries.move_to_end(item_id)
        return entry[1]

    def put(self, item_id: int, revision: int, summary: StoredSummary) -> None:
        entries = self._entries
        entries[item_id] = (revision, summary)
        entries.move_to_end(item_id)
        if len(entries) > self.capacity:
            entries.popitem(last=False)
        self._added += 1

    def settle(self) -> None:
        """Freeze the summaries added since the last freeze, in a process that freezes."""
        if self._added < SUMMARY_REFREEZE_ITEMS:
            return
        self._added = 0
        if gc.get_freeze_count() and gc.isenabled():
            gc.collect(1)  # young cycles die rather than being frozen
            gc.freeze()


def _languages(lang: str) -> list[str]:
    """The languages a query in `lang` searches: that language, and English."""
    chosen = docs.canonical_language(lang or DEFAULT_LANGUAGE)
    return [chosen] if chosen == DEFAULT_LANGUAGE else [chosen, DEFAULT_LANGUAGE]


def sort_specs(sort: tuple[SortKey, ...], scored: bool) -> list[SortSpec]:
    """The Sorter's keys for a requested order, ending with the id tie-break."""
    keys = list(sort) or [SortKey(SortField.RELEVANCE)]
    specs: list[SortSpec] = []
    for key in keys:
        if key.field is SortField.RELEVANCE:
            if scored:
                specs.append(SortSpec("score", None, key.descending))
            best_sales = SortKey(SortField.BEST_SALES, key.reverse)
            specs.append(_field_spec(best_sales))
        else:
            specs.append(_field_spec(key))
    specs.append(SortSpec("id", "id", not keys[0].reverse))
    return specs


def _field_spec(key: SortKey) -> SortSpec:
    if key.field in COMPOSITE_FIELDS:
        natural_descending = key.field in NATURAL_DESCENDING
        return SortSpec(
            "composite",
            COMPOSITE_FIELDS[key.field],
            key.descending,
            embedded_id_descending=key.descending == natural_descending,
        )
    if key.field in TEXT_SORT_FIELDS:
        return SortSpec("text", TEXT_SORT_FIELDS[key.field], key.descending)
    return SortSpec("id", "id", key.descending)
