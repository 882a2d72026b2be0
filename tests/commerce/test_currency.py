"""Exchange rates: seed 003's local price = USD x ratio, rounding styles 0-4, modifier, places."""

from __future__ import annotations

from decimal import Decimal

import pytest

from stockhouse.commerce import currency
from stockhouse.commerce.models import ExchangeRate
from stockhouse.db.engine import Database
from stockhouse.errors import InvalidParameter, NotFound

# 10.00 USD at a ratio of 1.23456 is seed 003's example amount, 12.3456.
TEN_DOLLARS = 1000
EXAMPLE_RATIO = Decimal("1.23456")


def rate(
    style: int, *, ratio: Decimal = EXAMPLE_RATIO, modifier: str = "0", places: int = 2
) -> ExchangeRate:
    return ExchangeRate(
        currency="EUR",
        ratio=ratio,
        rounding_style=style,
        price_modifier=Decimal(modifier),
        decimal_points=places,
    )


@pytest.mark.parametrize(
    ("style", "expected"),
    [
        (0, Decimal("12.3456")),  # "No rounding is applied"
        (1, Decimal("12.35")),  # "Standard rounding (12.3456 = 12.35)"
        (2, Decimal("13")),  # "Round up to nearest unit (12.3456 = 13)"
        (3, Decimal("15")),  # "Round up to nearest five (12.3456 = 15)"
        (4, Decimal("20")),  # "Round up to nearest ten (12.3456 = 20)"
    ],
)
def test_rounding_styles_follow_the_documents_examples(style: int, expected: Decimal) -> None:
    assert currency.convert(TEN_DOLLARS, rate(style)) == expected


def test_local_price_is_usd_times_ratio() -> None:
    assert currency.convert(2500, rate(0, ratio=Decimal("0.9"))) == Decimal("22.5")


def test_price_modifier_is_added_after_rounding() -> None:
    # "if price_modifier = -0.01 and price after rounding is 24, the displayed price should
    # be 23.99"
    twenty_four = rate(2, ratio=Decimal(1), modifier="-0.01")
    assert currency.convert(2350, twenty_four) == Decimal("23.99")
    assert currency.local_price(2350, twenty_four) == "23.99"


def test_standard_rounding_takes_halves_up() -> None:
    assert currency.convert(1, rate(1, ratio=Decimal("1.5"))) == Decimal("0.02")


def test_rounding_up_keeps_exact_multiples() -> None:
    assert currency.convert(1500, rate(3, ratio=Decimal(1))) == Decimal(15)
    assert currency.convert(2000, rate(4, ratio=Decimal(1))) == Decimal(20)
    assert currency.convert(1300, rate(2, ratio=Decimal(1))) == Decimal(13)


def test_display_uses_the_rates_decimal_points() -> None:
    assert currency.local_price(TEN_DOLLARS, rate(0, places=2)) == "12.35"
    assert currency.local_price(TEN_DOLLARS, rate(0, places=0)) == "12"
    assert currency.local_price(TEN_DOLLARS, rate(3, places=2)) == "15.00"
    assert currency.local_price(TEN_DOLLARS, rate(0, places=4)) == "12.3456"


def test_a_free_item_stays_free_whatever_the_modifier() -> None:
    assert currency.convert(0, rate(2, modifier="-0.01")) == Decimal(0)


def test_set_and_list_rates(db: Database) -> None:
    with db.session() as session:
        currency.set_exchange_rate(
            session, "SEK", ratio="10.5", rounding_style=4, price_modifier="-0.01"
        )
        currency.set_exchange_rate(session, "EUR", ratio=Decimal("0.92"), decimal_points=2)
    with db.session() as session:
        rates = currency.list_exchange_rates(session)
        assert [r.currency for r in rates] == ["EUR", "SEK"]
        sek = currency.get_exchange_rate(session, "SEK")
        assert (sek.ratio, sek.rounding_style, sek.price_modifier) == (
            Decimal("10.5"),
            4,
            Decimal("-0.01"),
        )
        # 9.99 USD x 10.5 = 104.895 -> up to ten: 110 -> minus 0.01
        assert currency.local_price(999, sek) == "109.99"


def test_setting_a_rate_again_replaces_it(db: Database) -> None:
    with db.session() as session:
        currency.set_exchange_rate(session, "EUR", ratio="0.9")
        currency.set_exchange_rate(session, "EUR", ratio="0.95", rounding_style=0)
    with db.session() as session:
        [eur] = currency.list_exchange_rates(session)
        assert (eur.ratio, eur.rounding_style) == (Decimal("0.95"), 0)


def test_deleting_a_rate(db: Database) -> None:
    with db.session() as session:
        currency.set_exchange_rate(session, "EUR", ratio="0.9")
        currency.delete_exchange_rate(session, "EUR")
        assert currency.list_exchange_rates(session) == []
        with pytest.raises(NotFound):
            currency.get_exchange_rate(session, "EUR")


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("currency", {"currency": "eur"}),
        ("currency", {"currency": "CRD"}),
        ("ratio", {"ratio": "0"}),
        ("ratio", {"ratio": "-1"}),
        ("ratio", {"ratio": "NaN"}),
        ("ratio", {"ratio": "abc"}),
        ("ratio", {"ratio": "1e20"}),
        ("ratio", {"ratio": "1.123456789"}),
        ("rounding_style", {"rounding_style": 5}),
        ("rounding_style", {"rounding_style": -1}),
        ("price_modifier", {"price_modifier": "0.00001"}),
        ("decimal_points", {"decimal_points": 9}),
    ],
)
def test_bad_rates_are_refused_naming_the_field(
    db: Database, field: str, kwargs: dict[str, object]
) -> None:
    values: dict[str, object] = {"currency": "EUR", "ratio": "0.9", **kwargs}
    with db.session() as session, pytest.raises(InvalidParameter) as caught:
        currency.set_exchange_rate(session, **values)  # type: ignore[arg-type]
    assert caught.value.name == field
