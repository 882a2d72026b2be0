"""The search service: limits, field terms, hydration in one query, translation, suggestions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import event

from stockhouse.catalog.models import ItemTranslation, MediaKind
from stockhouse.errors import InvalidParameter
from stockhouse.runtime import Runtime
from stockhouse.search import service
from stockhouse.search.hydrate import hydrate
from stockhouse.search.query import MAX_LIMIT, MAX_OFFSET, SearchQuery, SortField, SortKey
from tests.search.conftest import SearchEnv, build_catalog

BY_ID = (SortKey(SortField.ID),)


def names(env: SearchEnv, page: service.SearchPage) -> list[str]:
    return env.catalog.names([item.id for item in page.items])


def run(env: SearchEnv, query: SearchQuery, **options: Any) -> service.SearchPage:
    return service.search(env.runtime, query, backend=env.backend, **options)


@contextmanager
def counted_statements(runtime: Runtime) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    event.listen(runtime.db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(runtime.db.engine, "before_cursor_execute", count)


# -- limits -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "param"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": MAX_LIMIT + 1}, "limit"),
        ({"offset": -1}, "offset"),
        ({"offset": MAX_OFFSET + 1}, "offset"),
        ({"sort": ()}, "sort"),
        ({"size_class": "xxl"}, "size_class"),
        ({"colors": frozenset({18})}, "color"),
        ({"colors": frozenset({0})}, "color"),
        ({"min_width": -1}, "min_width"),
        ({"min_width": 2000, "max_width": 1000}, "min_width"),
        ({"min_duration_ms": 5, "max_duration_ms": 4}, "min_duration_ms"),
        ({"people_gender": "robot"}, "people_gender"),
        ({"people_age": "7"}, "people_age"),
        ({"people_race": "martian"}, "people_race"),
        ({"lang": "not a language"}, "lang"),
        ({"published_from": datetime(2024, 1, 1)}, "published_from"),
        ({"item_ids": frozenset(range(200_000))}, "item_ids"),
    ],
)
def test_out_of_range_queries_name_the_parameter(fields: dict[str, Any], param: str) -> None:
    with pytest.raises(InvalidParameter) as raised:
        service.validate_query(SearchQuery(**fields))
    assert raised.value.name == param


def test_long_text_is_cut_not_refused() -> None:
    query = service.validate_query(SearchQuery(text="dog " * 5000))
    assert len(query.text) == 1000


def test_control_characters_are_removed_from_text_and_keywords() -> None:
    query = service.validate_query(SearchQuery(text="dog\x00", exclude_keywords=("\x00", "cat")))
    assert query.text == "dog "
    assert query.exclude_keywords == ("cat",)


def test_language_codes_are_normalised() -> None:
    assert service.validate_query(SearchQuery(lang="PT_BR")).lang == "pt-br"


# -- searching through the service ------------------------------------------------------


def test_field_terms_in_the_text_become_filters(search_env: SearchEnv) -> None:
    page = run(search_env, SearchQuery(text="editorial:1", sort=BY_ID, editorial=False))
    assert names(search_env, page) == ["harbour", "business_team", "ocean_waves"]


def test_field_terms_combine_with_words(search_env: SearchEnv) -> None:
    page = run(search_env, SearchQuery(text="sea kind:video", sort=BY_ID))
    assert names(search_env, page) == ["ocean_waves"]


def test_the_page_says_where_it_is(search_env: SearchEnv) -> None:
    page = run(search_env, SearchQuery(offset=2, limit=3))
    assert (page.offset, page.limit, page.total, len(page.items)) == (2, 3, 18, 3)


def test_results_come_with_their_fields_in_order(search_env: SearchEnv) -> None:
    page = run(search_env, SearchQuery(sort=(SortKey(SortField.NEWEST),), limit=2))
    first, second = page.items
    assert (first.title, first.kind, first.owner_username) == (
        "Marble statue",
        MediaKind.PHOTO,
        "alice",
    )
    assert (first.width, first.height, first.nudity, first.lang) == (2000, 3000, True, "en")
    assert second.title == "Door slam"
    assert second.duration_ms == 1500


def test_results_can_be_translated(search_env: SearchEnv) -> None:
    query = SearchQuery(text="hund", lang="de")
    assert run(search_env, query).items[0].title == "Dog running in the park"
    translated = run(search_env, query, translate=True, with_tags=True).items[0]
    assert (translated.title, translated.lang) == ("Hund läuft im Park", "de")
    assert translated.description == "A happy dog runs across green grass."
    assert translated.tags == ("hund", "park")


def test_untranslated_items_keep_their_own_text(search_env: SearchEnv) -> None:
    page = run(search_env, SearchQuery(text="sea", lang="de"), translate=True, with_tags=True)
    assert [(item.title, item.lang, item.tags) for item in page.items] == [
        ("Dog on the beach", "en", ("dog", "beach", "sea")),
        ("Ocean waves", "en", ("ocean", "waves", "sea")),
    ]


def test_hydration_is_one_query_for_a_whole_page(search_env: SearchEnv) -> None:
    ids = list(search_env.catalog.ids.values())
    with search_env.runtime.db.read_session() as session:
        session.connection()
        with counted_statements(search_env.runtime) as statements:
            items = hydrate(session, ids, "de")
        assert len(statements) == 1
        with counted_statements(search_env.runtime) as statements:
            hydrate(session, ids, "de", with_tags=True)
        assert len(statements) == 2
    assert [item.id for item in items] == ids


def test_hydration_keeps_the_given_order_and_skips_missing_ids(search_env: SearchEnv) -> None:
    ids = search_env.catalog.ids
    wanted = [ids["piano"], 999_999, ids["dog_park"], ids["piano"]]
    with search_env.runtime.db.read_session() as session:
        items = hydrate(session, wanted)
    assert [item.id for item in items] == [ids["piano"], ids["dog_park"]]


# -- suggestions ------------------------------------------------------------------------


def suggest(
    env: SearchEnv, prefix: str, lang: str = "en", limit: int = 10
) -> list[tuple[str, int]]:
    found = service.suggest(env.runtime, prefix, lang, limit, backend=env.backend)
    return [(s.tag, s.count) for s in found]


def test_suggestions_complete_tags_most_used_first(search_env: SearchEnv) -> None:
    assert suggest(search_env, "b") == [("beach", 2), ("boats", 1), ("business", 1)]
    assert suggest(search_env, "d") == [("dog", 2), ("door", 1)]


def test_suggestions_count_only_searchable_items(search_env: SearchEnv) -> None:
    assert suggest(search_env, "cat") == [("cat", 1)]
    assert suggest(search_env, "bal") == []


def test_suggestions_respect_the_limit(search_env: SearchEnv) -> None:
    assert suggest(search_env, "b", limit=2) == [("beach", 2), ("boats", 1)]


def test_suggestions_in_other_languages(search_env: SearchEnv) -> None:
    assert suggest(search_env, "hu", "de") == [("hund", 1)]
    assert suggest(search_env, "P", "pl") == [("pies", 1), ("plaża", 1)]


def test_suggestions_complete_multi_word_tags(search_env: SearchEnv) -> None:
    assert suggest(search_env, "red c") == [("red car", 1)]
    assert suggest(search_env, "fairy") == [("fairy tale", 1)]


@pytest.mark.parametrize("prefix", ["", "   ", "%", "_", "\\", "'", "d%", "\x00"])
def test_odd_prefixes_suggest_nothing_and_never_fail(search_env: SearchEnv, prefix: str) -> None:
    assert suggest(search_env, prefix) == []


def test_the_suggestion_limit_is_checked(search_env: SearchEnv) -> None:
    with pytest.raises(InvalidParameter) as raised:
        suggest(search_env, "d", limit=service.MAX_SUGGESTIONS + 1)
    assert raised.value.name == "limit"


def test_suggestions_from_the_database_match(search_env: SearchEnv) -> None:
    with search_env.runtime.db.read_session() as session:
        found = service.suggest_from_database(session, "b", "en", 10)
    assert [(s.tag, s.count) for s in found] == [("beach", 2), ("boats", 1), ("business", 1)]


# -- languages stored under Depositphotos codes -----------------------------------------


def test_translations_stored_under_an_alias_are_found(runtime: Runtime) -> None:
    catalog = build_catalog(runtime)
    castle = catalog.id("castle")
    with runtime.db.session() as session:
        session.add(ItemTranslation(item_id=castle, lang="sp", title="Castillo", description=""))
    with runtime.db.read_session() as session:
        (item,) = hydrate(session, [castle], "es")
    assert (item.title, item.lang) == ("Castillo", "es")
