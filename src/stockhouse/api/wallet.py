"""Native API: the buyer's wallet (cash, credits, subscription), promo codes, credit grants,
subscriptions and exchange rates."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from stockhouse.accounts import service as accounts
from stockhouse.api.deps import AdminDep, PrincipalDep, SessionDep
from stockhouse.commerce import credits, currency, promo, subscriptions
from stockhouse.commerce.models import ExchangeRate, PromoCode, Subscription
from stockhouse.commerce.money import format_amount, to_minor, validate_currency

router = APIRouter(tags=["wallet"])

DecimalIn = Annotated[Decimal, Field(max_digits=20, decimal_places=8)]


class MoneyOut(BaseModel):
    currency: str
    amount: str  # major units as text, e.g. "12.50"
    amount_minor: int


def money_out(amount_minor: int, currency_code: str) -> MoneyOut:
    return MoneyOut(
        currency=currency_code,
        amount=format_amount(amount_minor, currency_code),
        amount_minor=amount_minor,
    )


class SubscriptionOut(BaseModel):
    id: int
    user_id: int
    plan: str
    downloads_allowed: int
    downloads_used: int
    downloads_left: int
    starts_at: datetime
    ends_at: datetime


def subscription_out(subscription: Subscription) -> SubscriptionOut:
    status = subscriptions.status_of(subscription)
    return SubscriptionOut(
        id=status.id,
        user_id=subscription.user_id,
        plan=status.plan,
        downloads_allowed=status.downloads_allowed,
        downloads_used=status.downloads_used,
        downloads_left=status.downloads_left,
        starts_at=status.starts_at,
        ends_at=status.ends_at,
    )


class WalletOut(BaseModel):
    cash: list[MoneyOut]
    credits: int
    subscription: SubscriptionOut | None


@router.get("/wallet", response_model=WalletOut)
def get_wallet(principal: PrincipalDep, session: SessionDep) -> WalletOut:
    """The caller's cash per currency, credits, and current subscription."""
    wallet = credits.wallet(session, principal.user)
    current = subscriptions.current_subscription(session, principal.user)
    return WalletOut(
        cash=[money_out(amount, code) for code, amount in wallet.cash.items()],
        credits=wallet.credits,
        subscription=subscription_out(current) if current is not None else None,
    )


# -- promo codes ------------------------------------------------------------------------


class RedeemIn(BaseModel):
    code: str = Field(max_length=100)


class RedeemOut(BaseModel):
    code: str
    sum: MoneyOut  # seed 003's "sum": what was added to the caller's cash


@router.post("/promo/redeem", response_model=RedeemOut)
def redeem_promo(body: RedeemIn, principal: PrincipalDep, session: SessionDep) -> RedeemOut:
    redemption = promo.redeem(session, principal.user, body.code)
    return RedeemOut(
        code=redemption.code, sum=money_out(redemption.amount_minor, redemption.currency)
    )


class PromoIn(BaseModel):
    code: str = Field(max_length=64)
    amount: Annotated[Decimal, Field(gt=0, max_digits=18, decimal_places=3)]
    currency: str = Field(default="USD", min_length=3, max_length=3)
    max_redemptions: int | None = Field(default=None, ge=1)
    expires_at: datetime | None = None


class PromoOut(BaseModel):
    id: int
    code: str
    value: MoneyOut
    max_redemptions: int | None
    redeemed: int
    expires_at: datetime | None


def _promo_out(code: PromoCode) -> PromoOut:
    return PromoOut(
        id=code.id,
        code=code.code,
        value=money_out(code.amount_minor, code.currency),
        max_redemptions=code.max_redemptions,
        redeemed=code.redeemed,
        expires_at=code.expires_at,
    )


@router.post("/promo-codes", status_code=201, response_model=PromoOut)
def create_promo_code(body: PromoIn, _: AdminDep, session: SessionDep) -> PromoOut:
    code_currency = validate_currency(body.currency)
    created = promo.create_promo_code(
        session,
        code=body.code,
        amount_minor=to_minor(body.amount, code_currency),
        currency=code_currency,
        max_redemptions=body.max_redemptions,
        expires_at=body.expires_at,
    )
    return _promo_out(created)


@router.get("/promo-codes", response_model=list[PromoOut])
def list_promo_codes(_: AdminDep, session: SessionDep) -> list[PromoOut]:
    return [_promo_out(code) for code in promo.list_promo_codes(session)]


# -- credits and subscriptions (admin) --------------------------------------------------


class GrantIn(BaseModel):
    user_id: int
    credits: int = Field(ge=1, le=credits.MAX_CREDITS_PER_GRANT)
    memo: str = Field(default="credits granted", max_length=300)


class GrantOut(BaseModel):
    user_id: int
    granted: int
    credits: int  # the balance after the grant
    ledger_transaction_id: int


@router.post("/credits/grant", status_code=201, response_model=GrantOut)
def grant_credits(body: GrantIn, _: AdminDep, session: SessionDep) -> GrantOut:
    user = accounts.get_user(session, body.user_id)
    posted = credits.grant_credits(session, user, body.credits, memo=body.memo)
    return GrantOut(
        user_id=user.id,
        granted=body.credits,
        credits=credits.credit_balance(session, user),
        ledger_transaction_id=posted.id,
    )


class SubscriptionIn(BaseModel):
    user_id: int
    plan: str = Field(max_length=100)
    downloads_allowed: int = Field(ge=1, le=subscriptions.MAX_DOWNLOADS)
    period_days: int = Field(ge=1, le=subscriptions.MAX_PERIOD_DAYS)
    starts_at: datetime | None = None


@router.post("/subscriptions", status_code=201, response_model=SubscriptionOut)
def create_subscription(body: SubscriptionIn, _: AdminDep, session: SessionDep) -> SubscriptionOut:
    user = accounts.get_user(session, body.user_id)
    created = subscriptions.create_subscription(
        session,
        user,
        plan=body.plan,
        downloads_allowed=body.downloads_allowed,
        period_days=body.period_days,
        starts_at=body.starts_at,
    )
    return subscription_out(created)


@router.get("/subscriptions", response_model=list[SubscriptionOut])
def list_my_subscriptions(principal: PrincipalDep, session: SessionDep) -> list[SubscriptionOut]:
    """The caller's subscriptions, the latest to end first."""
    return [subscription_out(s) for s in subscriptions.list_subscriptions(session, principal.user)]


# -- exchange rates ---------------------------------------------------------------------


class RateIn(BaseModel):
    ratio: DecimalIn
    rounding_style: int = Field(default=1, ge=0, le=4)
    price_modifier: DecimalIn = Decimal(0)
    decimal_points: int = Field(default=2, ge=0, le=currency.MAX_DECIMAL_POINTS)


class RateOut(BaseModel):
    currency: str
    exchange_ratio: str
    rounding_style: int
    price_modifier: str
    decimal_points: int


def plain(value: Decimal) -> str:
    """A decimal without trailing zeros or exponent: 10.50000000 -> "10.5", 2E+1 -> "20"."""
    return format(Decimal(value).normalize(), "f")


def _rate_out(rate: ExchangeRate) -> RateOut:
    return RateOut(
        currency=rate.currency,
        exchange_ratio=plain(rate.ratio),
        rounding_style=rate.rounding_style,
        price_modifier=plain(rate.price_modifier),
        decimal_points=rate.decimal_points,
    )


@router.get("/exchange-rates", response_model=list[RateOut])
def list_exchange_rates(_: PrincipalDep, session: SessionDep) -> list[RateOut]:
    return [_rate_out(rate) for rate in currency.list_exchange_rates(session)]


@router.put("/exchange-rates/{code}", response_model=RateOut)
def set_exchange_rate(code: str, body: RateIn, _: AdminDep, session: SessionDep) -> RateOut:
    rate = currency.set_exchange_rate(
        session,
        code,
        ratio=body.ratio,
        rounding_style=body.rounding_style,
        price_modifier=body.price_modifier,
        decimal_points=body.decimal_points,
    )
    return _rate_out(rate)


@router.delete("/exchange-rates/{code}", status_code=204)
def delete_exchange_rate(code: str, _: AdminDep, session: SessionDep) -> None:
    currency.delete_exchange_rate(session, code)


class LocalPriceOut(BaseModel):
    usd: str
    currency: str
    amount: str  # exact, after rounding and modifier
    display: str  # with the currency's decimal points


@router.get("/exchange-rates/{code}/price", response_model=LocalPriceOut)
def local_price(
    code: str,
    _: PrincipalDep,
    session: SessionDep,
    usd: Annotated[Decimal, Query(ge=0, max_digits=15, decimal_places=2)],
) -> LocalPriceOut:
    """A USD price in the currency: seed 003's ratio, rounding style, modifier and places."""
    rate = currency.get_exchange_rate(session, code)
    usd_minor = to_minor(usd, currency.BASE_CURRENCY, name="usd")
    amount = currency.convert(usd_minor, rate)
    return LocalPriceOut(
        usd=format_amount(usd_minor, currency.BASE_CURRENCY),
        currency=rate.currency,
        amount=plain(amount),
        display=currency.display(amount, rate),
    )
