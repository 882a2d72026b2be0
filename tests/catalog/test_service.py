"""Finding, listing and editing items; view and download counters."""

from __future__ import annotations

import dataclasses

import pytest

from stockhouse.accounts.models import User
from stockhouse.catalog import service
from stockhouse.catalog.categories import ensure_default_categories, list_categories
from stockhouse.catalog.models import ItemStatus, MediaKind
from stockhouse.catalog.series import create_series
from stockhouse.catalog.service import ItemEdit, TranslationEdit, get_item, update_item
from stockhouse.errors import Conflict, InvalidParameter, NotFound, PermissionDenied
from stockhouse.runtime import Runtime
from tests.catalog.factories import People, add_item

INJECTIONS = [
    "'; DROP TABLE media_item; --",
    '<script>alert("x")</script>',
    "{{7*7}} ${7*7} %s %(x)s",
    "Robert'); DELETE FROM user_account WHERE ('1'='1",
]


def edit(runtime: Runtime, actor_item: tuple[User, int], change: ItemEdit) -> None:
    """Apply `change` to an item as `actor`, in its own transaction."""
    actor, item_id = actor_item
    with runtime.db.session() as session:
        update_item(session, actor, get_item(session, item_id), change)


# -- finding and listing ----------------------------------------------------------------


def test_get_item_of_a_missing_id_is_not_found(runtime: Runtime) -> None:
    with pytest.raises(NotFound, match="item 424242"), runtime.db.read_session() as session:
        service.get_item(session, 424242)


# (status, viewer, whether the viewer sees the item); None is an anonymous caller.
VISIBILITY = [
    (ItemStatus.ACTIVE, "buyer", True),
    (ItemStatus.ACTIVE, None, True),
    (ItemStatus.PENDING, "buyer", False),
    (ItemStatus.PENDING, None, False),
    (ItemStatus.PENDING, "other", False),
    (ItemStatus.PENDING, "owner", True),
    (ItemStatus.PENDING, "reviewer", True),
    (ItemStatus.ARCHIVED, "buyer", False),
    (ItemStatus.BLOCKED, "owner", True),
    (ItemStatus.UPLOADED, "admin", True),
]


def test_who_can_see_an_item(runtime: Runtime, people: People) -> None:
    for status, viewer, seen in VISIBILITY:
        item_id = add_item(runtime, people.owner, status=status)
        user = getattr(people, viewer) if viewer else None
        with runtime.db.read_session() as session:
            if seen:
                assert service.get_viewable_item(session, user, item_id).id == item_id
            else:
                with pytest.raises(NotFound):
                    service.get_viewable_item(session, user, item_id)


def test_list_items_shows_only_the_owners_items_newest_first(
    runtime: Runtime, people: People
) -> None:
    mine = [add_item(runtime, people.owner) for _ in range(3)]
    add_item(runtime, people.other)
    with runtime.db.read_session() as session:
        page = service.list_items(session, people.owner)
    assert [i.id for i in page.items] == mine[::-1]
    assert page.total == 3


def test_list_items_filters_by_status_and_kind_and_pages(runtime: Runtime, people: People) -> None:
    pending = [add_item(runtime, people.owner, status=ItemStatus.PENDING) for _ in range(3)]
    add_item(runtime, people.owner, status=ItemStatus.ACTIVE)
    video = add_item(runtime, people.owner, kind=MediaKind.VIDEO)
    with runtime.db.read_session() as session:
        by_status = service.list_items(
            session, people.owner, status=ItemStatus.PENDING, limit=2, offset=1
        )
        by_kind = service.list_items(session, people.owner, kind=MediaKind.VIDEO)
    assert [i.id for i in by_status.items] == [pending[1], pending[0]]
    assert by_status.total == 3
    assert [i.id for i in by_kind.items] == [video]


@pytest.mark.parametrize(
    ("limit", "offset", "param"), [(0, 0, "limit"), (501, 0, "limit"), (10, -1, "offset")]
)
def test_list_items_refuses_bad_paging(
    runtime: Runtime, people: People, limit: int, offset: int, param: str
) -> None:
    with pytest.raises(InvalidParameter) as raised, runtime.db.read_session() as session:
        service.list_items(session, people.owner, limit=limit, offset=offset)
    assert raised.value.name == param


# -- who may edit -----------------------------------------------------------------------


def test_the_owner_edits_items_being_prepared(runtime: Runtime, people: People) -> None:
    for status in (ItemStatus.UPLOADED, ItemStatus.REJECTED):
        item_id = add_item(runtime, people.owner, status=status)
        edit(runtime, (people.owner, item_id), ItemEdit(title="Red fox"))
        with runtime.db.read_session() as session:
            assert get_item(session, item_id).title == "Red fox"


def test_the_owner_cannot_edit_items_in_review_or_later(runtime: Runtime, people: People) -> None:
    for status in (ItemStatus.PENDING, ItemStatus.ACTIVE, ItemStatus.ARCHIVED, ItemStatus.BLOCKED):
        item_id = add_item(runtime, people.owner, status=status)
        with pytest.raises(Conflict, match=f"is {status.value}; only uploaded or rejected"):
            edit(runtime, (people.owner, item_id), ItemEdit(title="x"))


def test_admins_edit_in_every_status(runtime: Runtime, people: People) -> None:
    for status in ItemStatus:
        item_id = add_item(runtime, people.owner, status=status)
        edit(runtime, (people.admin, item_id), ItemEdit(title="Fixed by admin"))
        with runtime.db.read_session() as session:
            assert get_item(session, item_id).title == "Fixed by admin"


def test_nobody_else_edits(runtime: Runtime, people: People) -> None:
    item_id = add_item(runtime, people.owner)
    for who in ("other", "reviewer", "buyer"):
        with pytest.raises(PermissionDenied):
            edit(runtime, (getattr(people, who), item_id), ItemEdit(title="mine now"))


# -- values -----------------------------------------------------------------------------


def test_every_field_is_edited_in_one_call(runtime: Runtime, people: People) -> None:
    with runtime.db.session() as session:
        ensure_default_categories(session)
        animals, nature = (
            c.id for c in list_categories(session, "image") if c.name in ("Animals", "Nature")
        )
        series_id = create_series(session, people.owner, "Forest week").id
    item_id = add_item(runtime, people.owner)
    change = ItemEdit(
        title="  Fox in snow ",
        description="Line one\nLine two\twith a tab",
        tags=["Fox", "snow", "winter forest"],
        translations={"de": TranslationEdit(title="Fuchs im Schnee", tags=["Fuchs"])},
        category_ids=[nature, animals],
        series_id=series_id,
        editorial=True,
        nudity=False,
        exclusive=True,
        extended_allowed=False,
        free=True,
        ai_generated=True,
        people_only=True,
        people_gender="Both",
        people_age="30",
        people_race="multi",
        people_quantity=2,
        copyright="© Olga 2026",
    )
    edit(runtime, (people.owner, item_id), change)
    with runtime.db.read_session() as session:
        item = get_item(session, item_id)
        assert (item.title, item.description) == ("Fox in snow", "Line one\nLine two\twith a tab")
        assert item.tag_names("en") == ["fox", "snow", "winter forest"]
        assert item.tag_names("de") == ["fuchs"]
        assert {c.id for c in item.categories} == {nature, animals}
        assert item.series_id == series_id
        assert (item.editorial, item.nudity, item.exclusive, item.extended_allowed) == (
            True,
            False,
            True,
            False,
        )
        assert (item.free, item.ai_generated, item.people_only) == (True, True, True)
        assert (item.people_gender, item.people_age, item.people_race, item.people_quantity) == (
            "both",
            "30",
            "multi",
            2,
        )
        assert item.copyright == "© Olga 2026"


def test_fields_not_given_stay_as_they_were(runtime: Runtime, people: People) -> None:
    item_id = add_item(runtime, people.owner, title="Keep me", tags=["kept"])
    edit(runtime, (people.owner, item_id), ItemEdit(people_gender="male", editorial=True))
    edit(runtime, (people.owner, item_id), ItemEdit(description="new"))
    with runtime.db.read_session() as session:
        item = get_item(session, item_id)
        assert (item.title, item.tag_names(), item.people_gender, item.editorial) == (
            "Keep me",
            ["kept"],
            "male",
            True,
        )


def test_people_fields_and_series_are_cleared_with_none(runtime: Runtime, people: People) -> None:
    with runtime.db.session() as session:
        series_id = create_series(session, people.owner, "S").id
    item_id = add_item(runtime, people.owner)
    edit(
        runtime,
        (people.owner, item_id),
        ItemEdit(series_id=series_id, people_age="child", people_quantity=1),
    )
    edit(
        runtime,
        (people.owner, item_id),
        ItemEdit(series_id=None, people_age=None, people_quantity=None),
    )
    with runtime.db.read_session() as session:
        item = get_item(session, item_id)
        assert (item.series_id, item.people_age, item.people_quantity) == (None, None, None)


def test_text_is_stored_verbatim(runtime: Runtime, people: People) -> None:
    for text in [*INJECTIONS, "Füchse im Schnee ❄️", "雪の中の狐", "لثعلب"]:
        item_id = add_item(runtime, people.owner)
        edit(runtime, (people.owner, item_id), ItemEdit(title=text, description=text))
        with runtime.db.read_session() as session:
            item = get_item(session, item_id)
            assert (item.title, item.description) == (text, text)
    with runtime.db.read_session() as session:
        assert service.list_items(session, people.owner).total == len(INJECTIONS) + 3


# (edit, the parameter its error names)
WRONG_VALUES: list[tuple[ItemEdit, str]] = [
    (ItemEdit(title="x" * 301), "title"),
    (ItemEdit(description="x" * 4001), "description"),
    (ItemEdit(title="nul\x00byte"), "title"),
    (ItemEdit(title="line\nbreak"), "title"),
    (ItemEdit(description="bell\x07"), "description"),
    (ItemEdit(tags=["x" * 51]), "tags"),
    (ItemEdit(copyright="c" * 301), "copyright"),
    (ItemEdit(people_gender="robot"), "people_gender"),
    (ItemEdit(people_age="25"), "people_age"),
    (ItemEdit(people_race="martian"), "people_race"),
    (ItemEdit(people_quantity=-1), "people_quantity"),
    (ItemEdit(people_quantity=101), "people_quantity"),
    (ItemEdit(series_id=999999), "series_id"),
    (ItemEdit(category_ids=[999999]), "categories"),
    (ItemEdit(translations={"english!": TranslationEdit(title="x")}), "lang"),
    (ItemEdit(translations={"en": TranslationEdit(title="x")}), "translations"),
    (ItemEdit(translations={"de": TranslationEdit(title="x" * 301)}), "title"),
]


def test_wrong_values_are_refused_and_nothing_changes(runtime: Runtime, people: People) -> None:
    item_id = add_item(runtime, people.owner, title="Before")
    for change, param in WRONG_VALUES:
        if change.title is None:
            change = dataclasses.replace(change, title="During")  # a valid part must not stick
        with pytest.raises(InvalidParameter) as raised:
            edit(runtime, (people.owner, item_id), change)
        assert raised.value.name == param, change
        with runtime.db.read_session() as session:
            assert get_item(session, item_id).title == "Before"


def test_someone_elses_series_is_refused(runtime: Runtime, people: People) -> None:
    with runtime.db.session() as session:
        theirs = create_series(session, people.other, "Not yours").id
    item_id = add_item(runtime, people.owner)
    with pytest.raises(InvalidParameter, match="different owners"):
        edit(runtime, (people.owner, item_id), ItemEdit(series_id=theirs))


def test_a_category_of_another_kind_is_refused(runtime: Runtime, people: People) -> None:
    with runtime.db.session() as session:
        ensure_default_categories(session)
        jazz = next(c.id for c in list_categories(session, "music") if c.name == "Jazz")
    item_id = add_item(runtime, people.owner, kind=MediaKind.PHOTO)
    with pytest.raises(InvalidParameter, match="music category"):
        edit(runtime, (people.owner, item_id), ItemEdit(category_ids=[jazz]))


def test_at_most_three_categories(runtime: Runtime, people: People) -> None:
    with runtime.db.session() as session:
        ensure_default_categories(session)
        ids = [c.id for c in list_categories(session, "image")][:4]
    item_id = add_item(runtime, people.owner)
    with pytest.raises(InvalidParameter, match="at most 3"):
        edit(runtime, (people.owner, item_id), ItemEdit(category_ids=ids))


# -- counters ---------------------------------------------------------------------------


def test_views_and_downloads_are_counted_without_touching_updated_at(
    runtime: Runtime, people: People
) -> None:
    item_id = add_item(runtime, people.owner, status=ItemStatus.ACTIVE)
    with runtime.db.read_session() as session:
        updated_at = get_item(session, item_id).updated_at
    for _ in range(3):
        with runtime.db.session() as session:
            service.record_view(session, item_id)
    with runtime.db.session() as session:
        service.record_download(session, item_id)
    with runtime.db.read_session() as session:
        item = get_item(session, item_id)
        assert (item.views, item.downloads) == (3, 1)
        assert item.updated_at == updated_at
