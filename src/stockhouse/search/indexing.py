"""Keeping the search index current: catalog changes reach it within a second, through jobs.

`install(runtime, backend)` (done by `Runtime.search`) hooks the runtime's sessions:

- after every flush, the ids of media items that were added, changed or deleted (directly,
  or through their tags, translations, categories and releases) are collected on the
  session, and owners whose username changed;
- after the commit, one `index_items` job per commit carries them to a job worker, which
  re-reads those items from the database and writes them to the index (the one writer);
- ORM bulk UPDATE and DELETE statements on media_item (`record_view`, `record_download`:
  counters bumped with a single UPDATE) are collected too, but coalesced: at most one job
  every COUNTER_FLUSH_INTERVAL_S for all of them, since views can come by the hundred.

Jobs only carry ids and re-read the database, so running one twice, or late, is harmless.
Changes written with raw SQL text bypass the hooks: call `mark_changed(session, ids)`.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, UOWTransaction
from sqlalchemy.sql.elements import BinaryExpression, BindParameter
from sqlalchemy.sql.operators import eq, in_op

from stockhouse.accounts.models import User
from stockhouse.catalog.models import (
    ItemCategory,
    ItemRelease,
    ItemTag,
    ItemTranslation,
    MediaItem,
)
from stockhouse.jobs.registry import job

if TYPE_CHECKING:
    from stockhouse.runtime import Runtime
    from stockhouse.search.query import SearchBackend

log = logging.getLogger("stockhouse.search")

CHANGED_ITEMS = "stockhouse.search.changed_items"
CHANGED_OWNERS = "stockhouse.search.changed_owners"
BULK_CHANGED_ITEMS = "stockhouse.search.bulk_changed_items"
COUNTER_FLUSH_INTERVAL_S = 0.5
BUSY_RETRY_DELAY_S = 2.0  # when another process holds the index writer
ITEMS_PER_JOB = 5000
CHILD_TABLES = (ItemTag, ItemTranslation, ItemCategory, ItemRelease)

_installed: weakref.WeakSet[Any] = weakref.WeakSet()


# -- the jobs ---------------------------------------------------------------------------


def _retry_later_if_busy(runtime: Runtime, exc: Exception, job_fn: Any, *args: Any) -> None:
    from stockhouse.search.tantivy_backend import IndexBusy

    if not isinstance(exc, IndexBusy):
        raise exc
    log.info("search index busy (%s); trying again in %ss", exc, BUSY_RETRY_DELAY_S)
    runtime.jobs.enqueue(job_fn, *args, delay_s=BUSY_RETRY_DELAY_S)


@job(retries=5, backoff_s=1.0, name="stockhouse.search.index_items")
def index_items_job(runtime: Runtime, item_ids: list[int]) -> None:
    """Write the current state of these items to the search index."""
    try:
        runtime.search.index_items(item_ids)
    except Exception as exc:
        _retry_later_if_busy(runtime, exc, index_items_job, item_ids)


@job(retries=3, backoff_s=2.0, name="stockhouse.search.index_owner_items")
def index_owner_items_job(runtime: Runtime, owner_ids: list[int]) -> None:
    """Re-index every item of these owners (their username changed)."""
    with runtime.db.read_session() as session:
        ids = list(session.scalars(select(MediaItem.id).where(MediaItem.owner_id.in_(owner_ids))))
    for start in range(0, len(ids), ITEMS_PER_JOB):
        runtime.jobs.enqueue(index_items_job, ids[start : start + ITEMS_PER_JOB])


@job(retries=2, backoff_s=10.0, name="stockhouse.search.rebuild")
def rebuild_job(runtime: Runtime, only_if_incomplete: bool = False) -> None:
    """Rebuild the whole index (skipped if `only_if_incomplete` and a build completed)."""
    backend = runtime.search
    if only_if_incomplete and getattr(backend, "is_complete", False):
        return
    try:
        backend.rebuild()
    except Exception as exc:
        _retry_later_if_busy(runtime, exc, rebuild_job, only_if_incomplete)


# -- collecting changes -----------------------------------------------------------------


def mark_changed(session: Session, item_ids: Iterable[int]) -> None:
    """Have these items re-indexed when `session` commits (for changes made in raw SQL)."""
    session.info.setdefault(CHANGED_ITEMS, set()).update(item_ids)


def _after_flush(session: Session, _context: UOWTransaction) -> None:
    items: set[int] = session.info.setdefault(CHANGED_ITEMS, set())
    owners: set[int] = session.info.setdefault(CHANGED_OWNERS, set())
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, MediaItem):
            items.add(obj.id)
        elif isinstance(obj, CHILD_TABLES):
            items.add(obj.item_id)
        elif isinstance(obj, User) and inspect(obj).attrs.username.history.has_changes():
            owners.add(obj.id)
    # Rows whose key was never assigned (a flush that failed half-way) carry no id.
    items.discard(None)
    owners.discard(None)


def _bound_ids(expression: Any, params: Mapping[str, Any]) -> list[int] | None:
    """The ids a `media_item.id = x` or `media_item.id IN (...)` clause names, else None.

    The value is the parameter's own, or the one given at execution (`bindparam("id")`).
    """
    if not isinstance(expression, BinaryExpression):
        return None
    left, right = expression.left, expression.right
    if getattr(left, "table", None) is not MediaItem.__table__ or getattr(left, "key", "") != "id":
        return None
    if not isinstance(right, BindParameter):
        return None
    value = params.get(right.key, right.effective_value)
    if expression.operator is eq and isinstance(value, int):
        return [value]
    if expression.operator is in_op and isinstance(value, list | tuple):
        return [int(v) for v in value]
    return None


def _on_execute(state: ORMExecuteState) -> None:
    """Collect the ids an ORM bulk UPDATE or DELETE on media_item is about to touch."""
    if not (state.is_update or state.is_delete):
        return
    if not any(m.class_ is MediaItem for m in state.all_mappers):
        return
    where = getattr(state.statement, "whereclause", None)
    given = state.parameters
    batches: list[Mapping[str, Any]] = (
        [given] if isinstance(given, Mapping) else list(given or [{}])
    )
    changed = state.session.info.setdefault(BULK_CHANGED_ITEMS, set())
    for params in batches:
        ids = _bound_ids(where, params)
        if ids is None:
            selection = select(MediaItem.id)
            if where is not None:
                selection = selection.where(where)
            ids = list(state.session.scalars(selection, dict(params)))
        changed.update(ids)


def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    """Forget what a rolled-back transaction changed (a committed one was handed over)."""
    if transaction.parent is None and not transaction.nested:
        for key in (CHANGED_ITEMS, CHANGED_OWNERS, BULK_CHANGED_ITEMS):
            session.info.pop(key, None)


class _Coalescer:
    """Gathers ids from many commits and enqueues one job for them after a short delay."""

    def __init__(self, runtime: Runtime, delay_s: float) -> None:
        self._runtime = weakref.ref(runtime)
        self._delay_s = delay_s
        self._ids: set[int] = set()
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None

    def add(self, ids: Iterable[int]) -> None:
        with self._lock:
            self._ids.update(ids)
            if self._timer is None and self._ids:
                self._timer = threading.Timer(self._delay_s, self.flush)
                self._timer.daemon = True
                self._timer.start()

    def flush(self) -> None:
        with self._lock:
            ids, self._ids, self._timer = sorted(self._ids), set(), None
        runtime = self._runtime()
        if ids and runtime is not None:
            _enqueue(runtime, index_items_job, ids)


def _enqueue(runtime: Runtime, job_fn: Any, ids: list[int]) -> None:
    try:
        for start in range(0, len(ids), ITEMS_PER_JOB):
            runtime.jobs.enqueue(job_fn, ids[start : start + ITEMS_PER_JOB])
    except Exception:
        # The commit has happened; a lost job leaves the index stale until the next change
        # or `stockhouse reindex`, which is better than failing the caller's request.
        log.exception("could not enqueue search indexing for %d item(s)", len(ids))


def install(runtime: Runtime, backend: SearchBackend) -> None:
    """Hook the runtime's sessions so that catalog changes are indexed (once per runtime).

    Also schedules a full build when the index has never been built and the catalog is
    not empty (a new data dir, or a new index format after an upgrade).
    """
    factory = runtime.db.sessionmaker
    if factory in _installed:
        return
    _installed.add(factory)
    counters = _Coalescer(runtime, COUNTER_FLUSH_INTERVAL_S)
    runtime_ref = weakref.ref(runtime)

    def after_commit(session: Session) -> None:
        if session.in_nested_transaction():
            return  # a savepoint: the changes are not visible to a job worker yet
        items = session.info.pop(CHANGED_ITEMS, set())
        owners = session.info.pop(CHANGED_OWNERS, set())
        bulk = session.info.pop(BULK_CHANGED_ITEMS, set())
        current = runtime_ref()
        if current is None:
            return
        if items:
            _enqueue(current, index_items_job, sorted(items))
        if owners:
            _enqueue(current, index_owner_items_job, sorted(owners))
        if bulk:
            counters.add(bulk)

    event.listen(factory, "after_flush", _after_flush)
    event.listen(factory, "do_orm_execute", _on_execute)
    event.listen(factory, "after_commit", after_commit)
    event.listen(factory, "after_transaction_end", _after_transaction_end)
    if getattr(backend, "is_complete", True) is False and _catalog_has_items(runtime):
        log.warning("the search index has never been built here: building it in a job")
        _enqueue_rebuild(runtime)


def _catalog_has_items(runtime: Runtime) -> bool:
    with runtime.db.read_session() as session:
        return session.scalar(select(MediaItem.id).limit(1)) is not None


def _enqueue_rebuild(runtime: Runtime) -> None:
    try:
        runtime.jobs.enqueue(rebuild_job, True)
    except Exception:
        log.exception("could not enqueue the search index build; run `stockhouse reindex`")
