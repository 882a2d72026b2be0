"""Group commit for licensing: purchases that arrive at once share one database transaction.

`license_item` runs in its caller's transaction, so every license pays for its own commit
and holds the payer's balance row (and the platform's, and the contributor's) through it:
on one hot balance that caps the licenses per second at the commits per second. A
`LicensingCombiner` serves callers that license one item and commit at once (an API
request that does nothing else): each caller checks and prices its purchase in a session
of its own, then queues it; one of the waiting callers becomes the leader, takes every
queued purchase (up to MAX_BATCH) and records them all in one database transaction, one
balance move per account and one commit, while the next purchases queue behind it.

Each purchase still gets its own ledger transaction, entries and license transaction row,
written in the same database transaction as the balance changes. Sufficiency is decided
per purchase, in arrival order, on balances locked for the batch: a purchase the balance
no longer covers gets InsufficientFunds and leaves nothing behind, the others stand. An
error of the database transaction itself (say a concurrent request outside the combiner
took an idempotency key first) takes the batch back, and each purchase is then recorded
alone, so one failing purchase never sinks the others. Idempotency keys are honoured:
within a batch the second request with a key replays the first.

The combiner commits on its own: call it outside any writing transaction of the caller's
(on SQLite the caller's write lock would stall it). Purchases that must be atomic with
other writes of the caller (a cart, a subscription download consumed in the caller's
session) belong to `license_item` in the caller's transaction.
"""

from __future__ import annotations

import threading
import weakref
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import cast

from sqlalchemy import Table, bindparam, delete, insert, select, tuple_, update
from sqlalchemy.orm import Session

from stockhouse.catalog.models import MediaItem
from stockhouse.commerce import ledger
from stockhouse.commerce.licensing import (
    LEDGER_KIND,
    LicenseRequest,
    LicenseResult,
    PreparedLicense,
    detached_transaction,
    download_path,
    license_item,
    prepare_license,
    replay,
)
from stockhouse.commerce.models import (
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    LicenseTransaction,
)
from stockhouse.commerce.money import format_money
from stockhouse.db.base import utcnow
from stockhouse.db.engine import Database
from stockhouse.errors import DomainError, InsufficientFunds

MAX_BATCH = 64  # purchases per database transaction

_LICENSES = cast(Table, LicenseTransaction.__table__)
_LEDGER_TRANSACTIONS = cast(Table, LedgerTransaction.__table__)
_ENTRIES = cast(Table, LedgerEntry.__table__)
_ITEMS = cast(Table, MediaItem.__table__)
_INSERT_LEDGER_TRANSACTIONS = insert(_LEDGER_TRANSACTIONS).returning(
    _LEDGER_TRANSACTIONS.c.id, sort_by_parameter_order=True
)
_INSERT_LICENSES = insert(_LICENSES).returning(_LICENSES.c.id, sort_by_parameter_order=True)
_COUNT_DOWNLOADS = (
    update(_ITEMS)
    .where(_ITEMS.c.id == bindparam("item_id"))
    .values(downloads=_ITEMS.c.downloads + bindparam("count"), updated_at=_ITEMS.c.updated_at)
)


@dataclass
class _Pending:
    """One caller's purchase waiting in the queue, and its outcome once recorded."""

    prepared: PreparedLicense
    done: bool = False
    result: LicenseResult | None = None
    error: Exception | None = None


@dataclass
class _Written:
    """A purchase whose rows are written in the batch's transaction."""

    pending: _Pending
    ledger_id: int
    license_id: int
    row: dict[str, object]
    deltas: dict[int, int] = field(default_factory=dict)


class LicensingCombiner:
    """Records the licenses of concurrent callers in shared database transactions."""

    def __init__(self, database: Database, *, max_batch: int = MAX_BATCH) -> None:
        self.database = database
        self.max_batch = max_batch
        self._queue: list[_Pending] = []
        self._changed = threading.Condition()
        self._leading = False

    def license(self, request: LicenseRequest) -> LicenseResult:
        """`license_item` in a transaction of its own, committed when this returns.

        Same refusals and results as `license_item`.
        """
        (outcome,) = self.license_all([request])
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def license_all(self, requests: Sequence[LicenseRequest]) -> list[LicenseResult | DomainError]:
        """Each request as `license` would answer it, the result or the domain error, in
        order; the ones that pass the checks are queued together (so share a batch when
        there are at most `max_batch`). Errors other than domain errors are raised."""
        outcomes: list[LicenseResult | DomainError | _Pending] = []
        with self.database.session() as session:
            for request in requests:
                try:
                    prepared = prepare_license(session, request)
                except DomainError as refusal:
                    outcomes.append(refusal)
                    continue
                outcomes.append(
                    prepared if isinstance(prepared, LicenseResult) else _Pending(prepared)
                )
        self._wait_or_lead([o for o in outcomes if isinstance(o, _Pending)])
        return [_outcome(o) if isinstance(o, _Pending) else o for o in outcomes]

    def _wait_or_lead(self, mine: list[_Pending]) -> None:
        """Queue the purchases; lead a batch whenever no one leads, until all are served."""
        if not mine:
            return
        with self._changed:
            self._queue.extend(mine)
        while True:
            with self._changed:
                while not all(p.done for p in mine) and self._leading:
                    self._changed.wait()
                if all(p.done for p in mine):
                    return
                self._leading = True
                batch = self._queue[: self.max_batch]
                del self._queue[: self.max_batch]
            try:
                self._record(batch)
            finally:
                with self._changed:
                    for served in batch:
                        served.done = True
                    self._leading = False  # a waiter whose purchase is queued leads next
                    self._changed.notify_all()

    def _record(self, batch: list[_Pending]) -> None:
        """Record the batch in one transaction; on a database error, each purchase alone.

        An error of the commit itself is every purchase's error, never retried: whether
        the commit happened is unknown, and recording again could charge twice.
        """
        recorded = False
        try:
            with self.database.session() as session:
                _record_batch(session, batch)
                recorded = True
        except Exception as exc:
            if recorded:
                for pending in batch:
                    pending.result, pending.error = None, exc
                return
            for pending in batch:
                self._record_alone(pending)

    def _record_alone(self, pending: _Pending) -> None:
        """One purchase through `license_item`: its own transaction, its own outcome."""
        pending.result, pending.error = None, None
        try:
            with self.database.session() as session:
                pending.result = license_item(session, pending.prepared.request)
        except Exception as exc:  # the caller gets what licensing alone raised
            pending.error = exc


def _outcome(pending: _Pending) -> LicenseResult | DomainError:
    """What a served purchase answers: its result or its domain error (others are raised)."""
    if pending.error is not None:
        if isinstance(pending.error, DomainError):
            return pending.error
        raise pending.error
    assert pending.result is not None
    return pending.result


_combiners: weakref.WeakKeyDictionary[Database, LicensingCombiner] = weakref.WeakKeyDictionary()
_combiners_lock = threading.Lock()


def combiner_for(database: Database) -> LicensingCombiner:
    """The process's combiner for this database (one per database, made on first use)."""
    with _combiners_lock:
        combiner = _combiners.get(database)
        if combiner is None:
            combiner = _combiners[database] = LicensingCombiner(database)
        return combiner


# -- recording a batch ------------------------------------------------------------------


def _replays(session: Session, batch: Sequence[_Pending]) -> list[_Pending]:
    """Settle the purchases whose idempotency key is already used (in the database or
    earlier in the batch) as replays; answer the others, in order."""
    keyed = {
        (p.prepared.request.buyer.id, p.prepared.request.idempotency_key)
        for p in batch
        if p.prepared.request.idempotency_key is not None
    }
    existing: dict[tuple[int, str | None], LicenseTransaction] = {}
    if keyed:
        rows = session.scalars(
            select(LicenseTransaction).where(
                tuple_(LicenseTransaction.buyer_id, LicenseTransaction.idempotency_key).in_(
                    sorted(keyed, key=str)
                )
            )
        )
        existing = {(row.buyer_id, row.idempotency_key): row for row in rows}
    fresh: list[_Pending] = []
    first_of_key: dict[tuple[int, str | None], _Pending] = {}
    for pending in batch:
        request = pending.prepared.request
        key = (request.buyer.id, request.idempotency_key)
        if request.idempotency_key is not None and key in existing:
            _settle_replay(pending, existing[key])
        elif request.idempotency_key is not None and key in first_of_key:
            pending.error = _SameKey(first_of_key[key])
        else:
            if request.idempotency_key is not None:
                first_of_key[key] = pending
            fresh.append(pending)
    return fresh


class _SameKey(Exception):
    """Marks a purchase whose key an earlier purchase of the same batch uses."""

    def __init__(self, first: _Pending) -> None:
        super().__init__("same idempotency key as an earlier purchase of the batch")
        self.first = first


def _settle_replay(pending: _Pending, existing: LicenseTransaction) -> None:
    try:
        pending.result = replay(existing, pending.prepared.request)
    except Exception as exc:  # Conflict: the key was used for another wish
        pending.error = exc


def _write_rows(session: Session, fresh: Sequence[_Pending]) -> list[_Written]:
    """The ledger transactions, entries and license rows of the purchases (no balance yet)."""
    conn = session.connection()
    now = utcnow()
    ledger_ids = (
        conn.execute(
            _INSERT_LEDGER_TRANSACTIONS,
            [{"kind": LEDGER_KIND, "memo": p.prepared.memo, "created_at": now} for p in fresh],
        )
        .scalars()
        .all()
    )
    written = []
    entry_rows = []
    license_rows = []
    for pending, ledger_id in zip(fresh, ledger_ids, strict=True):
        deltas: dict[int, int] = defaultdict(int)
        for account, amount in pending.prepared.entries:
            if amount != 0:
                entry_rows.append(
                    {
                        "transaction_id": ledger_id,
                        "account_id": account.id,
                        "amount_minor": amount,
                        "created_at": now,
                    }
                )
                deltas[account.id] += amount
        row = {**pending.prepared.row, "ledger_transaction_id": ledger_id, "created_at": now}
        license_rows.append(row)
        written.append(_Written(pending, ledger_id, 0, row, dict(deltas)))
    conn.execute(insert(_ENTRIES), entry_rows)
    license_ids = conn.execute(_INSERT_LICENSES, license_rows).scalars().all()
    for item, license_id in zip(written, license_ids, strict=True):
        item.license_id = license_id
    return written


def _shortfall(account: LedgerAccount, held: int, delta: int) -> InsufficientFunds:
    return InsufficientFunds(
        f"{account.kind.value} account {account.id} holds "
        f"{format_money(held, account.currency)}, {format_money(-delta, account.currency)} needed"
    )


def _decide(
    written: Sequence[_Written], balances: dict[int, int], accounts: dict[int, LedgerAccount]
) -> tuple[list[_Written], dict[int, int]]:
    """In arrival order, the purchases the balances cover, and the accounts' total moves.

    A purchase that would take an account that may not go negative below zero is refused
    (its error set) and moves nothing.
    """
    accepted = []
    totals: dict[int, int] = defaultdict(int)
    for item in written:
        short = next(
            (
                (account_id, delta)
                for account_id, delta in sorted(item.deltas.items())
                if delta < 0
                and not accounts[account_id].allow_negative
                and balances[account_id] + delta < 0
            ),
            None,
        )
        if short is not None:
            account_id, delta = short
            item.pending.error = _shortfall(accounts[account_id], balances[account_id], delta)
            continue
        for account_id, delta in item.deltas.items():
            balances[account_id] += delta
            totals[account_id] += delta
        accepted.append(item)
    return accepted, {k: v for k, v in totals.items() if v != 0}


def _take_back(session: Session, refused: Sequence[_Written]) -> None:
    """Delete the rows of refused purchases (their balances never moved)."""
    if not refused:
        return
    conn = session.connection()
    ledger_ids = [item.ledger_id for item in refused]
    conn.execute(delete(_LICENSES).where(_LICENSES.c.id.in_([i.license_id for i in refused])))
    conn.execute(delete(_ENTRIES).where(_ENTRIES.c.transaction_id.in_(ledger_ids)))
    conn.execute(delete(_LEDGER_TRANSACTIONS).where(_LEDGER_TRANSACTIONS.c.id.in_(ledger_ids)))


def _record_batch(session: Session, batch: Sequence[_Pending]) -> None:
    """Write every purchase of the batch, then lock and move the balances, in one transaction.

    Sets each purchase's result or domain error; raises only errors of the transaction.
    """
    for pending in batch:
        pending.result, pending.error = None, None
    fresh = _replays(session, batch)
    written = _write_rows(session, fresh) if fresh else []
    # The row locks come last: they are what every other payer waits for.
    account_ids = sorted({a for item in written for a in item.deltas})
    locked = ledger.lock_accounts(session, account_ids) if account_ids else []
    accounts = {account.id: account for account in locked}
    balances = {account.id: int(account.balance_minor) for account in locked}
    accepted, totals = _decide(written, balances, accounts)
    _take_back(session, [item for item in written if item.pending.error is not None])
    if totals:
        moved = ledger.move_balances(session, totals)
        if set(moved) != set(totals):  # cannot happen with the rows locked: be loud
            raise RuntimeError("a balance moved by the combiner was refused")
    counts: dict[int, int] = defaultdict(int)
    for item in accepted:
        counts[item.pending.prepared.item_id] += 1
    if counts:
        session.connection().execute(
            _COUNT_DOWNLOADS, [{"item_id": i, "count": counts[i]} for i in sorted(counts)]
        )
    for item in accepted:
        transaction = detached_transaction(item.license_id, item.row)
        item.pending.result = LicenseResult(transaction, download_path(item.license_id))
    for pending in batch:
        if isinstance(pending.error, _SameKey):
            first = pending.error.first
            pending.error = None
            if first.result is not None:
                _settle_replay(pending, first.result.transaction)
            else:  # refused, as the first was: a fresh error for this caller's thread
                pending.error = InsufficientFunds(str(first.error))
