"""Native API: catalog items (view, list, edit, submit, archive, block), their renditions,
formats, history and original links; categories; series."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from stockhouse.api import media
from stockhouse.api.deps import Principal, PrincipalDep, RuntimeDep, SessionDep
from stockhouse.api.schemas import from_view
from stockhouse.catalog import categories, formats, series, service, workflow
from stockhouse.catalog.access import is_admin, require_contributor, sees_every_status
from stockhouse.catalog.models import (
    Category,
    ItemStatus,
    MediaItem,
    MediaKind,
    Release,
    Series,
    StatusChange,
    VideoFormat,
)
from stockhouse.catalog.service import UNSET, ItemEdit, TranslationEdit
from stockhouse.catalog.translations import DEFAULT_LANGUAGE, translations_of
from stockhouse.errors import InvalidParameter, NotFound, PermissionDenied

router = APIRouter(tags=["items"])

MAX_PAGE_SIZE = service.MAX_PAGE_SIZE
TOTAL_COUNT_HEADER = "X-Total-Count"
# Generous bounds on the wire; the services give the precise limits with a named param.
MAX_WIRE_TEXT = 20_000
MAX_WIRE_TAGS = 500
MAX_WIRE_LANGUAGES = 100


# -- shapes -----------------------------------------------------------------------------


class TranslationOut(BaseModel):
    title: str
    description: str
    tags: list[str]


class CategoryOut(BaseModel):
    id: int
    group: str
    name: str

    @classmethod
    def of(cls, category: Category) -> CategoryOut:
        return from_view(cls, category)


class ReleaseRefOut(BaseModel):
    id: int
    type: int
    name: str

    @classmethod
    def of(cls, release: Release) -> ReleaseRefOut:
        return from_view(cls, release)


class SizeOut(BaseModel):
    code: str
    width: int | None
    height: int | None
    megapixels: float | None


def _number(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


class ItemOut(BaseModel):
    """An item as the native API shows it (texts of other languages under translations)."""

    id: int
    kind: str
    owner_id: int
    status: str
    visible: bool
    title: str
    description: str
    tags: list[str]
    translations: dict[str, TranslationOut]
    categories: list[CategoryOut]
    series_id: int | None
    releases: list[ReleaseRefOut]
    original_filename: str
    extension: str
    mime_type: str
    file_size: int
    width: int | None
    height: int | None
    megapixels: float | None
    orientation: str | None
    color: int | None
    duration_ms: int | None
    fps: float | None
    video_codec: str | None
    audio_codec: str | None
    video_standard: int | None
    aspect_ratio: int | None
    aspect_quotient: float | None
    sample_rate: int | None
    channels: int | None
    editorial: bool
    nudity: bool
    exclusive: bool
    extended_allowed: bool
    free: bool
    ai_generated: bool
    people_gender: str | None
    people_age: str | None
    people_race: str | None
    people_quantity: int | None
    people_only: bool
    copyright: str
    captured_at: datetime | None
    sizes: list[SizeOut]
    views: int
    downloads: int
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    published_at: datetime | None
    reviewed_at: datetime | None
    reviewed_by: int | None
    rejection_reason: str | None

    @classmethod
    def of(cls, item: MediaItem) -> ItemOut:
        return from_view(
            cls,
            item,
            tags=item.tag_names(DEFAULT_LANGUAGE),
            translations=translations_of(item),
            categories=[CategoryOut.of(c) for c in sorted(item.categories, key=lambda c: c.id)],
            releases=[ReleaseRefOut.of(r) for r in sorted(item.releases, key=lambda r: r.id)],
            megapixels=_number(item.megapixels),
            fps=_number(item.fps),
            aspect_quotient=_number(item.aspect_quotient),
            sizes=[from_view(SizeOut, s, megapixels=_number(s.megapixels)) for s in item.sizes],
        )


class TranslationIn(BaseModel):
    title: str | None = Field(default=None, max_length=MAX_WIRE_TEXT)
    description: str | None = Field(default=None, max_length=MAX_WIRE_TEXT)
    tags: list[Annotated[str, Field(max_length=MAX_WIRE_TEXT)]] | None = Field(
        default=None, max_length=MAX_WIRE_TAGS
    )


class ItemPatch(BaseModel):
    """Fields to change; absent fields stay. null clears series_id and the people fields,
    and removes a language from translations."""

    title: str | None = Field(default=None, max_length=MAX_WIRE_TEXT)
    description: str | None = Field(default=None, max_length=MAX_WIRE_TEXT)
    tags: list[Annotated[str, Field(max_length=MAX_WIRE_TEXT)]] | None = Field(
        default=None, max_length=MAX_WIRE_TAGS
    )
    translations: dict[str, TranslationIn | None] | None = Field(
        default=None, max_length=MAX_WIRE_LANGUAGES
    )
    category_ids: list[int] | None = Field(default=None, max_length=MAX_WIRE_TAGS)
    series_id: int | None = None
    editorial: bool | None = None
    nudity: bool | None = None
    exclusive: bool | None = None
    extended_allowed: bool | None = None
    free: bool | None = None
    ai_generated: bool | None = None
    people_only: bool | None = None
    people_gender: str | None = Field(default=None, max_length=MAX_WIRE_TEXT)
    people_age: str | None = Field(default=None, max_length=MAX_WIRE_TEXT)
    people_race: str | None = Field(default=None, max_length=MAX_WIRE_TEXT)
    people_quantity: int | None = None
    copyright: str | None = Field(default=None, max_length=MAX_WIRE_TEXT)

    def to_edit(self) -> ItemEdit:
        given = self.model_fields_set
        clearable: dict[str, Any] = {
            name: getattr(self, name) if name in given else UNSET
            for name in (
                "series_id",
                "people_gender",
                "people_age",
                "people_race",
                "people_quantity",
            )
        }
        plain = self.model_dump(
            include=given - set(clearable) - {"translations"}, exclude_none=True
        )
        texts = {
            lang: TranslationEdit(**t.model_dump()) if t is not None else None
            for lang, t in (self.translations or {}).items()
        }
        return ItemEdit(**plain, **clearable, translations=texts)


class BlockIn(BaseModel):
    reason: str | None = Field(default=None, max_length=MAX_WIRE_TEXT)


class SubmittedOut(BaseModel):
    submitted: list[int]


class StatusChangeOut(BaseModel):
    from_status: str
    to_status: str
    by_user_id: int | None
    reason: str | None
    at: datetime

    @classmethod
    def of(cls, change: StatusChange) -> StatusChangeOut:
        return from_view(cls, change)


class RenditionOut(BaseModel):
    name: str
    mime_type: str
    width: int | None
    height: int | None
    size: int
    url: str


class OriginalLinkOut(BaseModel):
    url: str
    expires_at: datetime


class VersionOut(BaseModel):
    id: int
    width: int
    height: int
    video_codec: str
    audio_codec: str
    extension: str
    file_size: int


class FormatOut(BaseModel):
    id: int
    name: str
    sub_offset: int
    versions: list[VersionOut]

    @classmethod
    def of(cls, video_format: VideoFormat) -> FormatOut:
        return from_view(cls, video_format)


class SeriesIn(BaseModel):
    name: str = Field(max_length=MAX_WIRE_TEXT)


class SeriesItemsIn(BaseModel):
    item_ids: list[int] = Field(min_length=1, max_length=series.MAX_ITEMS_PER_ASSIGNMENT)


class SeriesOut(BaseModel):
    id: int
    owner_id: int
    name: str
    created_at: datetime
    item_ids: list[int]


# -- items ------------------------------------------------------------------------------


def viewable_item(session: Session, principal: Principal, item_id: int) -> MediaItem:
    """The item if the caller may see it; NotFound otherwise."""
    return service.get_viewable_item(session, principal.user, item_id)


@router.get("/items", response_model=list[ItemOut])
def list_my_items(
    principal: PrincipalDep,
    session: SessionDep,
    response: Response,
    status: ItemStatus | None = None,
    kind: MediaKind | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[ItemOut]:
    """The caller's items, newest first; the total over all pages is in X-Total-Count."""
    page = service.list_items(
        session, principal.user, status=status, kind=kind, limit=limit, offset=offset
    )
    response.headers[TOTAL_COUNT_HEADER] = str(page.total)
    return [ItemOut.of(item) for item in page.items]


@router.post("/items/submit-all", response_model=SubmittedOut)
def submit_all(principal: PrincipalDep, session: SessionDep) -> SubmittedOut:
    """Send every uploaded item of the caller to review."""
    return SubmittedOut(submitted=workflow.submit_all_uploaded(session, principal.user))


@router.get("/items/{item_id}", response_model=ItemOut)
def get_item(item_id: int, principal: PrincipalDep, session: SessionDep) -> ItemOut:
    """One item; others' items only once published. Views by others are counted."""
    item = viewable_item(session, principal, item_id)
    if principal.user.id != item.owner_id:
        service.record_view(session, item.id)
    return ItemOut.of(item)


@router.patch("/items/{item_id}", response_model=ItemOut)
def update_item(
    item_id: int, body: ItemPatch, principal: PrincipalDep, session: SessionDep
) -> ItemOut:
    item = viewable_item(session, principal, item_id)
    return ItemOut.of(service.update_item(session, principal.user, item, body.to_edit()))


@router.post("/items/{item_id}/submit", response_model=ItemOut)
def submit_item(item_id: int, principal: PrincipalDep, session: SessionDep) -> ItemOut:
    item = viewable_item(session, principal, item_id)
    return ItemOut.of(workflow.submit(session, principal.user, item))


@router.post("/items/{item_id}/archive", response_model=ItemOut)
def archive_item(item_id: int, principal: PrincipalDep, session: SessionDep) -> ItemOut:
    item = viewable_item(session, principal, item_id)
    return ItemOut.of(workflow.archive(session, principal.user, item))


@router.post("/items/{item_id}/block", response_model=ItemOut)
def block_item(
    item_id: int, principal: PrincipalDep, session: SessionDep, body: BlockIn | None = None
) -> ItemOut:
    item = viewable_item(session, principal, item_id)
    reason = body.reason if body is not None else None
    return ItemOut.of(workflow.block(session, principal.user, item, reason))


@router.get("/items/{item_id}/history", response_model=list[StatusChangeOut])
def item_history(
    item_id: int, principal: PrincipalDep, session: SessionDep
) -> list[StatusChangeOut]:
    """The item's status changes, oldest first (owner, reviewers, admins)."""
    item = viewable_item(session, principal, item_id)
    if not sees_every_status(principal.user, item):
        raise PermissionDenied("an item's history is for its owner, reviewers and admins")
    return [StatusChangeOut.of(c) for c in workflow.history(session, item)]


@router.get("/items/{item_id}/renditions", response_model=list[RenditionOut])
def item_renditions(
    item_id: int,
    principal: PrincipalDep,
    session: SessionDep,
    runtime: RuntimeDep,
    request: Request,
) -> list[RenditionOut]:
    """Previews of the item; links to unpublished items' previews are signed and expire."""
    item = viewable_item(session, principal, item_id)
    return [
        RenditionOut(
            name=r.name,
            mime_type=r.mime_type,
            width=r.width,
            height=r.height,
            size=r.size,
            url=media.absolute_url(runtime, request, media.rendition_link(runtime, item, r.name)),
        )
        for r in sorted(item.renditions, key=lambda r: r.name)
    ]


@router.post("/items/{item_id}/original-link", response_model=OriginalLinkOut)
def original_link(
    item_id: int,
    principal: PrincipalDep,
    session: SessionDep,
    runtime: RuntimeDep,
    request: Request,
) -> OriginalLinkOut:
    """A signed link to the original file, valid for ORIGINAL_LINK_TTL."""
    item = viewable_item(session, principal, item_id)
    if not sees_every_status(principal.user, item):
        raise PermissionDenied(
            "originals are for the item's owner, reviewers and admins; buyers download "
            "through their license"
        )
    path, expires_at = media.signer_for(runtime).signed_path(
        media.original_path(item.id), media.ORIGINAL_LINK_TTL
    )
    return OriginalLinkOut(url=media.absolute_url(runtime, request, path), expires_at=expires_at)


@router.get("/items/{item_id}/formats", response_model=list[FormatOut])
def item_formats(item_id: int, principal: PrincipalDep, session: SessionDep) -> list[FormatOut]:
    """A video's formats (e.g. PAL, NTSC) and the versions of each."""
    item = viewable_item(session, principal, item_id)
    return [FormatOut.of(f) for f in formats.video_formats(session, item)]


# -- categories -------------------------------------------------------------------------


@router.get("/categories", response_model=list[CategoryOut], tags=["categories"])
def list_categories(
    _: PrincipalDep, session: SessionDep, group: str | None = None
) -> list[CategoryOut]:
    """Categories of one group (image, video, music, sfx) or of all, by group and name."""
    return [CategoryOut.of(c) for c in categories.list_categories(session, group)]


# -- series -----------------------------------------------------------------------------


def _series_out(session: Session, found: Series) -> SeriesOut:
    return SeriesOut(
        id=found.id,
        owner_id=found.owner_id,
        name=found.name,
        created_at=found.created_at,
        item_ids=series.item_ids_in_series(session, found),
    )


def _own_series(session: Session, principal: Principal, series_id: int) -> Series:
    found = series.get_series(session, series_id)
    if found.owner_id != principal.user.id and not is_admin(principal.user):
        raise NotFound(f"series {series_id} does not exist")
    return found


@router.post("/series", status_code=201, response_model=SeriesOut, tags=["series"])
def create_series(body: SeriesIn, principal: PrincipalDep, session: SessionDep) -> SeriesOut:
    require_contributor(principal.user, "making a series")
    return _series_out(session, series.create_series(session, principal.user, body.name))


@router.get("/series", response_model=list[SeriesOut], tags=["series"])
def list_series(principal: PrincipalDep, session: SessionDep) -> list[SeriesOut]:
    return [_series_out(session, s) for s in series.list_series(session, principal.user)]


@router.get("/series/{series_id}", response_model=SeriesOut, tags=["series"])
def get_series(series_id: int, principal: PrincipalDep, session: SessionDep) -> SeriesOut:
    return _series_out(session, _own_series(session, principal, series_id))


@router.post("/series/{series_id}/items", response_model=SeriesOut, tags=["series"])
def add_series_items(
    series_id: int, body: SeriesItemsIn, principal: PrincipalDep, session: SessionDep
) -> SeriesOut:
    """Put items (all the caller's) into the series; they leave any series they were in."""
    found = _own_series(session, principal, series_id)
    series.assign_to_series(session, principal.user, found, body.item_ids)
    return _series_out(session, found)


@router.delete("/series/{series_id}/items/{item_id}", status_code=204, tags=["series"])
def remove_series_item(
    series_id: int, item_id: int, principal: PrincipalDep, session: SessionDep
) -> None:
    found = _own_series(session, principal, series_id)
    item = viewable_item(session, principal, item_id)
    if item.series_id != found.id:
        raise InvalidParameter("item_id", f"item {item_id} is not in series {series_id}")
    series.assign_to_series(session, principal.user, None, [item.id])
