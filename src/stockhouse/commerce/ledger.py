"""The double-entry ledger: accounts, balanced transactions, and the check that proves them.

Every change of a balance is a `LedgerTransaction` whose entries sum to zero per currency,
written in the caller's database transaction together with its cause (a license, a refill,
an invoice payment...). An entry's amount is positive when it credits (adds to) an account
and negative when it debits it. `LedgerAccount.balance_minor` caches the sum of the
account's entries and is updated in the same transaction; `check` proves the cache, the
zero sums and the no-overdraft rule hold.

Concurrency: `post` first writes the transaction and its entries (which lock nothing other
postings wait for), then moves each cached balance in account-id order with one
conditional UPDATE per account, which takes that row's lock until the commit and refuses
an overdraft atomically. Every posting thus locks its accounts in primary-key order and
as late as possible (the shortest wait for the next buyer). A database transaction that
makes several postings over different accounts (a cart) should first `lock_accounts` all
of them, so that it too locks in one order; otherwise PostgreSQL may find a deadlock and
abort one of two such transactions. Callers that lock other rows should do so after the
ledger's (licensing counts the download after settling). On SQLite every writing
transaction already holds the database's write lock from BEGIN IMMEDIATE.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import cast

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    Table,
    Update,
    and_,
    bindparam,
    case,
    delete,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from stockhouse.commerce.models import (
    AccountKind,
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
)
from stockhouse.commerce.money import format_money, validate_currency
from stockhouse.db.base import utcnow
from stockhouse.errors import InsufficientFunds, InvalidParameter, NotFound

# Accounts that may go below zero: money entering the system (EXTERNAL), what a postpaid
# group owes (GROUP_RECEIVABLE), and the platform, which funds promotions and refunds.
NEGATIVE_ALLOWED_KINDS = frozenset(
    {AccountKind.EXTERNAL, AccountKind.GROUP_RECEIVABLE, AccountKind.PLATFORM_REVENUE}
)
MAX_ENTRIES = 100
MAX_MEMO_LENGTH = 300
MAX_KIND_LENGTH = 32
REPORT_SAMPLE_LIMIT = 50  # problems listed per kind in a report; the counts are exact

Entry = tuple[LedgerAccount, int]


# -- accounts ---------------------------------------------------------------------------


def _owner_condition(
    kind: AccountKind, user_id: int | None, group_id: int | None, currency: str
) -> ColumnElement[bool]:
    return and_(
        LedgerAccount.kind == kind,
        LedgerAccount.user_id.is_(None) if user_id is None else LedgerAccount.user_id == user_id,
        LedgerAccount.group_id.is_(None)
        if group_id is None
        else LedgerAccount.group_id == group_id,
        LedgerAccount.currency == currency,
    )


def _account_query(
    kind: AccountKind, user_id: int | None, group_id: int | None, currency: str
) -> Select[LedgerAccount]:
    return select(LedgerAccount).where(_owner_condition(kind, user_id, group_id, currency))


def find_account(
    session: Session,
    kind: AccountKind,
    *,
    user_id: int | None = None,
    group_id: int | None = None,
    currency: str,
) -> LedgerAccount | None:
    """The account with this owner and currency, or None; never creates one (safe to read)."""
    return session.scalars(
        _account_query(AccountKind(kind), user_id, group_id, currency).order_by(LedgerAccount.id)
    ).first()


def _creation_lock_key(
    kind: AccountKind, user_id: int | None, group_id: int | None, currency: str
) -> int:
    digest = hashlib.sha256(f"ledger:{kind}:{user_id}:{group_id}:{currency}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def account_for(
    session: Session,
    kind: AccountKind,
    *,
    user_id: int | None = None,
    group_id: int | None = None,
    currency: str,
) -> LedgerAccount:
    """The account of this kind, owner and currency, created (balance 0) if missing.

    Accounts whose owner columns are NULL (the platform, EXTERNAL) are not covered by the
    table's unique constraint (NULLs are distinct), so creation is serialised: on
    PostgreSQL by a transaction-scoped advisory lock on the account's identity, on SQLite
    by the write lock every writing transaction holds.
    """
    kind = AccountKind(kind)
    validate_currency(currency)
    account = find_account(session, kind, user_id=user_id, group_id=group_id, currency=currency)
    if account is not None:
        return account
    if session.get_bind().dialect.name == "postgresql":
        key = _creation_lock_key(kind, user_id, group_id, currency)
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
        account = find_account(session, kind, user_id=user_id, group_id=group_id, currency=currency)
        if account is not None:
            return account
    account = LedgerAccount(
        kind=kind,
        user_id=user_id,
        group_id=group_id,
        currency=currency,
        balance_minor=0,
        allow_negative=kind in NEGATIVE_ALLOWED_KINDS,
    )
    session.add(account)
    session.flush()
    return account


@dataclass(frozen=True)
class AccountKey:
    """Who owns an account of which kind, in which currency."""

    kind: AccountKind
    currency: str
    user_id: int | None = None
    group_id: int | None = None


# The accounts of some users, some groups and the system, in some currencies: a superset
# of what `accounts_for` asks, in one query compiled once.
_ACCOUNTS_OF_OWNERS = (
    select(LedgerAccount)
    .where(
        LedgerAccount.currency.in_(bindparam("currencies", expanding=True)),
        or_(
            LedgerAccount.user_id.in_(bindparam("user_ids", expanding=True)),
            LedgerAccount.group_id.in_(bindparam("group_ids", expanding=True)),
            and_(LedgerAccount.user_id.is_(None), LedgerAccount.group_id.is_(None)),
        ),
    )
    .order_by(LedgerAccount.id)
)


def accounts_for(session: Session, keys: Sequence[AccountKey]) -> list[LedgerAccount]:
    """The accounts of these keys, in the same order: found in one query, created if missing."""
    params = {
        "currencies": sorted({k.currency for k in keys}),
        "user_ids": sorted({k.user_id for k in keys if k.user_id is not None}),
        "group_ids": sorted({k.group_id for k in keys if k.group_id is not None}),
    }
    found: dict[AccountKey, LedgerAccount] = {}
    for account in session.scalars(_ACCOUNTS_OF_OWNERS, params):
        key = AccountKey(account.kind, account.currency, account.user_id, account.group_id)
        found.setdefault(key, account)
    return [
        found.get(AccountKey(AccountKind(k.kind), k.currency, k.user_id, k.group_id))
        or account_for(session, k.kind, user_id=k.user_id, group_id=k.group_id, currency=k.currency)
        for k in keys
    ]


def balance(session: Session, account: LedgerAccount) -> int:
    """The account's current balance in minor units, read from the database."""
    value = session.scalar(
        select(LedgerAccount.balance_minor).where(LedgerAccount.id == account.id)
    )
    if value is None:
        raise NotFound(f"ledger account {account.id} does not exist")
    return int(value)


def balance_of(
    session: Session,
    kind: AccountKind,
    *,
    user_id: int | None = None,
    group_id: int | None = None,
    currency: str,
) -> int:
    """The balance of an owner's account; 0 when the account was never used."""
    account = find_account(session, kind, user_id=user_id, group_id=group_id, currency=currency)
    return 0 if account is None else balance(session, account)


# -- posting ----------------------------------------------------------------------------


def _validate_entries(entries: Sequence[Entry]) -> dict[int, int]:
    """Per account id, the sum of its deltas; InvalidParameter unless balanced per currency."""
    if not entries:
        raise InvalidParameter("entries", "a ledger transaction needs entries")
    if len(entries) > MAX_ENTRIES:
        raise InvalidParameter("entries", f"at most {MAX_ENTRIES} entries per transaction")
    deltas: dict[int, int] = defaultdict(int)
    per_currency: dict[str, int] = defaultdict(int)
    for account, amount in entries:
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise InvalidParameter("entries", "entry amounts must be integers of minor units")
        if account.id is None:
            raise InvalidParameter("entries", "entry accounts must be flushed accounts")
        deltas[account.id] += amount
        per_currency[account.currency] += amount
    unbalanced = {c: s for c, s in per_currency.items() if s != 0}
    if unbalanced:
        raise InvalidParameter(
            "entries", f"entries must sum to zero per currency, got {sorted(unbalanced.items())}"
        )
    return deltas


def lock_accounts(session: Session, account_ids: Sequence[int]) -> list[LedgerAccount]:
    """The accounts with these ids, locked in id order, with balances fresh from the database."""
    ids = sorted(set(account_ids))
    return list(
        session.scalars(
            select(LedgerAccount)
            .where(LedgerAccount.id.in_(ids))
            .order_by(LedgerAccount.id)
            .with_for_update(key_share=True)
            .execution_options(populate_existing=True)
        )
    )


@dataclass(frozen=True)
class Posting:
    """A ledger transaction whose entries are written and whose balances are not yet moved."""

    transaction: LedgerTransaction
    deltas: dict[int, int]  # account id -> change of its balance
    accounts: dict[int, LedgerAccount]


# Core tables: statements on them skip the ORM's per-statement work on the hot path.
_ACCOUNTS = cast(Table, LedgerAccount.__table__)
_TRANSACTIONS = cast(Table, LedgerTransaction.__table__)
_ENTRIES = cast(Table, LedgerEntry.__table__)
_INSERT_TRANSACTION = insert(_TRANSACTIONS).returning(_TRANSACTIONS.c.id)
_INSERT_ENTRIES = insert(_ENTRIES)

# Moving the cached balances of a posting: one statement for all its accounts, which
# refuses per account to take one that may not go negative below zero and answers the
# new balance of each account it moved. Its row locks are the only ones other postings
# wait for, so it comes last, just before the commit.
#
# PostgreSQL: the accounts are first locked in id order (the rule every posting keeps, so
# two postings never wait for each other in a circle), then moved, in one round trip.
_MOVE_BALANCES_POSTGRES = text(
    """
    WITH locked AS MATERIALIZED (
        SELECT id FROM ledger_account
        WHERE id = ANY(CAST(:ids AS BIGINT[]))
        ORDER BY id
        FOR NO KEY UPDATE
    ), moves AS (
        SELECT * FROM unnest(CAST(:ids AS BIGINT[]), CAST(:deltas AS BIGINT[])) AS m(id, delta)
    )
    UPDATE ledger_account AS account
    SET balance_minor = account.balance_minor + moves.delta
    FROM locked JOIN moves ON moves.id = locked.id
    WHERE account.id = locked.id
      AND (account.allow_negative OR moves.delta >= 0 OR account.balance_minor + moves.delta >= 0)
    RETURNING account.id, account.balance_minor
    """
)
_move_balances_sqlite_cache: dict[int, Update] = {}


def _move_balances_sqlite(count: int) -> Update:
    """The statement moving `count` accounts (binds id0, delta0, ...): a CASE per account.

    SQLite needs no lock order: a writing transaction holds the database's write lock.
    """
    statement = _move_balances_sqlite_cache.get(count)
    if statement is None:
        delta = case(
            *(
                (
                    LedgerAccount.id == bindparam(f"id{n}", type_=BigInteger),
                    bindparam(f"delta{n}", type_=BigInteger),
                )
                for n in range(count)
            ),
            else_=0,
        )
        statement = (
            update(_ACCOUNTS)
            .where(
                LedgerAccount.id.in_([bindparam(f"id{n}", type_=BigInteger) for n in range(count)]),
                or_(
                    LedgerAccount.allow_negative.is_(True),
                    delta >= 0,
                    LedgerAccount.balance_minor + delta >= 0,
                ),
            )
            .values(balance_minor=LedgerAccount.balance_minor + delta)
            .returning(LedgerAccount.id, LedgerAccount.balance_minor)
        )
        _move_balances_sqlite_cache[count] = statement
    return statement


def move_balances(session: Session, deltas: dict[int, int]) -> dict[int, int]:
    """Move the cached balances of these accounts (id -> delta) in one statement.

    Answers the new balance of every account it moved; an account missing from the answer
    was refused (it may not go negative and would have), and the others moved anyway: the
    caller undoes them or rolls back. Rows stay locked until the end of the transaction.
    """
    ids = sorted(deltas)
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        rows = conn.execute(
            _MOVE_BALANCES_POSTGRES, {"ids": ids, "deltas": [deltas[i] for i in ids]}
        )
    else:
        params: dict[str, int] = {}
        for n, account_id in enumerate(ids):
            params[f"id{n}"] = account_id
            params[f"delta{n}"] = deltas[account_id]
        rows = conn.execute(_move_balances_sqlite(len(ids)), params)
    return {int(account_id): int(balance) for account_id, balance in rows}


def prepare(session: Session, kind: str, memo: str, entries: Sequence[Entry]) -> Posting:
    """Write a balanced transaction's rows without moving any balance (nothing is locked).

    `settle` must follow in the same database transaction; `post` does both. Refuses with
    InvalidParameter entries that do not sum to zero per currency. Entries of zero are
    dropped; entries of one account are kept as given.
    """
    if not kind or len(kind) > MAX_KIND_LENGTH:
        raise InvalidParameter("kind", f"transaction kind must be 1-{MAX_KIND_LENGTH} characters")
    deltas = _validate_entries(entries)
    now = utcnow()
    memo = memo[:MAX_MEMO_LENGTH]
    # Plain Core INSERTs rather than the unit of work: this is the hot path of every sale.
    conn = session.connection()
    transaction_id = conn.execute(
        _INSERT_TRANSACTION, {"kind": kind, "memo": memo, "created_at": now}
    ).scalar_one()
    conn.execute(
        _INSERT_ENTRIES,
        [
            {
                "transaction_id": transaction_id,
                "account_id": account.id,
                "amount_minor": amount,
                "created_at": now,
            }
            for account, amount in entries
            if amount != 0
        ],
    )
    transaction = LedgerTransaction(id=transaction_id, kind=kind, memo=memo, created_at=now)
    make_transient_to_detached(transaction)  # persistent without a second INSERT
    session.add(transaction)
    return Posting(transaction, deltas, {account.id: account for account, _ in entries})


def _refusal(session: Session, account: LedgerAccount, delta: int) -> InsufficientFunds:
    held = session.scalar(select(LedgerAccount.balance_minor).where(LedgerAccount.id == account.id))
    if held is None:
        raise NotFound(f"ledger account {account.id} does not exist")
    return InsufficientFunds(
        f"{account.kind.value} account {account.id} holds "
        f"{format_money(int(held), account.currency)}, "
        f"{format_money(-delta, account.currency)} needed"
    )


def settle(session: Session, posting: Posting, moved: list[int] | None = None) -> None:
    """Move the balances of a prepared posting in one statement (accounts locked in id order).

    InsufficientFunds when an account that may not go negative would: the balances of the
    posting's other accounts have moved (listed in `moved` when given), so the caller must
    roll back (a savepoint does) or undo them, as `post` does.
    """
    new_balances = move_balances(session, posting.deltas)
    if moved is not None:
        moved.extend(sorted(new_balances))
    refused = sorted(set(posting.deltas) - set(new_balances))
    if refused:
        for touched in posting.accounts.values():  # the caller rolls back or undoes
            if touched in session:
                session.expire(touched, ["balance_minor"])
        account_id = refused[0]
        raise _refusal(session, posting.accounts[account_id], posting.deltas[account_id])
    for account_id, value in new_balances.items():
        set_committed_value(posting.accounts[account_id], "balance_minor", value)


def undo(session: Session, posting: Posting, moved: Sequence[int] = ()) -> None:
    """Take back a posting refused part way: the balances it moved (`settle`'s list), then
    its rows. Rows of the caller's that refer to the ledger transaction must go first."""
    for account_id in moved:
        restored = session.scalar(
            update(LedgerAccount)
            .where(LedgerAccount.id == account_id)
            .values(balance_minor=LedgerAccount.balance_minor - posting.deltas[account_id])
            .returning(LedgerAccount.balance_minor)
            .execution_options(synchronize_session=False)
        )
        set_committed_value(posting.accounts[account_id], "balance_minor", int(restored or 0))
    transaction_id = posting.transaction.id
    session.execute(delete(LedgerEntry).where(LedgerEntry.transaction_id == transaction_id))
    session.execute(delete(LedgerTransaction).where(LedgerTransaction.id == transaction_id))
    session.expunge(posting.transaction)


def post(session: Session, kind: str, memo: str, entries: Sequence[Entry]) -> LedgerTransaction:
    """Write a balanced transaction and move the cached balances, atomically with the caller.

    Writes the entries, then moves each balance in account id order (locking it), refusing
    with InsufficientFunds to take an account that may not go negative below zero; a
    refused posting leaves no trace. InvalidParameter for entries that do not sum to zero
    per currency. Entries of zero are dropped; entries of one account are kept as given.
    """
    posting = prepare(session, kind, memo, entries)
    moved: list[int] = []
    try:
        settle(session, posting, moved)
    except InsufficientFunds:
        undo(session, posting, moved)
        raise
    return posting.transaction


def transfer(
    session: Session,
    kind: str,
    memo: str,
    *,
    source: LedgerAccount,
    target: LedgerAccount,
    amount_minor: int,
) -> LedgerTransaction:
    """Move a positive amount from one account to another of the same currency."""
    if amount_minor <= 0:
        raise InvalidParameter("amount", "amount must be positive")
    if source.currency != target.currency:
        raise InvalidParameter("currency", "a transfer stays within one currency")
    return post(session, kind, memo, [(source, -amount_minor), (target, amount_minor)])


def refill(
    session: Session, target: LedgerAccount, amount_minor: int, memo: str = ""
) -> LedgerTransaction:
    """Record money received from outside into an account (EXTERNAL -> target)."""
    source = account_for(session, AccountKind.EXTERNAL, currency=target.currency)
    return transfer(
        session, "refill", memo or "refill", source=source, target=target, amount_minor=amount_minor
    )


# -- the check --------------------------------------------------------------------------


@dataclass(frozen=True)
class UnbalancedTransaction:
    transaction_id: int
    currency: str
    sum_minor: int


@dataclass(frozen=True)
class BalanceMismatch:
    account_id: int
    cached_minor: int
    entries_minor: int


@dataclass(frozen=True)
class Overdraft:
    account_id: int
    kind: str
    balance_minor: int


@dataclass
class LedgerReport:
    """What `check` found; `ok` when every invariant holds."""

    accounts: int = 0
    transactions: int = 0
    entries: int = 0
    unbalanced: list[UnbalancedTransaction] = field(default_factory=list)
    mismatched: list[BalanceMismatch] = field(default_factory=list)
    overdrawn: list[Overdraft] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.unbalanced or self.mismatched or self.overdrawn)

    def lines(self) -> list[str]:
        """The report as human-readable lines (the CLI prints them)."""
        out = [
            f"accounts {self.accounts}, transactions {self.transactions}, entries {self.entries}"
        ]
        out += [
            f"UNBALANCED transaction {u.transaction_id}: {u.currency} sums to {u.sum_minor}"
            for u in self.unbalanced
        ]
        out += [
            f"MISMATCH account {m.account_id}: cached {m.cached_minor}, entries {m.entries_minor}"
            for m in self.mismatched
        ]
        out += [
            f"OVERDRAWN {o.kind} account {o.account_id}: balance {o.balance_minor}"
            for o in self.overdrawn
        ]
        out.append("ledger OK" if self.ok else "ledger BROKEN")
        return out


def _unbalanced(session: Session) -> list[UnbalancedTransaction]:
    total = func.sum(LedgerEntry.amount_minor)
    rows = session.execute(
        select(LedgerEntry.transaction_id, LedgerAccount.currency, total)
        .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
        .group_by(LedgerEntry.transaction_id, LedgerAccount.currency)
        .having(total != 0)
        .order_by(LedgerEntry.transaction_id)
        .limit(REPORT_SAMPLE_LIMIT)
    )
    return [UnbalancedTransaction(int(t), str(c), int(s)) for t, c, s in rows]


def _mismatched(session: Session) -> list[BalanceMismatch]:
    sums = (
        select(
            LedgerEntry.account_id.label("account_id"),
            func.sum(LedgerEntry.amount_minor).label("total"),
        )
        .group_by(LedgerEntry.account_id)
        .subquery()
    )
    actual = func.coalesce(sums.c.total, 0)
    rows = session.execute(
        select(LedgerAccount.id, LedgerAccount.balance_minor, actual)
        .outerjoin(sums, sums.c.account_id == LedgerAccount.id)
        .where(LedgerAccount.balance_minor != actual)
        .order_by(LedgerAccount.id)
        .limit(REPORT_SAMPLE_LIMIT)
    )
    return [BalanceMismatch(int(a), int(c), int(s)) for a, c, s in rows]


def _overdrawn(session: Session) -> list[Overdraft]:
    rows = session.execute(
        select(LedgerAccount.id, LedgerAccount.kind, LedgerAccount.balance_minor)
        .where(LedgerAccount.allow_negative.is_(False), LedgerAccount.balance_minor < 0)
        .order_by(LedgerAccount.id)
        .limit(REPORT_SAMPLE_LIMIT)
    )
    return [Overdraft(int(a), AccountKind(k).value, int(b)) for a, k, b in rows]


def check(session: Session) -> LedgerReport:
    """Prove the ledger: zero sums per transaction and currency, caches equal to the entries'
    sums, and no account that may not go negative below zero."""
    return LedgerReport(
        accounts=session.scalar(select(func.count()).select_from(LedgerAccount)) or 0,
        transactions=session.scalar(select(func.count()).select_from(LedgerTransaction)) or 0,
        entries=session.scalar(select(func.count()).select_from(LedgerEntry)) or 0,
        unbalanced=_unbalanced(session),
        mismatched=_mismatched(session),
        overdrawn=_overdrawn(session),
    )
