"""VAT: a buyer pays their group's rate when the group has VAT enabled, and none otherwise."""

from __future__ import annotations

from decimal import Decimal

import pytest

from stockhouse.accounts import service as accounts
from stockhouse.commerce import vat
from stockhouse.runtime import Runtime
from tests.commerce.shop_support import Shop, fresh, open_shop


@pytest.fixture
def shop(runtime: Runtime) -> Shop:
    return open_shop(runtime, with_prices=False)


def join_group(runtime: Runtime, shop: Shop, *, rate: str, enabled: bool) -> None:
    with runtime.db.session() as session:
        group = accounts.create_group(session, name="Acme")
        group.vat_rate, group.vat_enabled = Decimal(rate), enabled
        accounts.add_member(session, group, fresh(session, shop.buyer))


def test_a_buyer_without_a_group_pays_no_vat(runtime: Runtime, shop: Shop) -> None:
    with runtime.db.read_session() as session:
        buyer = fresh(session, shop.buyer)
        rule = vat.vat_rule_for(session, buyer)
        assert (rule.applies, rule.rate, rule.percentage) == (False, None, None)
        breakdown = vat.vat_for(session, buyer, 1999)
        assert (breakdown.net_minor, breakdown.vat_minor, breakdown.gross_minor) == (1999, 0, 1999)


def test_a_group_with_vat_enabled_charges_its_rate(runtime: Runtime, shop: Shop) -> None:
    join_group(runtime, shop, rate="0.2", enabled=True)
    with runtime.db.read_session() as session:
        buyer = fresh(session, shop.buyer)
        assert vat.vat_rule_for(session, buyer).percentage == Decimal(20)
        breakdown = vat.vat_for(session, buyer, 1999)
        # 19.99 x 20% = 3.998 -> 4.00
        assert (breakdown.vat_minor, breakdown.gross_minor) == (400, 2399)


def test_vat_rounds_half_cents_up(runtime: Runtime, shop: Shop) -> None:
    join_group(runtime, shop, rate="0.055", enabled=True)
    with runtime.db.read_session() as session:
        # 1.00 x 5.5% = 0.055 -> 0.06; 0.10 x 5.5% = 0.0055 -> 0.01
        assert vat.vat_for(session, fresh(session, shop.buyer), 100).vat_minor == 6
        assert vat.vat_for(session, fresh(session, shop.buyer), 10).vat_minor == 1


def test_a_group_with_vat_disabled_charges_none(runtime: Runtime, shop: Shop) -> None:
    join_group(runtime, shop, rate="0.2", enabled=False)
    with runtime.db.read_session() as session:
        buyer = fresh(session, shop.buyer)
        assert not vat.vat_rule_for(session, buyer).applies
        assert vat.vat_for(session, buyer, 1000).vat_minor == 0
