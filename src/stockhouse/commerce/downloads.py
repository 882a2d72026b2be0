"""Downloads: signed per-user links to licensed files, complimentary downloads, and the
versions a purchase lets a buyer download.

A licensed download link is `/download/{transaction_id}?u={user_id}[&v={version_id}]
&expires=...&sig=...`: the signature (stockhouse.signing) covers the path with the user
and version, so a link works only for the user it was made for, only for that version,
and only until it expires. Links are made for the buyer of the transaction or any member
of the buyer's enterprise group, and that right is checked again when the file is served.

What a transaction delivers: an image's licensed size (produced on first use and cached,
see stockhouse.ingest.sizes; xl and el0 of a raster are the original itself); a video's
version of the bought format (buying one version grants every version of its format, the
Pond5 rule; `v` picks the version); an audio item's original.

Complimentary downloads (Depositphotos complimentaryDownload): a group may take
`ComplimentaryAllowance.per_month` free downloads per calendar month, months in UTC
(a group has no time zone of its own). Each grant is a `Download` row counted against the
allowance when it is granted; its file is served at `/download/complimentary/{id}`.
A licensed download is recorded as a `Download` row each time its file is fetched from
the start (a resumed range request is the same download).
"""

from __future__ import annotations

import mimetypes
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import Role, User
from stockhouse.catalog.access import is_public
from stockhouse.catalog.models import MediaItem, MediaKind, VideoFormat, VideoVersion
from stockhouse.commerce.listing import (
    Page,
    Paging,
    Period,
    Person,
    calendar_month,
    group_to_list,
    usernames,
)
from stockhouse.commerce.models import (
    ComplimentaryAllowance,
    Download,
    DownloadKind,
    LicenseTransaction,
)
from stockhouse.db.base import utcnow
from stockhouse.errors import InvalidParameter, NotFound, PermissionDenied
from stockhouse.ingest.sizes import ORIGINAL_SIZE_CODES, produce_size
from stockhouse.signing import InvalidSignature, LinkSigner

if TYPE_CHECKING:
    from stockhouse.runtime import Runtime

LINK_TTL = timedelta(hours=1)
MAX_LINK_TTL = timedelta(days=7)
USER_PARAM = "u"
VERSION_PARAM = "v"
LICENSED_PREFIX = "/download/"
COMPLIMENTARY_PREFIX = "/download/complimentary/"
MAX_ALLOWANCE = 1_000_000
MAX_SIZE_CODE_LENGTH = 16
OCTET_STREAM = "application/octet-stream"
JPEG = "image/jpeg"


class ComplimentaryAllowanceExhausted(PermissionDenied):
    """The group has taken every complimentary download of this month."""


# -- links ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignedLink:
    """A download link: `path` (with its query) on this server, and when it stops working."""

    path: str
    expires_at: datetime
    user_id: int
    transaction_id: int | None = None
    download_id: int | None = None
    version_id: int | None = None


def signer_for(runtime: Runtime) -> LinkSigner:
    """The signer of download links, keyed by the data dir's secret key."""
    return LinkSigner(runtime.settings.secret_key)


def licensed_path(transaction_id: int) -> str:
    return f"{LICENSED_PREFIX}{transaction_id}"


def complimentary_path(download_id: int) -> str:
    return f"{COMPLIMENTARY_PREFIX}{download_id}"


def _signed_part(path: str, user_id: int, version_id: int | None) -> str:
    """What the signature covers: the path with the user and the version."""
    query = f"{USER_PARAM}={user_id}"
    if version_id is not None:
        query += f"&{VERSION_PARAM}={version_id}"
    return f"{path}?{query}"


def _sign(
    signer: LinkSigner,
    path: str,
    user_id: int,
    version_id: int | None,
    ttl: timedelta,
    now: datetime | None,
) -> tuple[str, datetime]:
    if not timedelta(seconds=1) <= ttl <= MAX_LINK_TTL:
        raise InvalidParameter("ttl", f"a link lives 1 second to {MAX_LINK_TTL.days} days")
    signed = _signed_part(path, user_id, version_id)
    url, expires_at = signer.signed_path(signed, ttl, now=now)
    # signed_path appends "?expires=..."; the path already has a query, so join with "&"
    return signed + "&" + url[len(signed) + 1 :], expires_at


def _positive_int(raw: str | None) -> int | None:
    if raw is None or not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        return None
    return int(raw)


@dataclass(frozen=True)
class VerifiedLink:
    """Whose a genuine, unexpired link is, and which version it names."""

    user_id: int
    version_id: int | None


def verify_link(
    signer: LinkSigner,
    path: str,
    query: Mapping[str, str],
    *,
    now: datetime | None = None,
) -> VerifiedLink:
    """The user (and version) of a download link; InvalidSignature or LinkExpired otherwise."""
    user_id = _positive_int(query.get(USER_PARAM))
    raw_version = query.get(VERSION_PARAM)
    version_id = _positive_int(raw_version)
    if user_id is None or (raw_version is not None and version_id is None):
        raise InvalidSignature("this download link is not valid; ask for a new link")
    signer.verify_query(_signed_part(path, user_id, version_id), query, now=now)
    return VerifiedLink(user_id, version_id)


# -- who may download -------------------------------------------------------------------


def _user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        raise PermissionDenied("this account may not download")
    return user


def _group_id_of(session: Session, user: User) -> int | None:
    member = accounts.membership_of(session, user)
    return None if member is None else member.group_id


def may_download(session: Session, user: User, transaction: LicenseTransaction) -> bool:
    """The buyer, or a member of the buyer's group, may download a licensed file."""
    if transaction.buyer_id == user.id:
        return True
    return transaction.group_id is not None and _group_id_of(session, user) == (
        transaction.group_id
    )


def _transaction_for(session: Session, user: User, transaction_id: int) -> LicenseTransaction:
    transaction = session.get(LicenseTransaction, transaction_id)
    if transaction is None:
        raise NotFound(f"license transaction {transaction_id} does not exist")
    if not may_download(session, user, transaction):
        raise PermissionDenied(
            f"license transaction {transaction_id} belongs to another buyer or group"
        )
    return transaction


# -- video versions ---------------------------------------------------------------------


def bought_format(session: Session, transaction: LicenseTransaction) -> VideoFormat | None:
    """The video format a transaction bought: its own, else the item's first format."""
    if transaction.video_format_id is not None:
        return session.get(VideoFormat, transaction.video_format_id)
    return session.scalars(
        select(VideoFormat)
        .where(VideoFormat.item_id == transaction.item_id)
        .order_by(VideoFormat.sub_offset, VideoFormat.id)
    ).first()


def granted_version(
    session: Session, transaction: LicenseTransaction, version_id: int | None
) -> VideoVersion:
    """The version to deliver: `version_id` when it is of the bought format, else NotFound;
    the format's first version when no version is named."""
    video_format = bought_format(session, transaction)
    versions = video_format.versions if video_format is not None else []
    if not versions:
        raise NotFound(f"license transaction {transaction.id} has no video version to deliver")
    if version_id is None:
        return versions[0]
    found = next((v for v in versions if v.id == version_id), None)
    if found is None:
        raise NotFound(
            f"version {version_id} is not a version of the format bought in "
            f"transaction {transaction.id}"
        )
    return found


# -- making links -----------------------------------------------------------------------


def link_for_transaction(
    session: Session,
    signer: LinkSigner,
    viewer: User,
    transaction_id: int,
    *,
    version_id: int | None = None,
    ttl: timedelta = LINK_TTL,
    now: datetime | None = None,
) -> SignedLink:
    """A signed link for `viewer` to download what transaction `transaction_id` licensed.

    PermissionDenied unless the viewer bought it or is in the buyer's group; NotFound for
    an unknown transaction, or a `version_id` outside the bought video format.
    """
    user = _user(session, viewer.id)
    transaction = _transaction_for(session, user, transaction_id)
    if version_id is not None:
        item = session.get(MediaItem, transaction.item_id)
        if item is None or item.kind != MediaKind.VIDEO:
            raise NotFound(f"license transaction {transaction_id} has no video versions")
        granted_version(session, transaction, version_id)
    path, expires_at = _sign(signer, licensed_path(transaction_id), user.id, version_id, ttl, now)
    return SignedLink(
        path, expires_at, user.id, transaction_id=transaction_id, version_id=version_id
    )


def download_link(
    runtime: Runtime,
    viewer: User,
    transaction_id: int,
    *,
    version_id: int | None = None,
    ttl: timedelta = LINK_TTL,
    now: datetime | None = None,
) -> SignedLink:
    """link_for_transaction in a read-only session of its own."""
    with runtime.db.read_session() as session:
        return link_for_transaction(
            session,
            signer_for(runtime),
            viewer,
            transaction_id,
            version_id=version_id,
            ttl=ttl,
            now=now,
        )


def complimentary_link(
    session: Session,
    signer: LinkSigner,
    viewer: User,
    download_id: int,
    *,
    ttl: timedelta = LINK_TTL,
    now: datetime | None = None,
) -> SignedLink:
    """A signed link to a complimentary download's file, for a member of its group."""
    user = _user(session, viewer.id)
    _complimentary_for(session, user, download_id)
    path, expires_at = _sign(signer, complimentary_path(download_id), user.id, None, ttl, now)
    return SignedLink(path, expires_at, user.id, download_id=download_id)


def _complimentary_for(session: Session, user: User, download_id: int) -> Download:
    download = session.get(Download, download_id)
    if download is None or download.kind != DownloadKind.COMPLIMENTARY:
        raise NotFound(f"complimentary download {download_id} does not exist")
    same_group = download.group_id is not None and _group_id_of(session, user) == (
        download.group_id
    )
    if download.user_id != user.id and not same_group:
        raise PermissionDenied(f"complimentary download {download_id} is another group's")
    return download


# -- serving files ----------------------------------------------------------------------


@dataclass(frozen=True)
class ServedFile:
    """A file to send: its blob, type and length, and the name and extension to offer
    (the route makes the name safe for a header)."""

    blob: str
    media_type: str
    size: int
    name: str
    extension: str
    item_id: int


@dataclass(frozen=True)
class _Delivery:
    """What to deliver, read from the database before any file is produced."""

    item_id: int
    kind: MediaKind
    size_code: str
    original_blob: str
    original_type: str
    original_name: str
    extension: str
    version: VideoVersion | None


def _delivery(item: MediaItem, size_code: str, version: VideoVersion | None) -> _Delivery:
    return _Delivery(
        item.id,
        item.kind,
        size_code,
        item.original_blob,
        item.mime_type,
        item.original_filename,
        item.extension,
        version,
    )


def _name(original_name: str, suffix: str) -> str:
    stem = original_name.rsplit(".", 1)[0]
    return f"{stem}-{suffix}" if suffix else stem


def _produce(runtime: Runtime, delivery: _Delivery) -> ServedFile:
    """The file of a delivery: the video version, the original, or the produced size."""
    if delivery.version is not None:
        version = delivery.version
        media_type = mimetypes.guess_type(f"f.{version.extension}")[0] or OCTET_STREAM
        name = _name(delivery.original_name, f"{version.width}x{version.height}")
        return ServedFile(
            version.blob, media_type, version.file_size, name, version.extension, delivery.item_id
        )
    uses_original = delivery.kind.is_audio or (
        delivery.kind != MediaKind.VECTOR and delivery.size_code in ORIGINAL_SIZE_CODES
    )
    blob = (
        delivery.original_blob
        if uses_original
        else produce_size(runtime, delivery.item_id, delivery.size_code)
    )
    size = runtime.blobs.size(blob)
    if blob == delivery.original_blob:
        name = _name(delivery.original_name, "")
        return ServedFile(
            blob, delivery.original_type, size, name, delivery.extension, delivery.item_id
        )
    name = _name(delivery.original_name, delivery.size_code)
    return ServedFile(blob, JPEG, size, name, "jpg", delivery.item_id)


def licensed_file(
    runtime: Runtime, transaction_id: int, link: VerifiedLink, *, record: bool
) -> ServedFile:
    """The file a verified licensed link delivers; records a Download when `record`."""
    with runtime.db.read_session() as session:
        user = _user(session, link.user_id)
        transaction = _transaction_for(session, user, transaction_id)
        item = session.get(MediaItem, transaction.item_id)
        if item is None:
            raise NotFound(f"item {transaction.item_id} does not exist")
        version = None
        if item.kind == MediaKind.VIDEO:
            version = granted_version(session, transaction, link.version_id)
        elif link.version_id is not None:
            raise NotFound(f"license transaction {transaction_id} has no video versions")
        delivery = _delivery(item, transaction.size_code, version)
        group_id = transaction.group_id
    served = _produce(runtime, delivery)
    if record:
        with runtime.db.session() as session:
            session.add(
                Download(
                    kind=DownloadKind.LICENSED,
                    user_id=link.user_id,
                    group_id=group_id,
                    item_id=delivery.item_id,
                    transaction_id=transaction_id,
                    size_code=delivery.size_code,
                    video_version_id=version.id if version is not None else None,
                )
            )
    return served


def complimentary_file(runtime: Runtime, download_id: int, link: VerifiedLink) -> ServedFile:
    """The file of a complimentary download, for a verified link of a member of its group."""
    with runtime.db.read_session() as session:
        user = _user(session, link.user_id)
        download = _complimentary_for(session, user, download_id)
        item = session.get(MediaItem, download.item_id)
        if item is None:
            raise NotFound(f"item {download.item_id} does not exist")
        version = (
            session.get(VideoVersion, download.video_version_id)
            if (download.video_version_id is not None)
            else None
        )
        delivery = _delivery(item, download.size_code, version)
    return _produce(runtime, delivery)


# -- complimentary downloads ------------------------------------------------------------


@dataclass(frozen=True)
class ComplimentaryGrant:
    """A complimentary download granted: its row, its link, and the month's usage."""

    download_id: int
    link: SignedLink
    used_this_month: int
    per_month: int


def set_allowance(session: Session, actor: User, group_id: int, per_month: int) -> None:
    """Set a group's monthly complimentary allowance (admins only; 0 turns it off)."""
    if not actor.has_role(Role.ADMIN):
        raise PermissionDenied("setting complimentary allowances needs the admin role")
    if isinstance(per_month, bool) or not 0 <= per_month <= MAX_ALLOWANCE:
        raise InvalidParameter("per_month", f"per_month must be 0-{MAX_ALLOWANCE}")
    accounts.get_group(session, group_id)
    allowance = session.get(ComplimentaryAllowance, group_id)
    if allowance is None:
        session.add(ComplimentaryAllowance(group_id=group_id, per_month=per_month))
    else:
        allowance.per_month = per_month
    session.flush()


def _used_in(session: Session, group_id: int, period: Period) -> int:
    query = select(func.count(Download.id)).where(
        Download.group_id == group_id,
        Download.kind == DownloadKind.COMPLIMENTARY,
        *period.filters(Download.created_at),
    )
    return session.scalar(query) or 0


def _complimentary_version(session: Session, item: MediaItem) -> int | None:
    """A complimentary video sample is the first version of the item's first format."""
    first = session.scalars(
        select(VideoVersion.id)
        .join(VideoFormat, VideoFormat.id == VideoVersion.format_id)
        .where(VideoFormat.item_id == item.id)
        .order_by(VideoFormat.sub_offset, VideoFormat.id, VideoVersion.id)
    ).first()
    if first is None:
        raise NotFound(f"item {item.id} has no video version to sample")
    return first


def grant_complimentary(
    session: Session,
    signer: LinkSigner,
    user: User,
    item_id: int,
    size_code: str,
    *,
    now: datetime | None = None,
) -> ComplimentaryGrant:
    """Grant `user` a free download of a published item at a size it offers, counted
    against the group's allowance for the current UTC calendar month, in the caller's
    transaction.

    PermissionDenied outside a group or without an allowance;
    ComplimentaryAllowanceExhausted (a PermissionDenied) when the month's allowance is used;
    NotFound for an item that is not published; InvalidParameter("size") for a size the
    item does not offer. Concurrent grants of one group are serialised on its allowance row.
    """
    if not isinstance(size_code, str) or not 1 <= len(size_code) <= MAX_SIZE_CODE_LENGTH:
        raise InvalidParameter("size", f"size must be 1-{MAX_SIZE_CODE_LENGTH} characters")
    moment = now or utcnow()
    member = accounts.membership_of(session, _user(session, user.id))
    if member is None:
        raise PermissionDenied("complimentary downloads are for members of an enterprise group")
    allowance = session.get(ComplimentaryAllowance, member.group_id, with_for_update=True)
    if allowance is None or allowance.per_month <= 0:
        raise PermissionDenied("your group has no complimentary downloads")
    item = session.get(MediaItem, item_id)
    if item is None or not is_public(item):
        raise NotFound(f"item {item_id} does not exist")
    if not any(option.code == size_code for option in item.sizes):
        raise InvalidParameter("size", f"item {item_id} has no size {size_code[:20]!r}")
    used = _used_in(session, member.group_id, calendar_month(moment, UTC))
    if used >= allowance.per_month:
        raise ComplimentaryAllowanceExhausted(
            f"your group has used all {allowance.per_month} complimentary downloads of "
            f"{moment.astimezone(UTC):%Y-%m} (UTC)"
        )
    version_id = _complimentary_version(session, item) if item.kind == MediaKind.VIDEO else None
    download = Download(
        kind=DownloadKind.COMPLIMENTARY,
        user_id=user.id,
        group_id=member.group_id,
        item_id=item.id,
        size_code=size_code,
        video_version_id=version_id,
        created_at=moment,
    )
    session.add(download)
    session.flush()
    path, expires_at = _sign(signer, complimentary_path(download.id), user.id, None, LINK_TTL, now)
    link = SignedLink(path, expires_at, user.id, download_id=download.id)
    return ComplimentaryGrant(download.id, link, used + 1, allowance.per_month)


def complimentary_download(
    runtime: Runtime,
    user: User,
    item_id: int,
    size_code: str,
    *,
    now: datetime | None = None,
) -> ComplimentaryGrant:
    """grant_complimentary in a transaction of its own, committed before it returns."""
    with runtime.db.session() as session:
        return grant_complimentary(session, signer_for(runtime), user, item_id, size_code, now=now)


Party = Person  # a user as a listing shows them; the name adapters and the API use here


@dataclass(frozen=True)
class ComplimentaryRow:
    """One complimentary download of a group (Depositphotos getGroupCompDownloads)."""

    download_id: int
    created_at: datetime
    group_id: int
    item_id: int
    item_kind: MediaKind
    filename: str
    size_code: str
    width: int | None
    height: int | None
    user: Party
    seller: Party
    visible: bool
    link: SignedLink


def _history_filters(
    group_id: int, period: Period, user_id: int | None, kinds: Collection[MediaKind] | None
) -> list[ColumnElement[bool]]:
    filters = [Download.group_id == group_id, Download.kind == DownloadKind.COMPLIMENTARY]
    filters += period.filters(Download.created_at)
    if user_id is not None:
        filters.append(Download.user_id == user_id)
    if kinds:
        filters.append(MediaItem.kind.in_([MediaKind(k) for k in kinds]))
    return filters


def complimentary_history(
    session: Session,
    signer: LinkSigner,
    viewer: User,
    *,
    period: Period | None = None,
    user_id: int | None = None,
    kinds: Collection[MediaKind] | None = None,
    paging: Paging | None = None,
    group_id: int | None = None,
) -> Page[ComplimentaryRow]:
    """A group's complimentary downloads, newest first, each with a fresh link for the viewer.

    Members see their own group's; admins may name any `group_id`.
    """
    period, paging = period or Period(), paging or Paging()
    user = _user(session, viewer.id)
    group = group_to_list(session, user, group_id, what="complimentary downloads")
    filters = _history_filters(group, period, user_id, kinds)
    count = select(func.count(Download.id)).join(MediaItem, MediaItem.id == Download.item_id)
    total = session.scalar(count.where(*filters)) or 0
    rows = session.execute(
        select(Download, MediaItem)
        .join(MediaItem, MediaItem.id == Download.item_id)
        .where(*filters)
        .order_by(Download.created_at.desc(), Download.id.desc())
        .limit(paging.limit)
        .offset(paging.offset)
    ).all()
    names = usernames(session, {d.user_id for d, _ in rows} | {i.owner_id for _, i in rows})
    page = [_history_row(signer, user.id, d, i, names) for d, i in rows]
    return Page(page, total, paging.limit, paging.offset)


def _history_row(
    signer: LinkSigner, viewer_id: int, download: Download, item: MediaItem, names: dict[int, str]
) -> ComplimentaryRow:
    option = next((o for o in item.sizes if o.code == download.size_code), None)
    path, expires_at = _sign(
        signer, complimentary_path(download.id), viewer_id, None, LINK_TTL, None
    )
    assert download.group_id is not None
    return ComplimentaryRow(
        download_id=download.id,
        created_at=download.created_at,
        group_id=download.group_id,
        item_id=item.id,
        item_kind=item.kind,
        filename=item.original_filename,
        size_code=download.size_code,
        width=option.width if option is not None else item.width,
        height=option.height if option is not None else item.height,
        user=Party(download.user_id, names.get(download.user_id, "")),
        seller=Party(item.owner_id, names.get(item.owner_id, "")),
        visible=is_public(item),
        link=SignedLink(path, expires_at, viewer_id, download_id=download.id),
    )


# -- what a buyer may download (Pond5 get_downloads_formatted) ---------------------------


@dataclass(frozen=True)
class VersionInfo:
    """One downloadable version of a video format."""

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


@dataclass(frozen=True)
class DownloadGrant:
    """A licensed item its buyer may download, with every version the purchase covers.

    `bought_version_id` is the first version of the bought format (a transaction records
    the format, not one version of it); `versions` is empty for non-video items.
    """

    transaction_id: int
    item_id: int
    item_kind: MediaKind
    title: str
    artist: Party
    license_id: int
    size_code: str
    currency: str
    price_minor: int
    credits: int
    created_at: datetime
    sub_offset: int
    bought_version_id: int | None
    versions: Sequence[VersionInfo]


def _version_info(video_format: VideoFormat, version: VideoVersion) -> VersionInfo:
    return VersionInfo(
        version_id=version.id,
        format_id=video_format.id,
        format_name=video_format.name,
        sub_offset=video_format.sub_offset,
        width=version.width,
        height=version.height,
        video_codec=version.video_codec,
        audio_codec=version.audio_codec,
        extension=version.extension,
        video_standard=version.video_standard,
        aspect_ratio=version.aspect_ratio,
        aspect_quotient=version.aspect_quotient,
        file_size=version.file_size,
    )


def _grant(
    session: Session, transaction: LicenseTransaction, item: MediaItem, names: dict[int, str]
) -> DownloadGrant:
    video_format = bought_format(session, transaction) if item.kind == MediaKind.VIDEO else None
    versions = (
        [_version_info(video_format, v) for v in video_format.versions]
        if video_format is not None
        else []
    )
    return DownloadGrant(
        transaction_id=transaction.id,
        item_id=item.id,
        item_kind=item.kind,
        title=item.title,
        artist=Party(item.owner_id, names.get(item.owner_id, "")),
        license_id=transaction.license_id,
        size_code=transaction.size_code,
        currency=transaction.currency,
        price_minor=transaction.price_minor,
        credits=transaction.credits,
        created_at=transaction.created_at,
        sub_offset=video_format.sub_offset if video_format is not None else 0,
        bought_version_id=versions[0].version_id if versions else None,
        versions=versions,
    )


def download_grants(
    session: Session, user: User, *, paging: Paging | None = None
) -> Page[DownloadGrant]:
    """What `user` bought and may download, newest first; videos list every version of the
    bought format (buying one version grants its siblings)."""
    paging = paging or Paging()
    mine = LicenseTransaction.buyer_id == user.id
    total = session.scalar(select(func.count()).select_from(LicenseTransaction).where(mine)) or 0
    rows = session.execute(
        select(LicenseTransaction, MediaItem)
        .join(MediaItem, MediaItem.id == LicenseTransaction.item_id)
        .where(mine)
        .order_by(LicenseTransaction.created_at.desc(), LicenseTransaction.id.desc())
        .limit(paging.limit)
        .offset(paging.offset)
    ).all()
    names = usernames(session, {item.owner_id for _, item in rows})
    grants = [_grant(session, transaction, item, names) for transaction, item in rows]
    return Page(grants, total, paging.limit, paging.offset)
