"""The ledger: balanced transactions, cached balances, no overdraft, and the check."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import Role
from stockhouse.commerce import ledger
from stockhouse.commerce.models import (
    AccountKind,
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
)
from stockhouse.errors import InsufficientFunds, InvalidParameter
from stockhouse.runtime import Runtime


@pytest.fixture
def user_id(runtime: Runtime) -> int:
    with runtime.db.session() as session:
        return accounts.create_user(session, username="lena", password=None, roles=[Role.BUYER]).id


def _cash(session, user_id: int) -> LedgerAccount:  # type: ignore[no-untyped-def]
    return ledger.account_for(session, AccountKind.USER_CASH, user_id=user_id, currency="USD")


def _external(session) -> LedgerAccount:  # type: ignore[no-untyped-def]
    return ledger.account_for(session, AccountKind.EXTERNAL, currency="USD")


def test_account_for_creates_once_and_then_returns_the_same_account(
    runtime: Runtime, user_id: int
) -> None:
    with runtime.db.session() as session:
        first = _cash(session, user_id)
        platform = ledger.account_for(session, AccountKind.PLATFORM_REVENUE, currency="USD")
    with runtime.db.session() as session:
        assert _cash(session, user_id).id == first.id
        again = ledger.account_for(session, AccountKind.PLATFORM_REVENUE, currency="USD")
        assert again.id == platform.id
        assert (
            session.scalar(select(LedgerAccount.id).where(LedgerAccount.id > platform.id)) is None
        )


def test_only_external_receivable_and_platform_accounts_may_go_negative(
    runtime: Runtime, user_id: int
) -> None:
    with runtime.db.session() as session:
        assert _external(session).allow_negative
        assert ledger.account_for(
            session, AccountKind.PLATFORM_REVENUE, currency="USD"
        ).allow_negative
        assert not _cash(session, user_id).allow_negative
        earnings = ledger.account_for(
            session, AccountKind.CONTRIBUTOR_EARNINGS, user_id=user_id, currency="USD"
        )
        assert not earnings.allow_negative


def test_post_writes_entries_and_updates_the_cached_balances(
    runtime: Runtime, user_id: int
) -> None:
    with runtime.db.session() as session:
        cash, external = _cash(session, user_id), _external(session)
        posted = ledger.post(session, "refill", "card", [(external, -2500), (cash, 2500)])
    with runtime.db.session() as session:
        assert ledger.balance(session, cash) == 2500
        assert ledger.balance(session, external) == -2500
        amounts = session.scalars(
            select(LedgerEntry.amount_minor)
            .where(LedgerEntry.transaction_id == posted.id)
            .order_by(LedgerEntry.amount_minor)
        ).all()
        assert amounts == [-2500, 2500]


def test_entries_that_do_not_sum_to_zero_are_refused(runtime: Runtime, user_id: int) -> None:
    with runtime.db.session() as session:
        cash, external = _cash(session, user_id), _external(session)
        with pytest.raises(InvalidParameter):
            ledger.post(session, "refill", "", [(external, -2500), (cash, 2499)])


def test_balance_must_be_zero_per_currency_not_overall(runtime: Runtime, user_id: int) -> None:
    with runtime.db.session() as session:
        cash = _cash(session, user_id)
        credits = ledger.account_for(
            session, AccountKind.USER_CREDITS, user_id=user_id, currency="CRD"
        )
        with pytest.raises(InvalidParameter):
            ledger.post(session, "mixed", "", [(cash, 100), (credits, -100)])


def test_debit_below_zero_is_insufficient_funds_and_changes_nothing(
    runtime: Runtime, user_id: int
) -> None:
    with runtime.db.session() as session:
        cash, external = _cash(session, user_id), _external(session)
        ledger.transfer(session, "refill", "", source=external, target=cash, amount_minor=100)
    with pytest.raises(InsufficientFunds), runtime.db.session() as session:
        ledger.transfer(session, "spend", "", source=cash, target=external, amount_minor=101)
    with runtime.db.session() as session:
        assert ledger.balance(session, cash) == 100
        assert (
            session.scalar(select(LedgerTransaction.id).where(LedgerTransaction.kind == "spend"))
            is None
        )


def test_spending_exactly_the_balance_leaves_zero(runtime: Runtime, user_id: int) -> None:
    with runtime.db.session() as session:
        cash, external = _cash(session, user_id), _external(session)
        ledger.transfer(session, "refill", "", source=external, target=cash, amount_minor=100)
        ledger.transfer(session, "spend", "", source=cash, target=external, amount_minor=100)
        assert ledger.balance(session, cash) == 0


def test_balance_of_an_unused_account_is_zero_without_creating_it(
    runtime: Runtime, user_id: int
) -> None:
    with runtime.db.read_session() as session:
        assert (
            ledger.balance_of(session, AccountKind.USER_CASH, user_id=user_id, currency="USD") == 0
        )
        assert session.scalar(select(LedgerAccount.id)) is None


def test_check_is_clean_after_normal_posting(runtime: Runtime, user_id: int) -> None:
    with runtime.db.session() as session:
        cash, external = _cash(session, user_id), _external(session)
        for amount in (100, 250, 999):
            ledger.transfer(
                session, "refill", "", source=external, target=cash, amount_minor=amount
            )
    with runtime.db.read_session() as session:
        report = ledger.check(session)
    assert report.ok
    assert (report.accounts, report.transactions, report.entries) == (2, 3, 6)
    assert report.lines()[-1] == "ledger OK"


def test_check_detects_a_tampered_entry(runtime: Runtime, user_id: int) -> None:
    with runtime.db.session() as session:
        cash, external = _cash(session, user_id), _external(session)
        posted = ledger.transfer(
            session, "refill", "", source=external, target=cash, amount_minor=500
        )
    with runtime.db.session() as session:
        session.execute(
            update(LedgerEntry)
            .where(LedgerEntry.transaction_id == posted.id, LedgerEntry.account_id == cash.id)
            .values(amount_minor=5000)
        )
    with runtime.db.read_session() as session:
        report = ledger.check(session)
    assert not report.ok
    assert [(u.transaction_id, u.sum_minor) for u in report.unbalanced] == [(posted.id, 4500)]
    assert [(m.account_id, m.cached_minor, m.entries_minor) for m in report.mismatched] == [
        (cash.id, 500, 5000)
    ]
    assert report.lines()[-1] == "ledger BROKEN"


def test_check_detects_a_tampered_cached_balance_and_an_overdraft(
    runtime: Runtime, user_id: int
) -> None:
    with runtime.db.session() as session:
        cash = _cash(session, user_id)
    with runtime.db.session() as session:
        session.execute(
            update(LedgerAccount).where(LedgerAccount.id == cash.id).values(balance_minor=-7)
        )
    with runtime.db.read_session() as session:
        report = ledger.check(session)
    assert [(m.account_id, m.cached_minor, m.entries_minor) for m in report.mismatched] == [
        (cash.id, -7, 0)
    ]
    assert [(o.account_id, o.balance_minor) for o in report.overdrawn] == [(cash.id, -7)]


def test_non_integer_amounts_are_refused(runtime: Runtime, user_id: int) -> None:
    with runtime.db.session() as session:
        cash, external = _cash(session, user_id), _external(session)
        with pytest.raises(InvalidParameter):
            ledger.post(session, "refill", "", [(external, -1.5), (cash, 1.5)])  # type: ignore[list-item]


def test_a_refusal_after_a_moved_balance_takes_that_move_back(
    runtime: Runtime, user_id: int
) -> None:
    with runtime.db.session() as session:
        earnings = ledger.account_for(
            session, AccountKind.CONTRIBUTOR_EARNINGS, user_id=user_id, currency="USD"
        )
        cash = _cash(session, user_id)  # a higher id: settled after the earnings moved
        assert earnings.id < cash.id
    with pytest.raises(InsufficientFunds), runtime.db.session() as session:
        ledger.post(session, "odd", "", [(earnings, 100), (cash, -100)])
    with runtime.db.read_session() as session:
        assert (ledger.balance(session, earnings), ledger.balance(session, cash)) == (0, 0)
        assert ledger.check(session).ok


def test_a_caught_refusal_leaves_the_transaction_usable_and_unchanged(
    runtime: Runtime, user_id: int
) -> None:
    with runtime.db.session() as session:
        earnings = ledger.account_for(
            session, AccountKind.CONTRIBUTOR_EARNINGS, user_id=user_id, currency="USD"
        )
        cash, external = _cash(session, user_id), _external(session)
        with pytest.raises(InsufficientFunds):
            ledger.post(session, "odd", "", [(earnings, 100), (cash, -100)])
        assert earnings.balance_minor == 0
        ledger.transfer(session, "refill", "", source=external, target=cash, amount_minor=7)
    with runtime.db.read_session() as session:
        assert ledger.balance(session, cash) == 7
        assert ledger.check(session).ok
        assert session.scalar(select(func.count()).select_from(LedgerTransaction)) == 1
