"""Model and property releases: documents a contributor uploads and attaches to items."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import PurePosixPath, PureWindowsPath

from sqlalchemy import select
from sqlalchemy.orm import Session

from stockhouse.accounts.models import User
from stockhouse.blobs.base import BlobStore, ReadableStream
from stockhouse.catalog.access import is_admin, require_owner_or_admin
from stockhouse.catalog.limits import LimitedReader, PrefixedReader
from stockhouse.catalog.models import (
    ItemRelease,
    ItemStatus,
    MediaItem,
    Release,
    ReleaseType,
)
from stockhouse.catalog.translations import clean_line
from stockhouse.errors import InvalidParameter, NotFound, PermissionDenied

MAX_RELEASE_BYTES = 20 * 1024 * 1024
MAX_RELEASE_NAME_LENGTH = 200
MAX_FILENAME_LENGTH = 255
SNIFF_BYTES = 8
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")

# What a release document may be, recognised by its first bytes (never by its name).
RELEASE_SIGNATURES: dict[bytes, str] = {
    b"%PDF-": "application/pdf",
    b"\xff\xd8\xff": "image/jpeg",
}
# Releases may be detached from items still being prepared; once an item is in review or
# published the release is part of what was reviewed.
DETACHABLE_STATUSES = (ItemStatus.UPLOADED, ItemStatus.REJECTED)


def document_type(head: bytes) -> str | None:
    """The MIME type of a release document from its first bytes, or None if not allowed."""
    return next(
        (mime for magic, mime in RELEASE_SIGNATURES.items() if head.startswith(magic)), None
    )


def _read_head(stream: ReadableStream, size: int) -> bytes:
    head = b""
    while len(head) < size and (chunk := stream.read(size - len(head))):
        head += chunk
    return head


def base_filename(filename: str) -> str:
    """The last component of a client's file name, without control characters, cut to size."""
    name = PureWindowsPath(PurePosixPath(filename).name).name
    return _CONTROL.sub("", name).strip()[:MAX_FILENAME_LENGTH]


def parse_release_type(value: int | str) -> ReleaseType:
    """1 or "model", 2 or "property"."""
    text = str(value).strip().lower()
    by_name = {t.name.lower(): t for t in ReleaseType}
    if text in by_name:
        return by_name[text]
    if text.isdigit() and int(text) in {t.value for t in ReleaseType}:
        return ReleaseType(int(text))
    raise InvalidParameter("type", "release type must be 1 (model) or 2 (property)")


def create_release(
    session: Session,
    blobs: BlobStore,
    owner: User,
    *,
    release_type: int | str,
    name: str,
    stream: ReadableStream,
    filename: str = "",
) -> Release:
    """Store a release document (PDF or JPEG, at most MAX_RELEASE_BYTES) and record it."""
    kind = parse_release_type(release_type)
    name = clean_line("name", name, MAX_RELEASE_NAME_LENGTH)
    if not name:
        raise InvalidParameter("name", "a release needs a name (the model or the property)")
    filename = base_filename(filename)
    limited = LimitedReader(stream, MAX_RELEASE_BYTES, "the release document")
    head = _read_head(limited, SNIFF_BYTES)
    if document_type(head) is None:
        raise InvalidParameter("file", "a release document must be a PDF or a JPEG file")
    blob = blobs.put_stream(PrefixedReader(head, limited))
    release = Release(
        owner_id=owner.id, type=int(kind), name=name, blob=blob.key, filename=filename
    )
    session.add(release)
    session.flush()
    return release


def get_release(session: Session, release_id: int) -> Release:
    release = session.get(Release, release_id)
    if release is None:
        raise NotFound(f"release {release_id} does not exist")
    return release


def get_own_release(session: Session, actor: User, release_id: int) -> Release:
    """The release if `actor` owns it (or is an admin); others are told it does not exist."""
    release = get_release(session, release_id)
    if release.owner_id != actor.id and not is_admin(actor):
        raise NotFound(f"release {release_id} does not exist")
    return release


def list_releases(
    session: Session, owner: User, release_type: int | str | None = None
) -> Sequence[Release]:
    """The owner's releases in upload order (Cliparto's ReleasesList)."""
    query = select(Release).where(Release.owner_id == owner.id).order_by(Release.id)
    if release_type is not None:
        query = query.where(Release.type == int(parse_release_type(release_type)))
    return session.scalars(query).all()


def _check_pair(actor: User, release: Release, item: MediaItem) -> None:
    require_owner_or_admin(actor, release.owner_id, f"release {release.id}")
    require_owner_or_admin(actor, item.owner_id, f"item {item.id}")
    if release.owner_id != item.owner_id:
        raise PermissionDenied(
            f"release {release.id} and item {item.id} belong to different contributors"
        )


def attach_release(session: Session, actor: User, release: Release, item: MediaItem) -> None:
    """Attach a release to an item (both the actor's); attaching twice is a no-op.

    This is Cliparto's AttachReleaseToImage.
    """
    _check_pair(actor, release, item)
    if release not in item.releases:
        item.releases.append(release)
    session.flush()


def detach_release(session: Session, actor: User, release: Release, item: MediaItem) -> None:
    """Detach a release from an item that is not yet in review or published."""
    _check_pair(actor, release, item)
    if release not in item.releases:
        raise NotFound(f"release {release.id} is not attached to item {item.id}")
    if item.status not in DETACHABLE_STATUSES and not is_admin(actor):
        raise PermissionDenied(
            f"item {item.id} is {item.status.value}; releases can be detached only from "
            "uploaded or rejected items"
        )
    item.releases.remove(release)
    session.flush()


def items_sharing_model_release(session: Session, item: MediaItem, *, limit: int = 50) -> list[int]:
    """Published items that share a model release with `item` (Depositphotos same_model)."""
    model_releases = [r.id for r in item.releases if r.type == ReleaseType.MODEL]
    if not model_releases:
        return []
    query = (
        select(MediaItem.id)
        .join(ItemRelease, ItemRelease.item_id == MediaItem.id)
        .where(
            ItemRelease.release_id.in_(model_releases),
            MediaItem.id != item.id,
            MediaItem.status == ItemStatus.ACTIVE,
            MediaItem.visible.is_(True),
        )
        .distinct()
        .order_by(MediaItem.id)
        .limit(limit)
    )
    return list(session.scalars(query))
