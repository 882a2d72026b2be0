"""Pond5 get_clip_data and get_clip_data_array over HTTP (JSON and XML envelopes), on the
world of conftest.py: every documented field, the col bits, and unknown, unpublished and
malformed ids. SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from stockhouse.catalog.models import ItemStatus, MediaItem
from stockhouse.catalog.translations import set_tags
from stockhouse.runtime import Runtime
from tests.compat.pond5.conftest import Pond5World, one, p5_xml

ARRAY_FIELDS = {"id", "vs", "ox", "oy", "ar", "aq", "ed", "n"}


def change(runtime: Runtime, item_id: int, **fields: Any) -> None:
    with runtime.db.session() as session:
        item = session.get(MediaItem, item_id)
        assert item is not None
        tags = fields.pop("tags", None)
        if tags is not None:
            set_tags(item, "en", tags)
        for name, value in fields.items():
            setattr(item, name, value)


def error_code(slot: dict[str, Any]) -> int:
    assert slot.get("e") is True, slot
    code: int = slot["code"]
    return code


# -- get_clip_data ------------------------------------------------------------------------


def test_clip_data_of_a_video(api: TestClient, world: Pond5World, runtime: Runtime) -> None:
    change(runtime, world.video, tags=["snow", "happy kids"], description="Kids play.")
    slot = one(api, world, "get_clip_data", itemid=world.video)
    assert slot["icon_base"] == "http://testserver/pond5/media/icons/"
    assert slot["flv_base"] == "http://testserver/pond5/media/flv/"
    assert slot["clip_data"] == {
        "id": world.video,
        "vs": 3,
        "ox": 1280,
        "oy": 720,
        "ar": 1,
        "aq": 1.25,
        "ed": False,
        "n": "Happy in the snow",
        "pic_keywords_cb": "snow, happy kids",
        "pic_keywords_cb_translated": "snow, happy kids",
        "desc": "Kids play.",
        "dur": 12000,
        "fps": 25.0,
        "codg": "h264",
        "coda": "aac",
        "artistname": "carla",
        "filesize": slot["clip_data"]["filesize"],
        "vr360": False,
        "pr": "20",  # the 720 size of the standard video license
        "pricerange": ["10", "20"],
    }
    assert slot["clip_data"]["filesize"] > 0


def test_clip_data_of_sound_is_16_by_9(api: TestClient, world: Pond5World) -> None:
    music = one(api, world, "get_clip_data", itemid=world.music)["clip_data"]
    sfx = one(api, world, "get_clip_data", itemid=world.sfx)["clip_data"]
    assert (music["vs"], music["ox"], music["oy"], music["ar"]) == (100, 16, 9, 4)
    assert (sfx["vs"], sfx["ox"], sfx["oy"], sfx["n"]) == (101, 16, 9, "door slam")
    assert music["dur"] == 30000 and music["codg"] == "" and music["pr"] == "20"


def test_clip_data_of_a_photo(api: TestClient, world: Pond5World) -> None:
    photo = one(api, world, "get_clip_data", itemid=world.photo)["clip_data"]
    assert (photo["vs"], photo["ox"], photo["oy"], photo["aq"]) == (300, 600, 400, 1.5)
    assert photo["n"] == "Harbour at dawn"
    assert photo["pr"] == "10" and photo["pricerange"] == ["1", "10"]


def test_editorial_flag(api: TestClient, world: Pond5World, runtime: Runtime) -> None:
    change(runtime, world.plain_video, editorial=True)
    assert one(api, world, "get_clip_data", itemid=world.plain_video)["clip_data"]["ed"] is True


def test_item_id_as_string(api: TestClient, world: Pond5World) -> None:
    slot = one(api, world, "get_clip_data", itemid=str(world.sfx))
    assert slot["clip_data"]["id"] == world.sfx


@pytest.mark.parametrize(
    "state",
    [{"status": ItemStatus.PENDING}, {"visible": False}, {"status": ItemStatus.ARCHIVED}],
)
def test_unpublished_item_is_105(
    api: TestClient, world: Pond5World, runtime: Runtime, state: dict[str, Any]
) -> None:
    change(runtime, world.sfx, **state)
    assert error_code(one(api, world, "get_clip_data", itemid=world.sfx)) == 105


@pytest.mark.parametrize(("itemid", "code"), [(987654, 105), (0, 105), ("abc", 1), (-1, 1)])
def test_bad_item_id(api: TestClient, world: Pond5World, itemid: object, code: int) -> None:
    assert error_code(one(api, world, "get_clip_data", itemid=itemid)) == code


def test_missing_item_id_is_2(api: TestClient, world: Pond5World) -> None:
    assert error_code(one(api, world, "get_clip_data")) == 2


def test_clip_data_in_xml(api: TestClient, world: Pond5World) -> None:
    answer = p5_xml(api, world, {"command": "get_clip_data", "itemid": world.video})
    clip = answer["commands"][0]["clip_data"]
    assert (clip["id"], clip["vs"], clip["n"]) == (str(world.video), "3", "Happy in the snow")
    assert clip["ed"] == "false"


# -- get_clip_data_array -----------------------------------------------------------------


def array(api: TestClient, world: Pond5World, **params: Any) -> dict[str, Any]:
    slot: dict[str, Any] = one(api, world, "get_clip_data_array", **params)
    return slot


def test_items_in_the_order_asked_without_unknown_ids(api: TestClient, world: Pond5World) -> None:
    ids = f"{world.sfx},987654,{world.video},{world.sfx},{world.music}"
    slot = array(api, world, itemids=ids)
    assert [item["id"] for item in slot["items"]] == [world.sfx, world.video, world.music]
    assert slot["icon_base"] == "http://testserver/pond5/media/icons/"
    assert slot["flv_base"] == "http://testserver/pond5/media/flv/"


def test_without_col_items_have_the_documented_fields(api: TestClient, world: Pond5World) -> None:
    item = array(api, world, itemids=str(world.video))["items"][0]
    assert item == {
        "id": world.video,
        "vs": 3,
        "ox": 1280,
        "oy": 720,
        "ar": 1,
        "aq": 1.25,
        "ed": False,
        "n": "Happy in the snow",
    }


@pytest.mark.parametrize(
    ("col", "fields"),
    [
        (1, {"pr": "20"}),
        (64, {"codg": "h264"}),
        (128, {"coda": "aac"}),
        (256, {"artistname": "carla"}),
        (1024, {"vr360": False}),
        (1 | 64 | 128 | 256 | 1024, {"pr": "20", "codg": "h264", "coda": "aac",
                                     "artistname": "carla", "vr360": False}),
        (2 | 4 | 8 | 16, {}),  # search's other columns are not this command's
    ],
)  # fmt: skip
def test_col_bits_add_their_fields(
    api: TestClient, world: Pond5World, col: int, fields: dict[str, Any]
) -> None:
    item = array(api, world, itemids=str(world.video), col=col)["items"][0]
    assert set(item) == ARRAY_FIELDS | set(fields)
    assert {name: item[name] for name in fields} == fields


def test_ids_as_a_json_array(api: TestClient, world: Pond5World) -> None:
    slot = array(api, world, itemids=[world.music, world.photo])
    assert [item["id"] for item in slot["items"]] == [world.music, world.photo]


def test_unpublished_items_are_left_out(
    api: TestClient, world: Pond5World, runtime: Runtime
) -> None:
    change(runtime, world.music, status=ItemStatus.PENDING)
    slot = array(api, world, itemids=f"{world.music},{world.sfx}")
    assert [item["id"] for item in slot["items"]] == [world.sfx]


def test_missing_ids_are_2(api: TestClient, world: Pond5World) -> None:
    assert error_code(array(api, world)) == 2
    assert error_code(array(api, world, itemids="")) == 2


@pytest.mark.parametrize(
    "itemids", ["1,x", "1;2", "' OR 1=1 --", ",".join(["1"] * 501), "99999999999999"]
)
def test_malformed_ids_are_1(api: TestClient, world: Pond5World, itemids: str) -> None:
    assert error_code(array(api, world, itemids=itemids)) == 1


def test_array_in_xml_with_item_children(api: TestClient, world: Pond5World) -> None:
    command = {"command": "get_clip_data_array", "itemids": [world.sfx, world.video], "col": 1}
    items = p5_xml(api, world, command)["commands"][0]["items"]
    assert [item["id"] for item in items] == [str(world.sfx), str(world.video)]
    assert items[1]["pr"] == "20"


def test_codecs_and_fps_follow_one_rule_in_every_command(
    client: TestClient, world: Pond5World, creds: dict[str, str]
) -> None:
    """An image has no codecs ("" both), a sound no video codec; fps is always a number
    with a fraction (0.0 without frames), in clip data as in bins."""
    binid = one(client, world, "create_bin", name="Codecs", **creds)["binid"]
    one(
        client, world, "modify_active_bin", binid=binid, addid=f"{world.photo},{world.sfx}", **creds
    )
    in_bin = {i["id"]: i for i in one(client, world, "get_bin_formatted", **creds)["items"]}
    listed = one(
        client, world, "get_clip_data_array", itemids=f"{world.photo},{world.sfx}", col=192
    )
    photo = one(client, world, "get_clip_data", itemid=world.photo)["clip_data"]
    assert [(i["codg"], i["coda"]) for i in listed["items"]] == [("", ""), ("", "pcm_s16le")]
    assert [(in_bin[i]["codg"], in_bin[i]["coda"]) for i in (world.photo, world.sfx)] == [
        ("", ""),
        ("", "pcm_s16le"),
    ]
    assert (photo["codg"], photo["coda"], photo["fps"]) == ("", "", 0.0)
    assert isinstance(photo["fps"], float)
