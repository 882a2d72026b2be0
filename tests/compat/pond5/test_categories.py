"""Pond5 get_video_categories, get_music_categories and get_sfx_categories over HTTP:
each lists its own group's categories as {"n": name, "i": id}, by name, without login."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from stockhouse.catalog.categories import DEFAULT_CATEGORIES, ensure_default_categories
from stockhouse.catalog.models import Category
from stockhouse.runtime import Runtime
from tests.compat.pond5.conftest import Pond5World, one, p5, p5_xml

COMMANDS = {
    "get_video_categories": "video",
    "get_music_categories": "music",
    "get_sfx_categories": "sfx",
}


@pytest.fixture
def categories(runtime: Runtime, world: Pond5World) -> dict[tuple[str, str], int]:
    """The default categories plus one an admin added to music; ids by (group, name)."""
    with runtime.db.session() as session:
        ensure_default_categories(session)
        session.add(Category(group="music", name="Afrobeat"))
        session.flush()
        return {(c.group, c.name): c.id for c in session.query(Category)}


@pytest.mark.parametrize(("name", "group"), list(COMMANDS.items()))
def test_lists_the_groups_categories_by_name(
    api: TestClient,
    world: Pond5World,
    categories: dict[tuple[str, str], int],
    name: str,
    group: str,
) -> None:
    slot = one(api, world, name)
    names = sorted({*DEFAULT_CATEGORIES[group], *(["Afrobeat"] if group == "music" else [])})
    assert slot == {"categories": [{"n": n, "i": categories[(group, n)]} for n in names]}


def test_an_added_category_is_listed(
    api: TestClient, world: Pond5World, categories: dict[tuple[str, str], int]
) -> None:
    music = one(api, world, "get_music_categories")["categories"]
    assert music[0] == {"n": "Afrobeat", "i": categories[("music", "Afrobeat")]}
    assert all(c["n"] != "Afrobeat" for c in one(api, world, "get_sfx_categories")["categories"])


def test_no_categories_yet_is_an_empty_list(api: TestClient, world: Pond5World) -> None:
    assert one(api, world, "get_video_categories") == {"categories": []}


def test_all_three_in_one_request(
    api: TestClient, world: Pond5World, categories: dict[tuple[str, str], int]
) -> None:
    answer = p5(api, world, *({"command": name} for name in COMMANDS))
    sizes = [len(slot["categories"]) for slot in answer["commands"]]
    assert sizes == [len(DEFAULT_CATEGORIES["video"]), len(DEFAULT_CATEGORIES["music"]) + 1,
                     len(DEFAULT_CATEGORIES["sfx"])]  # fmt: skip


def test_categories_in_xml(
    api: TestClient, world: Pond5World, categories: dict[tuple[str, str], int]
) -> None:
    answer = p5_xml(api, world, {"command": "get_sfx_categories"})
    first = answer["commands"][0]["categories"][0]
    assert first == {"n": "Ambience", "i": str(categories[("sfx", "Ambience")])}


def test_category_ids_filter_search(
    api: TestClient, world: Pond5World, categories: dict[tuple[str, str], int]
) -> None:
    listed = {c["n"]: c["i"] for c in one(api, world, "get_music_categories")["categories"]}
    slot = one(api, world, "search", bm=16, cat=listed["Jazz"])
    assert slot["items"] == [] and slot["tot_nbr_rows"] == 0
