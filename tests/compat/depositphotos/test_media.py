"""getMediaData: the document's fields, prices from commerce, real rendition URLs."""

from __future__ import annotations

import re

from sqlalchemy import update
from starlette.testclient import TestClient

from stockhouse.catalog.models import ItemStatus, MediaItem
from stockhouse.db.base import utcnow
from stockhouse.runtime import Runtime
from tests.compat.depositphotos.conftest import World, assert_failure, dp

DATETIME = re.compile(r"^[A-Z][a-z]{2}\.\d{2}, \d{4} \d{2}:\d{2}:\d{2}$")
DATE = re.compile(r"^[A-Z][a-z]{2}\.\d{2}, \d{4}$")


def test_one_item_at_the_top_level(client: TestClient, world: World) -> None:
    answer = dp(client, "getMediaData", dp_media_id=world.photo)
    assert answer["type"] == "success"
    assert answer["id"] == str(world.photo)
    assert answer["itype"] == "image"
    assert (answer["width"], answer["height"]) == ("600", "400")
    assert answer["username"] == "carla"
    assert answer["level"] == "bronze"
    assert answer["original_extension"] == "jpg"
    assert DATETIME.match(answer["published"])


def test_sizes_carry_credits_and_availability(client: TestClient, world: World) -> None:
    answer = dp(client, "getMediaData", dp_media_id=world.photo)
    assert answer["sizes"]["s"] == {
        "width": 500,
        "height": 333,
        "credits": 1,
        "subscription": 1,
        "imagepack": 0,
        "ondemand": 1,
        "mp": 0.17,  # 500 x 333, computed where the size row stores no megapixels
    }
    assert answer["sizes"]["el0"]["credits"] == 80
    assert answer["sizes"]["el0"]["subscription"] == 0
    assert answer["available_sizes"] == {"s": 1, "xl": 10, "el0": 80}


def test_vector_sells_its_file_as_vect(client: TestClient, world: World) -> None:
    answer = dp(client, "getMediaData", dp_media_id=world.vector)
    assert answer["itype"] == "vector"
    assert answer["available_sizes"]["vect"] == 10


def test_picture_urls_are_real_renditions(client: TestClient, world: World) -> None:
    answer = dp(client, "getMediaData", dp_media_id=world.photo)
    for field in ("thumbnail", "thumb_huge", "url", "url2", "url_big", "medium_thumbnail"):
        response = client.get(answer[field])
        assert response.status_code == 200, field
        assert response.content[:3] == b"\xff\xd8\xff"
    assert answer["url"].endswith("/preview_brand")
    assert answer["url2"].endswith("/preview_neutral")


def test_watermark_choice_changes_the_big_preview(client: TestClient, world: World) -> None:
    answer = dp(client, "getMediaData", dp_media_id=world.photo, dp_watermark="depositphotos")
    assert answer["url_big"].endswith("/preview_brand")


def test_a_list_answers_count_and_result(client: TestClient, world: World) -> None:
    answer = dp(client, "getMediaData", dp_media_id=[world.vector, world.photo, 999999])
    assert answer["count"] == 2
    # search's layout: ids and dimensions are numbers, as in search's sample
    assert [item["id"] for item in answer["result"]] == [world.vector, world.photo]
    assert [item["width"] for item in answer["result"]] == [400, 600]
    assert answer["result"][0]["type"] == "vector"


def test_search_layout_for_one_item(client: TestClient, world: World) -> None:
    answer = dp(client, "getMediaData", dp_media_id=world.photo, dp_search_layout=1)
    assert answer["count"] == 1
    assert answer["result"][0]["type"] == "image"


def test_unknown_item_is_not_found(client: TestClient, world: World) -> None:
    answer = dp(client, "getMediaData", dp_media_id=999999)
    assert_failure(answer, "NotFoundItemException", 0)
    assert answer["error"]["errormsg"] == "Item does not exists"


def test_unpublished_item_is_not_found_even_when_cached(
    client: TestClient, world: World, runtime: Runtime
) -> None:
    assert dp(client, "getMediaData", dp_media_id=world.photo)["type"] == "success"
    with runtime.db.session() as session:
        session.execute(
            update(MediaItem)
            .where(MediaItem.id == world.photo)
            .values(status=ItemStatus.BLOCKED, updated_at=utcnow())
        )
    assert_failure(dp(client, "getMediaData", dp_media_id=world.photo), "NotFoundItemException", 0)


def test_edits_and_counts_show_at_once(client: TestClient, world: World, runtime: Runtime) -> None:
    dp(client, "getMediaData", dp_media_id=world.photo)
    with runtime.db.session() as session:
        session.execute(
            update(MediaItem)
            .where(MediaItem.id == world.photo)
            .values(title="Harbour at dusk", views=41, updated_at=utcnow())
        )
    answer = dp(client, "getMediaData", dp_media_id=world.photo)
    assert (answer["title"], answer["views"]) == ("Harbour at dusk", 41)


def test_datetime_formats(client: TestClient, world: World) -> None:
    date = dp(client, "getMediaData", dp_media_id=world.photo, dp_datetime_format="date")
    unix = dp(client, "getMediaData", dp_media_id=world.photo, dp_datetime_format="unix")
    assert DATE.match(date["published"])
    assert unix["published"].isdigit()


def test_bad_datetime_format_is_invalid_param(client: TestClient, world: World) -> None:
    answer = dp(client, "getMediaData", dp_media_id=world.photo, dp_datetime_format="iso")
    assert_failure(answer, "EInternal\\InvalidParam", 400)


def test_translation_to_dp_lang(client: TestClient, world: World, runtime: Runtime) -> None:
    from stockhouse.catalog.models import ItemTranslation

    with runtime.db.session() as session:
        session.add(ItemTranslation(item_id=world.photo, lang="de", title="Hafen", description=""))
    plain = dp(client, "getMediaData", dp_media_id=world.photo, dp_lang="de")
    german = dp(client, "getMediaData", dp_media_id=world.photo, dp_lang="de", dp_translate_items=1)
    assert (plain["title"], german["title"]) == ("Harbour at dawn", "Hafen")


def test_full_similar_gives_objects(client: TestClient, world: World, runtime: Runtime) -> None:
    from stockhouse.catalog.models import Series

    with runtime.db.session() as session:
        series = Series(owner_id=world.user_ids["carla"], name="Coast")
        session.add(series)
        session.flush()
        session.execute(
            update(MediaItem)
            .where(MediaItem.id.in_([world.photo, world.vector]))
            .values(series_id=series.id, updated_at=utcnow())
        )
    ids = dp(client, "getMediaData", dp_media_id=world.photo)
    assert ids["series"] == [world.vector]
    full = dp(client, "getMediaData", dp_media_id=world.photo, dp_full_similar=1)
    entry = full["series"][0]
    assert entry["id"] == world.vector
    assert entry["title"] == "Lighthouse icon"
    assert client.get(entry["thumbnail"]).status_code == 200


def test_group_session_sees_prices(
    client: TestClient, world: World, sessions: dict[str, str]
) -> None:
    answer = dp(client, "getMediaData", dp_media_id=world.photo, dp_session_id=sessions["mia"])
    assert answer["available_sizes"]["s"] == 1
