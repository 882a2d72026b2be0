"""Promo codes: money into the buyer's cash, once per buyer, within expiry and redemptions."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import Role
from stockhouse.commerce import credits, ledger, promo
from stockhouse.commerce.promo import PromoCodeRejected
from stockhouse.db.base import utcnow
from stockhouse.errors import Conflict, InvalidParameter
from stockhouse.runtime import Runtime
from tests.commerce.shop_support import Shop, fresh, open_shop


@pytest.fixture
def shop(runtime: Runtime) -> Shop:
    return open_shop(runtime, with_prices=False)


def make_code(runtime: Runtime, code: str = "SPRING-25", **kwargs: object) -> None:
    values: dict[str, object] = {"amount_minor": 2500, "currency": "USD", **kwargs}
    with runtime.db.session() as session:
        promo.create_promo_code(session, code=code, **values)  # type: ignore[arg-type]


def redeem(runtime: Runtime, user_id: int, code: str = "SPRING-25") -> promo.Redemption:
    with runtime.db.session() as session:
        user = accounts.get_user(session, user_id)
        return promo.redeem(session, user, code)


def test_redeeming_adds_the_amount_to_the_buyers_cash(runtime: Runtime, shop: Shop) -> None:
    make_code(runtime, currency="EUR")
    redemption = redeem(runtime, shop.buyer.id, "  spring-25 ")
    assert (redemption.amount_minor, redemption.currency) == (2500, "EUR")
    with runtime.db.read_session() as session:
        assert credits.cash_balance(session, fresh(session, shop.buyer), "EUR") == 2500
        assert ledger.check(session).ok


def test_a_buyer_redeems_a_code_once(runtime: Runtime, shop: Shop) -> None:
    make_code(runtime)
    redeem(runtime, shop.buyer.id)
    with pytest.raises(PromoCodeRejected) as caught:
        redeem(runtime, shop.buyer.id)
    assert caught.value.reason == "already_redeemed"
    redeem(runtime, shop.rival.id)  # another buyer still may
    with runtime.db.read_session() as session:
        assert credits.cash_balance(session, fresh(session, shop.buyer), "USD") == 2500


def test_max_redemptions_is_a_limit_over_all_buyers(runtime: Runtime, shop: Shop) -> None:
    make_code(runtime, max_redemptions=1)
    redeem(runtime, shop.buyer.id)
    with pytest.raises(PromoCodeRejected) as caught:
        redeem(runtime, shop.rival.id)
    assert caught.value.reason == "used_up"


def test_an_expired_code_is_refused(runtime: Runtime, shop: Shop) -> None:
    make_code(runtime, expires_at=utcnow() - timedelta(seconds=1))
    with pytest.raises(PromoCodeRejected) as caught:
        redeem(runtime, shop.buyer.id)
    assert caught.value.reason == "expired"


@pytest.mark.parametrize("code", ["NOPE-NOPE", "", "x", "'; DROP TABLE promo_code; --"])
def test_an_unknown_code_is_refused(runtime: Runtime, shop: Shop, code: str) -> None:
    make_code(runtime)
    with pytest.raises(PromoCodeRejected) as caught:
        redeem(runtime, shop.buyer.id, code)
    assert (caught.value.reason, caught.value.name) == ("unknown", "code")


def test_a_code_with_one_use_redeemed_by_eight_threads_succeeds_once(runtime: Runtime) -> None:
    make_code(runtime, max_redemptions=1)
    with runtime.db.session() as session:
        user_ids = [
            accounts.create_user(
                session, username=f"buyer{n}", password=None, roles=[Role.BUYER]
            ).id
            for n in range(8)
        ]
    outcomes: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(len(user_ids))

    def attempt(user_id: int) -> None:
        start.wait()
        try:
            redeem(runtime, user_id)
            result = "ok"
        except PromoCodeRejected as refusal:
            result = refusal.reason
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt, args=(uid,)) for uid in user_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ok"] + ["used_up"] * 7
    with runtime.db.read_session() as session:
        [code] = promo.list_promo_codes(session)
        assert code.redeemed == 1
        total = sum(
            credits.cash_balance(session, accounts.get_user(session, uid), "USD")
            for uid in user_ids
        )
        assert total == 2500
        assert ledger.check(session).ok


def test_codes_are_unique_whatever_their_case(runtime: Runtime) -> None:
    make_code(runtime, "SPRING-25")
    with pytest.raises(Conflict):
        make_code(runtime, "spring-25")


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("code", {"code": "a b"}),
        ("code", {"code": "ab"}),
        ("amount", {"amount_minor": 0}),
        ("currency", {"currency": "CRD"}),
        ("currency", {"currency": "usd"}),
        ("max_redemptions", {"max_redemptions": 0}),
    ],
)
def test_bad_codes_are_refused(runtime: Runtime, field: str, kwargs: dict[str, object]) -> None:
    values: dict[str, object] = {"code": "GOOD-CODE", "amount_minor": 100, **kwargs}
    with runtime.db.session() as session, pytest.raises(InvalidParameter) as caught:
        promo.create_promo_code(session, **values)  # type: ignore[arg-type]
    assert caught.value.name == field
