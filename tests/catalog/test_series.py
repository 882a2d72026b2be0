"""Series: created by a contributor, holding only that contributor's items."""

from __future__ import annotations

import pytest

from stockhouse.catalog.models import ItemStatus
from stockhouse.catalog.series import (
    assign_to_series,
    create_series,
    get_series,
    item_ids_in_series,
    list_series,
    series_item_counts,
)
from stockhouse.catalog.service import get_item
from stockhouse.errors import Conflict, InvalidParameter, NotFound, PermissionDenied
from stockhouse.runtime import Runtime
from tests.catalog.factories import People, add_item


def new_series(runtime: Runtime, people: People, name: str = "Harbour at dawn") -> int:
    with runtime.db.session() as session:
        return create_series(session, people.owner, name).id


def test_a_series_is_listed_for_its_owner_only(runtime: Runtime, people: People) -> None:
    first = new_series(runtime, people, "One")
    second = new_series(runtime, people, "Two")
    with runtime.db.session() as session:
        create_series(session, people.other, "Theirs")
    with runtime.db.read_session() as session:
        assert [s.id for s in list_series(session, people.owner)] == [first, second]


def test_series_names_are_unique_per_owner(runtime: Runtime, people: People) -> None:
    new_series(runtime, people, "Dup")
    with pytest.raises(Conflict), runtime.db.session() as session:
        create_series(session, people.owner, " Dup ")
    with runtime.db.session() as session:
        assert create_series(session, people.other, "Dup").name == "Dup"


@pytest.mark.parametrize("name", ["", "   ", "x" * 201, "bad\x00name"])
def test_a_bad_series_name_is_refused(runtime: Runtime, people: People, name: str) -> None:
    with pytest.raises(InvalidParameter), runtime.db.session() as session:
        create_series(session, people.owner, name)


def test_items_are_assigned_and_counted(runtime: Runtime, people: People) -> None:
    series_id = new_series(runtime, people)
    items = [
        add_item(runtime, people.owner, status=s) for s in (ItemStatus.UPLOADED, ItemStatus.ACTIVE)
    ]
    with runtime.db.session() as session:
        assign_to_series(session, people.owner, get_series(session, series_id), items)
    with runtime.db.read_session() as session:
        series = get_series(session, series_id)
        assert item_ids_in_series(session, series) == items
        assert series_item_counts(session, [series_id]) == {series_id: 2}


def test_assigning_none_takes_items_out_of_their_series(runtime: Runtime, people: People) -> None:
    series_id = new_series(runtime, people)
    item = add_item(runtime, people.owner)
    with runtime.db.session() as session:
        assign_to_series(session, people.owner, get_series(session, series_id), [item])
    with runtime.db.session() as session:
        assign_to_series(session, people.owner, None, [item])
    with runtime.db.read_session() as session:
        assert get_item(session, item).series_id is None


def test_someone_elses_item_cannot_join_my_series(runtime: Runtime, people: People) -> None:
    series_id = new_series(runtime, people)
    mine, theirs = add_item(runtime, people.owner), add_item(runtime, people.other)
    with (
        pytest.raises(PermissionDenied, match=f"item {theirs} is not yours"),
        runtime.db.session() as session,
    ):
        assign_to_series(session, people.owner, get_series(session, series_id), [mine, theirs])
    with runtime.db.read_session() as session:
        assert get_item(session, mine).series_id is None


def test_my_item_cannot_join_someone_elses_series(runtime: Runtime, people: People) -> None:
    with runtime.db.session() as session:
        theirs = create_series(session, people.other, "Theirs").id
    mine = add_item(runtime, people.owner)
    with (
        pytest.raises(PermissionDenied, match=f"series {theirs} is not yours"),
        runtime.db.session() as session,
    ):
        assign_to_series(session, people.owner, get_series(session, theirs), [mine])


def test_an_admin_groups_items_for_their_owner_but_not_across_owners(
    runtime: Runtime, people: People
) -> None:
    series_id = new_series(runtime, people)
    mine, theirs = add_item(runtime, people.owner), add_item(runtime, people.other)
    with runtime.db.session() as session:
        assign_to_series(session, people.admin, get_series(session, series_id), [mine])
    with pytest.raises(InvalidParameter, match="different owners"), runtime.db.session() as session:
        assign_to_series(session, people.admin, get_series(session, series_id), [theirs])


def test_a_missing_item_is_named(runtime: Runtime, people: People) -> None:
    series_id = new_series(runtime, people)
    with pytest.raises(NotFound, match="item 987654"), runtime.db.session() as session:
        assign_to_series(session, people.owner, get_series(session, series_id), [987654])
