"""Purchases: the whole cart by cash, credits or subscription, all lines or none.

Default prices: a photo's standard xl is 10.00 USD / 10 credits, a video's standard 1080 is
40.00 USD / 40 credits; a beginner contributor earns 30%.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import func, select

from stockhouse.accounts.models import User
from stockhouse.catalog.models import ItemStatus, MediaItem
from stockhouse.commerce import carts, credits, ledger, licensing, purchases, subscriptions
from stockhouse.commerce.models import AccountKind, LicenseTransaction, PaymentMethod
from stockhouse.commerce.purchases import EmptyCart, NeedsOverride
from stockhouse.commerce.subscriptions import SubscriptionUnavailable
from stockhouse.errors import Conflict, InsufficientFunds, InvalidParameter
from stockhouse.runtime import Runtime
from tests.commerce.shop_support import (
    Shop,
    fresh,
    join_vat_group,
    open_shop,
    photo_id,
    video_id,
)

PHOTO_USD, PHOTO_CREDITS = 1000, 10
VIDEO_USD, VIDEO_CREDITS = 4000, 40


@pytest.fixture
def shop(runtime: Runtime) -> Shop:
    return open_shop(runtime)


def add(runtime: Runtime, user: User, *item_ids: int) -> None:
    with runtime.db.session() as session:
        carts.add_to_cart(session, fresh(session, user), [carts.ItemRef(i) for i in item_ids])


def fill_cart(runtime: Runtime, shop: Shop) -> tuple[int, int]:
    """A photo (10.00 / 10) then a video (40.00 / 40) in the buyer's cart."""
    photo, clip = photo_id(runtime, shop.seller), video_id(runtime, shop.seller)
    add(runtime, shop.buyer, photo, clip)
    return photo, clip


def buy(runtime: Runtime, user: User, method: str, **kwargs: Any) -> purchases.Purchase:
    with runtime.db.session() as session:
        return purchases.purchase_cart(session, fresh(session, user), method, **kwargs)


def cart_ids(runtime: Runtime, user: User) -> list[int]:
    with runtime.db.read_session() as session:
        return [row.item_id for row in carts.cart_rows(session, fresh(session, user))]


def license_count(runtime: Runtime) -> int:
    with runtime.db.read_session() as session:
        return session.scalar(select(func.count()).select_from(LicenseTransaction)) or 0


def earnings(runtime: Runtime, shop: Shop) -> int:
    with runtime.db.read_session() as session:
        return ledger.balance_of(
            session, AccountKind.CONTRIBUTOR_EARNINGS, user_id=shop.seller.id, currency="USD"
        )


def assert_ledger_ok(runtime: Runtime) -> None:
    with runtime.db.read_session() as session:
        assert ledger.check(session).ok


def deposit(runtime: Runtime, user: User, amount_minor: int) -> None:
    with runtime.db.session() as session:
        credits.deposit_cash(session, fresh(session, user), amount_minor, "USD")


def grant(runtime: Runtime, user: User, amount: int) -> None:
    with runtime.db.session() as session:
        credits.grant_credits(session, fresh(session, user), amount)


def cash(runtime: Runtime, user: User) -> int:
    with runtime.db.read_session() as session:
        return credits.cash_balance(session, fresh(session, user), "USD")


def credit_balance(runtime: Runtime, user: User) -> int:
    with runtime.db.read_session() as session:
        return credits.credit_balance(session, fresh(session, user))


# -- each method ------------------------------------------------------------------------


def test_buying_with_cash(runtime: Runtime, shop: Shop) -> None:
    photo, clip = fill_cart(runtime, shop)
    deposit(runtime, shop.buyer, 6000)
    purchase = buy(runtime, shop.buyer, "cash")
    assert [t.item_id for t in purchase.transactions] == [photo, clip]
    assert {t.payment_method for t in purchase.transactions} == {PaymentMethod.BALANCE}
    assert (purchase.amount_minor, purchase.vat_minor, purchase.currency) == (5000, 0, "USD")
    assert cash(runtime, shop.buyer) == 1000
    assert earnings(runtime, shop) == 1500  # 30% of 50.00
    assert cart_ids(runtime, shop.buyer) == []
    assert_ledger_ok(runtime)


def test_buying_with_credits(runtime: Runtime, shop: Shop) -> None:
    fill_cart(runtime, shop)
    grant(runtime, shop.buyer, 60)
    purchase = buy(runtime, shop.buyer, "credits")
    assert purchase.credits == PHOTO_CREDITS + VIDEO_CREDITS
    assert {t.payment_method for t in purchase.transactions} == {PaymentMethod.CREDITS}
    assert credit_balance(runtime, shop.buyer) == 10
    assert cash(runtime, shop.buyer) == 0
    assert cart_ids(runtime, shop.buyer) == []
    assert_ledger_ok(runtime)


def test_buying_with_a_subscription(runtime: Runtime, shop: Shop) -> None:
    fill_cart(runtime, shop)
    with runtime.db.session() as session:
        subscriptions.create_subscription(
            session, fresh(session, shop.buyer), plan="p", downloads_allowed=5, period_days=30
        )
    purchase = buy(runtime, shop.buyer, "subscription")
    assert {t.payment_method for t in purchase.transactions} == {PaymentMethod.SUBSCRIPTION}
    assert (purchase.amount_minor, purchase.credits) == (0, 0)
    with runtime.db.read_session() as session:
        current = subscriptions.current_subscription(session, fresh(session, shop.buyer))
        assert current is not None and current.downloads_used == 2
    assert earnings(runtime, shop) == 1500  # the platform pays the royalty
    assert cart_ids(runtime, shop.buyer) == []
    assert_ledger_ok(runtime)


def test_a_group_member_pays_the_carts_total_with_vat(runtime: Runtime, shop: Shop) -> None:
    group_id = join_vat_group(runtime, shop.buyer, rate="0.2", balance_minor=10_000)
    fill_cart(runtime, shop)
    with runtime.db.session() as session:
        shown = carts.view_cart(session, fresh(session, shop.buyer)).totals.final_minor
    purchase = buy(runtime, shop.buyer, "cash")
    assert (shown, purchase.amount_minor, purchase.vat_minor) == (6000, 5000, 1000)
    with runtime.db.read_session() as session:
        balance = ledger.balance_of(
            session, AccountKind.GROUP_BALANCE, group_id=group_id, currency="USD"
        )
    assert balance == 10_000 - shown
    assert_ledger_ok(runtime)


def test_a_video_is_licensed_in_the_format_chosen(runtime: Runtime, shop: Shop) -> None:
    clip = video_id(runtime, shop.seller, formats_named=("PAL", "NTSC"))
    with runtime.db.session() as session:
        carts.add_to_cart(session, fresh(session, shop.buyer), [carts.parse_item_ref(f"{clip}:1")])
    grant(runtime, shop.buyer, 40)
    [transaction] = buy(runtime, shop.buyer, "credits").transactions
    with runtime.db.read_session() as session:
        from stockhouse.catalog.models import VideoFormat

        chosen = session.get(VideoFormat, transaction.video_format_id)
        assert chosen is not None and (chosen.name, chosen.sub_offset) == ("NTSC", 1)


# -- refusals leave everything as it was -------------------------------------------------


def test_an_empty_cart_cannot_be_bought(runtime: Runtime, shop: Shop) -> None:
    with pytest.raises(EmptyCart):
        buy(runtime, shop.buyer, "cash")


def test_an_unknown_method_is_refused(runtime: Runtime, shop: Shop) -> None:
    fill_cart(runtime, shop)
    with pytest.raises(InvalidParameter) as caught:
        buy(runtime, shop.buyer, "barter")
    assert caught.value.name == "method"


def test_cash_running_out_mid_cart_rolls_back_every_line(runtime: Runtime, shop: Shop) -> None:
    photo, clip = fill_cart(runtime, shop)
    deposit(runtime, shop.buyer, 1500)  # covers the photo, not the video after it
    with pytest.raises(InsufficientFunds) as caught:
        buy(runtime, shop.buyer, "cash")
    assert "50.00 USD" in caught.value.message
    assert cash(runtime, shop.buyer) == 1500
    assert (license_count(runtime), earnings(runtime, shop)) == (0, 0)
    assert cart_ids(runtime, shop.buyer) == [photo, clip]
    assert_ledger_ok(runtime)


def test_credits_running_short_are_refused(runtime: Runtime, shop: Shop) -> None:
    fill_cart(runtime, shop)
    grant(runtime, shop.buyer, 49)
    with pytest.raises(InsufficientFunds) as caught:
        buy(runtime, shop.buyer, "credits")
    assert "50 credits" in caught.value.message
    assert credit_balance(runtime, shop.buyer) == 49
    assert license_count(runtime) == 0


def test_a_failing_line_rolls_back_the_whole_purchase_even_if_the_caller_commits(
    runtime: Runtime, shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    photo, clip = fill_cart(runtime, shop)
    deposit(runtime, shop.buyer, 10_000)
    real = licensing.license_item
    calls: list[int] = []

    def second_line_fails(session: Any, request: licensing.LicenseRequest) -> Any:
        calls.append(request.item_id)
        if len(calls) == 2:
            raise Conflict("the second line fails")
        return real(session, request)

    monkeypatch.setattr(licensing, "license_item", second_line_fails)
    # pytest.raises swallows the refusal, so the session commits: the first line must not
    # survive that commit.
    with runtime.db.session() as session, pytest.raises(Conflict):
        purchases.purchase_cart(session, fresh(session, shop.buyer), "cash")
    assert calls == [photo, clip]
    assert cash(runtime, shop.buyer) == 10_000
    assert license_count(runtime) == 0
    assert cart_ids(runtime, shop.buyer) == [photo, clip]
    assert_ledger_ok(runtime)


def test_an_exhausted_subscription_refuses_the_cart(runtime: Runtime, shop: Shop) -> None:
    photo, clip = fill_cart(runtime, shop)
    with runtime.db.session() as session:
        subscriptions.create_subscription(
            session, fresh(session, shop.buyer), plan="p", downloads_allowed=1, period_days=30
        )
    with pytest.raises(SubscriptionUnavailable) as caught:
        buy(runtime, shop.buyer, "subscription")
    assert caught.value.reason == "exhausted"
    with runtime.db.read_session() as session:
        [subscription] = subscriptions.list_subscriptions(session, fresh(session, shop.buyer))
        assert subscription.downloads_used == 0  # the first line's download was given back
    assert license_count(runtime) == 0
    assert cart_ids(runtime, shop.buyer) == [photo, clip]


def test_a_withdrawn_item_refuses_the_purchase(runtime: Runtime, shop: Shop) -> None:
    photo, clip = fill_cart(runtime, shop)
    deposit(runtime, shop.buyer, 10_000)
    with runtime.db.session() as session:
        item = session.get(MediaItem, clip)
        assert item is not None
        item.status = ItemStatus.ARCHIVED
    with pytest.raises(Conflict) as caught:
        buy(runtime, shop.buyer, "cash")
    assert str(clip) in caught.value.message
    assert cash(runtime, shop.buyer) == 10_000
    assert cart_ids(runtime, shop.buyer) == [photo, clip]


# -- bought before and own clips (seed 003's error 103) ---------------------------------


def test_items_bought_before_need_an_override(runtime: Runtime, shop: Shop) -> None:
    photo, _ = fill_cart(runtime, shop)
    grant(runtime, shop.buyer, 200)
    buy(runtime, shop.buyer, "credits")
    add(runtime, shop.buyer, photo)
    with pytest.raises(NeedsOverride) as caught:
        buy(runtime, shop.buyer, "credits")
    assert (caught.value.bought_before, caught.value.own_clips) == ([photo], [])
    assert caught.value.code == "conflict"
    assert credit_balance(runtime, shop.buyer) == 150
    buy(runtime, shop.buyer, "credits", override=True)
    assert credit_balance(runtime, shop.buyer) == 140


def test_own_items_need_an_override(runtime: Runtime, shop: Shop) -> None:
    own = photo_id(runtime, shop.seller)
    add(runtime, shop.seller, own)
    grant(runtime, shop.seller, 10)
    with pytest.raises(NeedsOverride) as caught:
        buy(runtime, shop.seller, "credits")
    assert (caught.value.bought_before, caught.value.own_clips) == ([], [own])
    assert len(buy(runtime, shop.seller, "credits", override=[own]).transactions) == 1


def test_an_override_must_name_every_culprit(runtime: Runtime, shop: Shop) -> None:
    bought = photo_id(runtime, shop.seller)
    own = photo_id(runtime, shop.buyer)
    add(runtime, shop.buyer, bought)
    grant(runtime, shop.buyer, 100)
    buy(runtime, shop.buyer, "credits")
    add(runtime, shop.buyer, bought, own)
    with pytest.raises(NeedsOverride) as caught:
        buy(runtime, shop.buyer, "credits", override=[bought])
    assert (caught.value.bought_before, caught.value.own_clips) == ([bought], [own])
    purchase = buy(runtime, shop.buyer, "credits", override=[bought, own])
    assert [t.item_id for t in purchase.transactions] == [bought, own]


# -- concurrency ------------------------------------------------------------------------


def test_two_concurrent_purchases_of_one_cart_buy_it_once(runtime: Runtime, shop: Shop) -> None:
    fill_cart(runtime, shop)
    deposit(runtime, shop.buyer, 20_000)
    outcomes: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(2)

    def attempt() -> None:
        start.wait()
        try:
            buy(runtime, shop.buyer, "cash")
            result = "bought"
        except EmptyCart:
            result = "empty"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["bought", "empty"]
    assert cash(runtime, shop.buyer) == 15_000
    assert license_count(runtime) == 2
    assert_ledger_ok(runtime)


def test_concurrent_purchases_of_shared_items_in_opposite_orders_all_succeed(
    runtime: Runtime, shop: Shop
) -> None:
    from stockhouse.accounts import service as accounts
    from stockhouse.accounts.models import Role

    first, second = photo_id(runtime, shop.seller), photo_id(runtime, shop.rival)
    with runtime.db.session() as session:
        buyers = [
            accounts.create_user(session, username=f"buyer{n}", password=None, roles=[Role.BUYER])
            for n in range(6)
        ]
    for n, buyer in enumerate(buyers):
        add(runtime, buyer, *((first, second) if n % 2 else (second, first)))
        deposit(runtime, buyer, PHOTO_USD * 2)
    errors: list[BaseException] = []
    start = threading.Barrier(len(buyers))

    def attempt(buyer: User) -> None:
        start.wait()
        try:
            buy(runtime, buyer, "cash")
        except BaseException as error:  # reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=attempt, args=(buyer,)) for buyer in buyers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert license_count(runtime) == 12
    assert [cash(runtime, buyer) for buyer in buyers] == [0] * 6
    assert earnings(runtime, shop) == 6 * 300  # 30% of six 10.00 sales
    assert_ledger_ok(runtime)
