"""Pages filled from the summaries stored in the Tantivy index equal SQL hydration."""

from __future__ import annotations

import pytest

from stockhouse.search import service
from stockhouse.search.hydrate import hydrate
from stockhouse.search.query import SearchQuery, SortField, SortKey
from tests.search.conftest import SearchEnv

EVERY_ITEM = SearchQuery(statuses=frozenset(), visible=None, sort=(SortKey(SortField.ID),))


@pytest.mark.parametrize("lang", [None, "en", "de", "pl", "es", "sp"])
def test_stored_summaries_equal_sql_hydration(search_env: SearchEnv, lang: str | None) -> None:
    query = SearchQuery(**{**EVERY_ITEM.__dict__, "lang": lang or "en", "limit": 1000})
    page = service.search(
        search_env.runtime, query, translate=lang is not None, backend=search_env.backend
    )
    with search_env.runtime.db.read_session() as session:
        expected = hydrate(session, [item.id for item in page.items], lang)
    assert page.items == expected
    assert len(page.items) == len(search_env.catalog.ids)


def test_the_tantivy_backend_returns_a_summary_per_id(search_env: SearchEnv) -> None:
    result = search_env.backend.search(SearchQuery(limit=5))
    if search_env.backend_name != "tantivy":
        assert result.summaries is None
        return
    assert result.summaries is not None
    assert [summary.item.id for summary in result.summaries] == result.item_ids
