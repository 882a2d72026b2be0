"""Pond5 bin commands: create_bin, delete_bin, get_bin, get_bin_formatted, get_bins,
get_active_bin, set_active_bin, modify_active_bin."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.compat.pond5.conftest import Pond5World, one, p5

ICONS = "http://testserver/pond5/media/icons/"


def make_bin(client: TestClient, world: Pond5World, creds: dict[str, str], name: str) -> int:
    binid: int = one(client, world, "create_bin", name=name, **creds)["binid"]
    return binid


def test_create_bin_answers_the_new_id_and_the_first_bin_becomes_active(
    client: TestClient, world: Pond5World, creds: dict[str, str]
) -> None:
    first = make_bin(client, world, creds, "Mood")
    make_bin(client, world, creds, "Later")
    assert one(client, world, "get_active_bin", **creds) == {"binid": first}


def test_a_second_bin_with_the_same_name_is_a_general_error(
    client: TestClient, world: Pond5World, creds: dict[str, str]
) -> None:
    make_bin(client, world, creds, "Twice")
    slot = one(client, world, "create_bin", name="Twice", **creds)
    assert (slot["e"], slot["code"]) == (True, 1)


def test_get_active_bin_without_bins_is_101(
    client: TestClient, world: Pond5World, creds: dict[str, str]
) -> None:
    assert one(client, world, "get_active_bin", **creds) == {
        "e": True,
        "code": 101,
        "msg": "No current bin",
    }
    assert one(client, world, "get_bin", **creds)["code"] == 101


def test_set_active_bin_moves_the_mark(
    client: TestClient, world: Pond5World, creds: dict[str, str]
) -> None:
    make_bin(client, world, creds, "A")
    second = make_bin(client, world, creds, "B")
    assert one(client, world, "set_active_bin", binid=str(second), **creds) == {"completed": 1}
    assert one(client, world, "get_active_bin", **creds) == {"binid": second}


def test_set_active_bin_with_an_invalid_id_is_code_2(
    client: TestClient, world: Pond5World, creds: dict[str, str]
) -> None:
    assert one(client, world, "set_active_bin", binid=424242, **creds) == {
        "e": True,
        "code": 2,
        "msg": "Invalid bin id",
    }
    assert one(client, world, "set_active_bin", **creds)["code"] == 2


def test_a_bin_id_that_cannot_be_one_is_invalid_bin_id_in_every_bin_command(
    client: TestClient, world: Pond5World, creds: dict[str, str]
) -> None:
    for name in ("set_active_bin", "delete_bin", "get_bin", "get_bin_formatted"):
        for value in ("first", -3, 1.5, [1]):
            slot = one(client, world, name, binid=value, **creds)
            assert slot == {"e": True, "code": 2, "msg": "Invalid bin id"}, (name, value)
    slot = one(client, world, "modify_active_bin", binid="x", addid=str(world.video), **creds)
    assert slot == {"e": True, "code": 2, "msg": "Invalid bin id"}


def test_modify_active_bin_adds_and_removes_and_counts(
    client: TestClient, world: Pond5World, creds: dict[str, str]
) -> None:
    binid = make_bin(client, world, creds, "Picks")
    added = one(
        client,
        world,
        "modify_active_bin",
        binid=binid,
        addid=f"{world.video},{world.music},{world.sfx}",
        **creds,
    )
    again = one(client, world, "modify_active_bin", binid=binid, addid=str(world.video), **creds)
    removed = one(client, world, "modify_active_bin", binid=binid, rmid=f"{world.music}", **creds)
    assert added == {"addid": 3, "nbr_removed": 0}
    assert again == {"addid": 0, "nbr_removed": 0}
    assert removed == {"addid": 0, "nbr_removed": 1}
    listing = one(client, world, "get_bins", **creds)
    assert listing == {
        "icon_base": ICONS,
        "bins": [{"id": binid, "p": 0, "tot": 2, "gen": 2, "name": "Picks"}],
    }


def test_modify_active_bin_needs_a_bin_and_an_existing_item(
    client: TestClient, world: Pond5World, creds: dict[str, str]
) -> None:
    binid = make_bin(client, world, creds, "Strict")
    no_bin = one(client, world, "modify_active_bin", addid=str(world.video), **creds)
    unknown_item = one(client, world, "modify_active_bin", binid=binid, addid="99999", **creds)
    nothing = one(client, world, "modify_active_bin", binid=binid, **creds)
    assert (no_bin["code"], unknown_item["code"], nothing["code"]) == (2, 105, 2)


def test_get_bin_answers_colon_separated_lines_in_the_documented_order(
    client: TestClient, world: Pond5World, creds: dict[str, str]
) -> None:
    binid = make_bin(client, world, creds, "Lines")
    one(
        client,
        world,
        "modify_active_bin",
        binid=binid,
        addid=f"{world.video},{world.music}",
        **creds,
    )
    slot = one(client, world, "get_bin", **creds)
    assert slot == {
        "bin": (
            f"{world.video}:0:20:1:1280:720:3:1.25:0:Happy in the snow\n"
            f"{world.music}:0:20:4:16:9:100:1.77778:0:Morning theme"
        ),
        "binid": binid,
        "icon_base": ICONS,
    }


def test_get_bin_formatted_answers_the_items_as_objects(
    client: TestClient, world: Pond5World, creds: dict[str, str]
) -> None:
    binid = make_bin(client, world, creds, "Objects")
    one(
        client,
        world,
        "modify_active_bin",
        binid=binid,
        addid=f"{world.plain_video},{world.sfx}",
        **creds,
    )
    slot = one(client, world, "get_bin_formatted", binid=binid, **creds)
    assert slot["binid"] == binid
    assert slot["icon_base"] == ICONS
    assert slot["flv_base"] == slot["flv_base_encr"] == "http://testserver/pond5/media/flv/"
    assert slot["items"] == [
        {
            "id": world.plain_video,
            "vs": 4,
            "ox": 1920,
            "oy": 1080,
            "ar": 6,
            "aq": 1.77778,
            "n": "City at night",
            "pr": "40",
            "so": 0,
            "codg": "h264",
            "coda": "no snd",
        },
        {
            "id": world.sfx,
            "vs": 101,
            "ox": 16,
            "oy": 9,
            "ar": 4,
            "aq": 1.77778,
            "n": "door slam",
            "pr": "20",
            "so": 0,
            "codg": "",
            "coda": "pcm_s16le",
        },
    ]


def test_another_users_bin_is_an_invalid_bin_id(
    client: TestClient, world: Pond5World, creds: dict[str, str]
) -> None:
    from tests.compat.pond5.conftest import login

    carla = login(client, world, "carla")
    theirs = make_bin(client, world, carla, "Private")
    for name in ("get_bin", "get_bin_formatted", "delete_bin", "set_active_bin"):
        assert one(client, world, name, binid=theirs, **creds)["code"] == 2, name


def test_delete_bin_removes_it_and_passes_the_active_mark(
    client: TestClient, world: Pond5World, creds: dict[str, str]
) -> None:
    first = make_bin(client, world, creds, "One")
    second = make_bin(client, world, creds, "Two")
    answer = p5(
        client,
        world,
        {"command": "delete_bin", "binid": first, **creds},
        {"command": "get_active_bin", **creds},
        {"command": "get_bins", **creds},
    )
    deleted, active, listing = answer["commands"]
    assert deleted == {"binid": first, "completed": 1}
    assert active == {"binid": second}
    assert [b["id"] for b in listing["bins"]] == [second]
    assert one(client, world, "delete_bin", binid=first, **creds)["code"] == 2
