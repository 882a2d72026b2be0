"""A small shop for the cart, bin, purchase and wallet tests: people, prices, published items.

Items are rows made directly (see tests/catalog/factories.py) with the sizes ingest would
give a photo or a video, so these tests do not depend on decoding media.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import Role, User
from stockhouse.catalog import formats
from stockhouse.catalog.models import ItemStatus, MediaItem, MediaKind, SizeOption
from stockhouse.runtime import Runtime
from tests.catalog.factories import PASSWORD, make_item

PHOTO_SIZES = (("s", 500), ("m", 1000), ("l", 2000), ("xl", 3000), ("el0", 3000))
VIDEO_SIZES = (("480", 480), ("720", 720), ("1080", 1080))


@dataclass(frozen=True)
class Shop:
    """A buyer, a second buyer, a contributor who sells, and an admin."""

    buyer: User
    rival: User
    seller: User
    admin: User


def open_shop(runtime: Runtime, *, with_prices: bool = True) -> Shop:
    """The people of a shop, and the default licenses and prices when `with_prices`."""
    with runtime.db.session() as session:
        people = {
            name: accounts.create_user(
                session, username=name, password=PASSWORD, roles=roles, country="DE"
            )
            for name, roles in (
                ("bert", [Role.BUYER]),
                ("rosa", [Role.BUYER]),
                ("sven", [Role.CONTRIBUTOR]),
                ("adam", [Role.ADMIN]),
            )
        }
        if with_prices:
            from stockhouse.commerce.prices import ensure_default_licenses_and_prices

            ensure_default_licenses_and_prices(session)
    return Shop(
        buyer=people["bert"], rival=people["rosa"], seller=people["sven"], admin=people["adam"]
    )


def _add_sizes(item: MediaItem, sizes: tuple[tuple[str, int], ...]) -> None:
    for position, (code, edge) in enumerate(sizes):
        item.sizes.append(
            SizeOption(code=code, position=position, width=edge, height=edge * 2 // 3)
        )


def publish_photo(
    session: Session, runtime: Runtime, owner: User, *, status: ItemStatus = ItemStatus.ACTIVE
) -> MediaItem:
    """A photo of `owner` in `status` (published by default) selling s, m, l, xl, el0."""
    item = make_item(session, runtime.blobs, owner, status=status, title="a photo")
    _add_sizes(item, PHOTO_SIZES)
    session.flush()
    return item


def publish_video(
    session: Session, runtime: Runtime, owner: User, *, formats_named: tuple[str, ...] = ("PAL",)
) -> MediaItem:
    """A published video selling 480, 720 and 1080, in the named formats (sub_offs 0, 1...)."""
    item = make_item(session, runtime.blobs, owner, status=ItemStatus.ACTIVE, title="a clip")
    item.kind = MediaKind.VIDEO
    _add_sizes(item, VIDEO_SIZES)
    session.flush()
    for name in formats_named:
        video_format = formats.add_video_format(session, item, name)
        formats.add_video_version(
            session,
            video_format,
            width=720,
            height=576,
            video_codec="h264",
            audio_codec="aac",
            extension="mp4",
            video_standard=3,
            aspect_ratio=1,
            aspect_quotient=Decimal("1.33333"),
            blob=item.original_blob,
            file_size=item.file_size,
        )
    return item


def photo_id(runtime: Runtime, owner: User, **kwargs: ItemStatus) -> int:
    with runtime.db.session() as session:
        return publish_photo(session, runtime, owner, **kwargs).id


def video_id(runtime: Runtime, owner: User, **kwargs: tuple[str, ...]) -> int:
    with runtime.db.session() as session:
        return publish_video(session, runtime, owner, **kwargs).id


def fresh(session: Session, user: User) -> User:
    """The user as a row of `session` (tests keep users from an earlier, closed session)."""
    found = session.get(User, user.id)
    assert found is not None
    return found


def join_vat_group(
    runtime: Runtime, user: User, *, rate: str, balance_minor: int = 0, name: str = "Acme"
) -> int:
    """Put `user` in a new prepaid group with VAT at `rate` and `balance_minor` USD on it."""
    from stockhouse.commerce import ledger
    from stockhouse.commerce.models import AccountKind

    with runtime.db.session() as session:
        group = accounts.create_group(session, name=name)
        group.vat_rate, group.vat_enabled = Decimal(rate), True
        accounts.add_member(session, group, fresh(session, user))
        if balance_minor:
            ledger.transfer(
                session,
                "refill",
                "test refill",
                source=ledger.account_for(session, AccountKind.EXTERNAL, currency="USD"),
                target=ledger.account_for(
                    session, AccountKind.GROUP_BALANCE, group_id=group.id, currency="USD"
                ),
                amount_minor=balance_minor,
            )
        return group.id
