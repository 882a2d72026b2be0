"""photo.list, photo.get, photo.count and photo.size: every argument, checked item by item.

The catalog (support.PHOTOS): butterfly, daddy, moth (active, visible), apple (archived),
omega (active but hidden), plus a pending photo and an active video that are never listed.
"""

from __future__ import annotations

from typing import Any

import pytest

from stockhouse.catalog.models import ItemStatus, MediaItem, MediaKind
from stockhouse.runtime import Runtime
from tests.compat.photolist.support import TRANSPORTS, Session, World, add_item, at

ALL_FIELDS = [
    "id",
    "filename",
    "title",
    "description",
    "publish-date",
    "visible",
    "thumb-url",
    "resized-url",
    "original-url",
]


def ids_of(answer: dict[str, Any]) -> list[int]:
    assert answer["status"] == "valid", answer
    response = answer["response"]
    return [int(photo["id"]) for photo in response["photo"]] if response else []


def names(world: World, text: str) -> list[int]:
    return [world.ids[name] for name in text.split()]


def listed(reader: Session, transport: str = "json", **request: Any) -> list[int]:
    return ids_of(reader.call("photo.list", {"fields": ["id"], **request}, transport))


def error(answer: dict[str, Any], code: str, message: str) -> None:
    assert (answer["status"], answer["code"], answer["message"]) == ("error", code, message)


# -- fields -----------------------------------------------------------------------------


def test_every_field_of_a_visible_photo(reader: Session, world: World) -> None:
    photo = reader.call("photo.get", {"id": world.ids["butterfly"], "fields": ALL_FIELDS})[
        "response"
    ]
    media = f"http://testserver/media/{world.ids['butterfly']}"
    assert photo == {
        "id": world.ids["butterfly"],
        "filename": "kGj123.jpeg",
        "title": "A butterfly",
        "description": "wings",
        "publish-date": "2011-05-03T16:38:12+00:00",
        "visible": True,
        "thumb-url": f"{media}/thumb170",
        "resized-url": f"{media}/thumb450",
        "original-url": f"{media}/preview_brand",
    }
    assert list(photo) == ALL_FIELDS


def test_only_requested_fields_come_back_in_the_requested_order(
    reader: Session, world: World
) -> None:
    answer = reader.call("photo.list", {"fields": ["title", "id", "title"], "sort": {"id": "asc"}})
    photos = answer["response"]["photo"]
    assert [list(p) for p in photos] == [["title", "id"]] * 5
    assert photos[0] == {"title": "A butterfly", "id": world.ids["butterfly"]}


@pytest.mark.parametrize("name", ["butterfly", "apple"])
def test_urls_fetch_the_renditions(
    reader: Session, world: World, runtime: Runtime, name: str
) -> None:
    request = {"id": world.ids[name], "fields": ["thumb-url", "resized-url", "original-url"]}
    photo = reader.call("photo.get", request)["response"]
    with runtime.db.read_session() as session:
        item = session.get(MediaItem, world.ids[name])
        assert item is not None
        blobs = {r.name: r.blob for r in item.renditions}
    for field, rendition in (
        ("thumb-url", "thumb170"),
        ("resized-url", "thumb450"),
        ("original-url", "preview_brand"),
    ):
        response = reader.client.get(photo[field])
        assert response.status_code == 200
        with runtime.blobs.open(blobs[rendition]) as stream:
            assert response.content == stream.read()


def test_archived_and_hidden_photos_are_listed_as_not_visible(
    reader: Session, world: World
) -> None:
    answer = reader.call("photo.list", {"fields": ["id", "visible"], "sort": {"id": "asc"}})
    visible = {p["id"]: p["visible"] for p in answer["response"]["photo"]}
    assert visible == {
        world.ids["butterfly"]: True,
        world.ids["daddy"]: True,
        world.ids["apple"]: False,
        world.ids["moth"]: True,
        world.ids["omega"]: False,
    }


def test_pending_photos_and_other_kinds_are_never_listed(reader: Session, world: World) -> None:
    assert listed(reader) == names(world, "butterfly daddy apple moth omega")


@pytest.mark.parametrize("kind", [MediaKind.VECTOR, MediaKind.ILLUSTRATION])
def test_vectors_and_illustrations_are_photos_too(
    reader: Session, world: World, runtime: Runtime, kind: MediaKind
) -> None:
    drawn = add_item(
        runtime,
        world.owner,
        True,
        kind=kind,
        title="Drawn",
        original_filename="drawn.svg",
        extension="svg",
        mime_type="image/svg+xml",
        status=ItemStatus.ACTIVE,
        visible=True,
        published_at=at("2011-05-20 10:00:00"),
    )
    interval = {"start": "2011-05-01T00:00:00Z", "end": "2011-05-31T23:59:59Z"}
    found = listed(
        reader,
        filter={"visible": True, "publish-date-interval": interval},
        sort={"publish-date": "asc"},
    )
    assert found == [*names(world, "butterfly daddy"), drawn]
    request = {"id": drawn, "fields": ["filename", "thumb-url"]}
    photo = reader.call("photo.get", request)["response"]
    assert photo == {
        "filename": "drawn.svg",
        "thumb-url": f"http://testserver/media/{drawn}/thumb170",
    }
    assert reader.client.get(photo["thumb-url"]).headers["content-type"] == "image/jpeg"
    assert reader.call("photo.count", {})["response"] == {"total": 6}


# -- sort -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "ascending"),
    [
        ("id", "butterfly daddy apple moth omega"),
        ("filename", "daddy moth apple butterfly omega"),  # by code point: A-Z before a-z
        ("title", "butterfly moth daddy apple omega"),
        ("description", "apple moth daddy butterfly omega"),
        ("publish-date", "apple butterfly daddy omega moth"),
        ("visible", "apple omega butterfly daddy moth"),
    ],
)
def test_sort_by_each_key(reader: Session, world: World, key: str, ascending: str) -> None:
    assert listed(reader, sort={key: "asc"}) == names(world, ascending)


@pytest.mark.parametrize(
    ("key", "descending"),
    [
        ("id", "omega moth apple daddy butterfly"),
        ("filename", "omega butterfly apple moth daddy"),
        ("title", "omega apple daddy butterfly moth"),  # ties keep the id order
        ("description", "omega butterfly daddy moth apple"),
        ("publish-date", "moth omega daddy butterfly apple"),
        ("visible", "butterfly daddy moth apple omega"),
    ],
)
def test_sort_descending_by_each_key(
    reader: Session, world: World, key: str, descending: str
) -> None:
    assert listed(reader, sort={key: "DESC"}) == names(world, descending)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_sort_keys_apply_in_the_given_order(reader: Session, world: World, transport: str) -> None:
    by_title_then_date = {"title": "asc", "publish-date": "desc"}
    assert listed(reader, transport, sort=by_title_then_date) == names(
        world, "moth butterfly daddy apple omega"
    )
    by_visible_then_title = {"visible": "desc", "title": "desc"}
    assert listed(reader, transport, sort=by_visible_then_title) == names(
        world, "daddy butterfly moth omega apple"
    )


# -- pager ------------------------------------------------------------------------------


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_pager_pages_from_one(reader: Session, world: World, transport: str) -> None:
    def page(number: int) -> list[int]:
        pager = {"page": number, "max-per-page": 2}
        return listed(reader, transport, pager=pager, sort={"id": "asc"})

    assert [page(1), page(2), page(3), page(4)] == [
        names(world, "butterfly daddy"),
        names(world, "apple moth"),
        names(world, "omega"),
        [],
    ]


def test_page_far_past_the_end_is_empty(reader: Session) -> None:
    assert listed(reader, pager={"page": 1_000_000_000, "max-per-page": 1000}) == []


# -- filters ----------------------------------------------------------------------------


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_filter_visible(reader: Session, world: World, transport: str) -> None:
    assert listed(reader, transport, filter={"visible": True}) == names(
        world, "butterfly daddy moth"
    )
    assert listed(reader, transport, filter={"visible": False}) == names(world, "apple omega")


@pytest.mark.parametrize("value", ["1", "true", "TRUE", 1])
def test_visible_accepts_the_boolean_spellings(
    reader: Session, world: World, value: object
) -> None:
    assert listed(reader, filter={"visible": value}) == names(world, "butterfly daddy moth")


@pytest.mark.parametrize(
    ("interval", "expected"),
    [
        (
            {"start": "2011-05-01T00:00:00+00:00", "end": "2011-05-31T23:59:59+00:00"},
            "butterfly daddy omega",
        ),
        ({"start": "2011-05-12T09:12:54Z"}, "daddy moth omega"),
        ({"end": "2011-05-03T16:38:12Z"}, "butterfly apple"),
        ({"start": "2011-05-12T11:12:54+02:00", "end": "2011-05-12T05:12:54-04:00"}, "daddy"),
        ({"end": "2011-05-03T16:38:11.999Z"}, "apple"),
        ({"start": "2011-05-31t23:59:59z"}, "moth omega"),
        ({"start": "2011-06-02T00:00:00Z", "end": "2011-05-01T00:00:00Z"}, ""),
    ],
)
def test_filter_publish_date_interval(
    reader: Session, world: World, interval: dict[str, str], expected: str
) -> None:
    found = listed(
        reader, filter={"publish-date-interval": interval}, sort={"publish-date": "desc"}
    )
    assert sorted(found) == sorted(names(world, expected))


def test_filters_combine(reader: Session, world: World) -> None:
    interval = {"start": "2011-05-01T00:00:00Z", "end": "2011-05-31T23:59:59Z"}
    found = listed(
        reader,
        filter={"visible": True, "publish-date-interval": interval},
        sort={"publish-date": "asc"},
    )
    assert found == names(world, "butterfly daddy")


# -- argument errors --------------------------------------------------------------------

FIELD_LIST = " | ".join(ALL_FIELDS)
SORT_LIST = "id | filename | title | description | publish-date | visible"


@pytest.mark.parametrize(
    ("request_", "code", "message"),
    [
        ({}, "bad_request", "`photo.list` method requires a `fields` field."),
        ({"fields": []}, "bad_request", "The field `fields` is empty."),
        (
            {"fields": ["id", "price"]},
            "bad_data",
            f"Field `fields` need to be one of this value: {FIELD_LIST}.",
        ),
        (
            {"fields": [1]},
            "bad_data",
            f"Field `fields` need to be one of this value: {FIELD_LIST}.",
        ),
        (
            {"fields": ["id' OR 1=1 --"]},
            "bad_data",
            f"Field `fields` need to be one of this value: {FIELD_LIST}.",
        ),
        (
            {"fields": ["ïd"]},
            "bad_data",
            f"Field `fields` need to be one of this value: {FIELD_LIST}.",
        ),
        (
            {"fields": ["id"] * 51},
            "bad_data",
            "Field `fields` need to be a number between 1 and 50.",
        ),
        (
            {"fields": ["id"], "pager": {"max-per-page": 2}},
            "bad_request",
            "`photo.list` method requires a `pager::page` field.",
        ),
        (
            {"fields": ["id"], "pager": {"page": 1}},
            "bad_request",
            "`photo.list` method requires a `pager::max-per-page` field.",
        ),
        (
            {"fields": ["id"], "pager": {"page": 0, "max-per-page": 2}},
            "bad_data",
            "Field `pager::page` need to be a number between 1 and 1000000000.",
        ),
        (
            {"fields": ["id"], "pager": {"page": 10**30, "max-per-page": 2}},
            "bad_data",
            "Field `pager::page` need to be a number between 1 and 1000000000.",
        ),
        (
            {"fields": ["id"], "pager": {"page": 1, "max-per-page": 1001}},
            "bad_data",
            "Field `pager::max-per-page` need to be a number between 1 and 1000.",
        ),
        (
            {"fields": ["id"], "pager": {"page": 1, "max-per-page": "ten"}},
            "bad_data",
            "The specified `pager::max-per-page` is not valid.",
        ),
        (
            {"fields": ["id"], "pager": {"page": 1.5, "max-per-page": 2}},
            "bad_data",
            "The specified `pager::page` is not valid.",
        ),
        (
            {"fields": ["id"], "pager": {"page": True, "max-per-page": 2}},
            "bad_data",
            "The specified `pager::page` is not valid.",
        ),
        (
            {"fields": ["id"], "pager": {"page": "9" * 40, "max-per-page": 2}},
            "bad_data",
            "The specified `pager::page` is not valid.",
        ),
        ({"fields": ["id"], "pager": "all"}, "bad_data", "The specified `pager` is not valid."),
        (
            {"fields": ["id"], "sort": {"price": "asc"}},
            "bad_data",
            f"Field `sort` need to be one of this value: {SORT_LIST}.",
        ),
        (
            {"fields": ["id"], "sort": {"title": "asc; DROP TABLE media_item"}},
            "bad_data",
            "Field `sort::title` need to be one of this value: asc | desc.",
        ),
        (
            {"fields": ["id"], "sort": {"title": None}},
            "bad_data",
            "Field `sort::title` need to be one of this value: asc | desc.",
        ),
        ({"fields": ["id"], "sort": ["title"]}, "bad_data", "The specified `sort` is not valid."),
        (
            {"fields": ["id"], "filter": {"visible": "maybe"}},
            "bad_data",
            "The specified `visible` is not valid : a boolean.",
        ),
        (
            {"fields": ["id"], "filter": {"colour": "red"}},
            "bad_data",
            "Field `filter` need to be one of this value: visible | publish-date-interval.",
        ),
        (
            {"fields": ["id"], "filter": {"publish-date-interval": "May"}},
            "bad_data",
            "The specified `publish-date-interval` is not valid.",
        ),
    ],
)
def test_argument_errors(
    reader: Session, request_: dict[str, Any], code: str, message: str
) -> None:
    error(reader.call("photo.list", request_), code, message)


@pytest.mark.parametrize(
    "date",
    [
        "2011-05-01",
        "2011-13-01T00:00:00Z",
        "2011-02-30T00:00:00Z",
        "2011-05-01T25:00:00Z",
        "2011-05-01T00:00:00",
        "2011-05-01T00:00:00+24:00",
        "0000-01-01T00:00:00Z",
        "9999-12-31T23:59:59-23:59",
        "yesterday",
        "\uff12\uff10\uff11\uff11-05-01T00:00:00Z"  # full-width digits,
        "2011-05-01T00:00:00Z'; --",
        "",
        12345,
    ],
)
@pytest.mark.parametrize("bound", ["start", "end"])
def test_bad_dates_are_bad_data(reader: Session, date: object, bound: str) -> None:
    request = {"fields": ["id"], "filter": {"publish-date-interval": {bound: date}}}
    error(
        reader.call("photo.list", request),
        "bad_data",
        f"The specified `{bound}` is not valid : required RFC3339 date.",
    )


def test_hostile_values_leave_the_listing_intact(reader: Session, world: World) -> None:
    reader.call("photo.list", {"fields": ["id"], "sort": {"title": "asc; DELETE FROM media_item"}})
    assert listed(reader) == names(world, "butterfly daddy apple moth omega")


# -- photo.get, photo.count, photo.size -------------------------------------------------


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_photo_get_answers_the_requested_fields(
    reader: Session, world: World, transport: str
) -> None:
    answer = reader.call(
        "photo.get", {"id": world.ids["omega"], "fields": ["title", "visible"]}, transport
    )
    expected = {"title": "Ωmega 'quoted' <b>", "visible": False}
    assert answer["response"] == (
        expected if transport != "xml" else {"title": expected["title"], "visible": "0"}
    )


@pytest.mark.parametrize("name", ["pending", "video"])
def test_photo_get_of_an_unlisted_item_does_not_exist(
    reader: Session, world: World, name: str
) -> None:
    answer = reader.call("photo.get", {"id": world.ids[name], "fields": ["id"]})
    error(answer, "bad_data", f"The specified `id` with value `{world.ids[name]}` not exists.")


@pytest.mark.parametrize(
    ("request_", "code", "message"),
    [
        ({"fields": ["id"]}, "bad_request", "`photo.get` method requires a `id` field."),
        ({"id": 1}, "bad_request", "`photo.get` method requires a `fields` field."),
        (
            {"id": 999_999, "fields": ["id"]},
            "bad_data",
            "The specified `id` with value `999999` not exists.",
        ),
        (
            {"id": 2**40, "fields": ["id"]},
            "bad_data",
            "The specified `id` with value `1099511627776` not exists.",
        ),
        ({"id": "1 OR 1=1", "fields": ["id"]}, "bad_data", "The specified `id` is not valid."),
        ({"id": [1], "fields": ["id"]}, "bad_data", "The specified `id` is not valid."),
    ],
)
def test_photo_get_errors(
    reader: Session, request_: dict[str, Any], code: str, message: str
) -> None:
    error(reader.call("photo.get", request_), code, message)


@pytest.mark.parametrize(
    ("request_", "total"),
    [
        ({}, 5),
        ({"filter": {"visible": False}}, 2),
        (
            {
                "filter": {
                    "publish-date-interval": {
                        "start": "2011-05-01T00:00:00Z",
                        "end": "2011-05-31T23:59:59Z",
                    }
                }
            },
            3,
        ),
        ({"pager": {"page": 3, "max-per-page": 1}, "sort": {"id": "desc"}}, 5),
    ],
)
def test_photo_count_counts_what_the_filters_list(
    reader: Session, request_: dict[str, Any], total: int
) -> None:
    assert reader.call("photo.count", request_)["response"] == {"total": total}


def test_photo_count_refuses_bad_dates(reader: Session) -> None:
    answer = reader.call("photo.count", {"filter": {"publish-date-interval": {"start": "soon"}}})
    error(answer, "bad_data", "The specified `start` is not valid : required RFC3339 date.")


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_photo_size_tells_the_sizes_behind_the_urls(reader: Session, transport: str) -> None:
    answer = reader.call("photo.size", {}, transport)
    sizes = {
        "resized": {"type": "larger-border", "size": 450},
        "thumb": {"type": "larger-border", "size": 170},
    }
    if transport == "xml":
        sizes = {k: {"type": "larger-border", "size": str(v["size"])} for k, v in sizes.items()}
    assert answer["response"] == sizes
