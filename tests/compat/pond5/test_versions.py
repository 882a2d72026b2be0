"""Pond5 get_versions_formatted over HTTP: every version of every format of an item with
the format's price, and the seed's example end to end: buying a version of one format lets
the buyer download each version of that format, and only those."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from stockhouse.catalog.models import ItemStatus, MediaItem
from stockhouse.runtime import Runtime
from tests.compat.pond5.conftest import Pond5World, one, p5, p5_xml


def versions(client: TestClient, world: Pond5World, vm: object, **extra: Any) -> Any:
    return one(client, world, "get_versions_formatted", vm=vm, **extra)


def error_code(slot: dict[str, Any]) -> int:
    assert slot.get("e") is True, slot
    code: int = slot["code"]
    return code


def test_each_version_of_each_format_with_its_price(api: TestClient, world: Pond5World) -> None:
    market = world.market
    rows = versions(api, world, world.video)["items"]
    assert [(r["id"], r["ti"], r["tb"], r["so"], r["pr"]) for r in rows] == [
        (market.pal_versions[0], "PAL", "720x576", 0, "20"),
        (market.pal_versions[1], "PAL", "724x576", 0, "20"),
        (market.ntsc_version, "NTSC", "720x480", 1, "20"),
    ]
    first = rows[0]
    assert first["i"] == "PAL / PAL DV, h264 / aac, mp4, 700 B"
    assert (first["vm"], first["v"], first["ox"], first["oy"]) == (
        world.video,
        first["id"],
        720,
        576,
    )
    assert (first["vs"], first["ar"], first["aq"], first["ext"]) == (3, 1, 1.25, "mp4")


@pytest.mark.parametrize(
    ("item", "title", "subtitle", "price"),
    [
        ("music", "Music", "", "20"),
        ("sfx", "Sound effect", "", "20"),
        ("photo", "Photo", "600x400", "10"),
        ("plain_video", "Original", "1920x1080", "40"),
    ],
)
def test_an_item_without_formats_is_its_own_version(
    api: TestClient, world: Pond5World, item: str, title: str, subtitle: str, price: str
) -> None:
    item_id = getattr(world, item)
    [row] = versions(api, world, item_id)["items"]
    assert (row["id"], row["ti"], row["tb"], row["pr"], row["so"]) == (
        item_id, title, subtitle, price, 0,
    )  # fmt: skip


def test_vm_as_string_and_in_xml(api: TestClient, world: Pond5World) -> None:
    assert len(versions(api, world, str(world.video))["items"]) == 3
    answer = p5_xml(api, world, {"command": "get_versions_formatted", "vm": world.video})
    rows = answer["commands"][0]["items"]
    assert [row["ti"] for row in rows] == ["PAL", "PAL", "NTSC"]
    assert rows[2]["id"] == str(world.market.ntsc_version)


def test_unpublished_item_is_105(api: TestClient, world: Pond5World, runtime: Runtime) -> None:
    with runtime.db.session() as session:
        item = session.get(MediaItem, world.video)
        assert item is not None
        item.status = ItemStatus.ARCHIVED
    assert error_code(versions(api, world, world.video)) == 105


@pytest.mark.parametrize(("vm", "code"), [(987654, 105), ("x", 1), (-4, 1), ("", 2)])
def test_bad_vm(api: TestClient, world: Pond5World, vm: object, code: int) -> None:
    assert error_code(versions(api, world, vm)) == code


def test_missing_vm_is_2(api: TestClient, world: Pond5World) -> None:
    assert error_code(one(api, world, "get_versions_formatted")) == 2


def test_buying_one_version_grants_its_formats_versions(
    api: TestClient, world: Pond5World, creds: dict[str, str]
) -> None:
    rows = versions(api, world, world.video)["items"]
    wide_pal = next(r for r in rows if r["tb"] == "724x576")  # "version12" of the seed
    ntsc = next(r for r in rows if r["ti"] == "NTSC")
    answer = p5(
        api,
        world,
        {"command": "modify_active_cart", "addid": f"{wide_pal['vm']}:{wide_pal['so']}", **creds},
        {"command": "purchase_using_credits", **creds},
        {"command": "get_downloads_formatted", **creds},
    )
    added, bought, listing = answer["commands"]
    assert added["nbr_added"] == 1 and bought == {"completed": 1}
    [container] = listing["items"]
    pal_ids = [str(r["id"]) for r in rows if r["ti"] == "PAL"]
    assert [str(v["v"]) for v in container["versions"]] == pal_ids
    tr = container["versions"][0]["tr"]
    for pal in pal_ids:
        link = one(api, world, "download", bid=container["bid"], tr=tr, v=pal, **creds)
        assert api.get(link["url"]).status_code == 200
    refused = one(api, world, "download", bid=container["bid"], tr=tr, v=ntsc["id"], **creds)
    assert error_code(refused) == 51
