"""Batches of license transactions named by id, as invoicing and transferring take them.

Both check the ids the caller names (positive integers, at least one, at most a batch) and
lock the named rows in id order, so that two concurrent batches naming the same
transactions wait for each other instead of deadlocking.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from stockhouse.commerce.models import LicenseTransaction
from stockhouse.errors import InvalidParameter, NotFound

IDS_PARAM = "transaction_ids"


def checked_transaction_ids(
    transaction_ids: Sequence[int], *, purpose: str, most: int, too_many: str
) -> list[int]:
    """The distinct ids in ascending order (the order rows are locked in); InvalidParameter
    when none are named ("name at least one transaction to `purpose`"), for anything but
    positive integers, or for more than `most` (the message `too_many`)."""
    if not transaction_ids:
        raise InvalidParameter(IDS_PARAM, f"name at least one transaction to {purpose}")
    if any(isinstance(i, bool) or not isinstance(i, int) or i < 1 for i in transaction_ids):
        raise InvalidParameter(IDS_PARAM, "transaction ids are positive integers")
    ids = sorted(set(transaction_ids))
    if len(ids) > most:
        raise InvalidParameter(IDS_PARAM, too_many)
    return ids


def locked_transactions(session: Session, ids: Sequence[int]) -> list[LicenseTransaction]:
    """The transactions of `ids`, locked in id order and read afresh under the lock;
    NotFound for the first id that names no transaction."""
    rows = list(
        session.scalars(
            select(LicenseTransaction)
            .where(LicenseTransaction.id.in_(ids))
            .order_by(LicenseTransaction.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )
    found = {row.id for row in rows}
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFound(f"license transaction {missing[0]} does not exist")
    return rows
