"""Exact and near duplicate detection for incoming files.

- Exact: the same bytes (sha256, i.e. the same original blob) as an existing item of
  any contributor, or as an earlier upload of the same contributor that is still being
  processed. Exact duplicates are not ingested: their Upload ends as DUPLICATE.
- Near: a perceptual hash within NEAR_DUPLICATE_DISTANCE bits of an existing item's
  (resized, recompressed or lightly edited copies). Near duplicates are ingested, and
  the match is written on the Upload so that the reviewer sees it.

Scaling: the near-duplicate search reads (id, owner, phash) of every item with a hash,
one narrow indexed column scan, and compares in Python (about 0.3 s per million items).
Far beyond that, split the 64 bits into NEAR_DUPLICATE_DISTANCE + 1 bands stored in
indexed columns: two hashes within that distance agree exactly on at least one band
(pigeonhole), so a few index look-ups find every candidate (multi-index hashing).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from stockhouse.catalog.models import MediaItem, Upload, UploadState
from stockhouse.ingest.phash import hamming

NEAR_DUPLICATE_DISTANCE = 6  # bits of 64; unrelated pictures differ in about 32
SCAN_BATCH_ROWS = 10_000
PENDING_STATES = (UploadState.QUEUED, UploadState.PROCESSING)


@dataclass(frozen=True)
class ExactDuplicate:
    """What the incoming file is byte-for-byte identical to."""

    item_id: int | None  # the existing item, or None for a still pending upload
    upload_id: int | None
    reason: str


@dataclass(frozen=True)
class NearDuplicate:
    """The closest existing item whose picture looks like the incoming one."""

    item_id: int
    owner_id: int
    distance: int

    def reason(self, owner_id: int) -> str:
        whose = "your item" if self.owner_id == owner_id else "item"
        return (
            f"looks like {whose} {self.item_id} (perceptual hash {self.distance} of 64 bits apart)"
        )


def find_exact_duplicate(session: Session, upload: Upload) -> ExactDuplicate | None:
    """An item with the upload's bytes, or an earlier pending upload of them by its owner.

    Only earlier uploads count, so of two identical uploads processed at once exactly
    one goes on.
    """
    item_id = session.scalars(
        select(MediaItem.id).where(MediaItem.original_blob == upload.blob).order_by(MediaItem.id)
    ).first()
    if item_id is not None:
        return ExactDuplicate(
            item_id=item_id,
            upload_id=None,
            reason=f"the same file is already in the catalog as item {item_id}",
        )
    earlier = session.scalars(
        select(Upload.id)
        .where(
            Upload.owner_id == upload.owner_id,
            Upload.blob == upload.blob,
            Upload.id < upload.id,
            Upload.state.in_(PENDING_STATES),
        )
        .order_by(Upload.id)
    ).first()
    if earlier is not None:
        return ExactDuplicate(
            item_id=None,
            upload_id=earlier,
            reason=f"the same file was already uploaded (upload {earlier}) and is being processed",
        )
    return None


def find_near_duplicate(
    session: Session, phash: int, owner_id: int, max_distance: int = NEAR_DUPLICATE_DISTANCE
) -> NearDuplicate | None:
    """The catalog item (any owner) whose hash is nearest `phash`, if within max_distance.

    On equal distance the contributor's own item is preferred, then the older item.
    """
    best: NearDuplicate | None = None
    rows = session.execute(
        select(MediaItem.id, MediaItem.owner_id, MediaItem.phash)
        .where(MediaItem.phash.is_not(None))
        .execution_options(yield_per=SCAN_BATCH_ROWS)
    )
    for item_id, item_owner, item_hash in rows:
        if item_hash is None:
            continue
        distance = hamming(phash, item_hash)
        if distance > max_distance:
            continue
        candidate = NearDuplicate(item_id=item_id, owner_id=item_owner, distance=distance)
        if best is None or _rank(candidate, owner_id) < _rank(best, owner_id):
            best = candidate
    return best


def _rank(match: NearDuplicate, owner_id: int) -> tuple[int, bool, int]:
    return match.distance, match.owner_id != owner_id, match.item_id
