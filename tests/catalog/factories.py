"""Small catalog objects for tests: users of each role and items with real tiny blobs.

The ingest pipeline makes items from uploaded files; these factories make the same rows
directly, so that catalog and API tests do not depend on decoding media.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from itertools import count
from typing import Any

import pyvips
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import Role, User
from stockhouse.blobs.base import BlobStore
from stockhouse.catalog.models import ItemStatus, MediaItem, MediaKind, Rendition
from stockhouse.db.base import utcnow
from stockhouse.runtime import Runtime

PASSWORD = "correct horse battery"
THUMB_SIZES = {"thumb110": (110, 83), "large": (64, 48)}
_serial = count(1)


def tiny_jpeg(width: int = 64, height: int = 48, shade: int = 90) -> bytes:
    """A real baseline JPEG of one grey shade (distinct shades make distinct blobs)."""
    image = pyvips.Image.black(width, height, bands=3) + shade
    data: bytes = image.cast("uchar").jpegsave_buffer(Q=80)
    return data


@dataclass(frozen=True)
class People:
    """One user per role the catalog cares about, plus a second contributor."""

    owner: User
    other: User
    reviewer: User
    admin: User
    buyer: User


def make_people(runtime: Runtime) -> People:
    with runtime.db.session() as session:
        users = {
            name: accounts.create_user(session, username=name, password=PASSWORD, roles=roles)
            for name, roles in (
                ("olga", [Role.CONTRIBUTOR]),
                ("otto", [Role.CONTRIBUTOR]),
                ("rita", [Role.REVIEWER]),
                ("adam", [Role.ADMIN]),
                ("bert", [Role.BUYER]),
            )
        }
    return People(
        owner=users["olga"],
        other=users["otto"],
        reviewer=users["rita"],
        admin=users["adam"],
        buyer=users["bert"],
    )


def make_item(
    session: Session,
    blobs: BlobStore,
    owner: User,
    *,
    kind: MediaKind = MediaKind.PHOTO,
    status: ItemStatus = ItemStatus.UPLOADED,
    title: str = "",
    tags: Iterable[str] = (),
    renditions: Iterable[str] = ("thumb110", "large"),
    filename: str | None = None,
    visible: bool | None = None,
) -> MediaItem:
    """An item whose original and renditions are real tiny JPEG blobs."""
    serial = next(_serial)
    original = blobs.put_bytes(tiny_jpeg(shade=serial % 200 + 20))
    item = MediaItem(
        kind=kind,
        owner_id=owner.id,
        status=status,
        visible=status not in (ItemStatus.ARCHIVED, ItemStatus.BLOCKED)
        if visible is None
        else visible,
        title=title,
        original_filename=filename or f"photo-{serial}.jpg",
        extension="jpg",
        mime_type="image/jpeg",
        file_size=original.size,
        original_blob=original.key,
        width=64,
        height=48,
    )
    if status == ItemStatus.ACTIVE:
        item.published_at = utcnow()
    if status == ItemStatus.PENDING:
        item.submitted_at = utcnow() - timedelta(seconds=1000 - serial % 1000)
    session.add(item)
    session.flush()
    for name in renditions:
        width, height = THUMB_SIZES.get(name, (32, 24))
        blob = blobs.put_bytes(tiny_jpeg(width, height, shade=serial % 200 + 21))
        item.renditions.append(
            Rendition(
                name=name,
                blob=blob.key,
                mime_type="image/jpeg",
                width=width,
                height=height,
                size=blob.size,
            )
        )
    if tags:
        from stockhouse.catalog.translations import set_tags

        set_tags(item, "en", tags)
    session.flush()
    return item


def add_item(runtime: Runtime, owner: User, **kwargs: object) -> int:
    """make_item in its own committed transaction; returns the item id."""
    with runtime.db.session() as session:
        return make_item(session, runtime.blobs, owner, **kwargs).id  # type: ignore[arg-type]


def bearer(client: TestClient, username: str) -> dict[str, str]:
    """Authorization headers of a fresh session of `username`."""
    response = client.post("/v1/sessions", json={"username": username, "password": PASSWORD})
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def headers_by_role(client: TestClient, people: People) -> dict[str, dict[str, str]]:
    """Bearer headers for each role of `people`, and {} for an anonymous caller."""
    roles = {role: getattr(people, role).username for role in ROLES}
    return {"nobody": {}, **{role: bearer(client, name) for role, name in roles.items()}}


ROLES = ("owner", "other", "reviewer", "admin", "buyer")


Headers = dict[str, dict[str, str]]


def assert_error(response: Any, status: int, code: str, param: str | None = None) -> None:
    """The response is the native API's error shape with this status, code (and param)."""
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    assert error["request_id"] == response.headers["x-request-id"]
    if param is not None:
        assert error["param"] == param
