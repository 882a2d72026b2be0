"""Exact and near duplicate look-ups against the contributor's and the whole catalog."""

from __future__ import annotations

from stockhouse.catalog.models import Upload, UploadState
from stockhouse.ingest.duplicates import (
    NEAR_DUPLICATE_DISTANCE,
    find_exact_duplicate,
    find_near_duplicate,
)
from stockhouse.runtime import Runtime
from tests.ingest.pipeline_support import add_item, make_contributor

BLOB = "ab" * 32


def add_upload(runtime: Runtime, owner_id: int, state: UploadState, blob: str = BLOB) -> Upload:
    with runtime.db.session() as session:
        upload = Upload(owner_id=owner_id, blob=blob, filename="f.jpg", file_size=1, state=state)
        session.add(upload)
        session.flush()
        return upload


def test_an_item_of_any_owner_with_the_same_bytes_is_an_exact_duplicate(
    runtime: Runtime,
) -> None:
    cora, carl = make_contributor(runtime, "cora"), make_contributor(runtime, "carl")
    item_id = add_item(runtime, carl, blob=BLOB)
    upload = add_upload(runtime, cora, UploadState.PROCESSING)

    with runtime.db.read_session() as session:
        found = find_exact_duplicate(session, upload)

    assert found is not None
    assert (found.item_id, found.upload_id) == (item_id, None)
    assert found.reason == f"the same file is already in the catalog as item {item_id}"


def test_an_earlier_pending_upload_of_the_same_contributor_is_an_exact_duplicate(
    runtime: Runtime,
) -> None:
    cora = make_contributor(runtime)
    first = add_upload(runtime, cora, UploadState.QUEUED)
    second = add_upload(runtime, cora, UploadState.PROCESSING)

    with runtime.db.read_session() as session:
        for_second = find_exact_duplicate(session, second)
        for_first = find_exact_duplicate(session, first)

    assert for_second is not None and for_second.upload_id == first.id
    assert for_first is None  # only earlier uploads count: one of the two goes on


def test_another_contributors_pending_upload_is_not_a_duplicate(runtime: Runtime) -> None:
    cora, carl = make_contributor(runtime, "cora"), make_contributor(runtime, "carl")
    add_upload(runtime, carl, UploadState.QUEUED)
    mine = add_upload(runtime, cora, UploadState.QUEUED)

    with runtime.db.read_session() as session:
        assert find_exact_duplicate(session, mine) is None


def test_a_hash_within_the_threshold_is_a_near_duplicate(runtime: Runtime) -> None:
    cora = make_contributor(runtime)
    item_id = add_item(runtime, cora, phash=0b111)
    add_item(runtime, cora, phash=-1)  # all 64 bits set: far away

    with runtime.db.read_session() as session:
        found = find_near_duplicate(session, 0, cora)

    assert found is not None
    assert (found.item_id, found.distance) == (item_id, 3)
    assert found.reason(cora) == (
        f"looks like your item {item_id} (perceptual hash 3 of 64 bits apart)"
    )


def test_a_hash_beyond_the_threshold_is_not_a_near_duplicate(runtime: Runtime) -> None:
    cora = make_contributor(runtime)
    add_item(runtime, cora, phash=(1 << (NEAR_DUPLICATE_DISTANCE + 1)) - 1)

    with runtime.db.read_session() as session:
        assert find_near_duplicate(session, 0, cora) is None


def test_the_nearest_match_wins_then_the_contributors_own(runtime: Runtime) -> None:
    cora, carl = make_contributor(runtime, "cora"), make_contributor(runtime, "carl")
    add_item(runtime, carl, phash=0b11)
    others_close = add_item(runtime, carl, phash=0b1)
    own_close = add_item(runtime, cora, phash=0b10)

    with runtime.db.read_session() as session:
        for_cora = find_near_duplicate(session, 0, cora)
        for_carl = find_near_duplicate(session, 0, carl)

    assert for_cora is not None and for_cora.item_id == own_close
    assert for_carl is not None and for_carl.item_id == others_close
    assert for_cora.reason(carl).startswith(f"looks like item {own_close} ")
