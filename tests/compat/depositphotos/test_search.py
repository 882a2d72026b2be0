"""`search`: the document's parameters as core SearchQuery filters, and result fields."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient

from stockhouse.catalog.models import MediaKind
from stockhouse.runtime import Runtime
from tests.compat.depositphotos.conftest import World, assert_failure, dp
from tests.search.items_support import T0, add_item


@pytest.fixture
def shelf(runtime: Runtime, world: World) -> dict[str, int]:
    """Items with the attributes the filters look at (all tagged "coast")."""
    owner = world.user_ids["carla"]
    specs: dict[str, dict[str, Any]] = {
        "blue_wide": dict(color=2, orientation="horizontal", width=3000, height=2000, downloads=5),
        "red_tall": dict(color=9, orientation="vertical", width=1000, height=3000, downloads=50),
        "nude": dict(nudity=True, width=800, height=800),
        "editorial": dict(editorial=True, width=800, height=800),
        "people": dict(
            people_gender="female",
            people_age="30",
            people_quantity=2,
            width=900,
            height=900,
            people_race="asian",
            people_only=True,
        ),
        "exclusive": dict(exclusive=True, width=500, height=500, views=100),
        "clip": dict(kind=MediaKind.VIDEO, width=1920, height=1080),
    }
    ids: dict[str, int] = {}
    with runtime.db.session() as session:
        for position, (name, fields) in enumerate(specs.items()):
            kind = fields.pop("kind", MediaKind.PHOTO)
            ids[name] = add_item(
                session,
                owner,
                title=f"coast {name}",
                tags=["coast", name],
                kind=kind,
                published_at=T0 + timedelta(days=position),
                **fields,
            )
    runtime.search.rebuild()
    return ids


def found(client: TestClient, **params: Any) -> list[int]:
    answer = dp(client, "search", dp_search_query="coast", **params)
    assert answer["type"] == "success", answer
    return [int(item["id"]) for item in answer["result"]]


def test_words_find_items_and_count(client: TestClient, shelf: dict[str, int]) -> None:
    answer = dp(client, "search", dp_search_query="coast")
    assert answer["count"] == 5  # photos and vectors by default: not the nude one, not video
    assert isinstance(answer["hash"], str)


def test_item_id_as_query(client: TestClient, shelf: dict[str, int]) -> None:
    answer = dp(client, "search", dp_search_query=str(shelf["red_tall"]))
    assert [int(i["id"]) for i in answer["result"]] == [shelf["red_tall"]]


def test_sort_4_is_best_sales_and_5_newest(client: TestClient, shelf: dict[str, int]) -> None:
    assert found(client, dp_search_sort=4)[:2] == [shelf["red_tall"], shelf["blue_wide"]]
    newest = found(client, dp_search_sort=5)
    assert newest[0] == shelf["exclusive"]


def test_limit_and_offset_page_the_results(client: TestClient, shelf: dict[str, int]) -> None:
    everything = found(client, dp_search_sort=5)
    assert found(client, dp_search_sort=5, dp_search_limit=2, dp_search_offset=1) == everything[1:3]


def test_colour_orientation_and_size(client: TestClient, shelf: dict[str, int]) -> None:
    assert found(client, dp_search_color=9) == [shelf["red_tall"]]
    assert found(client, dp_search_orientation="horizontal") == [shelf["blue_wide"]]
    assert set(found(client, dp_search_imagesize="xl")) == {shelf["blue_wide"], shelf["red_tall"]}


def test_dimensions_in_inches_at_300_dpi(client: TestClient, shelf: dict[str, int]) -> None:
    # 10 inch = 3000 px: only items at least 3000 px wide
    hits = found(client, dp_search_width=10, dp_search_dimension_units="inch")
    assert hits == [shelf["blue_wide"]]


def test_nudity_hidden_unless_asked(client: TestClient, shelf: dict[str, int]) -> None:
    assert shelf["nude"] not in found(client)
    assert shelf["nude"] in found(client, dp_search_nudity=1)


def test_kind_switches(client: TestClient, shelf: dict[str, int]) -> None:
    assert found(client, dp_search_video=1, dp_search_photo=0, dp_search_vector=0) == [
        shelf["clip"]
    ]
    assert found(client, dp_search_photo=0, dp_search_vector=0) == []


def test_editorial_switch(client: TestClient, shelf: dict[str, int]) -> None:
    assert found(client, dp_search_editorial=1) == [shelf["editorial"]]
    assert shelf["editorial"] not in found(client, dp_search_editorial=0)


def test_people_filters(client: TestClient, shelf: dict[str, int]) -> None:
    people = [shelf["people"]]
    assert found(client, dp_search_gender="female") == people
    assert found(client, dp_search_age="30", dp_search_race="asian") == people
    assert found(client, dp_search_quantity=2, dp_search_people_only=1) == people
    assert shelf["blue_wide"] in found(client, dp_search_quantity=7)  # above 3: any


def test_exclude_keywords(client: TestClient, shelf: dict[str, int]) -> None:
    hits = found(client, dp_exclude_keyword="red_tall,blue_wide")
    assert shelf["red_tall"] not in hits and shelf["blue_wide"] not in hits


def test_author_filters(client: TestClient, world: World, shelf: dict[str, int]) -> None:
    by_id = dp(client, "search", dp_search_user=world.user_ids["carla"])
    by_name = dp(client, "search", dp_search_username="carla")
    assert by_id["count"] == by_name["count"] >= 5
    assert dp(client, "search", dp_search_username="mia")["count"] == 0


def test_curated_collection_is_the_exclusive_items(
    client: TestClient, shelf: dict[str, int]
) -> None:
    assert found(client, dp_item_permission="enterprise") == [shelf["exclusive"]]


def test_result_fields_and_thumbnails(client: TestClient, world: World) -> None:
    item = dp(client, "search", dp_search_query="harbour")["result"][0]
    assert item["id"] == item["deposit_item_id"] == world.photo  # a number, as in the sample
    assert item["type"] == item["itype"] == "image"
    assert (item["level"], item["similar"], item["series"], item["mp4"]) == ("bronze", [], [], "")
    assert (item["width"], item["height"]) == (600, 400)
    assert client.get(item["thumbnail"]).content[:3] == b"\xff\xd8\xff"


def test_full_info_adds_sizes_tags_and_related(client: TestClient, world: World) -> None:
    item = dp(client, "search", dp_search_query="harbour", dp_full_info=1)["result"][0]
    assert item["available_sizes"] == {"s": 1, "xl": 10, "el0": 80}
    assert item["similar"] == [] and item["series"] == []


def test_limit_above_the_cap_is_cut(client: TestClient, shelf: dict[str, int]) -> None:
    assert dp(client, "search", dp_search_query="coast", dp_search_limit=100000)["type"] == (
        "success"
    )


def test_no_query_user_or_username_is_invalid(client: TestClient, world: World) -> None:
    assert_failure(dp(client, "search", dp_search_color=3), "EInternal\\InvalidParam", 400)


def test_image_url_at_a_private_address_is_refused(client: TestClient, world: World) -> None:
    answer = dp(client, "search", dp_image_url="http://127.0.0.1:1/cat.jpg")
    assert_failure(answer, "EInternal\\InvalidParam", 400)
