"""The search backends' shared contract, pinned item by item on the catalog of conftest.py.

Every test runs on each backend (Tantivy on SQLite and on PostgreSQL, PostgreSQL full
text). Filter tests order by id so that the expected lists read in catalog order; sort
tests pin the whole order, ties included (query.py's ordering rules).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from stockhouse.catalog.models import ItemStatus, MediaItem, MediaKind, Orientation
from stockhouse.search.query import (
    Facets,
    SearchQuery,
    SortField,
    SortKey,
    dimension_to_px,
    parse_sort,
)
from tests.search.conftest import SEARCHABLE, T0, SearchEnv

BY_ID = (SortKey(SortField.ID),)
ALL_STATUSES: dict[str, object] = {"statuses": frozenset(), "visible": None}


def by_id(env: SearchEnv, **fields: object) -> list[str]:
    return env.search(sort=BY_ID, **fields)


def sorted_by(env: SearchEnv, sort: str, **fields: object) -> list[str]:
    return env.search(sort=parse_sort(sort), **fields)


# -- totals and paging ------------------------------------------------------------------


def test_a_default_query_finds_every_active_visible_item(search_env: SearchEnv) -> None:
    assert by_id(search_env) == list(SEARCHABLE)


def test_the_total_counts_every_match_not_just_the_page(search_env: SearchEnv) -> None:
    result = search_env.backend.search(SearchQuery(limit=1))
    assert len(result.item_ids) == 1
    assert result.total == 18


def test_the_total_is_exact_for_text_and_filters(search_env: SearchEnv) -> None:
    result = search_env.backend.search(SearchQuery(text="dog", kinds=frozenset({MediaKind.PHOTO})))
    assert result.total == 2


def test_offset_and_limit_cut_the_ordered_list(search_env: SearchEnv) -> None:
    assert by_id(search_env, offset=3, limit=4) == [
        "lighthouse",
        "harbour",
        "red_car",
        "car_wheels",
    ]


def test_an_offset_past_the_end_gives_an_empty_page_and_the_total(search_env: SearchEnv) -> None:
    result = search_env.backend.search(SearchQuery(offset=50, limit=10))
    assert result.item_ids == []
    assert result.total == 18


@pytest.mark.parametrize(
    "sort",
    [
        "relevance",
        "best_sales",
        "-best_sales",
        "newest",
        "undiscovered",
        "views",
        "duration",
        "name",
        "-username",
        "extension",
        "-best_sales,newest",
        "username,name",
        "extension,-views",
        "extension,-best_sales,name",
        "-relevance",
    ],
)
@pytest.mark.parametrize("page_size", [1, 4, 7])
def test_pages_put_together_give_the_whole_order(
    search_env: SearchEnv, sort: str, page_size: int
) -> None:
    whole = sorted_by(search_env, sort)
    pages: list[str] = []
    for offset in range(0, len(whole), page_size):
        pages += sorted_by(search_env, sort, offset=offset, limit=page_size)
    assert pages == whole


@pytest.mark.parametrize("text", ["beach", "sea", "dog", "people", "car", "-dog"])
def test_pages_of_a_text_search_put_together_give_the_whole_order(
    search_env: SearchEnv, text: str
) -> None:
    whole = search_env.search(text=text)
    pages = [
        name
        for offset in range(len(whole))
        for name in search_env.search(text=text, offset=offset, limit=1)
    ]
    assert pages == whole


# -- filters ----------------------------------------------------------------------------


def test_kind_filter(search_env: SearchEnv) -> None:
    assert by_id(search_env, kinds=frozenset({MediaKind.VIDEO})) == [
        "aerial_city",
        "ocean_waves",
        "clouds",
    ]


def test_several_kinds(search_env: SearchEnv) -> None:
    kinds = frozenset({MediaKind.VECTOR, MediaKind.ILLUSTRATION, MediaKind.SFX})
    assert by_id(search_env, kinds=kinds) == ["mountain", "flowers", "castle", "door_slam"]


def test_editorial_only(search_env: SearchEnv) -> None:
    assert by_id(search_env, editorial=True) == ["harbour", "business_team", "ocean_waves"]


def test_editorial_excluded(search_env: SearchEnv) -> None:
    expected = [n for n in SEARCHABLE if n not in ("harbour", "business_team", "ocean_waves")]
    assert by_id(search_env, editorial=False) == expected


def test_nudity_false_hides_nudity_and_true_shows_everything(search_env: SearchEnv) -> None:
    assert by_id(search_env, nudity=False) == [n for n in SEARCHABLE if n != "statue"]
    assert by_id(search_env, nudity=True) == list(SEARCHABLE)


def test_orientation_filter(search_env: SearchEnv) -> None:
    assert by_id(search_env, orientations=frozenset({Orientation.VERTICAL})) == [
        "cat_sofa",
        "castle",
        "statue",
    ]
    square_or_vertical = frozenset({Orientation.SQUARE, Orientation.VERTICAL})
    assert by_id(search_env, orientations=square_or_vertical) == [
        "cat_sofa",
        "dog_beach",
        "mountain",
        "castle",
        "statue",
    ]


def test_colour_filter(search_env: SearchEnv) -> None:
    assert by_id(search_env, colors=frozenset({4})) == ["dog_park", "mountain"]
    assert by_id(search_env, colors=frozenset({4, 17})) == [
        "dog_park",
        "mountain",
        "clouds",
        "statue",
    ]


@pytest.mark.parametrize(
    ("size_class", "expected"),
    [
        (
            "m",
            [
                "dog_park",
                "cat_sofa",
                "dog_beach",
                "lighthouse",
                "harbour",
                "red_car",
                "morning_run",
                "business_team",
                "flowers",
                "castle",
                "aerial_city",
                "ocean_waves",
                "clouds",
                "statue",
            ],
        ),
        (
            "l",
            [
                "dog_park",
                "dog_beach",
                "lighthouse",
                "harbour",
                "morning_run",
                "business_team",
                "castle",
                "aerial_city",
                "statue",
            ],
        ),
        (
            "xl",
            ["dog_park", "lighthouse", "harbour", "morning_run", "castle", "aerial_city", "statue"],
        ),
    ],
)
def test_size_class_is_a_minimum_long_edge(
    search_env: SearchEnv, size_class: str, expected: list[str]
) -> None:
    assert by_id(search_env, size_class=size_class) == expected


def test_size_class_s_leaves_out_items_without_pixels(search_env: SearchEnv) -> None:
    assert by_id(search_env, size_class="s") == [
        n for n in SEARCHABLE if n not in ("piano", "door_slam")
    ]


def test_minimum_width(search_env: SearchEnv) -> None:
    assert by_id(search_env, min_width=2000) == [
        "dog_park",
        "dog_beach",
        "lighthouse",
        "harbour",
        "morning_run",
        "business_team",
        "castle",
        "aerial_city",
        "statue",
    ]


def test_maximum_width(search_env: SearchEnv) -> None:
    assert by_id(search_env, max_width=1000) == ["car_wheels", "mountain", "flowers"]


def test_height_between_bounds_inclusive(search_env: SearchEnv) -> None:
    assert by_id(search_env, min_height=2000, max_height=3000) == [
        "dog_park",
        "dog_beach",
        "lighthouse",
        "harbour",
        "aerial_city",
        "statue",
    ]


@pytest.mark.parametrize(("value", "unit"), [(10, "inch"), (25.4, "cm"), (3000, "px")])
def test_width_in_inches_or_cm_counts_300_dpi(
    search_env: SearchEnv, value: float, unit: str
) -> None:
    assert by_id(search_env, min_width=dimension_to_px(value, unit)) == [
        "dog_park",
        "lighthouse",
        "harbour",
        "morning_run",
        "castle",
        "aerial_city",
    ]


def test_duration_between_bounds(search_env: SearchEnv) -> None:
    assert by_id(search_env, min_duration_ms=8000, max_duration_ms=30000) == [
        "aerial_city",
        "ocean_waves",
        "clouds",
    ]


def test_people_filters(search_env: SearchEnv) -> None:
    assert by_id(search_env, people_gender="female") == ["morning_run"]
    assert by_id(search_env, people_gender="both") == ["business_team"]
    assert by_id(search_env, people_age="40") == ["business_team"]
    assert by_id(search_env, people_race="caucasian") == ["morning_run"]
    assert by_id(search_env, people_quantity_min=2) == ["business_team"]
    assert by_id(search_env, people_quantity_max=1) == ["morning_run"]
    assert by_id(search_env, people_only=True) == ["morning_run"]


def test_people_only_false_leaves_out_people_only_items(search_env: SearchEnv) -> None:
    assert by_id(search_env, people_only=False) == [n for n in SEARCHABLE if n != "morning_run"]


def test_author_by_id(search_env: SearchEnv) -> None:
    alice = search_env.catalog.owners["alice"]
    assert by_id(search_env, author_ids=frozenset({alice})) == [
        "dog_park",
        "lighthouse",
        "car_wheels",
        "mountain",
        "aerial_city",
        "clouds",
        "statue",
    ]


def test_author_by_username_is_exact(search_env: SearchEnv) -> None:
    assert by_id(search_env, author_usernames=frozenset({"Bob"})) == [
        "cat_sofa",
        "harbour",
        "morning_run",
        "flowers",
        "ocean_waves",
        "door_slam",
    ]
    assert by_id(search_env, author_usernames=frozenset({"nobody"})) == []


def test_category_filter(search_env: SearchEnv) -> None:
    categories = search_env.catalog.categories
    assert by_id(search_env, category_ids=frozenset({categories["animals"]})) == [
        "dog_park",
        "cat_sofa",
        "dog_beach",
    ]
    either = frozenset({categories["nature"], categories["aerial"]})
    assert by_id(search_env, category_ids=either) == [
        "dog_park",
        "dog_beach",
        "lighthouse",
        "mountain",
        "aerial_city",
        "ocean_waves",
    ]


def test_extension_filter_ignores_case_and_dots(search_env: SearchEnv) -> None:
    assert by_id(search_env, extensions=frozenset({"PNG", ".svg"})) == [
        "cat_sofa",
        "mountain",
        "castle",
    ]


def test_status_and_visibility_filters(search_env: SearchEnv) -> None:
    assert by_id(search_env, statuses=frozenset({ItemStatus.ARCHIVED}), visible=None) == [
        "archived_dog"
    ]
    assert by_id(search_env, statuses=frozenset({ItemStatus.ACTIVE}), visible=False) == [
        "hidden_cat"
    ]
    pending_or_rejected = frozenset({ItemStatus.PENDING, ItemStatus.REJECTED})
    assert by_id(search_env, statuses=pending_or_rejected, visible=None) == [
        "pending_dog",
        "rejected_car",
    ]


def test_any_status_and_visibility_finds_every_item(search_env: SearchEnv) -> None:
    assert len(by_id(search_env, **ALL_STATUSES)) == 22


def test_published_interval_is_inclusive(search_env: SearchEnv) -> None:
    start, end = T0 + timedelta(days=30), T0 + timedelta(days=60)
    assert by_id(search_env, published_from=start, published_to=end) == [
        "dog_beach",
        "lighthouse",
        "harbour",
        "red_car",
        "flowers",
    ]
    before_end = end - timedelta(microseconds=1)
    assert by_id(search_env, published_from=start, published_to=before_end) == [
        "dog_beach",
        "lighthouse",
        "harbour",
    ]


def test_flag_filters(search_env: SearchEnv) -> None:
    assert by_id(search_env, ai_generated=True) == ["car_wheels"]
    assert by_id(search_env, exclusive=True) == ["business_team"]
    assert by_id(search_env, free=True) == ["car_wheels"]
    assert "car_wheels" not in by_id(search_env, free=False)


def test_item_ids_restrict_to_a_collection_of_searchable_items(search_env: SearchEnv) -> None:
    ids = search_env.catalog.ids
    collection = frozenset({ids["cat_sofa"], ids["archived_dog"], ids["piano"]})
    assert by_id(search_env, item_ids=collection) == ["cat_sofa", "piano"]


def test_excluded_item_ids(search_env: SearchEnv) -> None:
    ids = search_env.catalog.ids
    excluded = frozenset({ids["dog_park"], ids["statue"]})
    assert by_id(search_env, exclude_item_ids=excluded) == [
        n for n in SEARCHABLE if n not in ("dog_park", "statue")
    ]


def test_excluded_keywords(search_env: SearchEnv) -> None:
    assert by_id(search_env, exclude_keywords=("dog", "people")) == [
        n for n in SEARCHABLE if n not in ("dog_park", "dog_beach", "morning_run", "business_team")
    ]


def test_series_filter(search_env: SearchEnv) -> None:
    assert by_id(search_env, series_id=search_env.catalog.series_id) == ["aerial_city", "clouds"]


def test_video_standards_filter(search_env: SearchEnv) -> None:
    assert by_id(search_env, video_standards=frozenset({4, 9})) == ["ocean_waves", "clouds"]


def test_model_release_filter(search_env: SearchEnv) -> None:
    assert by_id(search_env, has_model_release=True) == ["morning_run", "business_team"]
    assert len(by_id(search_env, has_model_release=False)) == 16


def test_filters_combine(search_env: SearchEnv) -> None:
    assert by_id(
        search_env,
        kinds=frozenset({MediaKind.PHOTO}),
        orientations=frozenset({Orientation.HORIZONTAL}),
        editorial=False,
        min_width=1000,
    ) == ["dog_park", "lighthouse", "red_car", "morning_run"]


# -- sorts ------------------------------------------------------------------------------

BEST_SALES = [
    "aerial_city",
    "cat_sofa",
    "dog_park",
    "piano",
    "business_team",
    "morning_run",
    "dog_beach",
    "flowers",
    "mountain",
    "harbour",
    "lighthouse",
    "clouds",
    "ocean_waves",
    "castle",
    "statue",
    "door_slam",
    "car_wheels",
    "red_car",
]
NEWEST = [
    "statue",
    "door_slam",
    "piano",
    "clouds",
    "ocean_waves",
    "aerial_city",
    "castle",
    "mountain",
    "dog_park",
    "business_team",
    "morning_run",
    "car_wheels",
    "flowers",
    "red_car",
    "harbour",
    "lighthouse",
    "dog_beach",
    "cat_sofa",
]
UNDISCOVERED = [
    "door_slam",
    "car_wheels",
    "flowers",
    "harbour",
    "castle",
    "mountain",
    "statue",
    "morning_run",
    "dog_beach",
    "business_team",
    "clouds",
    "lighthouse",
    "piano",
    "dog_park",
    "ocean_waves",
    "red_car",
    "cat_sofa",
    "aerial_city",
]
MOST_VIEWED = [
    "aerial_city",
    "cat_sofa",
    "red_car",
    "ocean_waves",
    "dog_park",
    "piano",
    "lighthouse",
    "clouds",
    "business_team",
    "dog_beach",
    "morning_run",
    "statue",
    "mountain",
    "castle",
    "harbour",
    "flowers",
    "door_slam",
    "car_wheels",
]
SHORTEST = [
    "statue",
    "castle",
    "flowers",
    "mountain",
    "business_team",
    "morning_run",
    "car_wheels",
    "red_car",
    "harbour",
    "lighthouse",
    "dog_beach",
    "cat_sofa",
    "dog_park",
    "door_slam",
    "ocean_waves",
    "aerial_city",
    "clouds",
    "piano",
]
BY_NAME = [
    "aerial_city",
    "business_team",
    "piano",
    "car_wheels",
    "cat_sofa",
    "clouds",
    "dog_beach",
    "dog_park",
    "door_slam",
    "castle",
    "flowers",
    "harbour",
    "lighthouse",
    "statue",
    "morning_run",
    "mountain",
    "ocean_waves",
    "red_car",
]
BY_USERNAME = [
    "statue",
    "clouds",
    "aerial_city",
    "mountain",
    "car_wheels",
    "lighthouse",
    "dog_park",
    "door_slam",
    "ocean_waves",
    "flowers",
    "morning_run",
    "harbour",
    "cat_sofa",
    "piano",
    "castle",
    "business_team",
    "red_car",
    "dog_beach",
]
NEWEST_CREATED = [
    "cat_sofa",
    "door_slam",
    "piano",
    "clouds",
    "ocean_waves",
    "aerial_city",
    "castle",
    "flowers",
    "mountain",
    "business_team",
    "morning_run",
    "car_wheels",
    "red_car",
    "harbour",
    "lighthouse",
    "dog_beach",
    "dog_park",
    "statue",
]
LAST_MODIFIED = [
    "statue",
    "door_slam",
    "piano",
    "clouds",
    "ocean_waves",
    "aerial_city",
    "castle",
    "flowers",
    "mountain",
    "business_team",
    "morning_run",
    "car_wheels",
    "red_car",
    "harbour",
    "lighthouse",
    "dog_park",
    "dog_beach",
    "cat_sofa",
]
BY_EXTENSION = [
    "flowers",
    "statue",
    "business_team",
    "morning_run",
    "car_wheels",
    "red_car",
    "harbour",
    "lighthouse",
    "dog_beach",
    "dog_park",
    "ocean_waves",
    "piano",
    "clouds",
    "aerial_city",
    "castle",
    "cat_sofa",
    "mountain",
    "door_slam",
]
NEWEST_ID_FIRST = list(reversed(SEARCHABLE))


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("best_sales", BEST_SALES),
        ("newest", NEWEST),
        ("undiscovered", UNDISCOVERED),
        ("views", MOST_VIEWED),
        ("duration", SHORTEST),
        ("name", BY_NAME),
        ("username", BY_USERNAME),
        ("created", NEWEST_CREATED),
        ("modified", LAST_MODIFIED),
        ("extension", BY_EXTENSION),
        ("price", NEWEST_ID_FIRST),
        ("id", list(SEARCHABLE)),
    ],
)
def test_each_sort_in_its_natural_direction(
    search_env: SearchEnv, sort: str, expected: list[str]
) -> None:
    assert sorted_by(search_env, sort) == expected


@pytest.mark.parametrize(
    "sort",
    [
        "best_sales",
        "newest",
        "undiscovered",
        "views",
        "duration",
        "name",
        "username",
        "created",
        "modified",
        "extension",
        "price",
        "id",
        "relevance",
    ],
)
def test_a_reversed_sort_is_the_natural_order_read_backwards(
    search_env: SearchEnv, sort: str
) -> None:
    assert sorted_by(search_env, f"-{sort}") == list(reversed(sorted_by(search_env, sort)))


def test_relevance_without_text_is_best_sales(search_env: SearchEnv) -> None:
    assert sorted_by(search_env, "relevance") == BEST_SALES
    assert search_env.search() == BEST_SALES


def test_the_status_sort_is_alphabetical_with_newest_ids_first(search_env: SearchEnv) -> None:
    assert sorted_by(search_env, "status", **ALL_STATUSES) == [
        "hidden_cat",
        *NEWEST_ID_FIRST,
        "archived_dog",
        "pending_dog",
        "rejected_car",
    ]


def test_two_keys_with_the_first_reversed_break_ties_by_lowest_id(
    search_env: SearchEnv,
) -> None:
    assert sorted_by(search_env, "-best_sales,newest") == [
        "door_slam",
        "car_wheels",
        "red_car",
        "statue",
        "castle",
        "clouds",
        "ocean_waves",
        "harbour",
        "lighthouse",
        "mountain",
        "flowers",
        "dog_beach",
        "business_team",
        "morning_run",
        "piano",
        "dog_park",
        "cat_sofa",
        "aerial_city",
    ]


def test_username_then_name(search_env: SearchEnv) -> None:
    assert sorted_by(search_env, "username,name") == [
        "aerial_city",
        "car_wheels",
        "clouds",
        "dog_park",
        "lighthouse",
        "statue",
        "mountain",
        "cat_sofa",
        "door_slam",
        "flowers",
        "harbour",
        "morning_run",
        "ocean_waves",
        "business_team",
        "piano",
        "dog_beach",
        "castle",
        "red_car",
    ]


def test_username_then_fewest_downloads(search_env: SearchEnv) -> None:
    assert sorted_by(search_env, "username,-best_sales") == [
        "car_wheels",
        "statue",
        "clouds",
        "lighthouse",
        "mountain",
        "dog_park",
        "aerial_city",
        "door_slam",
        "ocean_waves",
        "harbour",
        "flowers",
        "morning_run",
        "cat_sofa",
        "red_car",
        "castle",
        "dog_beach",
        "business_team",
        "piano",
    ]


def test_three_keys(search_env: SearchEnv) -> None:
    kinds = frozenset({MediaKind.PHOTO, MediaKind.VECTOR})
    assert sorted_by(search_env, "extension,-best_sales,name", kinds=kinds) == [
        "flowers",
        "car_wheels",
        "red_car",
        "statue",
        "harbour",
        "lighthouse",
        "dog_beach",
        "business_team",
        "morning_run",
        "dog_park",
        "cat_sofa",
        "mountain",
    ]


def test_sorts_apply_within_filters(search_env: SearchEnv) -> None:
    assert sorted_by(search_env, "-duration", kinds=frozenset({MediaKind.VIDEO})) == [
        "clouds",
        "aerial_city",
        "ocean_waves",
    ]


# -- text -------------------------------------------------------------------------------


def test_a_word_matches_titles_tags_and_descriptions(search_env: SearchEnv) -> None:
    assert by_id(search_env, text="dog") == ["dog_park", "dog_beach"]
    assert by_id(search_env, text="sunrise") == ["morning_run"]
    assert by_id(search_env, text="vehicle") == ["red_car"]


def test_matching_ignores_case_and_accents(search_env: SearchEnv) -> None:
    assert by_id(search_env, text="DOG") == ["dog_park", "dog_beach"]
    assert by_id(search_env, text="Harbóur") == ["harbour"]


def test_english_stemming(search_env: SearchEnv) -> None:
    assert by_id(search_env, text="running") == ["dog_park", "morning_run"]
    assert by_id(search_env, text="dogs") == ["dog_park", "dog_beach"]
    assert by_id(search_env, text="boat") == ["harbour"]


def test_every_word_must_match(search_env: SearchEnv) -> None:
    assert by_id(search_env, text="dog beach") == ["dog_beach"]
    assert by_id(search_env, text="dog piano") == []


def test_a_quoted_phrase_matches_the_words_in_order(search_env: SearchEnv) -> None:
    assert by_id(search_env, text="red car") == ["red_car", "car_wheels"]
    assert by_id(search_env, text='"red car"') == ["red_car"]
    assert by_id(search_env, text='"car red"') == []


def test_excluded_words_and_phrases(search_env: SearchEnv) -> None:
    assert by_id(search_env, text="dog -beach") == ["dog_park"]
    assert by_id(search_env, text='car -"red wheels"') == ["red_car"]
    assert by_id(search_env, text="NOT beach dog") == ["dog_park"]


def test_only_exclusions_search_everything_else(search_env: SearchEnv) -> None:
    assert by_id(search_env, text="-dog") == [
        n for n in SEARCHABLE if n not in ("dog_park", "dog_beach")
    ]


def test_an_item_id_typed_as_the_query_finds_the_item(search_env: SearchEnv) -> None:
    castle = search_env.catalog.id("castle")
    assert search_env.search(text=str(castle)) == ["castle"]
    assert search_env.search(text=f"#{castle}") == ["castle"]


def test_an_item_id_of_an_unsearchable_item_finds_nothing(search_env: SearchEnv) -> None:
    assert search_env.search(text=str(search_env.catalog.id("archived_dog"))) == []


def test_a_title_match_ranks_above_a_description_match(search_env: SearchEnv) -> None:
    assert search_env.search(text="lighthouse") == ["lighthouse", "harbour"]


def test_reversed_relevance_puts_the_weakest_match_first(search_env: SearchEnv) -> None:
    assert sorted_by(search_env, "-relevance", text="lighthouse") == ["harbour", "lighthouse"]


def test_equally_relevant_items_are_ordered_by_best_sales(search_env: SearchEnv) -> None:
    # "sea" is one tag of three on both items: same score, dog_beach sold more.
    assert search_env.search(text="sea") == ["dog_beach", "ocean_waves"]


def test_text_then_another_sort(search_env: SearchEnv) -> None:
    assert sorted_by(search_env, "views", text="beach") == ["dog_beach", "morning_run"]
    assert sorted_by(search_env, "-views", text="beach") == ["morning_run", "dog_beach"]


# -- languages --------------------------------------------------------------------------


def test_a_german_query_finds_the_german_text(search_env: SearchEnv) -> None:
    assert by_id(search_env, text="hund", lang="de") == ["dog_park"]
    assert by_id(search_env, text="Läuft", lang="de") == ["dog_park"]


def test_a_query_in_another_language_also_matches_english(search_env: SearchEnv) -> None:
    assert by_id(search_env, text="dog", lang="de") == ["dog_park", "dog_beach"]


def test_an_english_query_does_not_match_other_languages(search_env: SearchEnv) -> None:
    assert by_id(search_env, text="hund") == []


def test_languages_without_a_stemmer_match_whole_words(search_env: SearchEnv) -> None:
    assert by_id(search_env, text="pies", lang="pl") == ["dog_beach"]
    assert by_id(search_env, text="plaża", lang="pl") == ["dog_beach"]


def test_french_matches_with_or_without_accents(search_env: SearchEnv) -> None:
    assert by_id(search_env, text="équipe", lang="fr") == ["business_team"]
    assert by_id(search_env, text="equipe", lang="fr") == ["business_team"]


# -- facets -----------------------------------------------------------------------------


def test_facets_count_the_whole_match(search_env: SearchEnv) -> None:
    categories = search_env.catalog.categories
    result = search_env.backend.search(SearchQuery(facets=True, limit=1))
    assert result.facets == Facets(
        kind={"photo": 10, "video": 3, "vector": 2, "illustration": 1, "music": 1, "sfx": 1},
        orientation={"horizontal": 11, "vertical": 3, "square": 2},
        color={
            1: 1,
            2: 1,
            3: 1,
            4: 2,
            7: 1,
            8: 1,
            9: 1,
            10: 1,
            12: 1,
            13: 1,
            14: 1,
            15: 1,
            16: 1,
            17: 2,
        },
        category={
            categories["animals"]: 3,
            categories["nature"]: 4,
            categories["business"]: 3,
            categories["aerial"]: 2,
            categories["ambient"]: 1,
        },
    )


def test_facets_follow_the_text_and_filters(search_env: SearchEnv) -> None:
    categories = search_env.catalog.categories
    result = search_env.backend.search(SearchQuery(text="dog", facets=True, limit=1))
    assert result.total == 2
    assert result.facets == Facets(
        kind={"photo": 2},
        orientation={"horizontal": 1, "square": 1},
        color={4: 1, 2: 1},
        category={categories["animals"]: 2, categories["nature"]: 2},
    )


def test_no_facets_unless_asked(search_env: SearchEnv) -> None:
    assert search_env.backend.search(SearchQuery()).facets is None


def test_facets_leave_categories_out_when_the_caller_shows_none(search_env: SearchEnv) -> None:
    query = SearchQuery(text="dog", facets=True, facet_categories=False, limit=1)
    result = search_env.backend.search(query)
    assert result.total == 2
    assert result.facets == Facets(
        kind={"photo": 2}, orientation={"horizontal": 1, "square": 1}, color={4: 1, 2: 1}
    )


# -- hostile input ----------------------------------------------------------------------

HOSTILE_TEXTS = [
    '"',
    '"""',
    "(",
    ")",
    "dog)",
    "title:dog",
    ":",
    "*",
    "dog*",
    "~",
    "dog~2",
    "^",
    "dog^10",
    "AND",
    "OR",
    "NOT",
    "dog AND OR NOT cat",
    "a && b || !c",
    "[1 TO 5]",
    "{}",
    "\\",
    "'",
    "'; DROP TABLE media_item; --",
    "1' OR '1'='1",
    "%_%",
    "<script>alert(1)</script>",
    "dog" * 3334,
    "x " * 5000,
    "日本語のテキスト",
    "🐶 dog 🐕",
    "straße İstanbul ǅ",
    "\u202edog",
    "-",
    "--",
    "- - -",
    "+",
    "#",
    "#0",
    "99999999999999999999",
    "-1",
    "editorial:maybe",
    "kind:spaceship",
    "&",
    "|",
    "!",
    "dog & cat",
    "dog | cat",
    "dog <-> cat",
    "dog:*",
]


@pytest.mark.parametrize("text", HOSTILE_TEXTS, ids=range(len(HOSTILE_TEXTS)))
def test_hostile_text_never_fails(search_env: SearchEnv, text: str) -> None:
    result = search_env.backend.search(SearchQuery(text=text, facets=True, lang="en"))
    assert set(search_env.catalog.names(result.item_ids)) <= set(SEARCHABLE)
    assert result.total >= len(result.item_ids)


def test_sql_in_the_text_is_only_text(search_env: SearchEnv) -> None:
    assert search_env.search(text="'; DROP TABLE media_item; --") == []
    with search_env.runtime.db.read_session() as session:
        assert session.scalar(select(func.count()).select_from(MediaItem)) == 22


def test_hostile_text_in_other_languages_never_fails(search_env: SearchEnv) -> None:
    for lang in ("de", "pl", "ja", "zh-hant"):
        for text in ('"', "dog^10", "'; DROP TABLE media_item; --", "日本語"):
            search_env.backend.search(SearchQuery(text=text, lang=lang))
