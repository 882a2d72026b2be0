"""Credits and cash: granted, bought and deposited through the ledger; balances and wallet."""

from __future__ import annotations

import pytest

from stockhouse.commerce import credits, ledger
from stockhouse.commerce.models import AccountKind
from stockhouse.errors import InvalidParameter
from stockhouse.runtime import Runtime
from tests.commerce.shop_support import Shop, fresh, open_shop


@pytest.fixture
def shop(runtime: Runtime) -> Shop:
    return open_shop(runtime, with_prices=False)


def test_granted_credits_come_from_outside(runtime: Runtime, shop: Shop) -> None:
    with runtime.db.session() as session:
        buyer = fresh(session, shop.buyer)
        posted = credits.grant_credits(session, buyer, 40)
        credits.grant_credits(session, buyer, 2)
        amounts = sorted(e.amount_minor for e in posted.entries)
        assert amounts == [-40, 40]
    with runtime.db.read_session() as session:
        assert credits.credit_balance(session, fresh(session, shop.buyer)) == 42
        assert ledger.balance_of(session, AccountKind.EXTERNAL, currency="CRD") == -42
        assert ledger.check(session).ok


def test_bought_credits_record_the_money_paid(runtime: Runtime, shop: Shop) -> None:
    with runtime.db.session() as session:
        credits.buy_credits(
            session, fresh(session, shop.buyer), 100, paid_minor=8900, currency="USD"
        )
    with runtime.db.read_session() as session:
        assert credits.credit_balance(session, fresh(session, shop.buyer)) == 100
        assert ledger.balance_of(session, AccountKind.PLATFORM_REVENUE, currency="USD") == 8900
        assert ledger.balance_of(session, AccountKind.EXTERNAL, currency="USD") == -8900
        assert ledger.check(session).ok


def test_wallet_shows_cash_per_currency_and_credits(runtime: Runtime, shop: Shop) -> None:
    with runtime.db.session() as session:
        buyer = fresh(session, shop.buyer)
        credits.deposit_cash(session, buyer, 2500, "USD")
        credits.deposit_cash(session, buyer, 1000, "EUR")
        credits.grant_credits(session, buyer, 7)
    with runtime.db.read_session() as session:
        wallet = credits.wallet(session, fresh(session, shop.buyer))
        assert wallet.cash == {"EUR": 1000, "USD": 2500}
        assert wallet.credits == 7
        assert credits.wallet(session, fresh(session, shop.rival)) == credits.Wallet({}, 0)


@pytest.mark.parametrize("amount", [0, -5, True, 10**9])
def test_grants_must_be_positive_and_bounded(runtime: Runtime, shop: Shop, amount: int) -> None:
    with runtime.db.session() as session, pytest.raises(InvalidParameter) as caught:
        credits.grant_credits(session, fresh(session, shop.buyer), amount)
    assert caught.value.name == "credits"


def test_cash_cannot_be_deposited_as_credits(runtime: Runtime, shop: Shop) -> None:
    with runtime.db.session() as session, pytest.raises(InvalidParameter) as caught:
        credits.deposit_cash(session, fresh(session, shop.buyer), 100, "CRD")
    assert caught.value.name == "currency"
