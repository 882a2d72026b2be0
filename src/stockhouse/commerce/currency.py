"""Exchange rates and local prices, exactly as seed 003's get_exchange_ratios defines them.

A local price is the USD price times the currency's ratio, then rounded by the currency's
rounding style, then shifted by its price modifier, then shown with its number of decimal
points:

| style | rule | 12.3456 becomes |
| --- | --- | --- |
| 0 | no rounding | 12.3456 |
| 1 | standard rounding (half up) to 2 decimals | 12.35 |
| 2 | up to the next whole unit | 13 |
| 3 | up to the next multiple of five | 15 |
| 4 | up to the next multiple of ten | 20 |

A price modifier of -0.01 turns a rounded 24 into 23.99. A local price never goes below
zero: a free item stays free whatever the modifier.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from stockhouse.commerce.models import CREDITS_CURRENCY, ExchangeRate
from stockhouse.commerce.money import validate_currency
from stockhouse.errors import InvalidParameter, NotFound

BASE_CURRENCY = "USD"
BASE_EXPONENT = 2  # prices are held in USD cents
RATIO_PLACES = 8  # ExchangeRate.ratio is Numeric(18, 8)
MAX_RATIO = Decimal(10) ** 9
MODIFIER_PLACES = 4  # ExchangeRate.price_modifier is Numeric(10, 4)
MAX_MODIFIER = Decimal(10) ** 5
MAX_DECIMAL_POINTS = 4
STANDARD_ROUNDING_PLACES = 2


class RoundingStyle(enum.IntEnum):
    """Seed 003's rounding_style values."""

    NONE = 0
    STANDARD = 1
    UP_TO_UNIT = 2
    UP_TO_FIVE = 3
    UP_TO_TEN = 4


class RateRule(Protocol):
    """What conversion needs of a rate: an ExchangeRate row, or any object like it."""

    @property
    def ratio(self) -> Decimal: ...
    @property
    def rounding_style(self) -> int: ...
    @property
    def price_modifier(self) -> Decimal: ...
    @property
    def decimal_points(self) -> int: ...


# -- conversion -------------------------------------------------------------------------


def _round_up_to(value: Decimal, step: int) -> Decimal:
    return (value / step).to_integral_value(rounding=ROUND_CEILING) * step


def apply_rounding(value: Decimal, style: int) -> Decimal:
    """`value` rounded by one of seed 003's rounding styles (0-4)."""
    match RoundingStyle(style):
        case RoundingStyle.NONE:
            return value
        case RoundingStyle.STANDARD:
            places = Decimal(1).scaleb(-STANDARD_ROUNDING_PLACES)
            return value.quantize(places, rounding=ROUND_HALF_UP)
        case RoundingStyle.UP_TO_UNIT:
            return _round_up_to(value, 1)
        case RoundingStyle.UP_TO_FIVE:
            return _round_up_to(value, 5)
        case RoundingStyle.UP_TO_TEN:
            return _round_up_to(value, 10)


def convert(usd_minor: int, rate: RateRule) -> Decimal:
    """The local price of `usd_minor` US cents: USD x ratio, rounded, plus the modifier.

    Exact (no display rounding); `display` shows it with the rate's decimal points.
    """
    usd = Decimal(usd_minor).scaleb(-BASE_EXPONENT)
    rounded = apply_rounding(usd * Decimal(rate.ratio), rate.rounding_style)
    return max(rounded + Decimal(rate.price_modifier), Decimal(0))


def display(amount: Decimal, rate: RateRule) -> str:
    """A local amount as shown to the customer: `decimal_points` places, half up."""
    places = Decimal(1).scaleb(-rate.decimal_points)
    return str(amount.quantize(places, rounding=ROUND_HALF_UP))


def local_price(usd_minor: int, rate: RateRule) -> str:
    """`convert` then `display`: the text a customer sees for a USD price."""
    return display(convert(usd_minor, rate), rate)


# -- the rates table (admin) ------------------------------------------------------------


def _decimal(name: str, value: Decimal | int | str, places: int, limit: Decimal) -> Decimal:
    if isinstance(value, float):
        raise InvalidParameter(name, f"{name} must be a decimal number, not a float")
    try:
        number = Decimal(value)
    except (InvalidOperation, ValueError) as exc:
        raise InvalidParameter(name, f"{name} must be a decimal number") from exc
    if not number.is_finite() or abs(number) >= limit:
        raise InvalidParameter(name, f"{name} must be a number below {limit}")
    if number != number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP):
        raise InvalidParameter(name, f"{name} has more than {places} decimal places")
    return number


def _validate_rate(
    ratio: Decimal | int | str,
    rounding_style: int,
    price_modifier: Decimal | int | str,
    decimal_points: int,
) -> tuple[Decimal, int, Decimal, int]:
    checked_ratio = _decimal("ratio", ratio, RATIO_PLACES, MAX_RATIO)
    if checked_ratio <= 0:
        raise InvalidParameter("ratio", "ratio must be positive")
    if rounding_style not in set(RoundingStyle):
        raise InvalidParameter("rounding_style", "rounding_style must be 0, 1, 2, 3 or 4")
    modifier = _decimal("price_modifier", price_modifier, MODIFIER_PLACES, MAX_MODIFIER)
    if not 0 <= decimal_points <= MAX_DECIMAL_POINTS:
        raise InvalidParameter("decimal_points", f"decimal_points must be 0-{MAX_DECIMAL_POINTS}")
    return checked_ratio, int(rounding_style), modifier, decimal_points


def set_exchange_rate(
    session: Session,
    currency: str,
    *,
    ratio: Decimal | int | str,
    rounding_style: int = RoundingStyle.STANDARD,
    price_modifier: Decimal | int | str = Decimal(0),
    decimal_points: int = 2,
) -> ExchangeRate:
    """Create or replace the rate of `currency` (local price = USD price x ratio)."""
    validate_currency(currency)
    if currency == CREDITS_CURRENCY:
        raise InvalidParameter("currency", "credits are not a currency with an exchange rate")
    values = _validate_rate(ratio, rounding_style, price_modifier, decimal_points)
    rate = session.get(ExchangeRate, currency)
    if rate is None:
        rate = ExchangeRate(currency=currency)
        session.add(rate)
    rate.ratio, rate.rounding_style, rate.price_modifier, rate.decimal_points = values
    session.flush()
    return rate


def list_exchange_rates(session: Session) -> Sequence[ExchangeRate]:
    """Every configured currency, by code (empty: Pond5's 107 "no available currencies")."""
    return session.scalars(select(ExchangeRate).order_by(ExchangeRate.currency)).all()


def get_exchange_rate(session: Session, currency: str) -> ExchangeRate:
    rate = session.get(ExchangeRate, validate_currency(currency))
    if rate is None:
        raise NotFound(f"no exchange rate for {currency}")
    return rate


def delete_exchange_rate(session: Session, currency: str) -> None:
    session.delete(get_exchange_rate(session, currency))
    session.flush()
