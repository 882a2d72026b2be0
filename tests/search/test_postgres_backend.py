"""What the PostgreSQL backend does beyond the shared contract (test_backends.py): its
strategies over very many matches, its languages, keeping its tables current, its rebuild.

Runs on PostgreSQL only, over a small catalog of its own. The large-match strategies are
reached by making the planner's estimate look large (they are about millions of items).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, text, update

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import Role
from stockhouse.catalog.models import (
    Category,
    ItemCategory,
    ItemStatus,
    MediaItem,
    MediaKind,
    Orientation,
)
from stockhouse.config import load_settings
from stockhouse.runtime import Runtime
from stockhouse.search import postgres_backend
from stockhouse.search.postgres_backend import PostgresSearchBackend
from stockhouse.search.query import Facets, SearchQuery, SortField, SortKey
from tests.search.items_support import T0, add_item

pytestmark = pytest.mark.parametrize(
    "database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)

H, V = Orientation.HORIZONTAL, Orientation.VERTICAL


@dataclass
class Env:
    runtime: Runtime
    backend: PostgresSearchBackend
    ids: dict[str, int]

    def names(self, item_ids: list[int]) -> list[str]:
        by_id = {item_id: name for name, item_id in self.ids.items()}
        return [by_id[item_id] for item_id in item_ids]

    def search(self, **fields: Any) -> list[str]:
        return self.names(self.backend.search(SearchQuery(**fields)).item_ids)


@pytest.fixture
def env(runtime: Runtime) -> Iterator[Env]:
    """Six items; `road` is in red_car's title and in blue_cars' and dog_run's tags."""
    with runtime.db.session() as session:
        ann = accounts.create_user(session, username="ann", password=None,
                                   roles=[Role.CONTRIBUTOR]).id  # fmt: skip
        category = Category(group="image", name="Cars")
        session.add(category)
        session.flush()
        ids = {
            "red_car": add_item(session, ann, title="Red car on a road", tags=["car", "road"],
                                downloads=5, orientation=H, color=9),
            "blue_cars": add_item(session, ann, title="Blue cars parked",
                                  tags=["car", "parking", "road"], downloads=10, orientation=H,
                                  color=2),
            "cat_sofa": add_item(session, ann, title="Cat sleeping", tags=["cat", "sofa"],
                                 downloads=1, orientation=V, color=14,
                                 translations=[("de", "Schlafende Katze", ["katzen"]),
                                               ("sp", "Gato", ["gatos"]),
                                               ("ja", "猫", ["ねこ"])]),
            "dog_run": add_item(session, ann, title="Dog running", tags=["dog", "road"],
                                kind=MediaKind.VIDEO, downloads=0, orientation=H, color=2),
            "cafe": add_item(session, ann, title="Café latte", tags=["coffee"], downloads=2),
            "old_car": add_item(session, ann, title="Old car", tags=["car"], downloads=50,
                                status=ItemStatus.ARCHIVED, visible=False),
        }  # fmt: skip
        session.add(ItemCategory(item_id=ids["blue_cars"], category_id=category.id))
    backend = PostgresSearchBackend(runtime)
    backend.rebuild()
    yield Env(runtime, backend, ids)


@pytest.fixture
def looks_large(monkeypatch: pytest.MonkeyPatch) -> None:
    """The planner estimates a million matches for every query."""
    monkeypatch.setattr(postgres_backend, "_estimate", lambda conn, match: 1_000_000)


# -- construction ---------------------------------------------------------------------


def test_the_backend_needs_a_postgresql_database(tmp_path: Path, database_url: str) -> None:
    settings = load_settings(
        {"data_dir": str(tmp_path), "database_url": f"sqlite:///{tmp_path}/x.db"}, environ={}
    )
    runtime = Runtime(settings)
    try:
        with pytest.raises(ValueError, match="PostgreSQL"):
            PostgresSearchBackend(runtime)
    finally:
        runtime.close()


# -- counts, pages and facets over very many matches ----------------------------------


def test_a_large_total_is_the_estimate_when_exactness_is_not_needed(
    env: Env, looks_large: None
) -> None:
    result = env.backend.search(SearchQuery(text="road", limit=1, exact_count=False))
    assert result.total == 1_000_000


def test_a_large_total_is_counted_when_exactness_is_needed(env: Env, looks_large: None) -> None:
    assert env.backend.search(SearchQuery(text="road", limit=1)).total == 3


def test_a_total_that_ends_on_the_page_is_never_estimated(env: Env, looks_large: None) -> None:
    assert env.backend.search(SearchQuery(text="road", exact_count=False)).total == 3


def test_small_totals_are_exact_without_exactness(env: Env) -> None:
    assert env.backend.search(SearchQuery(text="road", limit=1, exact_count=False)).total == 3


def test_relevance_over_many_matches_ranks_the_best_selling_window_then_best_sales(
    env: Env, looks_large: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    inexact: dict[str, Any] = {"text": "road", "exact_count": False}
    assert env.search(**inexact) == ["red_car", "blue_cars", "dog_run"]  # all in the window
    monkeypatch.setattr(postgres_backend, "RERANK_WINDOW", 1)
    # The window holds the best seller only; the title match follows in best-selling order.
    assert env.search(**inexact) == ["blue_cars", "red_car", "dog_run"]
    assert env.search(**inexact, offset=1, limit=1) == ["red_car"]
    assert env.search(text="road") == ["red_car", "blue_cars", "dog_run"]  # exact: every match


def test_relevance_over_few_matches_ranks_every_match(env: Env) -> None:
    assert env.search(text="road", exact_count=False) == ["red_car", "blue_cars", "dog_run"]


def test_sorts_over_many_matches_walk_their_index_in_the_same_order(
    env: Env, looks_large: None
) -> None:
    walked: dict[str, Any] = {"sort": (SortKey(SortField.BEST_SALES),), "exact_count": False}
    assert env.search(**walked) == ["blue_cars", "red_car", "cafe", "cat_sofa", "dog_run"]
    assert env.search(**walked, offset=3, limit=1) == ["cat_sofa"]
    assert env.backend.search(SearchQuery(**walked, offset=3, limit=1)).total == 1_000_000


def test_browsing_by_colour_walks_the_index_and_still_counts_exactly(
    env: Env, looks_large: None
) -> None:
    result = env.backend.search(SearchQuery(colors=frozenset({2}), limit=1))
    assert env.names(result.item_ids) == ["blue_cars"]
    assert result.total == 2


def test_facets_over_many_matches_are_scaled_to_the_estimated_total(
    env: Env, looks_large: None
) -> None:
    result = env.backend.search(SearchQuery(text="car", facets=True, exact_count=False, limit=1))
    assert result.facets == Facets(
        kind={"photo": 1_000_000},
        orientation={"horizontal": 1_000_000},
        color={2: 500_000, 9: 500_000},
        category={env_category(env): 500_000},
    )


def test_facets_are_exact_when_exactness_is_needed(env: Env, looks_large: None) -> None:
    result = env.backend.search(SearchQuery(text="car", facets=True))
    assert result.facets == Facets(
        kind={"photo": 2},
        orientation={"horizontal": 2},
        color={2: 1, 9: 1},
        category={env_category(env): 1},
    )


def env_category(env: Env) -> int:
    with env.runtime.db.session() as session:
        return int(session.scalar(text("SELECT id FROM category")) or 0)


# -- languages ------------------------------------------------------------------------


def test_stemmed_languages_share_their_stemmer_and_aliases_count_as_the_language(
    env: Env,
) -> None:
    assert env.search(text="katze", lang="de") == ["cat_sofa"]  # "katzen" stems alike
    assert env.search(text="gato", lang="es") == ["cat_sofa"]  # stored under "sp"
    assert env.search(text="gatos", lang="sp") == ["cat_sofa"]


def test_unstemmed_languages_match_their_own_words(env: Env) -> None:
    assert env.search(text="ねこ", lang="ja") == ["cat_sofa"]
    assert env.search(text="ねこ", lang="ko") == []


def test_accents_and_case_are_folded(env: Env) -> None:
    assert env.search(text="CAFE") == ["cafe"]
    assert env.search(text="café") == ["cafe"]


def test_stop_words_are_searchable(env: Env) -> None:
    assert env.search(text="on a") == ["red_car"]


def test_nul_characters_in_filters_do_not_fail(env: Env) -> None:
    query = SearchQuery(
        exclude_keywords=("car\x00",), author_usernames=frozenset({"ann\x00"}), text="x\x00y"
    )
    assert env.backend.search(query).item_ids == []


# -- keeping the tables current ---------------------------------------------------------


def test_index_items_writes_an_items_new_state(env: Env) -> None:
    with env.runtime.db.session() as session:
        session.execute(
            update(MediaItem).where(MediaItem.id == env.ids["cat_sofa"]).values(title="Tiger")
        )
    assert env.search(text="tiger") == []
    env.backend.index_items([env.ids["cat_sofa"]])
    assert env.search(text="tiger") == ["cat_sofa"]
    assert env.search(text="katze", lang="de") == ["cat_sofa"]


def test_an_item_that_stops_being_searchable_drops_out_of_default_queries(env: Env) -> None:
    with env.runtime.db.session() as session:
        session.execute(
            update(MediaItem)
            .where(MediaItem.id == env.ids["red_car"])
            .values(status=ItemStatus.ARCHIVED, visible=False)
        )
    env.backend.index_items([env.ids["red_car"]])
    assert env.search(text="car") == ["blue_cars"]
    archived = env.search(text="car", statuses=frozenset({ItemStatus.ARCHIVED}), visible=None)
    assert sorted(archived) == ["old_car", "red_car"]


def test_a_deleted_item_leaves_the_tables(env: Env) -> None:
    with env.runtime.db.session() as session:
        session.execute(delete(MediaItem).where(MediaItem.id == env.ids["cafe"]))
    env.backend.index_items([env.ids["cafe"]])
    assert env.search(text="coffee") == []
    assert document_ids(env) == sorted(set(env.ids.values()) - {env.ids["cafe"]})


def test_remove_items_takes_items_out(env: Env) -> None:
    env.backend.remove_items([env.ids["red_car"], env.ids["cat_sofa"]])
    assert env.search(text="road") == ["blue_cars", "dog_run"]
    assert env.search(text="katze", lang="de") == []


def test_index_items_of_a_new_item_adds_it(env: Env) -> None:
    with env.runtime.db.session() as session:
        owner = session.scalar(text("SELECT id FROM user_account"))
        new = add_item(session, int(owner or 0), title="Yellow taxi", tags=["car"],
                       published_at=T0 + timedelta(days=1))  # fmt: skip
    env.backend.index_items([new])
    assert env.backend.search(SearchQuery(text="taxi")).item_ids == [new]


def document_ids(env: Env) -> list[int]:
    with env.runtime.db.engine.connect() as conn:
        return list(conn.scalars(text("SELECT item_id FROM search_document ORDER BY item_id")))


# -- rebuilding -----------------------------------------------------------------------


def test_rebuild_indexes_every_item_and_keeps_the_tables_layout(env: Env) -> None:
    before = table_layout(env)
    assert env.backend.rebuild() == 6
    assert env.backend.rebuild() == 6
    assert table_layout(env) == before
    assert env.search(text="road") == ["red_car", "blue_cars", "dog_run"]


def table_layout(env: Env) -> list[tuple[str, str]]:
    """Index and constraint definitions of the search tables."""
    with env.runtime.db.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT indexname, indexdef FROM pg_indexes "
                "WHERE tablename IN ('search_document', 'search_text') "
                "UNION ALL SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid IN ('search_document'::regclass, 'search_text'::regclass) "
                "ORDER BY 1, 2"
            )
        )
        return [(name, definition.replace(" NOT VALID", "")) for name, definition in rows]


def test_deep_relevance_pages_continue_in_best_selling_order_without_overlap(
    env: Env, looks_large: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(postgres_backend, "RERANK_WINDOW", 1)
    inexact: dict[str, Any] = {"text": "road", "exact_count": False}
    pages = [env.search(**inexact, offset=offset, limit=1) for offset in range(3)]
    assert [page[0] for page in pages] == ["blue_cars", "red_car", "dog_run"]
    assert env.search(**inexact, offset=0, limit=2) == ["blue_cars", "red_car"]  # across it
