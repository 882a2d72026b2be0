"""Subscriptions: an allowance of downloads in a period, spent atomically one at a time."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from stockhouse.commerce import subscriptions
from stockhouse.commerce.subscriptions import SubscriptionUnavailable
from stockhouse.db.base import utcnow
from stockhouse.errors import InvalidParameter
from stockhouse.runtime import Runtime
from tests.commerce.shop_support import Shop, fresh, open_shop


@pytest.fixture
def shop(runtime: Runtime) -> Shop:
    return open_shop(runtime, with_prices=False)


def subscribe(runtime: Runtime, shop: Shop, allowed: int, **kwargs: object) -> int:
    with runtime.db.session() as session:
        return subscriptions.create_subscription(
            session,
            fresh(session, shop.buyer),
            plan="monthly 10",
            downloads_allowed=allowed,
            period_days=30,
            **kwargs,  # type: ignore[arg-type]
        ).id


def use(runtime: Runtime, shop: Shop) -> int:
    with runtime.db.session() as session:
        return subscriptions.use_download(session, fresh(session, shop.buyer)).downloads_used


def test_each_download_uses_one_of_the_allowance(runtime: Runtime, shop: Shop) -> None:
    subscribe(runtime, shop, 3)
    assert [use(runtime, shop) for _ in range(3)] == [1, 2, 3]
    with runtime.db.read_session() as session:
        current = subscriptions.current_subscription(session, fresh(session, shop.buyer))
        assert current is not None
        assert subscriptions.status_of(current).downloads_left == 0


def test_an_exhausted_allowance_is_refused(runtime: Runtime, shop: Shop) -> None:
    subscribe(runtime, shop, 1)
    use(runtime, shop)
    with pytest.raises(SubscriptionUnavailable) as caught:
        use(runtime, shop)
    assert caught.value.reason == "exhausted"
    assert caught.value.code == "insufficient_funds"


def test_an_expired_subscription_is_refused(runtime: Runtime, shop: Shop) -> None:
    subscribe(runtime, shop, 5, starts_at=utcnow() - timedelta(days=31))
    with pytest.raises(SubscriptionUnavailable) as caught:
        use(runtime, shop)
    assert caught.value.reason == "expired"


def test_no_subscription_is_refused(runtime: Runtime, shop: Shop) -> None:
    with pytest.raises(SubscriptionUnavailable) as caught:
        use(runtime, shop)
    assert caught.value.reason == "none"


def test_a_subscription_that_has_not_started_is_not_current(runtime: Runtime, shop: Shop) -> None:
    subscribe(runtime, shop, 5, starts_at=utcnow() + timedelta(days=1))
    with runtime.db.read_session() as session:
        assert subscriptions.current_subscription(session, fresh(session, shop.buyer)) is None


def test_the_subscription_ending_first_is_spent_first(runtime: Runtime, shop: Shop) -> None:
    later = subscribe(runtime, shop, 5)
    sooner = subscribe(runtime, shop, 1, starts_at=utcnow() - timedelta(days=20))
    with runtime.db.session() as session:
        buyer = fresh(session, shop.buyer)
        assert subscriptions.use_download(session, buyer).id == sooner
        assert subscriptions.use_download(session, buyer).id == later


def test_concurrent_downloads_never_pass_the_allowance(runtime: Runtime, shop: Shop) -> None:
    subscribe(runtime, shop, 3)
    outcomes: list[str] = []
    lock = threading.Lock()

    def download() -> None:
        try:
            use(runtime, shop)
            result = "ok"
        except SubscriptionUnavailable:
            result = "refused"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=download) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ok"] * 3 + ["refused"] * 5
    with runtime.db.read_session() as session:
        [only] = subscriptions.list_subscriptions(session, fresh(session, shop.buyer))
        assert only.downloads_used == 3


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("plan", {"plan": " "}),
        ("downloads_allowed", {"downloads_allowed": 0}),
        ("period_days", {"period_days": 0}),
        ("period_days", {"period_days": 100_000}),
    ],
)
def test_bad_subscriptions_are_refused(
    runtime: Runtime, shop: Shop, field: str, kwargs: dict[str, object]
) -> None:
    values: dict[str, object] = {
        "plan": "p",
        "downloads_allowed": 1,
        "period_days": 30,
        **kwargs,
    }
    with runtime.db.session() as session, pytest.raises(InvalidParameter) as caught:
        subscriptions.create_subscription(
            session,
            fresh(session, shop.buyer),
            **values,  # type: ignore[arg-type]
        )
    assert caught.value.name == field
