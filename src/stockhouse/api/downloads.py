"""Downloads: signed links to licensed files, complimentary downloads, and the file routes.

Under /v1 (FastAPI): links for licensed transactions, what a buyer may download (with the
video versions a purchase grants), complimentary downloads and their history, and the
groups' monthly allowances (admins). Outside /v1 (plain Starlette, see `download_routes`):
`GET /download/{transaction_id}` and `GET /download/complimentary/{download_id}`, which
stream the file for the holder of a signed link, with HTTP Range support.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field
from starlette.requests import Request as StarletteRequest
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from stockhouse.api.deps import AdminDep, PrincipalDep, RuntimeDep, SessionDep
from stockhouse.api.file_responses import answers_domain_errors, blob_response
from stockhouse.api.media import absolute_url, download_name, etag_of
from stockhouse.api.schemas import from_view
from stockhouse.catalog.models import MediaKind
from stockhouse.commerce import downloads
from stockhouse.commerce.listing import MAX_LIMIT, Paging, Period
from stockhouse.commerce.money import to_decimal
from stockhouse.runtime import Runtime

router = APIRouter(tags=["downloads"])

DOWNLOAD_CACHE_CONTROL = "private, no-store"
MAX_TTL_S = int(downloads.MAX_LINK_TTL.total_seconds())


# -- models -----------------------------------------------------------------------------


class LinkIn(BaseModel):
    version_id: int | None = Field(default=None, ge=1)
    ttl_s: int = Field(default=int(downloads.LINK_TTL.total_seconds()), ge=1, le=MAX_TTL_S)


class LinkOut(BaseModel):
    url: str
    expires_at: datetime
    transaction_id: int | None
    download_id: int | None
    version_id: int | None


class ComplimentaryIn(BaseModel):
    item_id: int = Field(ge=1)
    size: str = Field(min_length=1, max_length=downloads.MAX_SIZE_CODE_LENGTH)


class ComplimentaryOut(BaseModel):
    download_id: int
    url: str
    expires_at: datetime
    used_this_month: int
    per_month: int


class PartyOut(BaseModel):
    id: int
    username: str


class ComplimentaryRowOut(BaseModel):
    download_id: int
    created_at: datetime
    group_id: int
    item_id: int
    item_kind: str
    filename: str
    size: str
    width: int | None
    height: int | None
    user: PartyOut
    seller: PartyOut
    visible: bool
    url: str
    expires_at: datetime


class ComplimentaryPage(BaseModel):
    items: list[ComplimentaryRowOut]
    total: int
    limit: int
    offset: int


class AllowanceIn(BaseModel):
    per_month: int = Field(ge=0, le=downloads.MAX_ALLOWANCE)


class AllowanceOut(BaseModel):
    group_id: int
    per_month: int


class VersionOut(BaseModel):
    version_id: int
    format_id: int
    format_name: str
    sub_offset: int
    width: int
    height: int
    video_codec: str
    audio_codec: str
    extension: str
    video_standard: int
    aspect_ratio: int
    aspect_quotient: Decimal
    file_size: int


class GrantOut(BaseModel):
    transaction_id: int
    item_id: int
    item_kind: str
    title: str
    artist: PartyOut
    license_id: int
    size: str
    currency: str
    price_minor: int
    price: Decimal
    credits: int
    created_at: datetime
    sub_offset: int
    bought_version_id: int | None
    versions: list[VersionOut]


class GrantPage(BaseModel):
    items: list[GrantOut]
    total: int
    limit: int
    offset: int


def _link_out(runtime: Runtime, request: Request, link: downloads.SignedLink) -> LinkOut:
    return from_view(LinkOut, link, url=absolute_url(runtime, request, link.path))


def _grant_out(grant: downloads.DownloadGrant) -> GrantOut:
    return from_view(
        GrantOut,
        grant,
        size=grant.size_code,
        price=to_decimal(grant.price_minor, grant.currency),
    )


# -- licensed downloads -----------------------------------------------------------------


@router.post("/licenses/{transaction_id}/download-link", response_model=LinkOut)
def licensed_download_link(
    transaction_id: int,
    principal: PrincipalDep,
    session: SessionDep,
    runtime: RuntimeDep,
    request: Request,
    body: LinkIn | None = None,
) -> LinkOut:
    """A signed, expiring link to the licensed file, for the buyer or the buyer's group."""
    body = body or LinkIn()
    link = downloads.link_for_transaction(
        session,
        downloads.signer_for(runtime),
        principal.user,
        transaction_id,
        version_id=body.version_id,
        ttl=timedelta(seconds=body.ttl_s),
    )
    return _link_out(runtime, request, link)


@router.get("/downloads/{transaction_id}", response_class=RedirectResponse, status_code=307)
def download_redirect(
    transaction_id: int,
    principal: PrincipalDep,
    session: SessionDep,
    runtime: RuntimeDep,
    request: Request,
    v: Annotated[int | None, Query(ge=1)] = None,
) -> RedirectResponse:
    """Redirect (307) to a fresh signed link: what `download_path` of a license points at."""
    link = downloads.link_for_transaction(
        session, downloads.signer_for(runtime), principal.user, transaction_id, version_id=v
    )
    return RedirectResponse(absolute_url(runtime, request, link.path), status_code=307)


@router.get("/downloads", response_model=GrantPage)
def list_grants(
    principal: PrincipalDep,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> GrantPage:
    """What you bought and may download; a video lists every version of its format."""
    page = downloads.download_grants(session, principal.user, paging=Paging(limit, offset))
    return from_view(GrantPage, page, items=[_grant_out(g) for g in page.items])


# -- complimentary downloads ------------------------------------------------------------


@router.post("/complimentary-downloads", status_code=201, response_model=ComplimentaryOut)
def take_complimentary(
    body: ComplimentaryIn,
    principal: PrincipalDep,
    session: SessionDep,
    runtime: RuntimeDep,
    request: Request,
) -> ComplimentaryOut:
    """A free download for a group member, counted against the group's monthly allowance."""
    grant = downloads.grant_complimentary(
        session, downloads.signer_for(runtime), principal.user, body.item_id, body.size
    )
    return from_view(
        ComplimentaryOut,
        grant,
        url=absolute_url(runtime, request, grant.link.path),
        expires_at=grant.link.expires_at,
    )


@router.get("/complimentary-downloads", response_model=ComplimentaryPage)
def complimentary_history(
    principal: PrincipalDep,
    session: SessionDep,
    runtime: RuntimeDep,
    request: Request,
    since: datetime | None = None,
    until: datetime | None = None,
    user_id: int | None = None,
    kind: Annotated[list[MediaKind] | None, Query()] = None,
    group_id: int | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> ComplimentaryPage:
    """Your group's complimentary downloads, newest first (admins: any `group_id`)."""
    page = downloads.complimentary_history(
        session,
        downloads.signer_for(runtime),
        principal.user,
        period=Period(since, until),
        user_id=user_id,
        kinds=kind,
        paging=Paging(limit, offset),
        group_id=group_id,
    )
    rows = [
        from_view(
            ComplimentaryRowOut,
            row,
            size=row.size_code,
            url=absolute_url(runtime, request, row.link.path),
            expires_at=row.link.expires_at,
        )
        for row in page.items
    ]
    return from_view(ComplimentaryPage, page, items=rows)


@router.post("/complimentary-downloads/{download_id}/link", response_model=LinkOut)
def complimentary_link(
    download_id: int,
    principal: PrincipalDep,
    session: SessionDep,
    runtime: RuntimeDep,
    request: Request,
) -> LinkOut:
    """A fresh link to a complimentary download of your group."""
    link = downloads.complimentary_link(
        session, downloads.signer_for(runtime), principal.user, download_id
    )
    return _link_out(runtime, request, link)


@router.put("/complimentary-allowances/{group_id}", response_model=AllowanceOut)
def set_allowance(
    group_id: int, body: AllowanceIn, principal: AdminDep, session: SessionDep
) -> AllowanceOut:
    """Set a group's complimentary downloads per calendar month (UTC); 0 turns them off."""
    downloads.set_allowance(session, principal.user, group_id, body.per_month)
    return AllowanceOut(group_id=group_id, per_month=body.per_month)


# -- the file routes (outside /v1) ------------------------------------------------------


def _runtime(request: StarletteRequest) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def _from_the_start(request: StarletteRequest) -> bool:
    """Whether this GET starts a download (a resumed range is the same download)."""
    if request.method != "GET":
        return False
    wanted = request.headers.get("range")
    return wanted is None or wanted.replace(" ", "").startswith("bytes=0-")


def _file(request: StarletteRequest, runtime: Runtime, served: downloads.ServedFile) -> Response:
    filename = download_name(served.name, served.extension, f"item-{served.item_id}")
    headers = {
        "content-disposition": f'attachment; filename="{filename}"',
        "cache-control": DOWNLOAD_CACHE_CONTROL,
        "x-content-type-options": "nosniff",
        "etag": etag_of(served.blob),
    }
    return blob_response(
        request, runtime.blobs, served.blob, served.media_type, served.size, headers
    )


@answers_domain_errors
def serve_licensed(request: StarletteRequest) -> Response:
    """The licensed file of a transaction, for the user a signed link was made for."""
    runtime = _runtime(request)
    transaction_id: int = request.path_params["transaction_id"]
    link = downloads.verify_link(
        downloads.signer_for(runtime),
        downloads.licensed_path(transaction_id),
        request.query_params,
    )
    served = downloads.licensed_file(runtime, transaction_id, link, record=_from_the_start(request))
    return _file(request, runtime, served)


@answers_domain_errors
def serve_complimentary(request: StarletteRequest) -> Response:
    """A complimentary download's file, for the user a signed link was made for."""
    runtime = _runtime(request)
    download_id: int = request.path_params["download_id"]
    link = downloads.verify_link(
        downloads.signer_for(runtime),
        downloads.complimentary_path(download_id),
        request.query_params,
    )
    return _file(request, runtime, downloads.complimentary_file(runtime, download_id, link))


def download_routes() -> list[BaseRoute]:
    """The /download routes, for the application to mount at its root."""
    return [
        Route("/download/complimentary/{download_id:int}", serve_complimentary, methods=["GET"]),
        Route("/download/{transaction_id:int}", serve_licensed, methods=["GET"]),
    ]
