"""Items like a given one: similar (tags and pixels), same model, same series; search by image.

- `similar`: candidates are published items of the same media family (images, video,
  music, sfx) that share one of the item's rarest keywords, or its series; each is scored
  by keyword overlap (Jaccard), perceptual-hash closeness and dominant-colour closeness
  (CIE Lab), weighted SIMILAR_WEIGHTS, and the best come first.
- `same_model`: published items sharing a model release with the item.
- `series_items`: the other published items of the item's series.
- `by_image`: the perceptual hash and dominant colour of an uploaded picture, computed as
  the ingest pipeline computes them, ranked against every published image by Hamming
  distance, then colour distance.

Every answer holds only items anyone may see (active and visible).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pyvips
from sqlalchemy import Select, cast, func, literal, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from stockhouse.catalog.models import ItemStatus, ItemTag, MediaItem, MediaKind
from stockhouse.catalog.releases import items_sharing_model_release
from stockhouse.catalog.translations import DEFAULT_LANGUAGE
from stockhouse.errors import InvalidParameter, NotFound
from stockhouse.ingest import images
from stockhouse.ingest.colors import COLORS_BY_ID, dominant_color, srgb_to_lab
from stockhouse.ingest.phash import hamming
from stockhouse.ingest.types import IngestRejected
from stockhouse.search.fetch import looks_like_image

if TYPE_CHECKING:
    from stockhouse.runtime import Runtime

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
QUERY_TAGS = 12  # the item's rarest keywords that find candidates
TAG_FREQUENCY_CAP = 5_000  # keyword frequencies are counted up to this
MAX_CANDIDATES = 500  # candidates scored, the most keyword-sharing first
SIMILAR_WEIGHTS = (0.6, 0.3, 0.1)  # keywords, perceptual hash, colour
UNRELATED_HASH_BITS = 32  # unrelated pictures differ in about half of the 64 bits
MAX_IMAGE_DISTANCE = 24  # search by image: farther hashes are not shown
IMAGE_SCAN_CHUNK = 50_000  # rows read at a time where the distance is computed here
MAX_UPLOAD_BYTES = 20 * 1024 * 1024


def _check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidParameter("limit", f"limit must be between 1 and {MAX_LIMIT}")


def _published() -> list[Any]:
    return [MediaItem.status == ItemStatus.ACTIVE, MediaItem.visible.is_(True)]


def _family(kind: MediaKind) -> list[MediaKind]:
    """The kinds an item is compared with: all still images together, else its own kind."""
    return [k for k in MediaKind if k.category_group == kind.category_group]


def _item(session: Session, item_id: int) -> MediaItem:
    item = session.get(MediaItem, item_id)
    if item is None:
        raise NotFound(f"item {item_id} does not exist")
    return item


# -- colour and hash closeness ------------------------------------------------------------


@cache
def _lab_distances() -> dict[tuple[int, int], float]:
    """Distance in CIE Lab between every two colours of the table, 0 (same) to 1 (farthest)."""
    ids = sorted(COLORS_BY_ID)
    lab = srgb_to_lab([COLORS_BY_ID[i].rgb for i in ids])
    distances = np.sqrt(((lab[:, None, :] - lab[None, :, :]) ** 2).sum(axis=2))
    farthest = float(distances.max())
    return {
        (a, b): float(distances[i, j]) / farthest
        for i, a in enumerate(ids)
        for j, b in enumerate(ids)
    }


def color_distance(a: int | None, b: int | None) -> float:
    """0 for the same colour, up to 1 for the farthest two; 1 when either is unknown."""
    if a is None or b is None:
        return 1.0
    return _lab_distances().get((a, b), 1.0)


def hash_closeness(a: int | None, b: int | None) -> float:
    """1 for equal perceptual hashes, falling to 0 at UNRELATED_HASH_BITS apart."""
    if a is None or b is None:
        return 0.0
    return max(0.0, 1.0 - hamming(a, b) / UNRELATED_HASH_BITS)


# -- similar ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SimilarItem:
    """A similar item and what its score is made of."""

    item_id: int
    score: float
    shared_tags: int
    hash_distance: int | None
    color_distance: float


def similar(session: Session, item_id: int, limit: int = DEFAULT_LIMIT) -> list[SimilarItem]:
    """Published items most like `item_id`, best first (ties: higher id first)."""
    _check_limit(limit)
    item = _item(session, item_id)
    tags = sorted(set(item.tag_names(DEFAULT_LANGUAGE)))
    candidates = _candidates(session, item, tags)
    if not candidates:
        return []
    rows = session.execute(
        select(MediaItem.id, MediaItem.phash, MediaItem.color).where(MediaItem.id.in_(candidates))
    ).all()
    shared = _tag_counts(session, candidates, tags)
    totals = _tag_counts(session, candidates, None)
    scored = [_score(item, tags, row, shared.get(row.id, 0), totals.get(row.id, 0)) for row in rows]
    scored.sort(key=lambda s: (-s.score, -s.item_id))
    return scored[:limit]


def _score(item: MediaItem, tags: list[str], row: Any, shared: int, total: int) -> SimilarItem:
    union = len(tags) + total - shared
    keyword = shared / union if union else 0.0
    closeness = hash_closeness(item.phash, row.phash)
    colour = color_distance(item.color, row.color)
    tag_weight, hash_weight, color_weight = SIMILAR_WEIGHTS
    score = tag_weight * keyword + hash_weight * closeness + color_weight * (1.0 - colour)
    distance = (
        hamming(item.phash, row.phash) if item.phash is not None and row.phash is not None else None
    )
    return SimilarItem(row.id, round(score, 6), shared, distance, round(colour, 6))


def _candidates(session: Session, item: MediaItem, tags: list[str]) -> list[int]:
    """Published items of the same family sharing a rare keyword or the series."""
    conditions = [
        *_published(),
        MediaItem.kind.in_(_family(item.kind)),
        MediaItem.id != item.id,
    ]
    found: list[int] = []
    rare = _rarest(session, tags)
    if rare:
        sharing = func.count(ItemTag.tag)
        found += session.scalars(
            select(ItemTag.item_id)
            .join(MediaItem, MediaItem.id == ItemTag.item_id)
            .where(ItemTag.lang == DEFAULT_LANGUAGE, ItemTag.tag.in_(rare), *conditions)
            .group_by(ItemTag.item_id)
            .order_by(sharing.desc(), ItemTag.item_id.desc())
            .limit(MAX_CANDIDATES)
        )
    if item.series_id is not None:
        in_series = select(MediaItem.id).where(MediaItem.series_id == item.series_id, *conditions)
        found += session.scalars(in_series.limit(MAX_CANDIDATES))
    return list(dict.fromkeys(found))


def _rarest(session: Session, tags: list[str]) -> list[str]:
    """Up to QUERY_TAGS of `tags`, the least used first (frequencies capped, for speed)."""
    frequency: dict[str, int] = {}
    for tag in tags:
        capped = (
            select(ItemTag.item_id)
            .where(ItemTag.lang == DEFAULT_LANGUAGE, ItemTag.tag == tag)
            .limit(TAG_FREQUENCY_CAP)
            .subquery()
        )
        frequency[tag] = session.scalar(select(func.count()).select_from(capped)) or 0
    return sorted(tags, key=lambda t: (frequency[t], t))[:QUERY_TAGS]


def _tag_counts(session: Session, item_ids: list[int], among: list[str] | None) -> dict[int, int]:
    """How many English keywords each item has (only those in `among`, when given)."""
    statement = select(ItemTag.item_id, func.count()).where(
        ItemTag.lang == DEFAULT_LANGUAGE, ItemTag.item_id.in_(item_ids)
    )
    if among is not None:
        statement = statement.where(ItemTag.tag.in_(among))
    return {row[0]: row[1] for row in session.execute(statement.group_by(ItemTag.item_id))}


# -- same model, series -----------------------------------------------------------------


def same_model(session: Session, item_id: int, limit: int = MAX_LIMIT) -> list[int]:
    """Published items sharing a model release with `item_id`, in id order."""
    _check_limit(limit)
    return items_sharing_model_release(session, _item(session, item_id), limit=limit)


def series_items(session: Session, item_id: int, limit: int = MAX_LIMIT) -> list[int]:
    """The other published items of `item_id`'s series, in id order ([] without a series)."""
    _check_limit(limit)
    item = _item(session, item_id)
    if item.series_id is None:
        return []
    statement = (
        select(MediaItem.id)
        .where(MediaItem.series_id == item.series_id, MediaItem.id != item.id, *_published())
        .order_by(MediaItem.id)
        .limit(limit)
    )
    return list(session.scalars(statement))


# -- search by image --------------------------------------------------------------------


@dataclass(frozen=True)
class ImagePrint:
    """What search by image compares: the picture's perceptual hash and dominant colour."""

    phash: int
    color: int


@dataclass(frozen=True)
class ImageMatch:
    item_id: int
    hash_distance: int
    color_distance: float


def image_print(data: bytes) -> ImagePrint:
    """Hash and colour of an uploaded picture, measured as ingest measures them
    (decoded at reduced size, thumbnails cascaded from the large preview)."""
    if not looks_like_image(data[:16]):
        raise InvalidParameter("image", "send a JPEG, PNG, GIF or WebP image")
    try:
        header = pyvips.Image.new_from_buffer(data, "", access="sequential")
        images.check_pixel_limit(header.width, header.height)
        large = pyvips.Image.thumbnail_buffer(
            data, images.LARGE_EDGE, height=images.LARGE_EDGE, size="down", fail_on=images.FAIL_ON
        )
        thumbs = dict(_cascade(images.to_srgb8(large).copy_memory()))
    except pyvips.Error:
        raise InvalidParameter("image", "the image data is corrupt and cannot be decoded") from None
    except IngestRejected as exc:
        raise InvalidParameter("image", exc.message) from None
    pixels = np.frombuffer(thumbs[images.COLOR_SOURCE_EDGE].write_to_memory(), dtype=np.uint8)
    return ImagePrint(
        phash=images.perceptual_hash(thumbs[images.HASH_SOURCE_EDGE]),
        color=dominant_color(pixels.reshape(-1, 3)),
    )


def _cascade(large: pyvips.Image) -> Iterator[tuple[int, pyvips.Image]]:
    source = large
    for edge in images.THUMB_EDGES:
        source = images.shrink_to(source, edge).copy_memory()
        yield edge, source


def by_image(runtime: Runtime, image_bytes: bytes, limit: int = DEFAULT_LIMIT) -> list[ImageMatch]:
    """Published images nearest to the picture: Hamming distance of the perceptual hashes
    (at most MAX_IMAGE_DISTANCE), then colour distance, then the higher id."""
    _check_limit(limit)
    if len(image_bytes) > MAX_UPLOAD_BYTES:
        raise InvalidParameter("image", f"the image is larger than {MAX_UPLOAD_BYTES} bytes")
    fingerprint = image_print(image_bytes)
    with runtime.db.read_session() as session:
        if runtime.db.dialect == "postgresql":
            nearest = _nearest_in_sql(session, fingerprint.phash, limit)
        else:
            nearest = _nearest_here(session, fingerprint.phash, limit)
        wanted = [item_id for item_id, _ in nearest]
        rows = session.execute(
            select(MediaItem.id, MediaItem.color).where(MediaItem.id.in_(wanted))
        ).all()
        colors = {row.id: row.color for row in rows}
    matches = [
        ImageMatch(
            item_id, distance, round(color_distance(fingerprint.color, colors.get(item_id)), 6)
        )
        for item_id, distance in nearest
    ]
    matches.sort(key=lambda m: (m.hash_distance, m.color_distance, -m.item_id))
    return matches[:limit]


def _image_rows() -> Select[int, int | None]:
    return select(MediaItem.id, MediaItem.phash).where(
        *_published(),
        MediaItem.kind.in_([k for k in MediaKind if k.is_image]),
        MediaItem.phash.is_not(None),
    )


def _nearest_in_sql(session: Session, phash: int, limit: int) -> list[tuple[int, int]]:
    """PostgreSQL counts the differing bits itself: one scan, no rows shipped."""
    bits = func.bit_count(cast(MediaItem.phash.op("#")(literal(phash)), postgresql.BIT(64)))
    statement = (
        _image_rows()
        .add_columns(bits.label("distance"))
        .where(bits <= MAX_IMAGE_DISTANCE)
        .order_by(bits, MediaItem.id.desc())
        .limit(limit * 4)  # colour decides among equal distances afterwards
    )
    return [(row.id, int(row.distance)) for row in session.execute(statement)]


def _nearest_here(session: Session, phash: int, limit: int) -> list[tuple[int, int]]:
    """Engines without a bit count: hashes read in chunks, distances counted with numpy."""
    best: list[tuple[int, int]] = []
    target = np.int64(phash)
    last_id = 0
    while True:
        rows = session.execute(
            _image_rows()
            .where(MediaItem.id > last_id)
            .order_by(MediaItem.id)
            .limit(IMAGE_SCAN_CHUNK)
        ).all()
        if not rows:
            break
        last_id = rows[-1].id
        ids = np.array([row.id for row in rows], dtype=np.int64)
        hashes = np.array([row.phash for row in rows], dtype=np.int64)
        distances = _popcount(np.bitwise_xor(hashes, target))
        keep = distances <= MAX_IMAGE_DISTANCE
        best.extend(zip(ids[keep].tolist(), distances[keep].tolist(), strict=True))
        best.sort(key=lambda pair: (pair[1], -pair[0]))
        del best[limit * 4 :]
    return best


def _popcount(values: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    return np.bitwise_count(values.view(np.uint64)).astype(np.int64)
