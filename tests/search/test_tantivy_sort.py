"""The Sorter's relevance pages over long runs of equal scores (Tantivy only).

The shared backend suite's catalogs are too small for a page's window to start anywhere
but the top; here the margins are shrunk so that windows start deep and the run of equal
scores crossing a page's start must be found by widening the window.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import tantivy

from stockhouse.search import tantivy_sort
from stockhouse.search.documents import composite
from stockhouse.search.tantivy_sort import Sorter, SortSpec

ITEMS = 240
FILLER_LENGTHS = 4  # documents of 4 lengths: 4 runs of 60 equal scores
DOWNLOAD_VALUES = 7  # few download counts, so the id breaks many ties
SPECS = [
    SortSpec("score", None, True),
    SortSpec("composite", "sk_best_sales", True, embedded_id_descending=True),
    SortSpec("id", "id", True),
]


@pytest.fixture(scope="module")
def ranked(tmp_path_factory: pytest.TempPathFactory) -> tuple[Sorter, tantivy.Query, list[int]]:
    """A sorter over the index, the query, and its hits' ids in the exact expected order."""
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("text")
    builder.add_unsigned_field("id", stored=True, indexed=True, fast=True)
    builder.add_unsigned_field("sk_best_sales", fast=True)
    schema = builder.build()
    path: Path = tmp_path_factory.mktemp("sort-index")
    index = tantivy.Index(schema, path=str(path))
    writer = index.writer(15_000_000, 1)
    keys: dict[int, tuple[int, int]] = {}
    for item_id in range(1, ITEMS + 1):
        length = item_id % FILLER_LENGTHS
        downloads = (item_id * 5) % DOWNLOAD_VALUES
        keys[item_id] = (length, downloads)
        document = tantivy.Document()
        document.add_text("text", "fox " + " ".join(["filler"] * length))
        document.add_unsigned("id", item_id)
        document.add_unsigned("sk_best_sales", composite(downloads, item_id))
        writer.add_document(document)
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    query = index.parse_query("fox", ["text"])
    # Shorter text scores higher: by length, then most downloads, then highest id.
    expected = sorted(keys, key=lambda i: (keys[i][0], -keys[i][1], -i))
    return Sorter(index.searcher(), schema), query, expected


@pytest.mark.parametrize("page_size", [1, 7, 50])
def test_deep_relevance_pages_put_together_give_the_whole_order(
    ranked: tuple[Sorter, tantivy.Query, list[int]],
    monkeypatch: pytest.MonkeyPatch,
    page_size: int,
) -> None:
    monkeypatch.setattr(tantivy_sort, "SCAN_MARGIN", 1)
    monkeypatch.setattr(tantivy_sort, "SCORE_MARGIN_DIVISOR", 1000)
    sorter, query, expected = ranked
    pages: list[int] = []
    for offset in range(0, ITEMS, page_size):
        ids, total = sorter.page(query, SPECS, offset, page_size)
        assert total == ITEMS
        pages += ids
    assert pages == expected


def test_a_page_inside_one_run_of_equal_scores_is_ordered_by_the_next_keys(
    ranked: tuple[Sorter, tantivy.Query, list[int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tantivy_sort, "SCAN_MARGIN", 1)
    monkeypatch.setattr(tantivy_sort, "SCORE_MARGIN_DIVISOR", 1000)
    sorter, query, expected = ranked
    assert sorter.page(query, SPECS, 150, 5)[0] == expected[150:155]


def test_a_page_past_the_last_hit_is_empty_with_the_total(
    ranked: tuple[Sorter, tantivy.Query, list[int]],
) -> None:
    sorter, query, _ = ranked
    assert sorter.page(query, SPECS, ITEMS + 10, 5) == ([], ITEMS)
