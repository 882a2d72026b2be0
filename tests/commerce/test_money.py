"""Money at the edges: parsing, formatting, exponents, VAT and shares, all half-up."""

from __future__ import annotations

from decimal import Decimal

import pytest

from stockhouse.commerce.money import (
    apply_vat,
    exponent,
    format_amount,
    format_money,
    share,
    to_decimal,
    to_minor,
    vat_minor,
)
from stockhouse.errors import InvalidParameter


def test_dollars_parse_to_cents() -> None:
    assert to_minor("12.50", "USD") == 1250
    assert to_minor(Decimal("0.01"), "USD") == 1
    assert to_minor(100, "USD") == 10000


def test_half_a_cent_rounds_up_and_negative_halves_away_from_zero() -> None:
    assert to_minor("0.005", "USD") == 1
    assert to_minor("0.004", "USD") == 0
    assert to_minor("-0.005", "USD") == -1


def test_currencies_have_their_own_exponents() -> None:
    assert (exponent("USD"), exponent("JPY"), exponent("KWD"), exponent("CRD")) == (2, 0, 3, 0)
    assert to_minor("1234", "JPY") == 1234
    assert to_minor("1.2345", "KWD") == 1235
    assert to_minor("80", "CRD") == 80


def test_minor_units_format_with_the_currency_places() -> None:
    assert to_decimal(1250, "USD") == Decimal("12.50")
    assert format_amount(5, "USD") == "0.05"
    assert format_amount(-1250, "USD") == "-12.50"
    assert format_amount(1234, "JPY") == "1234"
    assert format_money(8000, "CRD") == "8000 CRD"
    assert format_money(1001, "KWD") == "1.001 KWD"


@pytest.mark.parametrize("text", ["", "abc", "1e", "NaN", "Infinity", "12,50", "1e30"])
def test_hostile_amount_text_is_an_invalid_parameter(text: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        to_minor(text, "USD")
    assert caught.value.name == "amount"


def test_floats_are_refused_as_money() -> None:
    with pytest.raises(InvalidParameter):
        to_minor(0.1, "USD")  # type: ignore[arg-type]


def test_vat_rounds_half_up_to_the_cent() -> None:
    assert vat_minor(1000, Decimal("0.20")) == 200
    assert vat_minor(1, Decimal("0.5")) == 1  # 0.5 cent -> 1
    assert vat_minor(999, Decimal("0.19")) == 190  # 189.81
    assert vat_minor(1234, Decimal("0.075")) == 93  # 92.55


def test_vat_rate_outside_zero_to_one_is_refused() -> None:
    with pytest.raises(InvalidParameter):
        vat_minor(100, Decimal("1.5"))
    with pytest.raises(InvalidParameter):
        vat_minor(100, Decimal("-0.1"))


def test_apply_vat_gives_net_vat_and_gross_or_nothing_when_disabled() -> None:
    on = apply_vat(1999, Decimal("0.21"))
    assert (on.net_minor, on.vat_minor, on.gross_minor) == (1999, 420, 2419)
    off = apply_vat(1999, Decimal("0.21"), enabled=False)
    assert (off.vat_minor, off.gross_minor, off.rate) == (0, 1999, Decimal(0))


def test_shares_round_half_up() -> None:
    assert share(1000, Decimal("0.35")) == 350
    assert share(101, Decimal("0.35")) == 35  # 35.35
    assert share(10, Decimal("0.35")) == 4  # 3.5 -> 4
    assert share(0, Decimal("0.5")) == 0
