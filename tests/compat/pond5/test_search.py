"""Pond5 `search` over HTTP in JSON envelopes: bm media bits, sb orders (+100 reverses),
no/p paging, col extra fields, cat categories, the editorial rule, counts per kind and
hostile input, item by item on the catalog of search_support.py (SQLite and PostgreSQL).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.compat.pond5.search_support import (
    SEARCHABLE,
    SearchWorld,
    in_catalog_order,
    p5_search,
)

__all__ = ["p5_search"]  # the module-scoped fixture, imported to be used here

BASE_FIELDS = {"id", "vs", "ox", "oy", "ar", "aq"}
VIDEOS = (
    "city_4k", "beach_hd", "pal_farm", "ntsc_dv_street", "ntsc_d1_park", "web_clip",
    "eight_k", "hdv_1080i", "hd_720", "hdv_720p", "other_hd", "model_clip",
)  # fmt: skip
DEFAULT_MEDIA = (*VIDEOS, "piano", "door_slam")  # non-editorial video and sound
BEST_SALES = [
    "city_4k", "door_slam", "piano", "model_clip", "hdv_1080i", "ntsc_dv_street",
    "other_hd", "hdv_720p", "pal_farm", "hd_720", "beach_hd", "eight_k", "ntsc_d1_park",
    "web_clip",
]  # fmt: skip
# sb code -> the whole default page in that order (sb + 100 is exactly the reverse).
ORDERS: dict[int, list[str]] = {
    2: [  # username A-Z (case-insensitive); one user's items newest id first
        "piano", "model_clip", "hdv_720p", "eight_k", "ntsc_dv_street", "city_4k",
        "door_slam", "other_hd", "hdv_1080i", "ntsc_d1_park", "beach_hd",
        "hd_720", "web_clip", "pal_farm",
    ],
    # price ("from" price): every clip from $10 (480), sound from $20; ties newest id first
    4: [*reversed(VIDEOS), "door_slam", "piano"],
    5: [  # duration, shortest first
        "door_slam", "web_clip", "eight_k", "ntsc_dv_street", "ntsc_d1_park", "hdv_1080i",
        "beach_hd", "hd_720", "hdv_720p", "other_hd", "model_clip", "city_4k", "pal_farm",
        "piano",
    ],
    6: [  # date uploaded, newest first
        "model_clip", "door_slam", "piano", "other_hd", "hdv_720p", "hd_720", "hdv_1080i",
        "eight_k", "web_clip", "ntsc_d1_park", "ntsc_dv_street", "pal_farm", "beach_hd",
        "city_4k",
    ],
    8: BEST_SALES,  # number of sales
    9: BEST_SALES,  # sales revenue: number of sales stands in
    10: [  # number of views, most first
        "city_4k", "beach_hd", "piano", "model_clip", "pal_farm", "other_hd", "hdv_720p",
        "hd_720", "hdv_1080i", "ntsc_d1_park", "ntsc_dv_street", "web_clip", "eight_k",
        "door_slam",
    ],
    1: BEST_SALES,  # default: relevance, which is best sales without words
}  # fmt: skip


def error_code(slot: dict[str, Any]) -> int:
    assert slot.get("e") is True, slot
    code: int = slot["code"]
    return code


# -- the default search and the counts ----------------------------------------------------


def test_default_search_is_non_editorial_video_and_sound_by_best_sales(
    p5_search: SearchWorld,
) -> None:
    slot = p5_search.search()
    assert p5_search.names(slot["items"]) == BEST_SALES
    assert (slot["tot_nbr_rows"], slot["nbr_footage"], slot["nbr_music"], slot["nbr_sfx"]) == (
        14,
        12,
        1,
        1,
    )
    assert slot["max_per_page"] == 25


def test_counts_are_per_kind_over_every_page(p5_search: SearchWorld) -> None:
    slot = p5_search.search(bm=16515135 | 128 | 1024, no=25)
    assert slot["tot_nbr_rows"] == 18  # 12 videos, music, sfx, two photos, two illustrations
    assert (slot["nbr_footage"], slot["nbr_music"], slot["nbr_sfx"]) == (12, 1, 1)


def test_file_bases_point_at_this_server(p5_search: SearchWorld) -> None:
    slot = p5_search.search()
    assert slot["icon_base"] == "http://testserver/pond5/media/icons/"
    assert slot["flv_base"] == "http://testserver/pond5/media/flv/"
    assert slot["flv_base_encr"] == "http://testserver/pond5/media/flv/"


def test_https_envelope_gets_https_bases(p5_search: SearchWorld) -> None:
    from tests.compat.pond5.conftest import p5

    answer = p5(p5_search.client, p5_search.world, {"command": "search"}, https=True)
    slot = answer["commands"][0]
    assert slot["icon_base"] == "https://testserver/pond5/media/icons/"
    assert slot["flv_base_encr"] == "https://testserver/pond5/media/flv/"


def test_unpublished_and_hidden_items_are_never_found(p5_search: SearchWorld) -> None:
    found = p5_search.found(query="dog", bm=16515135 | 128, no=500)
    assert "hidden_dog" not in found and "pending_dog" not in found
    assert in_catalog_order(found) == ["ntsc_d1_park", "web_clip", "other_hd", "model_clip",
                                       "dog_photo"]  # fmt: skip


# -- sb ---------------------------------------------------------------------------------


@pytest.mark.parametrize("sb", sorted(ORDERS))
def test_sort_code_orders_the_page(p5_search: SearchWorld, sb: int) -> None:
    assert p5_search.found(sb=sb) == ORDERS[sb]


@pytest.mark.parametrize("sb", sorted(ORDERS))
def test_sort_code_plus_100_is_the_reverse(p5_search: SearchWorld, sb: int) -> None:
    assert p5_search.found(sb=sb + 100) == list(reversed(ORDERS[sb]))


def test_sort_code_4_orders_by_the_lowest_price_and_104_reverses_it(
    p5_search: SearchWorld,
) -> None:
    def from_prices(sb: int) -> list[int]:
        items = p5_search.search(sb=sb, col=16, bm=16515135 | 128 | 1024, no=500)["items"]
        return [int(item["pricerange"][0]) for item in items]

    cheapest_first = from_prices(4)
    assert cheapest_first == sorted(cheapest_first)
    assert cheapest_first[0] < cheapest_first[-1]
    assert from_prices(104) == sorted(cheapest_first, reverse=True)


def test_relevance_with_words_reverses_too(p5_search: SearchWorld) -> None:
    natural = p5_search.found(query="dog", sb=1)
    assert sorted(natural) == ["model_clip", "ntsc_d1_park", "other_hd", "web_clip"]
    assert p5_search.found(query="dog", sb=101) == list(reversed(natural))


def test_sort_code_as_string_works(p5_search: SearchWorld) -> None:
    assert p5_search.found(sb="10") == ORDERS[10]


@pytest.mark.parametrize("sb", [0, 3, 7, 11, 99, 100, 103, 111, 200, -1, "x", 2**40])
def test_unknown_sort_code_is_error_1(p5_search: SearchWorld, sb: object) -> None:
    assert error_code(p5_search.search(sb=sb)) == 1


# -- bm ---------------------------------------------------------------------------------

BM_CASES: dict[int, list[str]] = {
    1: ["beach_hd", "model_clip"],  # hd (HD 1080); news_riot is editorial
    2: ["pal_farm"],
    4: ["ntsc_dv_street", "ntsc_d1_park"],
    8: ["web_clip"],  # multimedia
    262144: ["city_4k"],
    524288: ["eight_k"],
    1048576: ["hdv_1080i"],
    2097152: ["hd_720"],
    4194304: ["hdv_720p"],
    8388608: ["other_hd"],
    16515087: list(VIDEOS),  # any video
    16: ["piano"],
    32: ["door_slam"],
    48: ["piano", "door_slam"],
    16515135: list(DEFAULT_MEDIA),
    128: ["dog_photo", "nude_statue"],
    1024: ["castle", "mountain"],  # illustrations and vectors
    2 | 16: ["pal_farm", "piano"],
    1 | 262144 | 32: ["city_4k", "beach_hd", "model_clip", "door_slam"],
    128 | 256: ["dog_photo"],  # model release
    256: ["model_clip"],  # no media bit: the default media, with model release
    128 | 2048: ["dog_photo"],  # filter explicit
    0: list(DEFAULT_MEDIA),
}


@pytest.mark.parametrize("bm", list(BM_CASES))
def test_media_bits_select_items(p5_search: SearchWorld, bm: int) -> None:
    found = p5_search.found(bm=bm, no=500)
    assert in_catalog_order(found) == in_catalog_order(BM_CASES[bm])
    assert len(found) == len(BM_CASES[bm])


@pytest.mark.parametrize("bm", [64, 512, 64 | 512 | 256])
def test_after_effects_and_matte_find_nothing(p5_search: SearchWorld, bm: int) -> None:
    slot = p5_search.search(bm=bm)
    assert slot["items"] == []
    assert (slot["tot_nbr_rows"], slot["nbr_footage"], slot["nbr_music"], slot["nbr_sfx"]) == (
        0,
        0,
        0,
        0,
    )


def test_media_bits_as_string(p5_search: SearchWorld) -> None:
    assert p5_search.found(bm="2") == ["pal_farm"]


@pytest.mark.parametrize("bm", [-1, "abc", 2**40, 1.5, [1]])
def test_bad_bitmask_is_error_1(p5_search: SearchWorld, bm: object) -> None:
    assert error_code(p5_search.search(bm=bm)) == 1


# -- editorial ----------------------------------------------------------------------------


def test_editorial_items_are_left_out_by_default(p5_search: SearchWorld) -> None:
    assert p5_search.found(query="riot") == []


def test_editorial_1_in_the_query_finds_only_editorial(p5_search: SearchWorld) -> None:
    assert p5_search.found(query="editorial:1") == ["news_riot"]
    assert p5_search.found(query="riot editorial:1") == ["news_riot"]
    assert p5_search.found(query="street editorial:1") == ["news_riot"]


def test_editorial_0_is_the_default(p5_search: SearchWorld) -> None:
    assert p5_search.found(query="street editorial:0") == ["ntsc_dv_street"]


# -- no and p -----------------------------------------------------------------------------

FILLERS_BY_VIEWS = [f"filler_{n:02d}" for n in range(29, -1, -1)]
FILLER_QUERY = {"query": "filler editorial:1", "bm": 128, "sb": 10}


def test_pages_follow_each_other(p5_search: SearchWorld) -> None:
    first = p5_search.search(**FILLER_QUERY, no=25, p=0)
    second = p5_search.search(**FILLER_QUERY, no=25, p=1)
    assert p5_search.names(first["items"]) == FILLERS_BY_VIEWS[:25]
    assert p5_search.names(second["items"]) == FILLERS_BY_VIEWS[25:]
    assert first["tot_nbr_rows"] == second["tot_nbr_rows"] == 30


def test_page_past_the_end_is_empty_with_counts(p5_search: SearchWorld) -> None:
    for page in (2, "999999999999"):
        slot = p5_search.search(**FILLER_QUERY, p=page)
        assert slot["items"] == [] and slot["tot_nbr_rows"] == 30


@pytest.mark.parametrize(
    ("no", "per_page"), [(10, 25), (-5, 25), (30, 30), ("30", 30), (1000, 500), (500, 500)]
)
def test_per_page_is_clamped_to_25_500(p5_search: SearchWorld, no: object, per_page: int) -> None:
    slot = p5_search.search(**FILLER_QUERY, no=no)
    assert slot["max_per_page"] == per_page
    assert p5_search.names(slot["items"]) == FILLERS_BY_VIEWS[:per_page]


@pytest.mark.parametrize(("name", "value"), [("no", "many"), ("p", -1), ("p", "first")])
def test_bad_paging_is_error_1(p5_search: SearchWorld, name: str, value: object) -> None:
    assert error_code(p5_search.search(**{name: value})) == 1


# -- col ----------------------------------------------------------------------------------

COL_FIELDS: dict[int, dict[str, Any]] = {
    1: {"n": "City at night"},
    2: {"dur": 15000},
    4: {"kw": "city night aerial"},
    8: {"desc": "Lights of a city from above."},
    16: {"pr": "80", "pricerange": ["10", "80"]},  # 480 ... 4k of the standard license
    32: {"fps": 25.0},
    64: {"codg": "h264"},
    128: {"coda": "aac"},
    256: {"artistname": "ann"},
    512: {"filesize": 10_001},
    1024: {"vr360": False},
    2048: {},  # sound BPM: not known
}


def city(p5_search: SearchWorld, col: int) -> dict[str, Any]:
    slot = p5_search.search(query="city", col=col)
    assert p5_search.names(slot["items"]) == ["city_4k"]
    item: dict[str, Any] = slot["items"][0]
    return item


def test_without_col_items_have_the_base_fields(p5_search: SearchWorld) -> None:
    item = city(p5_search, 0)
    assert item == {
        "id": p5_search.ids["city_4k"],
        "vs": 10,
        "ox": 3840,
        "oy": 2160,
        "ar": 6,
        "aq": 1.77778,
    }


@pytest.mark.parametrize("bit", list(COL_FIELDS))
def test_each_col_bit_adds_only_its_fields(p5_search: SearchWorld, bit: int) -> None:
    item = city(p5_search, bit)
    assert set(item) == BASE_FIELDS | set(COL_FIELDS[bit])
    assert {name: item[name] for name in COL_FIELDS[bit]} == COL_FIELDS[bit]


def test_all_col_bits_together(p5_search: SearchWorld) -> None:
    item = city(p5_search, 4095)
    expected = {name: value for fields in COL_FIELDS.values() for name, value in fields.items()}
    assert {name: item[name] for name in expected} == expected


@pytest.mark.parametrize(
    ("name", "fields"),
    [
        ("piano", {"vs": 100, "ox": 16, "oy": 9, "ar": 4, "aq": 1.77778, "pr": "20"}),
        ("door_slam", {"vs": 101, "ox": 16, "oy": 9, "ar": 4, "coda": "pcm_s16le"}),
        ("dog_photo", {"vs": 300, "ox": 4000, "oy": 3000, "ar": 4, "aq": 1.33333, "pr": "10"}),
        ("castle", {"vs": 301, "ox": 3000, "oy": 4500, "dur": 0, "codg": ""}),
        ("mountain", {"vs": 301, "ox": 800, "oy": 800, "aq": 1.0}),
        ("pal_farm", {"vs": 3, "ox": 720, "oy": 576, "ar": 1, "aq": 1.33333, "pr": "10"}),
        ("beach_hd", {"coda": "no snd", "fps": 29.97, "pricerange": ["10", "40"]}),
    ],
)
def test_fields_of_each_kind(p5_search: SearchWorld, name: str, fields: dict[str, Any]) -> None:
    found = p5_search.search(bm=16515135 | 128 | 1024, col=4095, no=500)
    item = next(i for i in found["items"] if i["id"] == p5_search.ids[name])
    assert {key: item[key] for key in fields} == fields


@pytest.mark.parametrize("col", [-1, "all", 2**40])
def test_bad_col_is_error_1(p5_search: SearchWorld, col: object) -> None:
    assert error_code(p5_search.search(col=col)) == 1


# -- cat ----------------------------------------------------------------------------------


def category(p5_search: SearchWorld, group: str, name: str) -> int:
    return p5_search.categories[(group, name)]


def test_one_category(p5_search: SearchWorld) -> None:
    aerial = category(p5_search, "video", "Aerial")
    assert p5_search.found(cat=aerial) == ["city_4k"]
    assert p5_search.found(cat=str(aerial)) == ["city_4k"]


def test_several_categories_as_comma_list(p5_search: SearchWorld) -> None:
    ids = [category(p5_search, "video", n) for n in ("Aerial", "Nature", "Animals")]
    found = p5_search.found(cat=",".join(map(str, ids)))
    assert in_catalog_order(found) == ["city_4k", "beach_hd", "ntsc_d1_park"]


def test_sound_categories(p5_search: SearchWorld) -> None:
    assert p5_search.found(cat=category(p5_search, "music", "Ambient")) == ["piano"]
    assert p5_search.found(cat=category(p5_search, "sfx", "Foley")) == ["door_slam"]


def test_category_0_means_any(p5_search: SearchWorld) -> None:
    assert p5_search.found(cat=0) == BEST_SALES


def test_unknown_category_finds_nothing(p5_search: SearchWorld) -> None:
    assert p5_search.found(cat=987654) == []


@pytest.mark.parametrize("cat", ["video", "1;2", -3])
def test_bad_category_is_error_1(p5_search: SearchWorld, cat: object) -> None:
    assert error_code(p5_search.search(cat=cat)) == 1


# -- text and hostile queries -------------------------------------------------------------


def test_words_phrases_and_exclusions(p5_search: SearchWorld) -> None:
    assert in_catalog_order(p5_search.found(query="dog -sofa")) == [
        "ntsc_d1_park",
        "web_clip",
        "model_clip",
    ]
    assert p5_search.found(query='"dog in a park"') == ["ntsc_d1_park"]
    assert p5_search.found(query="DOG PARK") == ["ntsc_d1_park"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("'; DROP TABLE media_item; --", []),
        ("dog' OR '1'='1", []),
        ('"unclosed dog', []),
        ("dog AND (park OR", ["ntsc_d1_park"]),
        ("park* ~2 ^3 {x} [y] \\ / :", []),
        ("%_% park", ["ntsc_d1_park"]),
        ("<q>&amp;</q>", []),
        ("犬 🐕 ünïcødé", []),
        ("NOT NOT - -", list(BEST_SALES)),
        ("   ", list(BEST_SALES)),
        ("park" + " park" * 1500, ["ntsc_d1_park"]),
        ("COW" + "S", ["pal_farm"]),
    ],
)
def test_hostile_queries_answer_normally(
    p5_search: SearchWorld, query: str, expected: list[str]
) -> None:
    slot = p5_search.search(query=query)
    assert p5_search.names(slot["items"]) == expected
    assert slot["tot_nbr_rows"] == len(expected)


def test_injection_left_the_catalog_intact(p5_search: SearchWorld) -> None:
    p5_search.search(query="'; DELETE FROM media_item; --")
    assert p5_search.found() == BEST_SALES


def test_a_number_as_query_is_an_item_id(p5_search: SearchWorld) -> None:
    assert p5_search.found(query=p5_search.ids["pal_farm"]) == ["pal_farm"]


@pytest.mark.parametrize("query", ["x" * 10_001, ["dog"], {"a": 1}, "dog\x00"])
def test_unusable_query_is_error_1(p5_search: SearchWorld, query: object) -> None:
    assert error_code(p5_search.search(query=query)) == 1


def test_every_kind_together_is_every_published_non_editorial_item(
    p5_search: SearchWorld,
) -> None:
    everything = p5_search.found(bm=16515135 | 128 | 1024, no=500)
    assert in_catalog_order(everything) == [n for n in SEARCHABLE if n != "news_riot"]
