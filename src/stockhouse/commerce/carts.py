"""Carts: the items a buyer means to buy, each with a format choice, priced and totalled.

Seed 003's modify_active_cart adds `id` or `id:sub_offs` (a video's format); get_cart_total
answers totals before and after discounts and VAT, and the credits. The rules:

- only published (active and visible) items can be added; a video line is one of the
  item's formats (`sub_offs`; the first format when none is given), so one clip can be in
  the cart in two formats; any other item has no formats (sub_offs 0);
- a line is priced under the license and size the buyer chose, or else under the default
  license for the item's product type (the first standard license the buyer may buy) at
  the item's largest size that license covers; prices follow the price list until the
  moment of purchase;
- there are no discounts: "after discounts" equals "before discounts" (a promo code adds
  money to the buyer's cash instead);
- VAT is computed per line (as licensing charges it) and summed;
- lines whose item or license is no longer for sale stay in the cart, marked with the
  reason, and count in no total;
- adding reports, over the whole cart, the items the buyer bought before and those they
  own themselves (seed 003's bought_before / ownclips).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import Group, User
from stockhouse.catalog.access import is_public
from stockhouse.catalog.models import MediaItem, MediaKind, VideoFormat
from stockhouse.commerce import credits as wallet
from stockhouse.commerce import prices
from stockhouse.commerce.models import CartItem, License, LicenseTransaction
from stockhouse.commerce.money import validate_currency
from stockhouse.commerce.prices import DEFAULT_CURRENCY, PriceQuote
from stockhouse.commerce.vat import VatRule, apply_rule, vat_rule_for
from stockhouse.db.base import utcnow
from stockhouse.errors import Conflict, DomainError, InvalidParameter, NotFound

MAX_CART_LINES = 200
MAX_REFS_PER_CHANGE = 200
ITEM_REF_PATTERN = re.compile(r"^(\d{1,18})(?::(\d{1,9}))?$")
MAX_DB_INT = 2**31 - 1


@dataclass(frozen=True)
class ItemRef:
    """An item and, for a video, the format chosen (Pond5 "id" or "id:sub_offs")."""

    item_id: int
    sub_offset: int | None = None


@dataclass(frozen=True)
class CartLine:
    """One priced line of a cart; `problem` says why it cannot be bought now (else None)."""

    item: MediaItem
    sub_offset: int
    license: License | None
    size_code: str | None
    chosen: bool  # the buyer picked license or size (else the defaults apply)
    price_minor: int
    credits: int
    currency: str
    vat_minor: int
    problem: str | None = None

    @property
    def item_id(self) -> int:
        return self.item.id

    @property
    def quote(self) -> PriceQuote:
        return PriceQuote(
            amount_minor=self.price_minor, credits=self.credits, currency=self.currency
        )


@dataclass(frozen=True)
class CartTotals:
    """Seed 003's get_cart_total: subtotals, discounts, VAT and credits, in minor units."""

    currency: str
    before_discounts_minor: int
    discount_minor: int
    discount_percentage: Decimal
    after_discounts_minor: int
    vat: VatRule
    vat_minor: int
    after_vat_minor: int
    credits_total: int
    credits_available: int

    @property
    def before_vat_minor(self) -> int:
        return self.after_discounts_minor

    @property
    def final_minor(self) -> int:
        return self.after_vat_minor

    @property
    def credits_remaining(self) -> int:
        """Credits left after paying the cart with credits (negative when they do not cover it)."""
        return self.credits_available - self.credits_total


@dataclass(frozen=True)
class Cart:
    """A buyer's cart: its lines in the order added, the totals, and the warnings."""

    lines: list[CartLine]
    totals: CartTotals
    bought_before: list[int]
    own_clips: list[int]


@dataclass(frozen=True)
class CartChange:
    """What a modify call did (Pond5 nbr_added / nbr_removed) and the cart's warnings."""

    added: int
    removed: int
    bought_before: list[int]
    own_clips: list[int]


# -- parsing ----------------------------------------------------------------------------


def parse_item_ref(text: str | int) -> ItemRef:
    """`123` or `123:1` as an ItemRef; InvalidParameter("item") for anything else."""
    match = ITEM_REF_PATTERN.fullmatch(str(text).strip())
    if match is None or int(match.group(1)) > MAX_DB_INT:
        raise InvalidParameter("item", f"{str(text)[:40]!r} is not an item id like 123 or 123:1")
    sub_offset = match.group(2)
    return ItemRef(int(match.group(1)), None if sub_offset is None else int(sub_offset))


def parse_item_refs(text: str) -> list[ItemRef]:
    """A comma separated list such as "123:0,653,234:1" (blank entries are skipped)."""
    parts = [part for part in text.split(",") if part.strip()]
    if len(parts) > MAX_REFS_PER_CHANGE:
        raise InvalidParameter("item", f"at most {MAX_REFS_PER_CHANGE} items per change")
    return [parse_item_ref(part) for part in parts]


# -- choosing license, size and format --------------------------------------------------


def _group_of(session: Session, user: User) -> Group | None:
    membership = accounts.membership_of(session, user)
    return membership.group if membership is not None else None


def _item_sizes(item: MediaItem, license: License) -> list[str]:
    """The item's sizes the license covers, smallest first."""
    return licensed_sizes([size.code for size in item.sizes], license)


licensed_sizes = prices.licensed_sizes  # callers import it from here too


def default_license(session: Session, item: MediaItem, group: Group | None) -> License:
    """The first standard license of the item's product type the buyer may buy."""
    product_type = prices.product_type_of(item.kind)
    candidates = prices.licenses_for_group(session, group, product_type=product_type)
    usable = [c for c in candidates if _item_sizes(item, c) and not c.extended]
    if not usable:
        raise NotFound(f"item {item.id} is not for sale")
    return usable[0]


def _chosen_license(
    session: Session, item: MediaItem, group: Group | None, license_id: int
) -> License:
    license = prices.get_license(session, license_id)
    if not license.active or not prices.license_available_to(session, license, group):
        raise NotFound(f"license {license_id} does not exist")
    if license.product_type != prices.product_type_of(item.kind):
        raise InvalidParameter(
            "license_id", f"license {license_id} is not for {item.kind.value} items"
        )
    if license.extended and not item.extended_allowed:
        raise InvalidParameter("license_id", f"item {item.id} is not sold under extended terms")
    return license


def _choose(
    session: Session,
    item: MediaItem,
    group: Group | None,
    license_id: int | None,
    size_code: str | None,
) -> tuple[License, str]:
    """The license and size a line is priced with; refusals name the bad input."""
    license = (
        default_license(session, item, group)
        if license_id is None
        else _chosen_license(session, item, group, license_id)
    )
    sizes = _item_sizes(item, license)
    if size_code is None:
        if not sizes:
            raise InvalidParameter("size", f"license {license.id} covers no size of item {item.id}")
        return license, sizes[-1]
    if size_code not in sizes:
        raise InvalidParameter("size", f"item {item.id} has no size {size_code[:16]!r} under it")
    return license, size_code


def _format_offset(session: Session, item: MediaItem, sub_offset: int | None) -> int:
    """The line's sub_offs: the chosen format of a video (first when not given), else 0."""
    if item.kind != MediaKind.VIDEO:
        if sub_offset not in (None, 0):
            raise InvalidParameter("sub_offset", f"item {item.id} has no formats")
        return 0
    offsets = list(
        session.scalars(
            select(VideoFormat.sub_offset)
            .where(VideoFormat.item_id == item.id)
            .order_by(VideoFormat.sub_offset)
        )
    )
    if sub_offset is None:
        return offsets[0] if offsets else 0
    if sub_offset not in offsets:
        raise InvalidParameter("sub_offset", f"item {item.id} has no format {sub_offset}")
    return sub_offset


def has_formats(session: Session, item: MediaItem) -> bool:
    found = session.scalar(select(VideoFormat.id).where(VideoFormat.item_id == item.id).limit(1))
    return found is not None


# -- reading ----------------------------------------------------------------------------


def lock_buyer(session: Session, user: User) -> None:
    """Serialise a buyer's cart changes and purchases (no-key lock: FKs to the user pass)."""
    session.execute(select(User.id).where(User.id == user.id).with_for_update(key_share=True))


def cart_rows(session: Session, user: User) -> list[CartItem]:
    """The buyer's cart rows in the order they were added."""
    return list(
        session.scalars(
            select(CartItem)
            .where(CartItem.user_id == user.id)
            .order_by(CartItem.added_at, CartItem.item_id, CartItem.sub_offset)
        )
    )


def culprits(session: Session, user: User, item_ids: Iterable[int]) -> tuple[list[int], list[int]]:
    """Of these items, those the buyer licensed before and those the buyer owns (sorted)."""
    ids = sorted(set(item_ids))
    if not ids:
        return [], []
    bought = session.scalars(
        select(LicenseTransaction.item_id)
        .where(LicenseTransaction.buyer_id == user.id, LicenseTransaction.item_id.in_(ids))
        .distinct()
    )
    owned = session.scalars(
        select(MediaItem.id).where(MediaItem.id.in_(ids), MediaItem.owner_id == user.id)
    )
    return sorted(set(bought)), sorted(set(owned))


def _unpriced(row: CartItem, item: MediaItem, currency: str, problem: str) -> CartLine:
    return CartLine(
        item=item,
        sub_offset=row.sub_offset,
        license=None,
        size_code=row.size_code,
        chosen=row.license_id is not None or row.size_code is not None,
        price_minor=0,
        credits=0,
        currency=currency,
        vat_minor=0,
        problem=problem,
    )


def price_line(
    session: Session, row: CartItem, item: MediaItem, group: Group | None, rule: VatRule
) -> CartLine:
    """One cart row priced for the buyer; a line that cannot be bought carries its problem."""
    currency = DEFAULT_CURRENCY
    if not is_public(item):
        return _unpriced(row, item, currency, f"item {item.id} is no longer for sale")
    try:
        license, size = _choose(session, item, group, row.license_id, row.size_code)
        quote = prices.price_for(session, license, size, 0, group)
    except DomainError as refusal:
        return _unpriced(row, item, currency, refusal.message)
    return CartLine(
        item=item,
        sub_offset=row.sub_offset,
        license=license,
        size_code=size,
        chosen=row.license_id is not None or row.size_code is not None,
        price_minor=quote.amount_minor,
        credits=quote.credits,
        currency=quote.currency,
        vat_minor=apply_rule(rule, quote.amount_minor).vat_minor,
    )


def _totals(session: Session, user: User, lines: Sequence[CartLine], rule: VatRule) -> CartTotals:
    priced = [line for line in lines if line.problem is None]
    currencies = {line.currency for line in priced} or {DEFAULT_CURRENCY}
    if len(currencies) > 1:
        raise Conflict("the cart mixes prices in several currencies")
    subtotal = sum(line.price_minor for line in priced)
    vat_minor = sum(line.vat_minor for line in priced)
    return CartTotals(
        currency=validate_currency(currencies.pop()),
        before_discounts_minor=subtotal,
        discount_minor=0,
        discount_percentage=Decimal(0),
        after_discounts_minor=subtotal,
        vat=rule,
        vat_minor=vat_minor,
        after_vat_minor=subtotal + vat_minor,
        credits_total=sum(line.credits for line in priced),
        credits_available=wallet.credit_balance(session, user),
    )


def priced_lines(session: Session, user: User, rows: Sequence[CartItem]) -> list[CartLine]:
    """The rows priced for the buyer, in the same order."""
    group = _group_of(session, user)
    rule = vat_rule_for(session, user)
    items = {
        item.id: item
        for item in session.scalars(
            select(MediaItem).where(MediaItem.id.in_({row.item_id for row in rows}))
        )
    }
    return [price_line(session, row, items[row.item_id], group, rule) for row in rows]


def view_cart(session: Session, user: User) -> Cart:
    """The buyer's cart: priced lines, totals, and the bought-before / own-clips warnings."""
    lines = priced_lines(session, user, cart_rows(session, user))
    bought, owned = culprits(session, user, (line.item_id for line in lines))
    totals = _totals(session, user, lines, vat_rule_for(session, user))
    return Cart(lines=lines, totals=totals, bought_before=bought, own_clips=owned)


def cart_totals(session: Session, user: User) -> CartTotals:
    return view_cart(session, user).totals


# -- changing ---------------------------------------------------------------------------


def _published_item(session: Session, item_id: int) -> MediaItem:
    item = session.get(MediaItem, item_id)
    if item is None or not is_public(item):
        raise NotFound(f"item {item_id} does not exist")
    return item


def _add_one(
    session: Session,
    user: User,
    ref: ItemRef,
    group: Group | None,
    license_id: int | None,
    size_code: str | None,
) -> bool:
    """Put one line in the cart; False when it was there (its choice is then updated)."""
    item = _published_item(session, ref.item_id)
    sub_offset = _format_offset(session, item, ref.sub_offset)
    _choose(session, item, group, license_id, size_code)  # refuse what could not be priced
    existing = session.get(CartItem, (user.id, item.id, sub_offset))
    if existing is not None:
        if license_id is not None or size_code is not None:
            existing.license_id, existing.size_code = license_id, size_code
        return False
    session.add(
        CartItem(
            user_id=user.id,
            item_id=item.id,
            sub_offset=sub_offset,
            license_id=license_id,
            size_code=size_code,
            added_at=utcnow(),
        )
    )
    session.flush()
    return True


def _remove(session: Session, user: User, refs: Sequence[ItemRef]) -> int:
    removed = 0
    for ref in refs:
        condition = [CartItem.user_id == user.id, CartItem.item_id == ref.item_id]
        if ref.sub_offset is not None:
            condition.append(CartItem.sub_offset == ref.sub_offset)
        rows = session.scalars(select(CartItem).where(*condition)).all()
        for row in rows:
            session.delete(row)
        removed += len(rows)
    session.flush()
    return removed


def _line_count(session: Session, user: User) -> int:
    return (
        session.scalar(
            select(func.count()).select_from(CartItem).where(CartItem.user_id == user.id)
        )
        or 0
    )


def modify_cart(
    session: Session,
    user: User,
    *,
    add: Sequence[ItemRef] = (),
    remove: Sequence[ItemRef] = (),
    license_id: int | None = None,
    size_code: str | None = None,
) -> CartChange:
    """Remove then add lines (Pond5 modify_active_cart); all or nothing.

    `license_id` and `size_code` choose the license and size of the lines added (or of
    lines already there); without them the defaults apply.
    """
    if len(add) + len(remove) > MAX_REFS_PER_CHANGE:
        raise InvalidParameter("item", f"at most {MAX_REFS_PER_CHANGE} items per change")
    lock_buyer(session, user)
    group = _group_of(session, user)
    with session.begin_nested():  # a refusal undoes the whole change, even if caught
        removed = _remove(session, user, remove)
        added = sum(_add_one(session, user, ref, group, license_id, size_code) for ref in add)
        if _line_count(session, user) > MAX_CART_LINES:
            raise Conflict(f"a cart holds at most {MAX_CART_LINES} lines")
    bought, owned = culprits(session, user, (row.item_id for row in cart_rows(session, user)))
    return CartChange(added=added, removed=removed, bought_before=bought, own_clips=owned)


def add_to_cart(
    session: Session,
    user: User,
    refs: Sequence[ItemRef],
    *,
    license_id: int | None = None,
    size_code: str | None = None,
) -> CartChange:
    return modify_cart(session, user, add=refs, license_id=license_id, size_code=size_code)


def remove_from_cart(session: Session, user: User, refs: Sequence[ItemRef]) -> CartChange:
    """Remove lines: `id:sub_offs` removes that format's line, a bare `id` every line of it."""
    return modify_cart(session, user, remove=refs)


def clear_cart(session: Session, user: User) -> int:
    """Empty the cart; returns how many lines were removed."""
    lock_buyer(session, user)
    result = session.execute(
        delete(CartItem)
        .where(CartItem.user_id == user.id)
        .execution_options(synchronize_session="fetch")
    )
    return int(getattr(result, "rowcount", 0) or 0)
