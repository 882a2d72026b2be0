"""Default categories per group, and listing them."""

from __future__ import annotations

import pytest

from stockhouse.catalog.categories import (
    CATEGORY_GROUPS,
    DEFAULT_CATEGORIES,
    ensure_default_categories,
    list_categories,
)
from stockhouse.catalog.models import Category
from stockhouse.errors import InvalidParameter
from stockhouse.runtime import Runtime


def test_defaults_cover_every_group(runtime: Runtime) -> None:
    with runtime.db.session() as session:
        created = ensure_default_categories(session)
    with runtime.db.read_session() as session:
        groups = {c.group for c in list_categories(session)}
    assert created == sum(len(names) for names in DEFAULT_CATEGORIES.values())
    assert groups == set(CATEGORY_GROUPS)


def test_ensuring_defaults_twice_adds_nothing(runtime: Runtime) -> None:
    with runtime.db.session() as session:
        ensure_default_categories(session)
    with runtime.db.session() as session:
        assert ensure_default_categories(session) == 0


def test_ensuring_defaults_keeps_categories_added_by_an_admin(runtime: Runtime) -> None:
    with runtime.db.session() as session:
        session.add(Category(group="image", name="Drones"))
        session.add(Category(group="image", name="Animals"))
    with runtime.db.session() as session:
        created = ensure_default_categories(session)
    with runtime.db.read_session() as session:
        names = [c.name for c in list_categories(session, "image")]
    assert created == sum(len(n) for n in DEFAULT_CATEGORIES.values()) - 1
    assert "Drones" in names
    assert names.count("Animals") == 1


def test_one_groups_categories_are_listed_by_name(runtime: Runtime) -> None:
    with runtime.db.session() as session:
        ensure_default_categories(session)
    with runtime.db.read_session() as session:
        names = [c.name for c in list_categories(session, "music")]
    assert names == sorted(DEFAULT_CATEGORIES["music"])
    assert "Jazz" in names


def test_sound_effects_have_their_own_categories(runtime: Runtime) -> None:
    with runtime.db.session() as session:
        ensure_default_categories(session)
    with runtime.db.read_session() as session:
        names = {c.name for c in list_categories(session, "sfx")}
    assert {"Ambience", "Foley"} <= names


def test_an_unknown_group_is_refused(runtime: Runtime) -> None:
    with pytest.raises(InvalidParameter) as raised, runtime.db.read_session() as session:
        list_categories(session, "podcasts")
    assert raised.value.name == "group"
