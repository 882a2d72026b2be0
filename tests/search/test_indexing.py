"""Keeping the index current: catalog changes reach search within a second through jobs."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import bindparam, select, update

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import Role, User
from stockhouse.catalog import service as catalog_service
from stockhouse.catalog import workflow
from stockhouse.catalog.models import ItemTag, MediaItem
from stockhouse.catalog.translations import set_tags
from stockhouse.jobs.queue import JobQueue
from stockhouse.runtime import Runtime
from stockhouse.search import indexing
from stockhouse.search.query import SearchQuery, SortField, SortKey
from stockhouse.search.tantivy_backend import IndexBusy, TantivySearchBackend
from tests.search.conftest import Catalog, build_catalog

FAST_JOBS = {"poll_interval_s": 0.05, "schedule_tick_s": 0.02, "shutdown_timeout_s": 10.0}
FRESHNESS_S = 1.0  # catalog changes must be searchable within this
BY_ID = (SortKey(SortField.ID),)


@dataclass
class Live:
    runtime: Runtime
    catalog: Catalog
    reviewer: User

    @property
    def backend(self) -> TantivySearchBackend:
        backend = self.runtime.search
        assert isinstance(backend, TantivySearchBackend)
        return backend

    def names(self, **fields: object) -> list[str]:
        result = self.backend.search(SearchQuery(sort=BY_ID, limit=100, **fields))  # type: ignore[arg-type]
        return self.catalog.names(result.item_ids)

    def wait_for(self, condition: Callable[[], bool], what: str) -> float:
        """Seconds until `condition` held (fails after a generous 10 s)."""
        started = time.monotonic()
        while not condition():
            if time.monotonic() - started > 10:
                pytest.fail(f"the index never showed {what}")
            time.sleep(0.01)
        return time.monotonic() - started


def use_fast_jobs(runtime: Runtime) -> JobQueue:
    queue = JobQueue(runtime, **FAST_JOBS)  # type: ignore[arg-type]
    runtime.__dict__["jobs"] = queue
    return queue


@pytest.fixture
def live(runtime: Runtime) -> Iterator[Live]:
    """The catalog, indexed, with two job workers running in this process."""
    catalog = build_catalog(runtime)
    with runtime.db.session() as session:
        reviewer = accounts.create_user(
            session, username="rita", password=None, roles=[Role.REVIEWER]
        )
    queue = use_fast_jobs(runtime)
    runtime.search.rebuild()
    queue.flush()  # the first-build job queued when the index was opened is not needed
    queue.start_workers(2)
    yield Live(runtime, catalog, reviewer)
    queue.stop_workers()


def item(session: object, live: Live, name: str) -> MediaItem:
    found = session.get(MediaItem, live.catalog.id(name))  # type: ignore[attr-defined]
    assert isinstance(found, MediaItem)
    return found


# -- through the job workers ------------------------------------------------------------


def test_an_approved_item_is_findable_within_a_second(live: Live) -> None:
    assert live.names(text="ball") == []
    with live.runtime.db.session() as session:
        workflow.approve(session, live.reviewer, item(session, live, "pending_dog"))
    elapsed = live.wait_for(lambda: live.names(text="ball") == ["pending_dog"], "the approval")
    assert elapsed < FRESHNESS_S


def test_an_archived_item_leaves_the_results_within_a_second(live: Live) -> None:
    alice = live.runtime.db.read_session
    with alice() as session:
        owner = session.get(User, live.catalog.owners["alice"])
    with live.runtime.db.session() as session:
        workflow.archive(session, owner, item(session, live, "dog_park"))  # type: ignore[arg-type]
    elapsed = live.wait_for(lambda: live.names(text="dog") == ["dog_beach"], "the archiving")
    assert elapsed < FRESHNESS_S


def test_edited_tags_are_searchable_within_a_second(live: Live) -> None:
    with live.runtime.db.session() as session:
        set_tags(item(session, live, "castle"), "en", ["castle", "dragon"])
    elapsed = live.wait_for(lambda: live.names(text="dragon") == ["castle"], "the new tag")
    assert elapsed < FRESHNESS_S
    assert live.names(text="fairy tale") == []


def test_a_tag_row_added_directly_is_indexed(live: Live) -> None:
    with live.runtime.db.session() as session:
        session.add(ItemTag(item_id=live.catalog.id("piano"), lang="en", tag="lullaby"))
    live.wait_for(lambda: live.names(text="lullaby") == ["piano"], "the added tag row")


def test_counters_bumped_with_single_updates_reach_the_index(live: Live) -> None:
    best_selling = (SortKey(SortField.BEST_SALES),)
    with live.runtime.db.session() as session:
        for _ in range(60):
            catalog_service.record_download(session, live.catalog.id("red_car"))
        catalog_service.record_view(session, live.catalog.id("red_car"))

    def red_car_sells_best() -> bool:
        first = live.backend.search(SearchQuery(sort=best_selling, limit=1)).item_ids
        return live.catalog.names(first) == ["red_car"]

    elapsed = live.wait_for(red_car_sells_best, "the new download count")
    assert elapsed < FRESHNESS_S + indexing.COUNTER_FLUSH_INTERVAL_S


def test_a_bulk_update_of_many_items_reaches_the_index(live: Live) -> None:
    with live.runtime.db.session() as session:
        session.execute(
            update(MediaItem)
            .where(MediaItem.owner_id == live.catalog.owners["Bob"])
            .values(editorial=True)
            .execution_options(synchronize_session=False)
        )
    expected = ["cat_sofa", "harbour", "morning_run", "business_team", "flowers"]
    expected += ["ocean_waves", "door_slam"]
    live.wait_for(lambda: live.names(editorial=True) == expected, "the bulk update")


def test_a_counter_update_with_the_id_given_at_execution_reaches_the_index(live: Live) -> None:
    # Licensing bumps downloads with a prepared statement whose id is bound per execution.
    bump = (
        update(MediaItem)
        .where(MediaItem.id == bindparam("item_id"))
        .values(downloads=MediaItem.downloads + 100)
        .execution_options(synchronize_session=False)
    )
    with live.runtime.db.session() as session:
        session.execute(bump, {"item_id": live.catalog.id("door_slam")})
    best_selling = (SortKey(SortField.BEST_SALES),)

    def door_slam_sells_best() -> bool:
        first = live.backend.search(SearchQuery(sort=best_selling, limit=1)).item_ids
        return live.catalog.names(first) == ["door_slam"]

    live.wait_for(door_slam_sells_best, "the new download count")


def test_a_deleted_item_leaves_the_index(live: Live) -> None:
    with live.runtime.db.session() as session:
        session.delete(item(session, live, "door_slam"))
    live.wait_for(lambda: live.names(text="door") == [], "the deletion")


def test_a_renamed_owner_is_found_under_the_new_name(live: Live) -> None:
    with live.runtime.db.session() as session:
        owner = session.get(User, live.catalog.owners["carol"])
        assert owner is not None
        owner.username = "caroline"
    expected = ["dog_beach", "red_car", "business_team", "castle", "piano"]
    live.wait_for(
        lambda: live.names(author_usernames=frozenset({"caroline"})) == expected, "the new name"
    )


# -- what gets queued -------------------------------------------------------------------


@pytest.fixture
def idle(runtime: Runtime) -> Iterator[tuple[Runtime, Catalog, JobQueue]]:
    """The catalog, indexed, with no workers: jobs stay queued for the test to look at."""
    catalog = build_catalog(runtime)
    queue = use_fast_jobs(runtime)
    runtime.search.rebuild()
    queue.flush()
    yield runtime, catalog, queue


def test_one_job_per_commit(idle: tuple[Runtime, Catalog, JobQueue]) -> None:
    runtime, catalog, queue = idle
    with runtime.db.session() as session:
        for name in ("dog_park", "cat_sofa", "castle"):
            found = session.get(MediaItem, catalog.id(name))
            assert found is not None
            found.title = found.title + " (edited)"
    assert queue.pending_count() == 1


def test_a_rolled_back_change_queues_nothing(idle: tuple[Runtime, Catalog, JobQueue]) -> None:
    runtime, catalog, queue = idle
    with pytest.raises(RuntimeError), runtime.db.session() as session:
        found = session.get(MediaItem, catalog.id("dog_park"))
        assert found is not None
        found.title = "never"
        session.flush()
        raise RuntimeError("abandon the transaction")
    assert queue.pending_count() == 0


def test_a_read_queues_nothing(idle: tuple[Runtime, Catalog, JobQueue]) -> None:
    runtime, _, queue = idle
    with runtime.db.session() as session:
        session.scalars(select(MediaItem)).all()
    assert queue.pending_count() == 0


def test_a_savepoint_waits_for_the_outer_commit(idle: tuple[Runtime, Catalog, JobQueue]) -> None:
    runtime, catalog, queue = idle
    with runtime.db.session() as session:
        with session.begin_nested():
            found = session.get(MediaItem, catalog.id("dog_park"))
            assert found is not None
            found.title = "Dog in a savepoint"
        assert queue.pending_count() == 0
    assert queue.pending_count() == 1


def test_an_index_job_finding_the_writer_busy_tries_again_later(
    idle: tuple[Runtime, Catalog, JobQueue],
) -> None:
    runtime, catalog, queue = idle
    backend = runtime.search
    assert isinstance(backend, TantivySearchBackend)
    holder = backend.index.writer(15_000_000, 1)  # another process's writer, as far as it knows
    try:
        with pytest.raises(IndexBusy):
            backend.index_items([catalog.id("dog_park")])
        indexing.index_items_job(runtime, [catalog.id("dog_park")])
    finally:
        holder.rollback()
        holder.wait_merging_threads()
    assert queue.pending_count() == 1  # scheduled again, not failed
    assert queue.failed_jobs() == []


def test_index_jobs_are_idempotent(idle: tuple[Runtime, Catalog, JobQueue]) -> None:
    runtime, catalog, _ = idle
    for _ in range(3):
        indexing.index_items_job(runtime, [catalog.id("dog_park"), catalog.id("dog_park")])
    backend = runtime.search
    assert isinstance(backend, TantivySearchBackend)
    assert backend.document_count() == 22
    assert backend.search(SearchQuery(text="dog")).total == 2


def test_a_never_built_index_is_built_by_a_job(runtime: Runtime) -> None:
    catalog = build_catalog(runtime)
    queue = use_fast_jobs(runtime)
    backend = runtime.search
    assert isinstance(backend, TantivySearchBackend)
    assert not backend.is_complete
    assert queue.pending_count() == 1
    queue.start_workers(1)
    try:
        deadline = time.monotonic() + 10
        while not backend.is_complete and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        queue.stop_workers()
    assert backend.search(SearchQuery(text="dog")).total == 2
    assert backend.document_count() == len(catalog.ids)


# -- readers in other processes ---------------------------------------------------------


def test_another_reader_sees_a_commit_within_its_reload_interval(runtime: Runtime) -> None:
    catalog = build_catalog(runtime)
    writer_side = TantivySearchBackend(runtime)
    writer_side.rebuild()
    reader_side = TantivySearchBackend(runtime)  # its own Index, as in another process
    assert reader_side.search(SearchQuery(text="dragon")).total == 0
    with runtime.db.session() as session:
        found = session.get(MediaItem, catalog.id("castle"))
        assert found is not None
        set_tags(found, "en", ["dragon"])
    writer_side.index_items([catalog.id("castle")])
    started = time.monotonic()
    while reader_side.search(SearchQuery(text="dragon")).total == 0:
        assert time.monotonic() - started < FRESHNESS_S
        time.sleep(0.01)


def test_concurrent_index_calls_all_land(idle: tuple[Runtime, Catalog, JobQueue]) -> None:
    runtime, catalog, _ = idle
    names = ["dog_park", "cat_sofa", "dog_beach", "lighthouse", "harbour", "red_car"]
    with runtime.db.session() as session:
        for name in names:
            found = session.get(MediaItem, catalog.id(name))
            assert found is not None
            found.title = f"{found.title} zebra"
    backend = runtime.search
    assert isinstance(backend, TantivySearchBackend)
    threads = [
        threading.Thread(target=backend.index_items, args=([catalog.id(name)],)) for name in names
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    found_ids = backend.search(SearchQuery(text="zebra", sort=BY_ID)).item_ids
    assert catalog.names(found_ids) == names
