"""Exact multi-key ordering of Tantivy hits, one page at a time.

Tantivy orders hits by one thing: the score, or one fast field. Stockhouse sorts by up to
four keys and always breaks the remaining ties by item id (query.py's ordering rules), so
this module builds that order from single-key searches:

- a numeric key is a *composite* fast field (the value in the high bits, the id in the
  low ones): one search ordered by it is already exact when no other key follows;
- otherwise the page's hits are grouped by the key's value, and each group of equal
  values that the page shows is ordered by the remaining keys: in Python (one fast-field
  read per key for all groups) when those keys are numeric, else by a search restricted
  to the group;
- a group cut by the page's edge is fetched whole: by a range query on its value for
  composite keys, a term query for text keys, and for scores (which cannot be queried by
  value) by fetching further down the ranking. Text orders are read from the top, so a
  group crossing the page's start is seen whole; score orders are read as a window around
  the page, widened until it starts before the run crossing the page's start.

The common cases cost one search. Deep pages of a common word cost more: its matches fall
into long runs of equal scores, and the run around the page is read whole (but not the
thousands of hits above it).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import tantivy

from stockhouse.search.documents import ID_BITS, ID_MASK

KeyKind = Literal["id", "composite", "text", "score"]
Hit = tuple[Any, tantivy.DocAddress]

MIN_SCORE_FETCH = 256  # hits fetched at least when a tie group of scores must be closed
SCAN_MARGIN = 64  # hits fetched past the page, to see where a tie group there ends
DEEP_MARGIN_DIVISOR = 2  # ... and half the page's depth, when that is more
# Score pages are read as a window around the page: this share of the page's depth on
# either side (runs of equal scores are a few percent of a common word's matches), grown
# this many times over while the run crossing the page's start begins before the window.
SCORE_MARGIN_DIVISOR = 8
SCORE_MARGIN_GROWTH = 4
# ... and for deep pages at least one hit per this many documents of the index (a common
# word's run around offset 10 000 is a few hundred hits long at 100 000 items, several
# thousand at a million).
SCORE_MARGIN_PER_DOCS = 100


@dataclass(frozen=True)
class SortSpec:
    """One key of an order: how to sort by it in Tantivy, and in which direction."""

    kind: KeyKind
    field: str | None  # the fast field; None for the score
    descending: bool
    # Composite keys: whether ordering by the field in this direction puts higher ids
    # first among equal values (the id is embedded in the low bits, maybe inverted).
    embedded_id_descending: bool | None = None

    @property
    def order(self) -> tantivy.Order:
        return tantivy.Order.Desc if self.descending else tantivy.Order.Asc


@dataclass
class _Group:
    """Consecutive hits with the same key value, starting at `position` in the order."""

    value: Any
    position: int
    hits: list[tantivy.DocAddress]
    complete: bool


class Sorter:
    """Pages of a query's hits in the exact order of a list of SortSpecs.

    The last spec must be the id tie-break (kind "id").
    """

    def __init__(self, searcher: tantivy.Searcher, schema: tantivy.Schema) -> None:
        self.searcher = searcher
        self.schema = schema

    def page(
        self,
        query: tantivy.Query,
        specs: list[SortSpec],
        offset: int,
        limit: int,
        count: bool = True,
    ) -> tuple[list[int], int]:
        """The item ids at [offset, offset + limit) and the exact number of hits (0 when
        `count` is False: the caller knows it)."""
        addresses, total = self.window(query, specs, offset, limit, count=count)
        return self.ids(addresses), total

    def window(
        self,
        query: tantivy.Query,
        specs: list[SortSpec],
        offset: int,
        limit: int,
        count: bool = True,
    ) -> tuple[list[tantivy.DocAddress], int]:
        """Like `page`, but the hits' addresses (to read stored fields from)."""
        return self._window(query, specs, offset, limit, count=count)

    def ids(self, addresses: list[tantivy.DocAddress]) -> list[int]:
        if not addresses:
            return []
        return [int(v) for v in self.searcher.fast_field_values("id", addresses)]  # type: ignore[arg-type]

    # -- searching ---------------------------------------------------------------------

    def _search(
        self, query: tantivy.Query, spec: SortSpec, limit: int, offset: int, count: bool
    ) -> tuple[list[Hit], int]:
        if spec.kind == "score":
            result = self.searcher.search(query, limit, count=count, offset=offset)
        else:
            result = self.searcher.search(
                query,
                limit,
                count=count,
                order_by_field=spec.field,
                offset=offset,
                order=spec.order,
            )
        return list(result.hits), _count_of(result) if count else 0

    def count(self, query: tantivy.Query) -> int:
        return _count_of(self.searcher.search(query, 1, count=True))

    def _window(
        self, query: tantivy.Query, specs: list[SortSpec], offset: int, limit: int, count: bool
    ) -> tuple[list[tantivy.DocAddress], int]:
        spec, rest = specs[0], specs[1:]
        if spec.kind == "id" or _is_exact(spec, rest):
            hits, total = self._search(query, spec, limit, offset, count)
            return [address for _, address in hits], total
        if spec.kind == "composite":
            return self._composite_window(query, spec, rest, offset, limit, count)
        return self._scan_window(query, spec, rest, offset, limit, count)

    # -- composite keys: paged with Tantivy's offset, edge groups fetched by value -------

    def _composite_window(
        self,
        query: tantivy.Query,
        spec: SortSpec,
        rest: list[SortSpec],
        offset: int,
        limit: int,
        count: bool,
    ) -> tuple[list[tantivy.DocAddress], int]:
        hits, total = self._search(query, spec, limit + 1, offset, count)
        groups = _groups(hits, offset, lambda value: value >> ID_BITS, exhausted=len(hits) <= limit)
        out: list[tantivy.DocAddress] = []
        for index, group in enumerate(groups):
            need = limit - len(out)
            if need <= 0:
                break
            cut_at_start = index == 0 and offset > 0
            if len(group.hits) == 1 and group.complete and not cut_at_start:
                out.extend(group.hits)
                continue
            skip = 0
            if cut_at_start:
                skip = offset - self.count(_and(query, self._composite_better(spec, group.value)))
            same = _and(query, self._composite_range(spec, group.value, group.value))
            sub, _ = self._window(same, rest, skip, need, count=False)
            out.extend(sub)
        return out[:limit], total

    def _composite_range(self, spec: SortSpec, low: int, high: int) -> tantivy.Query:
        return tantivy.Query.range_query(
            self.schema,
            spec.field or "",
            tantivy.FieldType.Unsigned,
            lower_bound=low << ID_BITS,
            upper_bound=(high << ID_BITS) | ID_MASK,
        )

    def _composite_better(self, spec: SortSpec, value: int) -> tantivy.Query:
        """Hits whose value comes before `value` in the spec's direction."""
        if spec.descending:
            return tantivy.Query.range_query(
                self.schema,
                spec.field or "",
                tantivy.FieldType.Unsigned,
                lower_bound=(value + 1) << ID_BITS,
            )
        if value == 0:
            return tantivy.Query.empty_query()
        return self._composite_range(spec, 0, value - 1)

    # -- text and score keys: scanned from the top ---------------------------------------

    def _scan_window(
        self,
        query: tantivy.Query,
        spec: SortSpec,
        rest: list[SortSpec],
        offset: int,
        limit: int,
        count: bool,
    ) -> tuple[list[tantivy.DocAddress], int]:
        hits, base, total, exhausted = self._scan(query, spec, offset, limit, count)
        groups = _window_groups(hits, base, offset, limit, exhausted)
        last_cut = bool(groups) and not groups[-1].complete
        if spec.kind == "score" and last_cut:
            groups[-1] = self._whole_score_group(query, spec, groups[-1])
        groups = [
            g for g in groups if g.position < offset + limit and g.position + len(g.hits) > offset
        ]
        in_python = [g for g in groups if g.complete and len(g.hits) > 1 and _numeric(rest)]
        self._order_by_fast_fields(in_python, rest)
        out: list[tantivy.DocAddress] = []
        for group in groups:
            skip = max(0, offset - group.position)
            need = offset + limit - max(offset, group.position)
            if group.complete and (len(group.hits) == 1 or _numeric(rest)):
                out.extend(group.hits[skip : skip + need])
            else:
                members = self._group_query(query, spec, group)
                sub, _ = self._window(members, rest, skip, need, count=False)
                out.extend(sub)
        return out[:limit], total

    def _scan(
        self, query: tantivy.Query, spec: SortSpec, offset: int, limit: int, count: bool
    ) -> tuple[list[Hit], int, int, bool]:
        """Hits in the spec's order from the top (scores: from the start of the run
        crossing the page's start) to a little past the page.

        Returns the hits, the position of the first, the total and whether they run to the
        end of the matches. Fetching from the top (rather than with Tantivy's offset, which
        collects as many hits anyway) shows where a tie group crossing the page's start
        begins; SCAN_MARGIN more hits usually show where the last one ends.
        """
        if spec.kind == "score" and not spec.descending:
            return self._all_by_ascending_score(query)
        if spec.kind == "score":
            return self._score_window(query, spec, offset, limit, count)
        # Deep pages sit in long runs of equal scores: look further past them.
        wanted = offset + limit + max(SCAN_MARGIN, (offset + limit) // DEEP_MARGIN_DIVISOR)
        hits, total = self._search(query, spec, wanted, 0, count)
        return hits, 0, total, len(hits) < wanted

    def _score_window(
        self, query: tantivy.Query, spec: SortSpec, offset: int, limit: int, count: bool
    ) -> tuple[list[Hit], int, int, bool]:
        """Hits by descending score from the start of the run of equal scores that holds
        the page's first hit to a little past the page (`_scan`'s result).

        Tantivy collects every hit above the page whatever the offset, but only those
        handed back become Python objects: a window around a deep page costs a fraction
        of reading it from the top. Wherever the window starts, the hits in it that share
        a score with a hit inside it and do not touch its edges are that score's whole
        run (Tantivy's order puts every hit of a score between the better and the worse
        ones), so a run is known whole once the window reaches past it.
        """
        margin = max(SCAN_MARGIN, (offset + limit) // SCORE_MARGIN_DIVISOR)
        if offset > 0:
            # Runs grow with the number of matches, which grows with the index: a wider
            # first window is cheaper than a second search (each collects the whole top).
            margin = max(margin, self.searcher.num_docs // SCORE_MARGIN_PER_DOCS)
        before = after = margin
        while True:
            start = max(0, offset - before)
            wanted = offset + limit + after - start
            hits, total = self._search(query, spec, wanted, start, count)
            first = offset - start
            if first >= len(hits):
                return hits, start, total, len(hits) < wanted
            last = min(first + limit, len(hits)) - 1
            # Widen the side(s) where the run at the page's edge may go on past the window:
            # each search costs about the same (Tantivy collects every hit above its end),
            # so closing both runs here is cheaper than fetching the last one on its own.
            start_cut = start > 0 and hits[0][0] == hits[first][0]
            end_cut = len(hits) == wanted and hits[-1][0] == hits[last][0]
            if not start_cut and not end_cut:
                return hits, start, total, len(hits) < wanted
            if start_cut:
                before *= SCORE_MARGIN_GROWTH
            if end_cut:
                after *= SCORE_MARGIN_GROWTH

    def _all_by_ascending_score(self, query: tantivy.Query) -> tuple[list[Hit], int, int, bool]:
        """Every hit, least relevant first (Tantivy only returns the best first)."""
        total = self.count(query)
        hits, _ = self._search(query, SortSpec("score", None, True), max(total, 1), 0, False)
        return list(reversed(hits)), 0, total, True

    def _whole_score_group(self, query: tantivy.Query, spec: SortSpec, group: _Group) -> _Group:
        """`group` (cut by the end of the fetched hits) with all its members.

        Scores cannot be queried by value, so the hits from the group's start on are
        fetched further and further until the score changes or the matches end.
        """
        fetch = max(MIN_SCORE_FETCH, 2 * len(group.hits))
        while True:
            hits, _ = self._search(query, spec, fetch, group.position, False)
            same = [address for value, address in hits if value == group.value]
            if len(same) < len(hits) or len(hits) < fetch:
                return _Group(group.value, group.position, same, complete=True)
            fetch *= 2

    def _group_query(self, query: tantivy.Query, spec: SortSpec, group: _Group) -> tantivy.Query:
        """The query's hits in `group`: by value for text keys, by id for scores."""
        if spec.kind == "text" and spec.field is not None:
            return _and(query, tantivy.Query.term_query(self.schema, spec.field, group.value))
        ids = self.ids(group.hits)
        return _and(query, tantivy.Query.term_set_query(self.schema, "id", ids))

    def _order_by_fast_fields(self, groups: list[_Group], specs: list[SortSpec]) -> None:
        """Sort each group's hits by numeric keys read from fast fields, in Python.

        One read per key for all the groups together.
        """
        addresses = [address for group in groups for address in group.hits]
        if not addresses:
            return
        columns: list[list[int]] = []
        for spec in specs:
            if spec.kind == "id":
                values = self.ids(addresses)
            else:
                raw = self.searcher.fast_field_values(spec.field or "", addresses)
                values = [int(v or 0) >> ID_BITS for v in raw]
            columns.append([-v for v in values] if spec.descending else values)
        keys = list(zip(*columns, strict=True))
        start = 0
        for group in groups:
            end = start + len(group.hits)
            order = sorted(range(start, end), key=keys.__getitem__)
            group.hits = [addresses[index] for index in order]
            start = end


def _numeric(specs: list[SortSpec]) -> bool:
    """Whether every key can be read from a numeric fast field (so sorted in Python)."""
    return all(spec.kind in ("id", "composite") for spec in specs)


def _is_exact(spec: SortSpec, rest: list[SortSpec]) -> bool:
    """Whether one search ordered by `spec` is already in the exact order of spec + rest."""
    if spec.kind != "composite":
        return False
    return not rest or (
        len(rest) == 1
        and rest[0].kind == "id"
        and rest[0].descending == spec.embedded_id_descending
    )


def _and(query: tantivy.Query, restriction: tantivy.Query) -> tantivy.Query:
    return tantivy.Query.boolean_query(
        [
            (tantivy.Occur.Must, query),
            (tantivy.Occur.Must, tantivy.Query.const_score_query(restriction, 0.0)),
        ]
    )


def _groups(hits: list[Hit], base: int, key: Callable[[Any], Any], exhausted: bool) -> list[_Group]:
    """Runs of equal key values; the last is complete only if the hits are exhausted."""
    groups: list[_Group] = []
    for value, run in itertools.groupby(enumerate(hits), key=lambda pair: key(pair[1][0])):
        members = list(run)
        addresses = [hit[1] for _, hit in members]
        groups.append(_Group(value, base + members[0][0], addresses, complete=True))
    if groups and not exhausted:
        groups[-1].complete = False
    return groups


def _window_groups(
    hits: list[Hit], base: int, offset: int, limit: int, exhausted: bool
) -> list[_Group]:
    """The runs of equal values among `hits` (from position `base`) that overlap the page.

    Only the page's neighbourhood is grouped: a deep page fetched from the top holds
    thousands of hits before it that play no part.
    """
    first = offset - base
    if first >= len(hits):
        return []
    last = min(first + limit, len(hits)) - 1
    start = first
    while start > 0 and hits[start - 1][0] == hits[first][0]:
        start -= 1
    end = last + 1
    while end < len(hits) and hits[end][0] == hits[last][0]:
        end += 1
    cut = end == len(hits) and not exhausted
    return _groups(hits[start:end], base + start, lambda value: value, exhausted=not cut)


def _count_of(result: tantivy.SearchResult) -> int:
    # `count` is missing from tantivy's type stubs.
    return int(getattr(result, "count", None) or 0)
