"""Promo codes: an amount of money a buyer adds to their cash by redeeming a code.

Seed 003's promo_redeem answers "sum", the amount added. A code is case-insensitive, may
expire, may be limited to a number of redemptions, and each buyer redeems it at most once.
Redeeming locks the code's row, so concurrent redemptions of a code with one use left
succeed exactly once; the promotion is paid by the platform (PLATFORM_REVENUE ->
USER_CASH in the code's currency) in the same database transaction.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import CursorResult, or_, select, update
from sqlalchemy.orm import Session

from stockhouse.accounts.models import User
from stockhouse.commerce import ledger
from stockhouse.commerce.credits import cash_account
from stockhouse.commerce.models import (
    CREDITS_CURRENCY,
    AccountKind,
    LedgerTransaction,
    PromoCode,
    PromoRedemption,
)
from stockhouse.commerce.money import validate_currency
from stockhouse.db.base import utcnow
from stockhouse.errors import Conflict, InvalidParameter

CODE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9_-]{2,63}$")
MAX_PROMO_AMOUNT_MINOR = 10_000_000  # a hundred thousand in major units
MAX_REDEMPTIONS_LIMIT = 10_000_000
LEDGER_KIND = "promo"


class PromoCodeRejected(InvalidParameter):
    """The code cannot be redeemed (Pond5's 104 "No valid promo code").

    `reason` is "unknown", "expired", "used_up" or "already_redeemed".
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__("code", message)
        self.reason = reason


@dataclass(frozen=True)
class Redemption:
    """What redeeming added: `amount_minor` of `currency` to the buyer's cash."""

    code: str
    amount_minor: int
    currency: str
    transaction: LedgerTransaction


def normalize_code(code: str) -> str:
    """Codes compare without case and surrounding blanks ("  spring-25 " is "SPRING-25")."""
    return code.strip().upper() if isinstance(code, str) else ""


def create_promo_code(
    session: Session,
    *,
    code: str,
    amount_minor: int,
    currency: str = "USD",
    max_redemptions: int | None = None,
    expires_at: datetime | None = None,
) -> PromoCode:
    """A new code worth `amount_minor` of `currency` to each buyer who redeems it."""
    normalized = normalize_code(code)
    if not CODE_PATTERN.fullmatch(normalized):
        raise InvalidParameter("code", "a code is 3-64 letters, digits, _ or -")
    if isinstance(amount_minor, bool) or not 0 < amount_minor <= MAX_PROMO_AMOUNT_MINOR:
        raise InvalidParameter("amount", f"amount must be 1-{MAX_PROMO_AMOUNT_MINOR} minor units")
    if validate_currency(currency) == CREDITS_CURRENCY:
        raise InvalidParameter("currency", "a promo code adds money, not credits")
    if max_redemptions is not None and not 1 <= max_redemptions <= MAX_REDEMPTIONS_LIMIT:
        raise InvalidParameter(
            "max_redemptions", f"max_redemptions must be 1-{MAX_REDEMPTIONS_LIMIT}"
        )
    if expires_at is not None and expires_at.tzinfo is None:
        raise InvalidParameter("expires_at", "expires_at needs a time zone")
    if session.scalar(select(PromoCode.id).where(PromoCode.code == normalized)) is not None:
        raise Conflict(f"promo code {normalized} exists")
    promo = PromoCode(
        code=normalized,
        amount_minor=amount_minor,
        currency=currency,
        max_redemptions=max_redemptions,
        redeemed=0,
        expires_at=expires_at,
    )
    session.add(promo)
    session.flush()
    return promo


def list_promo_codes(session: Session) -> Sequence[PromoCode]:
    return session.scalars(select(PromoCode).order_by(PromoCode.id)).all()


def _check_redeemable(session: Session, promo: PromoCode, user: User, now: datetime) -> None:
    if promo.expires_at is not None and promo.expires_at <= now:
        raise PromoCodeRejected("expired", "this promo code has expired")
    if promo.max_redemptions is not None and promo.redeemed >= promo.max_redemptions:
        raise PromoCodeRejected("used_up", "this promo code has been used up")
    already = session.get(PromoRedemption, (promo.id, user.id))
    if already is not None:
        raise PromoCodeRejected("already_redeemed", "you have already redeemed this promo code")


def _count_redemption(session: Session, promo: PromoCode) -> None:
    limit_ok = or_(
        PromoCode.max_redemptions.is_(None), PromoCode.redeemed < PromoCode.max_redemptions
    )
    result = session.execute(
        update(PromoCode)
        .where(PromoCode.id == promo.id, limit_ok)
        .values(redeemed=PromoCode.redeemed + 1)
        .execution_options(synchronize_session=False)
    )
    assert isinstance(result, CursorResult)
    if result.rowcount != 1:
        raise PromoCodeRejected("used_up", "this promo code has been used up")
    session.refresh(promo)


def redeem(session: Session, user: User, code: str, *, now: datetime | None = None) -> Redemption:
    """Add the code's amount to the buyer's cash, once per buyer, within its limits."""
    now = now or utcnow()
    normalized = normalize_code(code)
    promo = None
    if CODE_PATTERN.fullmatch(normalized):
        promo = session.scalar(
            select(PromoCode)
            .where(PromoCode.code == normalized)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    if promo is None:
        raise PromoCodeRejected("unknown", "no valid promo code")
    _check_redeemable(session, promo, user, now)
    _count_redemption(session, promo)
    session.add(PromoRedemption(promo_code_id=promo.id, user_id=user.id, redeemed_at=now))
    transaction = ledger.transfer(
        session,
        LEDGER_KIND,
        f"promo code {promo.code} redeemed by user {user.id}",
        source=ledger.account_for(session, AccountKind.PLATFORM_REVENUE, currency=promo.currency),
        target=cash_account(session, user, promo.currency),
        amount_minor=promo.amount_minor,
    )
    return Redemption(
        code=promo.code,
        amount_minor=promo.amount_minor,
        currency=promo.currency,
        transaction=transaction,
    )
