"""Money at the edges: Decimal text <-> integer minor units, formatting, VAT, shares.

Inside Stockhouse an amount is always an `int` of minor units (cents) plus a currency code;
credits are integers in the pseudo-currency "CRD" (exponent 0). Decimals appear only where
amounts are parsed from or shown to people and protocols. Every rounding here is
ROUND_HALF_UP (0.5 cent goes up), the rule buyers and invoices expect.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from stockhouse.commerce.models import CREDITS_CURRENCY
from stockhouse.errors import InvalidParameter

DEFAULT_EXPONENT = 2
# ISO 4217 exponents that differ from 2 (the default for every other currency).
CURRENCY_EXPONENTS: dict[str, int] = {
    CREDITS_CURRENCY: 0,
    "BIF": 0,
    "CLP": 0,
    "DJF": 0,
    "GNF": 0,
    "ISK": 0,
    "JPY": 0,
    "KMF": 0,
    "KRW": 0,
    "PYG": 0,
    "RWF": 0,
    "UGX": 0,
    "VND": 0,
    "VUV": 0,
    "XAF": 0,
    "XOF": 0,
    "XPF": 0,
    "BHD": 3,
    "IQD": 3,
    "JOD": 3,
    "KWD": 3,
    "LYD": 3,
    "OMR": 3,
    "TND": 3,
}
CURRENCY_PATTERN = re.compile(r"^[A-Z]{3}$")
MAX_AMOUNT_MINOR = 10**15  # far above any real price; keeps hostile input out of BIGINT range
MAX_AMOUNT_DIGITS = 15  # integer digits of a major amount checked before rounding
MAX_RATE = Decimal(1)


def validate_currency(currency: str, name: str = "currency") -> str:
    """The currency code, or InvalidParameter when it is not three capital letters."""
    if not isinstance(currency, str) or not CURRENCY_PATTERN.fullmatch(currency):
        raise InvalidParameter(name, "currency must be a three-letter code like USD")
    return currency


def exponent(currency: str) -> int:
    """How many decimal places a currency's minor unit has (USD 2, JPY 0, KWD 3, CRD 0)."""
    return CURRENCY_EXPONENTS.get(currency, DEFAULT_EXPONENT)


def quantum(currency: str) -> Decimal:
    """The smallest unit of a currency as a Decimal (0.01 for USD, 1 for JPY)."""
    return Decimal(1).scaleb(-exponent(currency))


def to_minor(amount: Decimal | int | str, currency: str, *, name: str = "amount") -> int:
    """An amount in major units (Decimal, int or text like "12.50") as integer minor units.

    Rounds half up to the currency's unit; InvalidParameter for text that is not a finite
    number or for amounts beyond MAX_AMOUNT_MINOR.
    """
    if isinstance(amount, float):  # binary floats are never money
        raise InvalidParameter(name, "amount must be a decimal number, not a float")
    try:
        value = Decimal(amount.strip() if isinstance(amount, str) else amount)
    except (InvalidOperation, ValueError) as exc:
        raise InvalidParameter(name, f"{name} must be a decimal number like 12.50") from exc
    if not value.is_finite():
        raise InvalidParameter(name, f"{name} must be a finite number")
    if value and value.adjusted() > MAX_AMOUNT_DIGITS:
        raise InvalidParameter(name, f"{name} is too large")
    minor = int(value.scaleb(exponent(currency)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    if abs(minor) > MAX_AMOUNT_MINOR:
        raise InvalidParameter(name, f"{name} is too large")
    return minor


def to_decimal(amount_minor: int, currency: str) -> Decimal:
    """Minor units as a Decimal in major units with the currency's places (1250 -> 12.50)."""
    return Decimal(amount_minor).scaleb(-exponent(currency)).quantize(quantum(currency))


def format_amount(amount_minor: int, currency: str) -> str:
    """Minor units as plain text in major units, e.g. "12.50" (no symbol, no grouping)."""
    return str(to_decimal(amount_minor, currency))


def format_money(amount_minor: int, currency: str) -> str:
    """Minor units for people, e.g. "12.50 USD" or "80 CRD"."""
    return f"{format_amount(amount_minor, currency)} {currency}"


def round_half_up(value: Decimal) -> int:
    """A Decimal rounded to the nearest integer, halves away from zero."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def share(amount_minor: int, rate: Decimal) -> int:
    """`amount_minor x rate` in minor units, rounded half up (royalties, discounts)."""
    return round_half_up(Decimal(amount_minor) * Decimal(rate))


def vat_minor(net_minor: int, rate: Decimal) -> int:
    """The VAT on a net amount at `rate` (0.20 for 20%), rounded half up to the minor unit."""
    if rate < 0 or rate > MAX_RATE:
        raise InvalidParameter("vat_rate", "VAT rate must be between 0 and 1")
    return share(net_minor, rate)


@dataclass(frozen=True)
class VatBreakdown:
    """A net amount, its VAT and their sum, all in minor units of one currency."""

    net_minor: int
    vat_minor: int
    gross_minor: int
    rate: Decimal


def apply_vat(net_minor: int, rate: Decimal, *, enabled: bool = True) -> VatBreakdown:
    """Net, VAT and gross of an amount; no VAT when `enabled` is false."""
    effective = Decimal(rate) if enabled else Decimal(0)
    vat = vat_minor(net_minor, effective)
    return VatBreakdown(net_minor, vat, net_minor + vat, effective)
