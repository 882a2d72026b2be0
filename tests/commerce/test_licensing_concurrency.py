"""Concurrent licensing against one group balance: never an overdraft, never a double charge.

Real threads (and, on PostgreSQL, real processes) each open their own session on the same
database, wait at a barrier, and license at once.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import Group, GroupRole, Role, User
from stockhouse.commerce import ledger
from stockhouse.commerce.licensing import LicenseRequest, license_item
from stockhouse.commerce.models import AccountKind, LicenseTransaction, ProductType
from stockhouse.db.engine import Database
from stockhouse.errors import InsufficientFunds
from stockhouse.runtime import Runtime
from tests.commerce.licensing_support import PASSWORD, Market, fund_group, open_market

WORKERS = 16
AFFORDABLE = 10  # the balance covers this many licenses
PRICE = 100  # size "s" of the default image license
REMAINDER = 55  # left over: less than one more license
PROCESSES = 4  # each starts a Python interpreter: a few suffice to interleave


@pytest.fixture
def market(runtime: Runtime) -> Market:
    return open_market(runtime)


def _members(runtime: Runtime, market: Market, count: int) -> list[int]:
    """`count` buyers in the prepaid group, each licensing on the group's balance."""
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


def license_once(
    database: Database, buyer_id: int, item_id: int, license_id: int, key: str | None
) -> str:
    """License one photo in its own transaction; "ok", "replayed" or "short"."""
    try:
        with database.session() as session:
            buyer = session.get_one(User, buyer_id)
            result = license_item(
                session,
                LicenseRequest(
                    buyer=buyer,
                    item_id=item_id,
                    license_id=license_id,
                    size_code="s",
                    idempotency_key=key,
                ),
            )
            return "replayed" if result.replayed else "ok"
    except InsufficientFunds:
        return "short"


def _license_in_process(
    url: str, buyer_id: int, item_id: int, license_id: int, key: str | None
) -> str:
    database = Database(url)
    try:
        return license_once(database, buyer_id, item_id, license_id, key)
    finally:
        database.dispose()


def _in_threads(runtime: Runtime, jobs: Sequence[tuple[int, int, int, str | None]]) -> Counter[str]:
    barrier = threading.Barrier(len(jobs))

    def run(job: tuple[int, int, int, str | None]) -> str:
        barrier.wait()
        return license_once(runtime.db, *job)

    with ThreadPoolExecutor(len(jobs)) as pool:
        return Counter(pool.map(run, jobs))


def _assert_settled(runtime: Runtime, market: Market, licensed: int, remainder: int) -> None:
    with runtime.db.read_session() as session:
        balance = ledger.balance_of(
            session, AccountKind.GROUP_BALANCE, group_id=market.prepaid, currency="USD"
        )
        rows = session.scalar(select(func.count()).select_from(LicenseTransaction))
        report = ledger.check(session)
    assert (balance, rows) == (remainder, licensed)
    assert report.ok, report.lines()


def test_threads_against_a_balance_for_n_licenses_get_exactly_n(
    runtime: Runtime, market: Market
) -> None:
    buyers = _members(runtime, market, WORKERS)
    fund_group(runtime, market.prepaid, AFFORDABLE * PRICE + REMAINDER)
    license_id = market.license(ProductType.IMAGE)
    outcome = _in_threads(runtime, [(b, market.photo, license_id, None) for b in buyers])
    assert outcome == Counter(ok=AFFORDABLE, short=WORKERS - AFFORDABLE)
    _assert_settled(runtime, market, AFFORDABLE, REMAINDER)


def test_threads_retrying_one_idempotency_key_charge_once(runtime: Runtime, market: Market) -> None:
    fund_group(runtime, market.prepaid, 10 * PRICE)
    license_id = market.license(ProductType.IMAGE)
    jobs = [(market.member, market.photo, license_id, "same-order")] * WORKERS
    outcome = _in_threads(runtime, jobs)
    assert outcome == Counter(ok=1, replayed=WORKERS - 1)
    _assert_settled(runtime, market, 1, 9 * PRICE)


@pytest.mark.postgres
def test_processes_against_a_balance_for_n_licenses_get_exactly_n(
    runtime: Runtime, market: Market
) -> None:
    if runtime.db.dialect != "postgresql":
        pytest.skip("separate processes share the database only through a server")
    buyers = _members(runtime, market, WORKERS)
    fund_group(runtime, market.prepaid, AFFORDABLE * PRICE + REMAINDER)
    license_id = market.license(ProductType.IMAGE)
    url = runtime.db.url
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(PROCESSES, mp_context=context) as pool:
        futures = [
            pool.submit(_license_in_process, url, buyer, market.photo, license_id, None)
            for buyer in buyers
        ]
        outcome = Counter(future.result() for future in futures)
    assert outcome == Counter(ok=AFFORDABLE, short=WORKERS - AFFORDABLE)
    _assert_settled(runtime, market, AFFORDABLE, REMAINDER)
