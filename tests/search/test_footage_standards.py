"""`footage_standards`: videos restricted to some Pond5 "vs" codes, other kinds untouched.

Runs on every backend over the catalog of conftest.py (videos: aerial_city vs 10,
ocean_waves vs 4, clouds vs 9), plus one catalog of its own for a video without a
standard (which counts as 0, Multimedia / Unknown).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import Role
from stockhouse.catalog.models import MediaKind
from stockhouse.errors import InvalidParameter
from stockhouse.search.query import SearchQuery, SortField, SortKey
from stockhouse.search.service import MAX_FILTER_VALUES, validate_query
from tests.search.conftest import BACKENDS, SEARCHABLE, SearchEnv, make_backend, open_env
from tests.search.items_support import add_item

BY_ID = (SortKey(SortField.ID),)
VIDEOS = ("aerial_city", "ocean_waves", "clouds")
NOT_VIDEOS = tuple(name for name in SEARCHABLE if name not in VIDEOS)


def by_id(env: SearchEnv, **fields: object) -> list[str]:
    return env.search(sort=BY_ID, **fields)


def test_one_standard_keeps_its_videos_and_every_other_kind(search_env: SearchEnv) -> None:
    found = by_id(search_env, footage_standards=frozenset({4}))
    assert found == [n for n in SEARCHABLE if n in NOT_VIDEOS or n == "ocean_waves"]


def test_several_standards_keep_each_of_their_videos(search_env: SearchEnv) -> None:
    found = by_id(search_env, footage_standards=frozenset({9, 10}))
    assert found == [n for n in SEARCHABLE if n not in ("ocean_waves",)]


def test_a_standard_no_video_has_leaves_only_other_kinds(search_env: SearchEnv) -> None:
    assert by_id(search_env, footage_standards=frozenset({3})) == list(NOT_VIDEOS)


def test_combines_with_a_kind_filter(search_env: SearchEnv) -> None:
    found = by_id(
        search_env,
        kinds=frozenset({MediaKind.VIDEO, MediaKind.MUSIC}),
        footage_standards=frozenset({10}),
    )
    assert found == ["aerial_city", "piano"]


def test_empty_set_restricts_nothing(search_env: SearchEnv) -> None:
    assert by_id(search_env, footage_standards=frozenset()) == list(SEARCHABLE)


def test_counts_the_restricted_match(search_env: SearchEnv) -> None:
    query = SearchQuery(footage_standards=frozenset({4, 9}), limit=1)
    assert search_env.backend.search(query).total == len(NOT_VIDEOS) + 2


def test_too_many_standards_are_refused() -> None:
    query = SearchQuery(footage_standards=frozenset(range(MAX_FILTER_VALUES + 1)))
    with pytest.raises(InvalidParameter) as caught:
        validate_query(query)
    assert caught.value.name == "footage_standards"


@pytest.fixture(params=BACKENDS)
def unknown_standard_env(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[tuple[SearchEnv, dict[str, int]]]:
    """The conftest catalog plus a video with no standard and one in Multimedia (7)."""
    engine, backend_name = request.param
    with open_env(request, tmp_path_factory, sqlite_template, engine, backend_name) as env:
        with env.runtime.db.session() as session:
            owner = accounts.create_user(
                session, username="vic", password=None, roles=[Role.CONTRIBUTOR]
            ).id
            extra = {
                "no_standard": add_item(session, owner, kind=MediaKind.VIDEO, title="raw"),
                "multimedia": add_item(
                    session, owner, kind=MediaKind.VIDEO, title="web", video_standard=7
                ),
            }
        backend = make_backend(backend_name, env.runtime)
        backend.rebuild()
        yield SearchEnv(env.runtime, backend, env.catalog, backend_name), extra


def test_a_video_without_a_standard_counts_as_zero(
    unknown_standard_env: tuple[SearchEnv, dict[str, int]],
) -> None:
    env, extra = unknown_standard_env
    videos = frozenset({MediaKind.VIDEO})
    zero = env.backend.search(SearchQuery(kinds=videos, footage_standards=frozenset({0})))
    assert zero.item_ids == [extra["no_standard"]]
    multimedia = env.backend.search(
        SearchQuery(kinds=videos, footage_standards=frozenset({0, 7}), sort=BY_ID)
    )
    assert multimedia.item_ids == [extra["no_standard"], extra["multimedia"]]
