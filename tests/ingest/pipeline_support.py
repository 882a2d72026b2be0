"""Helpers for the ingest pipeline tests: contributors, uploads and reading results back."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import Role
from stockhouse.catalog.models import MediaItem, MediaKind, Upload
from stockhouse.ingest.pipeline import ingest_now, receive_upload
from stockhouse.runtime import Runtime


def make_contributor(runtime: Runtime, username: str = "cora") -> int:
    with runtime.db.session() as session:
        user = accounts.create_user(
            session, username=username, password=None, roles=[Role.CONTRIBUTOR]
        )
        return user.id


def ingest_file(
    runtime: Runtime,
    owner_id: int,
    path: Path,
    filename: str | None = None,
    *,
    submit_after: bool = False,
) -> Upload:
    """Receive `path` without queueing a job, then ingest it in the test's thread."""
    upload = receive_upload(
        runtime,
        owner_id,
        path,
        filename or path.name,
        source="cli",
        submit_after=submit_after,
        enqueue=False,
    )
    return ingest_now(runtime, upload.id)


def load_item(runtime: Runtime, item_id: int | None) -> MediaItem:
    assert item_id is not None
    with runtime.db.read_session() as session:
        item = session.get(MediaItem, item_id)
        assert item is not None
        return item


def load_upload(runtime: Runtime, upload_id: int) -> Upload:
    with runtime.db.read_session() as session:
        upload = session.get(Upload, upload_id)
        assert upload is not None
        return upload


def item_count(runtime: Runtime) -> int:
    with runtime.db.read_session() as session:
        return session.scalar(select(func.count()).select_from(MediaItem)) or 0


def add_item(
    runtime: Runtime, owner_id: int, *, phash: int | None = None, blob: str = "0" * 64
) -> int:
    """A bare catalog item (no renditions), for duplicate look-ups."""
    with runtime.db.session() as session:
        item = MediaItem(
            kind=MediaKind.PHOTO,
            owner_id=owner_id,
            original_filename="x.jpg",
            extension="jpg",
            mime_type="image/jpeg",
            file_size=1,
            original_blob=blob,
            phash=phash,
        )
        session.add(item)
        session.flush()
        return item.id
