"""A market with real files for the download, invoice, transfer and earnings tests.

People in every buying situation, items whose files are real tiny blobs (a 600x400 JPEG
photo with sizes s, xl and el0; a video in two formats, PAL with two versions and NTSC
with one; a music file), the default licenses and prices, and `buy`, which licenses
through `licensing.license_item` exactly as the product does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from itertools import count

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import GroupRole, PaymentMode, Role, User
from stockhouse.catalog import formats
from stockhouse.catalog.models import ItemStatus, MediaItem, MediaKind, SizeOption
from stockhouse.commerce import ledger
from stockhouse.commerce.licensing import LicenseRequest, license_item
from stockhouse.commerce.models import (
    AccountKind,
    ComplimentaryAllowance,
    License,
    LicenseTransaction,
)
from stockhouse.commerce.prices import (
    AUDIO_SIZE,
    ensure_default_licenses_and_prices,
    product_type_of,
)
from stockhouse.db.base import utcnow
from stockhouse.ingest.sizes import image_sizes
from stockhouse.runtime import Runtime
from tests.catalog.factories import PASSWORD, tiny_jpeg

PHOTO_WIDTH, PHOTO_HEIGHT = 600, 400
VAT_RATE = Decimal("0.19")
PREPAID_FUNDS = 1_000_000
_serial = count(1)


@dataclass(frozen=True)
class Market:
    """Ids of the people, groups and items of a test market."""

    contributor: int  # Europe/Berlin, level bronze
    solo: int  # a buyer without a group
    prepaid_admin: int
    prepaid_member: int
    postpaid_admin: int  # of the postpaid group (VAT 19% enabled)
    postpaid_member: int
    outsider: int  # group-admin of a third (prepaid) group
    admin: int
    prepaid: int
    postpaid: int
    other_group: int
    photo: int
    video: int
    music: int
    pal: int  # video format ids
    ntsc: int
    pal_versions: tuple[int, int]
    ntsc_version: int


def user(runtime: Runtime, user_id: int) -> User:
    with runtime.db.read_session() as session:
        return accounts.get_user(session, user_id)


def _person(session: Session, name: str, roles: list[Role], **fields: str) -> User:
    return accounts.create_user(
        session, username=name, password=PASSWORD, roles=roles, country="DE", **fields
    )


def _photo(session: Session, runtime: Runtime, owner: int) -> MediaItem:
    blob = runtime.blobs.put_bytes(tiny_jpeg(PHOTO_WIDTH, PHOTO_HEIGHT, shade=next(_serial)))
    item = MediaItem(
        kind=MediaKind.PHOTO,
        owner_id=owner,
        status=ItemStatus.ACTIVE,
        title="Harbour at dawn",
        original_filename="harbour.jpg",
        extension="jpg",
        mime_type="image/jpeg",
        file_size=blob.size,
        original_blob=blob.key,
        width=PHOTO_WIDTH,
        height=PHOTO_HEIGHT,
        published_at=utcnow(),
    )
    item.sizes = [
        SizeOption(code=s.code, position=i, width=s.width, height=s.height)
        for i, s in enumerate(image_sizes(PHOTO_WIDTH, PHOTO_HEIGHT))
    ]
    session.add(item)
    session.flush()
    return item


def _media(
    session: Session, runtime: Runtime, owner: int, kind: MediaKind, content: bytes
) -> MediaItem:
    blob = runtime.blobs.put_bytes(content)
    extension, mime = ("mp4", "video/mp4") if kind == MediaKind.VIDEO else ("wav", "audio/wav")
    item = MediaItem(
        kind=kind,
        owner_id=owner,
        status=ItemStatus.ACTIVE,
        title=f"{kind.value} {next(_serial)}",
        original_filename=f"clip.{extension}",
        extension=extension,
        mime_type=mime,
        file_size=blob.size,
        original_blob=blob.key,
        width=1280 if kind == MediaKind.VIDEO else None,
        height=720 if kind == MediaKind.VIDEO else None,
        published_at=utcnow(),
    )
    if kind == MediaKind.VIDEO:
        item.sizes = [SizeOption(code=code, position=i) for i, code in enumerate(("480", "720"))]
    session.add(item)
    session.flush()
    return item


def _version(
    session: Session, runtime: Runtime, video_format: object, width: int, height: int
) -> int:
    content = f"video {width}x{height} ".encode() * 50
    blob = runtime.blobs.put_bytes(content)
    version = formats.add_video_version(
        session,
        video_format,  # type: ignore[arg-type]
        width=width,
        height=height,
        video_codec="h264",
        audio_codec="aac",
        extension="mp4",
        video_standard=3,
        aspect_ratio=1,
        aspect_quotient=Decimal("1.25"),
        blob=blob.key,
        file_size=blob.size,
    )
    return version.id


def fund(session: Session, kind: AccountKind, amount_minor: int, **owner: int) -> None:
    """Money from EXTERNAL into an account, as a refill would."""
    target = ledger.account_for(session, kind, currency="USD", **owner)  # type: ignore[arg-type]
    source = ledger.account_for(session, AccountKind.EXTERNAL, currency="USD")
    ledger.transfer(
        session, "refill", "test", source=source, target=target, amount_minor=amount_minor
    )


def open_market(runtime: Runtime) -> Market:
    """Create the market in one committed transaction."""
    with runtime.db.session() as session:
        carla = _person(session, "carla", [Role.CONTRIBUTOR], timezone="Europe/Berlin")
        carla.contributor_level = "bronze"
        people = {
            name: _person(session, name, [Role.BUYER])
            for name in ("sol", "mia", "max", "pat", "pia", "oz")
        }
        admin = _person(session, "root", [Role.ADMIN])
        prepaid = accounts.create_group(session, name="Prepaid Co")
        postpaid = accounts.create_group(
            session, name="Postpaid Co", payment_mode=PaymentMode.POSTPAID
        )
        postpaid.vat_rate, postpaid.vat_enabled = VAT_RATE, True
        postpaid.vat_number = "DE123456789"
        postpaid.billing_profile = '{"address": "Hafenstrasse 1", "city": "Hamburg"}'
        other = accounts.create_group(session, name="Other Co")
        accounts.add_member(session, prepaid, people["mia"], GroupRole.ADMIN)
        accounts.add_member(session, prepaid, people["max"], GroupRole.MEMBER)
        accounts.add_member(session, postpaid, people["pat"], GroupRole.ADMIN)
        accounts.add_member(session, postpaid, people["pia"], GroupRole.MEMBER)
        accounts.add_member(session, other, people["oz"], GroupRole.ADMIN)
        ensure_default_licenses_and_prices(session)
        fund(session, AccountKind.GROUP_BALANCE, PREPAID_FUNDS, group_id=prepaid.id)
        fund(session, AccountKind.GROUP_BALANCE, PREPAID_FUNDS, group_id=other.id)
        fund(session, AccountKind.USER_CASH, PREPAID_FUNDS, user_id=people["sol"].id)
        photo = _photo(session, runtime, carla.id)
        video = _media(session, runtime, carla.id, MediaKind.VIDEO, b"original video " * 40)
        music = _media(session, runtime, carla.id, MediaKind.MUSIC, b"RIFF music " * 40)
        pal = formats.add_video_format(session, video, "PAL")
        ntsc = formats.add_video_format(session, video, "NTSC")
        pal_versions = (
            _version(session, runtime, pal, 720, 576),
            _version(session, runtime, pal, 724, 576),
        )
        ntsc_version = _version(session, runtime, ntsc, 720, 480)
        return Market(
            contributor=carla.id,
            solo=people["sol"].id,
            prepaid_admin=people["mia"].id,
            prepaid_member=people["max"].id,
            postpaid_admin=people["pat"].id,
            postpaid_member=people["pia"].id,
            outsider=people["oz"].id,
            admin=admin.id,
            prepaid=prepaid.id,
            postpaid=postpaid.id,
            other_group=other.id,
            photo=photo.id,
            video=video.id,
            music=music.id,
            pal=pal.id,
            ntsc=ntsc.id,
            pal_versions=pal_versions,
            ntsc_version=ntsc_version,
        )


def license_id(session: Session, item: MediaItem, extended: bool) -> int:
    return session.scalars(
        select(License.id).where(
            License.product_type == product_type_of(item.kind), License.extended == extended
        )
    ).one()


def buy(
    runtime: Runtime,
    buyer_id: int,
    item_id: int,
    size: str | None = None,
    *,
    extended: bool = False,
    ext_options: int = 0,
    sub_offset: int | None = None,
    country: str | None = None,
    query: str | None = None,
    purchase_order: str = "",
    at: datetime | None = None,
) -> int:
    """License an item through license_item; `at` backdates the transaction. Its id."""
    with runtime.db.session() as session:
        item = session.get(MediaItem, item_id)
        assert item is not None
        default_size = {MediaKind.VIDEO: "720", MediaKind.MUSIC: AUDIO_SIZE}.get(
            item.kind, "el0" if extended else "s"
        )
        result = license_item(
            session,
            LicenseRequest(
                buyer=accounts.get_user(session, buyer_id),
                item_id=item_id,
                license_id=license_id(session, item, extended),
                size_code=size or default_size,
                ext_options=ext_options,
                sub_offset=sub_offset,
                buyer_country=country,
                search_query=query,
                purchase_order=purchase_order,
            ),
        )
        transaction_id = result.transaction.id
        if at is not None:
            session.execute(
                update(LicenseTransaction)
                .where(LicenseTransaction.id == transaction_id)
                .values(created_at=at)
            )
        return transaction_id


def allow_complimentary(runtime: Runtime, group_id: int, per_month: int) -> None:
    with runtime.db.session() as session:
        session.merge(ComplimentaryAllowance(group_id=group_id, per_month=per_month))


def transaction(runtime: Runtime, transaction_id: int) -> LicenseTransaction:
    with runtime.db.read_session() as session:
        row = session.get(LicenseTransaction, transaction_id)
        assert row is not None
        return row
