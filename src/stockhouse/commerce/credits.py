"""Prepaid credits and cash of a buyer: granting, buying, depositing, and balances.

Credits are integers in the pseudo-currency CRD on the buyer's USER_CREDITS account; cash
is minor units on their USER_CASH account of each currency. Both enter the system from the
EXTERNAL account through the ledger, in the caller's database transaction. A purchase of
credits also records the money paid (EXTERNAL -> PLATFORM_REVENUE) in the same ledger
transaction, so the sale of credits is visible in the platform's revenue.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from stockhouse.accounts.models import User
from stockhouse.commerce import ledger
from stockhouse.commerce.models import (
    CREDITS_CURRENCY,
    AccountKind,
    LedgerAccount,
    LedgerTransaction,
)
from stockhouse.commerce.money import validate_currency
from stockhouse.errors import InvalidParameter

MAX_CREDITS_PER_GRANT = 1_000_000
MAX_CASH_PER_DEPOSIT_MINOR = 100_000_000  # a million in major units
GRANT_KIND = "credit_grant"
PURCHASE_KIND = "credit_purchase"


@dataclass(frozen=True)
class Wallet:
    """What a buyer can spend: cash per currency (minor units) and credits."""

    cash: dict[str, int]
    credits: int


def _positive(name: str, value: int, limit: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= limit:
        raise InvalidParameter(name, f"{name} must be a whole number from 1 to {limit}")
    return value


def _external(session: Session, currency: str) -> LedgerAccount:
    return ledger.account_for(session, AccountKind.EXTERNAL, currency=currency)


def credits_account(session: Session, user: User) -> LedgerAccount:
    return ledger.account_for(
        session, AccountKind.USER_CREDITS, user_id=user.id, currency=CREDITS_CURRENCY
    )


def cash_account(session: Session, user: User, currency: str) -> LedgerAccount:
    return ledger.account_for(
        session, AccountKind.USER_CASH, user_id=user.id, currency=validate_currency(currency)
    )


def grant_credits(
    session: Session, user: User, credits: int, *, memo: str = "credits granted"
) -> LedgerTransaction:
    """Give a buyer credits (an admin's grant, a bonus): EXTERNAL -> USER_CREDITS."""
    credits = _positive("credits", credits, MAX_CREDITS_PER_GRANT)
    return ledger.transfer(
        session,
        GRANT_KIND,
        memo,
        source=_external(session, CREDITS_CURRENCY),
        target=credits_account(session, user),
        amount_minor=credits,
    )


def buy_credits(
    session: Session, user: User, credits: int, *, paid_minor: int, currency: str
) -> LedgerTransaction:
    """Record a paid purchase of credits: the credits and the money, in one transaction."""
    credits = _positive("credits", credits, MAX_CREDITS_PER_GRANT)
    paid_minor = _positive("paid", paid_minor, MAX_CASH_PER_DEPOSIT_MINOR)
    validate_currency(currency)
    if currency == CREDITS_CURRENCY:
        raise InvalidParameter("currency", "credits are paid for in money")
    revenue = ledger.account_for(session, AccountKind.PLATFORM_REVENUE, currency=currency)
    return ledger.post(
        session,
        PURCHASE_KIND,
        f"{credits} credits bought by user {user.id}",
        [
            (_external(session, CREDITS_CURRENCY), -credits),
            (credits_account(session, user), credits),
            (_external(session, currency), -paid_minor),
            (revenue, paid_minor),
        ],
    )


def deposit_cash(
    session: Session, user: User, amount_minor: int, currency: str, *, memo: str = "deposit"
) -> LedgerTransaction:
    """Money paid in by a buyer (or an admin's correction): EXTERNAL -> USER_CASH."""
    amount_minor = _positive("amount", amount_minor, MAX_CASH_PER_DEPOSIT_MINOR)
    if validate_currency(currency) == CREDITS_CURRENCY:
        raise InvalidParameter("currency", "use grant_credits for credits")
    return ledger.refill(session, cash_account(session, user, currency), amount_minor, memo)


def credit_balance(session: Session, user: User) -> int:
    """The buyer's credits (0 if they never had any)."""
    return ledger.balance_of(
        session, AccountKind.USER_CREDITS, user_id=user.id, currency=CREDITS_CURRENCY
    )


def cash_balance(session: Session, user: User, currency: str) -> int:
    """The buyer's cash in one currency, in minor units (0 if they never had any)."""
    return ledger.balance_of(
        session, AccountKind.USER_CASH, user_id=user.id, currency=validate_currency(currency)
    )


def wallet(session: Session, user: User) -> Wallet:
    """Cash in every currency the buyer has an account in, and their credits."""
    rows = session.execute(
        select(LedgerAccount.currency, LedgerAccount.balance_minor)
        .where(LedgerAccount.kind == AccountKind.USER_CASH, LedgerAccount.user_id == user.id)
        .order_by(LedgerAccount.currency)
    )
    return Wallet(cash={c: int(b) for c, b in rows}, credits=credit_balance(session, user))
