"""The licensing combiner: concurrent purchases share database transactions, and each one
still gets exactly what `license_item` would give it (charge, refusal, replay)."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import Group, GroupRole, Role, User
from stockhouse.catalog.models import MediaItem
from stockhouse.commerce import combiner as combiner_module
from stockhouse.commerce import ledger
from stockhouse.commerce.combiner import LicensingCombiner, combiner_for
from stockhouse.commerce.licensing import LicenseRequest, LicenseResult, license_item
from stockhouse.commerce.models import AccountKind, LicenseTransaction, ProductType
from stockhouse.errors import Conflict, InsufficientFunds, NotFound
from stockhouse.runtime import Runtime
from tests.commerce.licensing_support import PASSWORD, Market, fund_group, open_market

PRICE_S = 100  # size "s" of the default image license
PRICE_M = 300  # size "m"
WORKERS = 16
AFFORDABLE = 10


@pytest.fixture
def market(runtime: Runtime) -> Market:
    return open_market(runtime)


@pytest.fixture
def combiner(runtime: Runtime) -> LicensingCombiner:
    return LicensingCombiner(runtime.db)


def _buyer(runtime: Runtime, user_id: int) -> User:
    with runtime.db.read_session() as session:
        return session.get_one(User, user_id)


def _request(
    runtime: Runtime, market: Market, size: str = "s", key: str | None = None, buyer: int = 0
) -> LicenseRequest:
    return LicenseRequest(
        buyer=_buyer(runtime, buyer or market.member),
        item_id=market.photo,
        license_id=market.license(ProductType.IMAGE),
        size_code=size,
        idempotency_key=key,
    )


def _group_balance(runtime: Runtime, market: Market) -> int:
    with runtime.db.read_session() as session:
        return ledger.balance_of(
            session, AccountKind.GROUP_BALANCE, group_id=market.prepaid, currency="USD"
        )


def _assert_settled(runtime: Runtime, market: Market, licenses: int, balance: int) -> None:
    with runtime.db.read_session() as session:
        rows = session.scalar(select(func.count()).select_from(LicenseTransaction))
        downloads = session.get_one(MediaItem, market.photo).downloads
        report = ledger.check(session)
    assert (rows, downloads, _group_balance(runtime, market)) == (licenses, licenses, balance)
    assert report.ok, report.lines()


def test_a_purchase_is_charged_and_recorded_like_license_item(
    runtime: Runtime, market: Market, combiner: LicensingCombiner
) -> None:
    fund_group(runtime, market.prepaid, 1000)
    result = combiner.license(_request(runtime, market, key="k1"))
    with runtime.db.read_session() as session:
        stored = session.get_one(LicenseTransaction, result.transaction.id)
        assert (stored.price_minor, stored.royalty_minor, stored.group_id) == (
            PRICE_S,
            35,
            market.prepaid,
        )
        assert stored.ledger_transaction_id == result.transaction.ledger_transaction_id
    assert result.download_path == f"/v1/downloads/{result.transaction.id}"
    assert not result.replayed
    _assert_settled(runtime, market, 1, 1000 - PRICE_S)


def test_a_refused_purchase_leaves_the_others_of_its_batch_standing(
    runtime: Runtime, market: Market, combiner: LicensingCombiner
) -> None:
    fund_group(runtime, market.prepaid, 2 * PRICE_S + 50)
    outcomes = combiner.license_all(
        [_request(runtime, market, "s"), _request(runtime, market, "m"), _request(runtime, market)]
    )
    assert [type(o) for o in outcomes] == [LicenseResult, InsufficientFunds, LicenseResult]
    assert "holds 1.50 USD, 3.00 USD needed" in str(outcomes[1])  # after the first license
    _assert_settled(runtime, market, 2, 50)


def test_purchases_are_decided_in_arrival_order(
    runtime: Runtime, market: Market, combiner: LicensingCombiner
) -> None:
    fund_group(runtime, market.prepaid, PRICE_M)
    outcomes = combiner.license_all([_request(runtime, market, "m"), _request(runtime, market)])
    assert [type(o) for o in outcomes] == [LicenseResult, InsufficientFunds]
    _assert_settled(runtime, market, 1, 0)


def test_a_key_used_twice_in_one_batch_charges_once_and_replays(
    runtime: Runtime, market: Market, combiner: LicensingCombiner
) -> None:
    fund_group(runtime, market.prepaid, 1000)
    first, second = combiner.license_all(
        [_request(runtime, market, key="order-1"), _request(runtime, market, key="order-1")]
    )
    assert isinstance(first, LicenseResult) and isinstance(second, LicenseResult)
    assert (first.replayed, second.replayed) == (False, True)
    assert second.transaction.id == first.transaction.id
    _assert_settled(runtime, market, 1, 1000 - PRICE_S)


def test_a_key_reused_in_one_batch_for_another_size_is_a_conflict(
    runtime: Runtime, market: Market, combiner: LicensingCombiner
) -> None:
    fund_group(runtime, market.prepaid, 1000)
    outcomes = combiner.license_all(
        [_request(runtime, market, "s", "order-2"), _request(runtime, market, "m", "order-2")]
    )
    assert [type(o) for o in outcomes] == [LicenseResult, Conflict]
    _assert_settled(runtime, market, 1, 1000 - PRICE_S)


def test_a_key_used_by_license_item_before_replays_through_the_combiner(
    runtime: Runtime, market: Market, combiner: LicensingCombiner
) -> None:
    fund_group(runtime, market.prepaid, 1000)
    with runtime.db.session() as session:
        first = license_item(session, _request(runtime, market, key="order-3"))
    again = combiner.license(_request(runtime, market, key="order-3"))
    assert (again.replayed, again.transaction.id) == (True, first.transaction.id)
    _assert_settled(runtime, market, 1, 1000 - PRICE_S)


def test_refusals_before_money_are_raised_as_license_item_raises_them(
    runtime: Runtime, market: Market, combiner: LicensingCombiner
) -> None:
    fund_group(runtime, market.prepaid, 1000)
    request = _request(runtime, market)
    missing = LicenseRequest(
        buyer=request.buyer, item_id=10**9, license_id=request.license_id, size_code="s"
    )
    with pytest.raises(NotFound):
        combiner.license(missing)
    outcomes = combiner.license_all([missing, request])
    assert [type(o) for o in outcomes] == [NotFound, LicenseResult]
    _assert_settled(runtime, market, 1, 1000 - PRICE_S)


def test_a_failing_batch_transaction_records_each_purchase_alone(
    runtime: Runtime, market: Market, combiner: LicensingCombiner, monkeypatch: pytest.MonkeyPatch
) -> None:
    fund_group(runtime, market.prepaid, PRICE_S + PRICE_M - 1)

    def broken(*_args: object) -> None:
        raise RuntimeError("the batch's transaction failed")

    monkeypatch.setattr(combiner_module, "_record_batch", broken)
    outcomes = combiner.license_all(
        [
            _request(runtime, market, "s", "a"),
            _request(runtime, market, "m", "b"),
            _request(runtime, market, "s", "a"),
        ]
    )
    assert [type(o) for o in outcomes] == [LicenseResult, InsufficientFunds, LicenseResult]
    first, _, again = outcomes
    assert isinstance(first, LicenseResult) and isinstance(again, LicenseResult)
    assert (again.replayed, again.transaction.id) == (True, first.transaction.id)
    _assert_settled(runtime, market, 1, PRICE_M - 1)


def _members(runtime: Runtime, market: Market, count: int) -> list[int]:
    with runtime.db.session() as session:
        group = session.get_one(Group, market.prepaid)
        ids = []
        for n in range(count):
            user = accounts.create_user(
                session, username=f"buyer{n}", password=PASSWORD, roles=[Role.BUYER]
            )
            accounts.add_member(session, group, user, GroupRole.MEMBER)
            ids.append(user.id)
        return ids


def _in_threads(runtime: Runtime, jobs: list[LicenseRequest]) -> Counter[str]:
    """Every request from a thread of its own through the process's combiner, at once."""
    barrier = threading.Barrier(len(jobs))
    combiner = combiner_for(runtime.db)

    def run(request: LicenseRequest) -> str:
        barrier.wait()
        try:
            return "replayed" if combiner.license(request).replayed else "ok"
        except InsufficientFunds:
            return "short"

    with ThreadPoolExecutor(len(jobs)) as pool:
        return Counter(pool.map(run, jobs))


def test_threads_against_a_balance_for_n_licenses_get_exactly_n(
    runtime: Runtime, market: Market
) -> None:
    buyers = _members(runtime, market, WORKERS)
    fund_group(runtime, market.prepaid, AFFORDABLE * PRICE_S + 55)
    rounds = 3  # each buyer licenses three times: batches of several purchases form
    jobs = [_request(runtime, market, buyer=b) for b in buyers for _ in range(rounds)]
    outcome = _in_threads(runtime, jobs)
    assert outcome == Counter(ok=AFFORDABLE, short=WORKERS * rounds - AFFORDABLE)
    _assert_settled(runtime, market, AFFORDABLE, 55)


def test_threads_retrying_one_idempotency_key_charge_once(runtime: Runtime, market: Market) -> None:
    fund_group(runtime, market.prepaid, 10 * PRICE_S)
    outcome = _in_threads(runtime, [_request(runtime, market, key="same")] * WORKERS)
    assert outcome == Counter(ok=1, replayed=WORKERS - 1)
    _assert_settled(runtime, market, 1, 9 * PRICE_S)


def test_the_process_keeps_one_combiner_per_database(runtime: Runtime) -> None:
    assert combiner_for(runtime.db) is combiner_for(runtime.db)
