"""A small market for the ledger and licensing tests: buyers in every payment situation,
a contributor, items of every product type, the default licenses and prices.

Items are rows made directly with the sizes ingest would give them (no media is decoded:
licensing never reads the files).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import count

from sqlalchemy import select
from sqlalchemy.orm import Session

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import GroupRole, PaymentMode, Role, User
from stockhouse.catalog.models import (
    ItemStatus,
    MediaItem,
    MediaKind,
    SizeOption,
    VideoFormat,
)
from stockhouse.commerce import ledger
from stockhouse.commerce.models import AccountKind, License, ProductType
from stockhouse.commerce.prices import ensure_default_licenses_and_prices
from stockhouse.db.base import utcnow
from stockhouse.runtime import Runtime

PASSWORD = "correct horse battery"
SIZES = {
    MediaKind.PHOTO: ("s", "m", "l", "xl", "el0"),
    MediaKind.VECTOR: ("s", "m", "l", "xl", "el0", "vect"),
    MediaKind.VIDEO: ("240", "480", "720", "1080"),
    MediaKind.MUSIC: (),
}
_serial = count(1)


@dataclass(frozen=True)
class Market:
    """Ids of the people, groups, items and default licenses of a test market."""

    contributor: int  # level bronze (royalty 0.35)
    solo: int  # a buyer without a group
    member: int  # of the prepaid group
    postpaid_member: int  # of the postpaid group
    outsider: int  # of a third, prepaid group
    admin: int
    prepaid: int
    postpaid: int
    other_group: int
    photo: int
    vector: int
    video: int
    music: int
    licenses: dict[tuple[ProductType, bool], int]  # (product type, extended) -> license id

    def license(self, product_type: ProductType, extended: bool = False) -> int:
        return self.licenses[(product_type, extended)]


def make_media(
    session: Session,
    owner_id: int,
    kind: MediaKind = MediaKind.PHOTO,
    *,
    status: ItemStatus = ItemStatus.ACTIVE,
    visible: bool = True,
    extended_allowed: bool = True,
) -> MediaItem:
    """A media item row with the sizes of its kind (and two formats for a video)."""
    serial = next(_serial)
    item = MediaItem(
        kind=kind,
        owner_id=owner_id,
        status=status,
        visible=visible,
        extended_allowed=extended_allowed,
        title=f"item {serial}",
        original_filename=f"item-{serial}.bin",
        extension="bin",
        mime_type="application/octet-stream",
        file_size=1,
        original_blob=f"{serial:064x}",
        published_at=utcnow() if status == ItemStatus.ACTIVE else None,
    )
    item.sizes = [SizeOption(code=code, position=i) for i, code in enumerate(SIZES.get(kind, ()))]
    session.add(item)
    session.flush()
    if kind == MediaKind.VIDEO:
        session.add_all(
            [
                VideoFormat(item_id=item.id, name="NTSC", sub_offset=0),
                VideoFormat(item_id=item.id, name="PAL", sub_offset=1),
            ]
        )
        session.flush()
    return item


def _user(session: Session, name: str, roles: list[Role], country: str = "DE") -> User:
    return accounts.create_user(
        session, username=name, password=PASSWORD, roles=roles, country=country
    )


def open_market(runtime: Runtime) -> Market:
    """Create the market in its own committed transaction."""
    with runtime.db.session() as session:
        contributor = _user(session, "carla", [Role.CONTRIBUTOR])
        contributor.contributor_level = "bronze"
        people = {name: _user(session, name, [Role.BUYER]) for name in ("sol", "mia", "pat", "oz")}
        admin = _user(session, "root", [Role.ADMIN])
        prepaid = accounts.create_group(session, name="Prepaid Co")
        postpaid = accounts.create_group(
            session, name="Postpaid Co", payment_mode=PaymentMode.POSTPAID
        )
        other = accounts.create_group(session, name="Other Co")
        accounts.add_member(session, prepaid, people["mia"], GroupRole.ADMIN)
        accounts.add_member(session, postpaid, people["pat"], GroupRole.ADMIN)
        accounts.add_member(session, other, people["oz"], GroupRole.ADMIN)
        ensure_default_licenses_and_prices(session)
        licenses = {
            (lic.product_type, lic.extended): lic.id for lic in session.scalars(select(License))
        }
        items = {
            kind: make_media(session, contributor.id, kind).id
            for kind in (MediaKind.PHOTO, MediaKind.VECTOR, MediaKind.VIDEO, MediaKind.MUSIC)
        }
        return Market(
            contributor=contributor.id,
            solo=people["sol"].id,
            member=people["mia"].id,
            postpaid_member=people["pat"].id,
            outsider=people["oz"].id,
            admin=admin.id,
            prepaid=prepaid.id,
            postpaid=postpaid.id,
            other_group=other.id,
            photo=items[MediaKind.PHOTO],
            vector=items[MediaKind.VECTOR],
            video=items[MediaKind.VIDEO],
            music=items[MediaKind.MUSIC],
            licenses=licenses,
        )


def fund(
    session: Session,
    kind: AccountKind,
    amount_minor: int,
    *,
    user_id: int | None = None,
    group_id: int | None = None,
    currency: str = "USD",
) -> None:
    """Move money (or credits) from EXTERNAL into an account, as a refill would."""
    target = ledger.account_for(
        session, kind, user_id=user_id, group_id=group_id, currency=currency
    )
    source = ledger.account_for(session, AccountKind.EXTERNAL, currency=currency)
    ledger.transfer(
        session, "refill", "test", source=source, target=target, amount_minor=amount_minor
    )


def fund_group(runtime: Runtime, group_id: int, amount_minor: int) -> None:
    with runtime.db.session() as session:
        fund(session, AccountKind.GROUP_BALANCE, amount_minor, group_id=group_id)
