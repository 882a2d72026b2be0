"""Buying a whole cart with cash, credits or a subscription (seed 003's purchase_using_*).

Every line is licensed through `licensing.license_item` at the price the cart shows, all
inside one savepoint of the caller's transaction: a line that fails (funds run out, the
item was withdrawn, the subscription is used up) undoes every line before it, and the
cart stays as it was. On success the purchased lines leave the cart.

Before anything is charged, a cart holding items the buyer licensed before or owns
themselves is refused with `NeedsOverride` carrying both lists (seed 003's error 103),
unless the buyer overrides: `override=True`, or the ids of all those items.

Locking, for PostgreSQL (SQLite's BEGIN IMMEDIATE serialises writers anyway): the buyer's
row first (one purchase or cart change per buyer at a time), then every ledger account
the purchase will post to, in id order, before the first line is licensed. Each line's
post would lock its accounts in id order too, but across several posts of one
transaction only locking them all up front keeps two purchases from deadlocking.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import PaymentMode, User
from stockhouse.catalog.models import MediaItem, MediaKind
from stockhouse.commerce import carts, ledger, licensing, subscriptions
from stockhouse.commerce.carts import CartLine
from stockhouse.commerce.models import (
    CREDITS_CURRENCY,
    AccountKind,
    LedgerAccount,
    LicenseTransaction,
    PaymentMethod,
)
from stockhouse.commerce.money import format_money
from stockhouse.errors import Conflict, InsufficientFunds, InvalidParameter


class PurchaseMethod(enum.StrEnum):
    CASH = "cash"  # the buyer's cash (or their prepaid/postpaid group's account)
    CREDITS = "credits"
    SUBSCRIPTION = "subscription"


PAYMENT_METHODS = {
    PurchaseMethod.CASH: PaymentMethod.BALANCE,
    PurchaseMethod.CREDITS: PaymentMethod.CREDITS,
    PurchaseMethod.SUBSCRIPTION: PaymentMethod.SUBSCRIPTION,
}


class EmptyCart(Conflict):
    """Nothing to purchase (seed 003's error 101)."""

    def __init__(self) -> None:
        super().__init__("the cart is empty, nothing to purchase")


class NeedsOverride(Conflict):
    """The cart holds items the buyer bought before or owns (seed 003's error 103)."""

    def __init__(self, bought_before: list[int], own_clips: list[int]) -> None:
        super().__init__(
            "the cart holds items you bought before or own; buy them anyway with override"
        )
        self.bought_before = bought_before
        self.own_clips = own_clips


@dataclass(frozen=True)
class Purchase:
    """The license transactions of a purchase, in cart order, and what it cost."""

    method: PurchaseMethod
    transactions: list[LicenseTransaction]
    currency: str
    amount_minor: int  # before VAT
    vat_minor: int
    credits: int


def _method(method: PurchaseMethod | str) -> PurchaseMethod:
    try:
        return PurchaseMethod(method)
    except ValueError as exc:
        raise InvalidParameter("method", "method must be cash, credits or subscription") from exc


def _check_override(
    session: Session, user: User, lines: Sequence[CartLine], override: bool | Collection[int]
) -> None:
    bought, owned = carts.culprits(session, user, (line.item_id for line in lines))
    if (not bought and not owned) or override is True:
        return
    allowed = set() if isinstance(override, bool) else set(override)
    if not set(bought) | set(owned) <= allowed:
        raise NeedsOverride(bought, owned)


def _check_sellable(lines: Sequence[CartLine]) -> None:
    for line in lines:
        if line.problem is not None:
            raise Conflict(f"item {line.item_id} in the cart cannot be bought: {line.problem}")


def _payer_accounts(
    session: Session, user: User, method: PurchaseMethod, currency: str, vat_minor: int
) -> list[LedgerAccount]:
    """The accounts licensing will debit for this buyer and method (see licensing._payment)."""
    if method == PurchaseMethod.SUBSCRIPTION:
        return []
    if method == PurchaseMethod.CREDITS:
        return [
            ledger.account_for(
                session, AccountKind.USER_CREDITS, user_id=user.id, currency=CREDITS_CURRENCY
            ),
            ledger.account_for(session, AccountKind.PLATFORM_REVENUE, currency=CREDITS_CURRENCY),
        ]
    membership = accounts.membership_of(session, user)
    if membership is None:
        return [
            ledger.account_for(session, AccountKind.USER_CASH, user_id=user.id, currency=currency)
        ]
    kind = (
        AccountKind.GROUP_RECEIVABLE
        if membership.group.payment_mode == PaymentMode.POSTPAID
        else AccountKind.GROUP_BALANCE
    )
    payer = [ledger.account_for(session, kind, group_id=membership.group_id, currency=currency)]
    if vat_minor:
        payer.append(ledger.account_for(session, AccountKind.EXTERNAL, currency=currency))
    return payer


def _lock_accounts(
    session: Session, user: User, method: PurchaseMethod, lines: Sequence[CartLine], vat_minor: int
) -> None:
    currency = lines[0].currency
    owners = {line.item.owner_id for line in lines}
    accounts_used = [
        ledger.account_for(session, AccountKind.PLATFORM_REVENUE, currency=currency),
        *(
            ledger.account_for(
                session, AccountKind.CONTRIBUTOR_EARNINGS, user_id=owner, currency=currency
            )
            for owner in sorted(owners)
        ),
        *_payer_accounts(session, user, method, currency, vat_minor),
    ]
    ledger.lock_accounts(session, [account.id for account in accounts_used])


def _license_line(
    session: Session,
    user: User,
    line: CartLine,
    method: PurchaseMethod,
    search_query: str | None,
    now: datetime | None,
) -> LicenseTransaction:
    if method == PurchaseMethod.SUBSCRIPTION:
        subscriptions.use_download(session, user, now=now)
    assert line.license is not None and line.size_code is not None
    item: MediaItem = line.item
    formatted = item.kind == MediaKind.VIDEO and carts.has_formats(session, item)
    request = licensing.LicenseRequest(
        buyer=user,
        item_id=item.id,
        license_id=line.license.id,
        size_code=line.size_code,
        payment_method=PAYMENT_METHODS[method],
        sub_offset=line.sub_offset if formatted else None,
        search_query=search_query,
        quote=line.quote,
    )
    return licensing.license_item(session, request).transaction


def _shortfall(method: PurchaseMethod, lines: Sequence[CartLine]) -> str:
    if method == PurchaseMethod.CREDITS:
        return f"the cart costs {sum(line.credits for line in lines)} credits"
    total = sum(line.price_minor + line.vat_minor for line in lines)
    return f"the cart costs {format_money(total, lines[0].currency)}"


def purchase_cart(
    session: Session,
    user: User,
    method: PurchaseMethod | str,
    *,
    override: bool | Collection[int] = False,
    search_query: str | None = None,
    now: datetime | None = None,
) -> Purchase:
    """License every line of the buyer's cart, paying by `method`; all lines or none.

    Refusals: EmptyCart, NeedsOverride (bought before / own items without override),
    Conflict (a line no longer for sale), InsufficientFunds (cash or credits short),
    SubscriptionUnavailable (no, expired or used-up subscription), and whatever
    `license_item` refuses. Each refusal leaves balances and the cart as they were.
    """
    chosen = _method(method)
    carts.lock_buyer(session, user)
    rows = carts.cart_rows(session, user)
    if not rows:
        raise EmptyCart()
    lines = carts.priced_lines(session, user, rows)
    _check_sellable(lines)
    _check_override(session, user, lines, override)
    vat_minor = sum(line.vat_minor for line in lines) if chosen == PurchaseMethod.CASH else 0
    _lock_accounts(session, user, chosen, lines, vat_minor)
    try:
        with session.begin_nested():
            transactions = [
                _license_line(session, user, line, chosen, search_query, now) for line in lines
            ]
            for row in rows:
                session.delete(row)
            session.flush()
    except subscriptions.SubscriptionUnavailable:
        raise  # says itself what is wrong
    except InsufficientFunds as short:
        raise InsufficientFunds(f"{_shortfall(chosen, lines)}; {short.message}") from short
    return Purchase(
        method=chosen,
        transactions=transactions,
        currency=lines[0].currency,
        amount_minor=sum(t.price_minor for t in transactions),
        vat_minor=sum(t.vat_minor for t in transactions),
        credits=sum(t.credits for t in transactions),
    )
