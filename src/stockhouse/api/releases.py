"""Native API: model and property releases, and attaching them to items."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import StreamingResponse

from stockhouse.accounts.models import User
from stockhouse.api.deps import PrincipalDep, RuntimeDep, SessionDep
from stockhouse.api.items import ReleaseRefOut, viewable_item
from stockhouse.api.media import download_name
from stockhouse.api.uploads import MULTIPART_OPENAPI, authenticate_briefly, receive_file
from stockhouse.blobs.base import ReadableStream
from stockhouse.catalog import releases
from stockhouse.catalog.access import require_contributor
from stockhouse.catalog.models import ItemRelease, Release, ReleaseType
from stockhouse.errors import NotFound
from stockhouse.runtime import Runtime

router = APIRouter(tags=["releases"])


class ReleaseOut(BaseModel):
    id: int
    owner_id: int
    type: int
    type_name: str
    name: str
    filename: str
    created_at: datetime
    item_ids: list[int]


class AttachIn(BaseModel):
    release_id: int


def release_out(session: Session, release: Release) -> ReleaseOut:
    item_ids = session.scalars(
        select(ItemRelease.item_id)
        .where(ItemRelease.release_id == release.id)
        .order_by(ItemRelease.item_id)
    )
    return ReleaseOut(
        id=release.id,
        owner_id=release.owner_id,
        type=release.type,
        type_name=ReleaseType(release.type).name.lower(),
        name=release.name,
        filename=release.filename,
        created_at=release.created_at,
        item_ids=list(item_ids),
    )


def _release_writer(
    runtime: Runtime, owner: User, release_type: str, name: str
) -> Callable[[ReadableStream, str], ReleaseOut]:
    """Stores the streamed document and its row (runs in a worker thread)."""

    def consume(stream: ReadableStream, filename: str) -> ReleaseOut:
        with runtime.db.session() as session:
            release = releases.create_release(
                session,
                runtime.blobs,
                owner,
                release_type=release_type,
                name=name,
                stream=stream,
                filename=filename,
            )
            return release_out(session, release)

    return consume


@router.post(
    "/releases", status_code=201, response_model=ReleaseOut, openapi_extra=MULTIPART_OPENAPI
)
async def upload_release(
    request: Request,
    runtime: RuntimeDep,
    release_type: Annotated[str, Query(alias="type", max_length=16)],
    name: Annotated[str, Query(max_length=1000)],
) -> ReleaseOut:
    """Upload a release document (PDF or JPEG, multipart part `file`). `type` is 1 or
    `model`, 2 or `property`; `name` names the model or the property."""
    owner = await run_in_threadpool(authenticate_briefly, request, runtime)
    require_contributor(owner, "uploading a release")
    releases.parse_release_type(release_type)  # refused before the body is read
    writer = _release_writer(runtime, owner, release_type, name)
    return await receive_file(request, releases.MAX_RELEASE_BYTES, writer)


@router.get("/releases", response_model=list[ReleaseOut])
def list_releases(
    principal: PrincipalDep,
    session: SessionDep,
    release_type: Annotated[str | None, Query(alias="type", max_length=16)] = None,
) -> list[ReleaseOut]:
    """The caller's releases in upload order (optionally of one type)."""
    found = releases.list_releases(session, principal.user, release_type)
    return [release_out(session, r) for r in found]


@router.get("/releases/{release_id}", response_model=ReleaseOut)
def get_release(release_id: int, principal: PrincipalDep, session: SessionDep) -> ReleaseOut:
    release = releases.get_own_release(session, principal.user, release_id)
    return release_out(session, release)


@router.get("/releases/{release_id}/document")
def release_document(
    release_id: int, principal: PrincipalDep, session: SessionDep, runtime: RuntimeDep
) -> StreamingResponse:
    """The release document itself, as an attachment (its owner and admins)."""
    release = releases.get_own_release(session, principal.user, release_id)
    if release.blob is None:
        raise NotFound(f"release {release_id} has no document")
    with runtime.blobs.open(release.blob) as stream:
        mime_type = releases.document_type(stream.read(releases.SNIFF_BYTES))
    extension = "pdf" if mime_type == "application/pdf" else "jpg"
    filename = download_name(release.filename or release.name, extension, f"release-{release.id}")
    return StreamingResponse(
        runtime.blobs.iter_chunks(release.blob),
        media_type=mime_type or "application/octet-stream",
        headers={
            "content-disposition": f'attachment; filename="{filename}"',
            "cache-control": "private, no-store",
            "x-content-type-options": "nosniff",
        },
    )


@router.post("/items/{item_id}/releases", response_model=list[ReleaseRefOut])
def attach_release(
    item_id: int, body: AttachIn, principal: PrincipalDep, session: SessionDep
) -> list[ReleaseRefOut]:
    """Attach one of the caller's releases to one of the caller's items; the item's releases."""
    item = viewable_item(session, principal, item_id)
    release = releases.get_release(session, body.release_id)
    releases.attach_release(session, principal.user, release, item)
    return [ReleaseRefOut.of(r) for r in sorted(item.releases, key=lambda r: r.id)]


@router.delete("/items/{item_id}/releases/{release_id}", status_code=204)
def detach_release(
    item_id: int, release_id: int, principal: PrincipalDep, session: SessionDep
) -> None:
    item = viewable_item(session, principal, item_id)
    release = releases.get_release(session, release_id)
    releases.detach_release(session, principal.user, release, item)
