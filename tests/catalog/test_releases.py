"""Model and property releases: stored documents, owned by a contributor, attached to items."""

from __future__ import annotations

import io

import pytest

from stockhouse.accounts.models import User
from stockhouse.catalog import releases
from stockhouse.catalog.limits import PayloadTooLarge
from stockhouse.catalog.models import ItemStatus, ReleaseType
from stockhouse.catalog.releases import (
    attach_release,
    create_release,
    detach_release,
    get_own_release,
    get_release,
    items_sharing_model_release,
    list_releases,
)
from stockhouse.catalog.service import get_item
from stockhouse.errors import InvalidParameter, NotFound, PermissionDenied
from stockhouse.runtime import Runtime
from tests.catalog.factories import People, add_item, tiny_jpeg

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def new_release(
    runtime: Runtime,
    owner: User,
    name: str = "Jane Roe",
    kind: int | str = 1,
    data: bytes = PDF,
) -> int:
    with runtime.db.session() as session:
        return create_release(
            session,
            runtime.blobs,
            owner,
            release_type=kind,
            name=name,
            stream=io.BytesIO(data),
            filename="jane.pdf",
        ).id


def attached(runtime: Runtime, item_id: int) -> list[int]:
    with runtime.db.read_session() as session:
        return sorted(r.id for r in get_item(session, item_id).releases)


def test_a_pdf_release_is_stored_byte_for_byte(runtime: Runtime, people: People) -> None:
    release_id = new_release(runtime, people.owner)
    with runtime.db.read_session() as session:
        release = get_release(session, release_id)
        assert (release.type, release.name, release.filename) == (1, "Jane Roe", "jane.pdf")
    assert release.blob is not None
    with runtime.blobs.open(release.blob) as stored:
        assert stored.read() == PDF


def test_a_jpeg_release_is_accepted(runtime: Runtime, people: People) -> None:
    release_id = new_release(runtime, people.owner, "Villa Rosa", "property", tiny_jpeg())
    with runtime.db.read_session() as session:
        assert get_release(session, release_id).type == ReleaseType.PROPERTY


@pytest.mark.parametrize(
    "data", [b"", b"GIF89a....", b"<html>%PDF-</html>", b"PK\x03\x04zip", b"%PD"]
)
def test_other_documents_are_refused_by_content(
    runtime: Runtime, people: People, data: bytes
) -> None:
    with pytest.raises(InvalidParameter) as raised:
        new_release(runtime, people.owner, data=data)
    assert raised.value.name == "file"


def test_an_over_long_document_is_refused(
    runtime: Runtime, people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(releases, "MAX_RELEASE_BYTES", 100)
    with pytest.raises(PayloadTooLarge):
        new_release(runtime, people.owner, data=PDF + b"x" * 100)
    assert new_release(runtime, people.owner, data=PDF.ljust(100, b" "))


@pytest.mark.parametrize(
    ("kind", "name", "param"),
    [(3, "x", "type"), ("robot", "x", "type"), (1, "", "name"), (1, "n" * 201, "name")],
)
def test_bad_type_or_name_is_refused(
    runtime: Runtime, people: People, kind: int | str, name: str, param: str
) -> None:
    with pytest.raises(InvalidParameter) as raised:
        new_release(runtime, people.owner, name=name, kind=kind)
    assert raised.value.name == param


def test_releases_are_listed_for_their_owner_in_upload_order(
    runtime: Runtime, people: People
) -> None:
    model = new_release(runtime, people.owner, "Model", 1)
    prop = new_release(runtime, people.owner, "House", 2)
    new_release(runtime, people.other, "Theirs", 1)
    with runtime.db.read_session() as session:
        assert [r.id for r in list_releases(session, people.owner)] == [model, prop]
        assert [r.id for r in list_releases(session, people.owner, 2)] == [prop]


def test_someone_elses_release_looks_missing(runtime: Runtime, people: People) -> None:
    theirs = new_release(runtime, people.other)
    with pytest.raises(NotFound), runtime.db.read_session() as session:
        get_own_release(session, people.owner, theirs)
    with runtime.db.read_session() as session:
        assert get_own_release(session, people.admin, theirs).id == theirs


def link(
    runtime: Runtime, actor: User, release_id: int, item_id: int, *, detach: bool = False
) -> None:
    action = detach_release if detach else attach_release
    with runtime.db.session() as session:
        action(session, actor, get_release(session, release_id), get_item(session, item_id))


def test_a_release_is_attached_once_and_detached(runtime: Runtime, people: People) -> None:
    release_id = new_release(runtime, people.owner)
    item_id = add_item(runtime, people.owner)
    link(runtime, people.owner, release_id, item_id)
    link(runtime, people.owner, release_id, item_id)
    assert attached(runtime, item_id) == [release_id]
    link(runtime, people.owner, release_id, item_id, detach=True)
    assert attached(runtime, item_id) == []


@pytest.mark.parametrize(
    ("release_owner", "item_owner", "actor", "message"),
    [
        ("other", "owner", "owner", "release .* is not yours"),
        ("owner", "other", "owner", "item .* is not yours"),
        ("owner", "owner", "other", "is not yours"),
        ("owner", "other", "admin", "different contributors"),
    ],
)
def test_attaching_needs_both_to_be_the_callers(
    runtime: Runtime,
    people: People,
    release_owner: str,
    item_owner: str,
    actor: str,
    message: str,
) -> None:
    release_id = new_release(runtime, getattr(people, release_owner))
    item_id = add_item(runtime, getattr(people, item_owner))
    with pytest.raises(PermissionDenied, match=message):
        link(runtime, getattr(people, actor), release_id, item_id)
    assert attached(runtime, item_id) == []


def test_detaching_a_release_that_is_not_attached_is_not_found(
    runtime: Runtime, people: People
) -> None:
    release_id = new_release(runtime, people.owner)
    item_id = add_item(runtime, people.owner)
    with pytest.raises(NotFound, match="not attached"):
        link(runtime, people.owner, release_id, item_id, detach=True)


@pytest.mark.parametrize("status", [ItemStatus.PENDING, ItemStatus.ACTIVE])
def test_releases_stay_on_items_in_review_or_published(
    runtime: Runtime, people: People, status: ItemStatus
) -> None:
    release_id = new_release(runtime, people.owner)
    item_id = add_item(runtime, people.owner, status=status)
    link(runtime, people.owner, release_id, item_id)
    with pytest.raises(PermissionDenied, match="only from uploaded or rejected"):
        link(runtime, people.owner, release_id, item_id, detach=True)
    link(runtime, people.admin, release_id, item_id, detach=True)
    assert attached(runtime, item_id) == []


def test_items_sharing_a_model_release_are_published_ones_only(
    runtime: Runtime, people: People
) -> None:
    model = new_release(runtime, people.owner, "Jane", 1)
    prop = new_release(runtime, people.owner, "House", 2)
    first, same, unpublished, only_property = (
        add_item(runtime, people.owner, status=s)
        for s in (ItemStatus.ACTIVE, ItemStatus.ACTIVE, ItemStatus.PENDING, ItemStatus.ACTIVE)
    )
    for item_id in (first, same, unpublished):
        link(runtime, people.owner, model, item_id)
    link(runtime, people.owner, prop, only_property)
    link(runtime, people.owner, prop, first)
    with runtime.db.read_session() as session:
        assert items_sharing_model_release(session, get_item(session, first)) == [same]
