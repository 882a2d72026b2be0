"""The Tantivy backend's cache of decoded summaries: by revision, bounded, kept out of the
garbage collector's walks in processes that freeze their start-up objects."""

from __future__ import annotations

import gc
from datetime import UTC, datetime

import pytest

from stockhouse.catalog.models import ItemStatus, MediaKind
from stockhouse.search import tantivy_backend
from stockhouse.search.hydrate import ItemSummary, StoredSummary
from stockhouse.search.tantivy_backend import SummaryCache

MOMENT = datetime(2026, 1, 1, tzinfo=UTC)


def summary(item_id: int) -> StoredSummary:
    item = ItemSummary(
        id=item_id,
        kind=MediaKind.PHOTO,
        owner_id=1,
        owner_username="anna",
        status=ItemStatus.ACTIVE,
        visible=True,
        title=f"item {item_id}",
        description="",
        lang="en",
        original_filename="a.jpg",
        extension="jpg",
        mime_type="image/jpeg",
        file_size=1,
        width=None,
        height=None,
        megapixels=None,
        orientation=None,
        color=None,
        duration_ms=None,
        fps=None,
        video_codec=None,
        audio_codec=None,
        video_standard=None,
        aspect_ratio=None,
        aspect_quotient=None,
        editorial=False,
        nudity=False,
        exclusive=False,
        extended_allowed=True,
        free=False,
        ai_generated=False,
        people_gender=None,
        people_age=None,
        people_race=None,
        people_quantity=None,
        people_only=False,
        series_id=None,
        views=0,
        downloads=0,
        created_at=MOMENT,
        updated_at=MOMENT,
        published_at=MOMENT,
    )
    return StoredSummary(item, ())


def test_a_summary_is_found_at_its_revision_only() -> None:
    cache = SummaryCache(10)
    cached = summary(1)
    cache.put(1, 7, cached)
    assert cache.get(1, 7) is cached
    assert cache.get(1, 8) is None
    assert cache.get(2, 7) is None


def test_the_least_recently_used_summary_is_dropped_when_full() -> None:
    cache = SummaryCache(2)
    cache.put(1, 1, summary(1))
    cache.put(2, 1, summary(2))
    assert cache.get(1, 1) is not None  # 1 is now the most recently used
    cache.put(3, 1, summary(3))
    assert (cache.get(1, 1) is not None, cache.get(2, 1), cache.get(3, 1) is not None) == (
        True,
        None,
        True,
    )
    assert len(cache) == 2


class FreezeCalls:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> None:
        self.calls += 1


def fill(cache: SummaryCache, count: int) -> None:
    for item_id in range(count):
        cache.put(item_id, 1, summary(item_id))


def test_summaries_are_frozen_in_batches_in_a_process_that_froze_at_start_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    freeze = FreezeCalls()
    monkeypatch.setattr(gc, "freeze", freeze)
    monkeypatch.setattr(gc, "get_freeze_count", lambda: 1000)
    monkeypatch.setattr(tantivy_backend, "SUMMARY_REFREEZE_ITEMS", 3)
    cache = SummaryCache(100)
    fill(cache, 2)
    cache.settle()
    assert freeze.calls == 0
    fill(cache, 1)
    cache.settle()
    assert freeze.calls == 1
    cache.settle()
    assert freeze.calls == 1  # nothing new since


def test_summaries_are_never_frozen_in_a_process_that_did_not_freeze(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    freeze = FreezeCalls()
    monkeypatch.setattr(gc, "freeze", freeze)
    monkeypatch.setattr(gc, "get_freeze_count", lambda: 0)
    monkeypatch.setattr(tantivy_backend, "SUMMARY_REFREEZE_ITEMS", 1)
    cache = SummaryCache(100)
    fill(cache, 5)
    cache.settle()
    assert freeze.calls == 0
