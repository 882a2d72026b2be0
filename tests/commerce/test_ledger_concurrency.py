"""Concurrent postings over the same accounts: one statement moves all of a posting's
balances, locking them in id order, so postings never deadlock and never overdraw."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import Role
from stockhouse.commerce import ledger
from stockhouse.commerce.models import AccountKind, LedgerAccount
from stockhouse.errors import InsufficientFunds
from stockhouse.runtime import Runtime

ROUNDS = 25
START = 10


def _two_funded_accounts(runtime: Runtime) -> tuple[LedgerAccount, LedgerAccount]:
    with runtime.db.session() as session:
        owners = [
            accounts.create_user(session, username=name, password=None, roles=[Role.BUYER]).id
            for name in ("ann", "bob")
        ]
        first, second = (
            ledger.account_for(session, AccountKind.USER_CASH, user_id=owner, currency="USD")
            for owner in owners
        )
        ledger.refill(session, first, START)
        ledger.refill(session, second, START)
        return first, second


def test_opposite_transfers_neither_deadlock_nor_overdraw(runtime: Runtime) -> None:
    first, second = _two_funded_accounts(runtime)
    barrier = threading.Barrier(2)

    def transfers(source: LedgerAccount, target: LedgerAccount, amount: int) -> int:
        barrier.wait()
        refused = 0
        for _ in range(ROUNDS):
            try:
                with runtime.db.session() as session:
                    ledger.transfer(
                        session, "move", "", source=source, target=target, amount_minor=amount
                    )
            except InsufficientFunds:
                refused += 1
        return refused

    with ThreadPoolExecutor(2) as pool:
        one_way = pool.submit(transfers, first, second, 3)
        other_way = pool.submit(transfers, second, first, 2)
        refused = (one_way.result(), other_way.result())
    moved_to_second = 3 * (ROUNDS - refused[0]) - 2 * (ROUNDS - refused[1])
    with runtime.db.read_session() as session:
        balances = (ledger.balance(session, first), ledger.balance(session, second))
        report = ledger.check(session)
    assert balances == (START - moved_to_second, START + moved_to_second)
    assert min(balances) >= 0
    assert report.ok, report.lines()


def test_move_balances_answers_the_new_balances_and_leaves_out_a_refused_account(
    runtime: Runtime,
) -> None:
    first, second = _two_funded_accounts(runtime)
    with runtime.db.session() as session:
        moved = ledger.move_balances(session, {first.id: -START - 1, second.id: 4})
        assert moved == {second.id: START + 4}
        session.rollback()
    with runtime.db.read_session() as session:
        assert (ledger.balance(session, first), ledger.balance(session, second)) == (START, START)
