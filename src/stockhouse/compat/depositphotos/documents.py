"""Items as Depositphotos shows them: the fields of getMediaData and of search results.

`load_records` reads everything about a page of items in a fixed number of batched Core
queries (summary, renditions, sizes, categories, author level, same-model and series
items) plus the core's similar-items ranking per item. `RecordCache` keeps records for
RECORD_TTL_S per server process. Each call still reads the items' rows (one indexed
query): a record is used only while the item's `updated_at` is unchanged and the views
and downloads counts always come from that fresh row, so an edit, a block or an
unpublish shows at once; only the related lists (similar, same model, series) and
category names can lag, by at most RECORD_TTL_S.

Every picture field is a URL of a rendition this server serves (`/media/{id}/{name}`),
chosen from the renditions the item really has (an image has thumb110/170/450 and the two
watermarked previews, a video icon/iconm/iconl/prevstill/poster and mp4/webm previews,
audio a waveform).
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import and_, select
from sqlalchemy.orm import Session, aliased

from stockhouse.accounts.models import Group, User
from stockhouse.catalog.models import (
    Category,
    ItemCategory,
    ItemRelease,
    ItemStatus,
    MediaItem,
    MediaKind,
    Release,
    ReleaseType,
    Rendition,
    SizeOption,
)
from stockhouse.commerce.models import ProductType
from stockhouse.commerce.prices import (
    AUDIO_SIZE,
    licenses_for_group,
    price_book,
    product_type_of,
)
from stockhouse.compat.depositphotos import wire
from stockhouse.ingest.media_classes import VIDEO_SIZE_CODES
from stockhouse.runtime import Runtime
from stockhouse.search import similar as related
from stockhouse.search.hydrate import ItemSummary, hydrate, ids_in

RECORD_TTL_S = 300.0
PRICE_TTL_S = 30.0
MAX_CACHED_RECORDS = 50_000
SIMILAR_LIMIT = 20
RELATED_LIMIT = 50
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
DATETIME_FORMATS = ("date", "datetime", "unix")
WATERMARKS = ("depositphotos", "neutral")
EXTENDED_SIZES = frozenset({"el0"})
VIDEO_SHORT_SIDES = dict(VIDEO_SIZE_CODES)

# Picture fields -> rendition names in order of preference (the first the item has wins).
SMALL = ("thumb110", "icon", "waveform")
MEDIUM = ("thumb170", "iconm", "waveform")
HUGE = ("thumb450", "iconl", "waveform")
BRAND = ("preview_brand", "prevstill", "poster", "thumb450", "waveform")
NEUTRAL = ("preview_neutral", "prevstill", "poster", "thumb450", "waveform")

ITEM_TYPES = {
    MediaKind.PHOTO: "image",
    MediaKind.VECTOR: "vector",
    MediaKind.ILLUSTRATION: "vector",
    MediaKind.VIDEO: "video",
    MediaKind.MUSIC: "audio",
    MediaKind.SFX: "audio",
}


# -- formatting -------------------------------------------------------------------------


def format_date(moment: datetime | None, style: str = "datetime") -> str:
    """ "Feb.18, 2013 20:07:26" (datetime), "Feb.18, 2013" (date) or unix seconds, in UTC;
    month names are English whatever the server's locale."""
    if moment is None:
        return ""
    moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    if style == "unix":
        return str(int(moment.timestamp()))
    day = f"{MONTHS[moment.month - 1]}.{moment.day:02d}, {moment.year}"
    return day if style == "date" else f"{day} {moment:%H:%M:%S}"


def mp_number(value: Decimal | None) -> float | int:
    """Megapixels as the document prints them: 0.5, 2, 7.75."""
    if value is None:
        return 0
    number = float(value)
    return int(number) if number.is_integer() else number


def megapixels_of(summary: ItemSummary) -> Decimal | None:
    """Megapixels from the dimensions where the catalog stored none."""
    if not summary.width or not summary.height:
        return None
    return (Decimal(summary.width * summary.height) / 1_000_000).quantize(Decimal("0.01"))


def yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


# -- links ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Links:
    """URLs of renditions and item pages under this server's public base URL."""

    base_url: str
    watermark: str = "neutral"

    def rendition(self, item_id: int, names: frozenset[str], preferred: Sequence[str]) -> str:
        for name in preferred:
            if name in names:
                return f"{self.base_url}/media/{item_id}/{name}"
        return ""

    def item_page(self, item_id: int) -> str:
        return f"{self.base_url}/v1/items/{item_id}"

    def pictures(self, item_id: int, names: frozenset[str]) -> dict[str, str]:
        """Every thumbnail and preview field of the document, for one item."""
        small = self.rendition(item_id, names, SMALL)
        medium = self.rendition(item_id, names, MEDIUM)
        huge = self.rendition(item_id, names, HUGE)
        brand = self.rendition(item_id, names, BRAND)
        neutral = self.rendition(item_id, names, NEUTRAL)
        chosen = brand if self.watermark == "depositphotos" else neutral
        fields = {
            "thumbnail": small,
            "thumb": small,
            "thumb_large": medium,
            "thumb_huge": huge,
            "thumb_max": chosen,
            "medium_thumbnail": medium,
            "large_thumb": chosen,
            "url_big": chosen,
            "url_max_qa": huge,
            "thumb_170": medium,
            "huge_thumb": huge,
            "url": brand,
            "url2": neutral,
            "itemurl": self.item_page(item_id),
        }
        # the search sample has mp4 and webm on every item: "" where there is no such preview
        fields["mp4"] = self.rendition(item_id, names, ("preview_mp4",))
        fields["webm"] = self.rendition(item_id, names, ("preview_webm",))
        if "preview_m4a" in names:
            fields["m4a"] = f"{self.base_url}/media/{item_id}/preview_m4a"
        return fields


# -- records ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SizeRow:
    code: str
    width: int | None
    height: int | None
    megapixels: Decimal | None


@dataclass(frozen=True)
class ItemRecord:
    """Everything getMediaData shows about one item, before per-caller formatting."""

    summary: ItemSummary
    level: str
    renditions: frozenset[str]
    sizes: tuple[SizeRow, ...]
    categories: tuple[tuple[int, str], ...]
    similar: tuple[int, ...] = ()
    same_model: tuple[int, ...] = ()
    series: tuple[int, ...] = ()
    loaded_at: float = field(default_factory=time.monotonic)


_PUBLIC_ROWS = select(
    MediaItem.__table__.c.id,
    MediaItem.__table__.c.updated_at,
    MediaItem.__table__.c.views,
    MediaItem.__table__.c.downloads,
).where(
    MediaItem.__table__.c.status == ItemStatus.ACTIVE.value,
    MediaItem.__table__.c.visible.is_(True),
)


@dataclass(frozen=True, slots=True)
class Version:
    """What is read fresh on every call: the item's change time and its counts."""

    updated_at: Any  # as the driver returns it: only ever compared for equality
    views: int
    downloads: int


_VERSIONS_SQL = (
    "SELECT id, updated_at, views, downloads FROM media_item "
    "WHERE status = 'active' AND visible = {true} AND id {ids}"
)


def public_versions(runtime: Runtime, ids: Sequence[int]) -> dict[int, Version]:
    """The versions of those of `ids` that are published: one indexed query on a pooled
    driver connection (the hot path skips the ORM session and statement compilation)."""
    wanted = list(dict.fromkeys(ids))
    if runtime.db.dialect == "postgresql":
        connection = runtime.db.engine.raw_connection()
        try:
            cursor = connection.cursor()
            cursor.execute(_VERSIONS_SQL.format(true="true", ids="= ANY(%s)"), (wanted,))
            rows = cursor.fetchall()
            cursor.close()
            connection.rollback()  # end the read's transaction before the pool gets it back
        finally:
            connection.close()
    else:
        marks = ",".join("?" * len(wanted))
        sql = _VERSIONS_SQL.format(true="1", ids=f"IN ({marks})")
        rows = _sqlite_reader(runtime).execute(sql, wanted).fetchall()
    return {row[0]: Version(row[1], row[2], row[3]) for row in rows}


_readers: WeakKeyDictionary[Runtime, threading.local] = WeakKeyDictionary()


def _sqlite_reader(runtime: Runtime) -> Any:
    """A driver connection of this thread kept for the hot read (SQLite only: the driver
    runs in autocommit, so every statement sees the latest commit in WAL mode)."""
    local = _readers.get(runtime)
    if local is None:
        local = _readers[runtime] = threading.local()
    connection = getattr(local, "connection", None)
    if connection is None:
        connection = local.connection = runtime.db.engine.raw_connection()
    return connection


def renditions_of(session: Session, ids: Sequence[int]) -> dict[int, frozenset[str]]:
    names: dict[int, set[str]] = {}
    for item_id, name in session.connection().execute(
        select(Rendition.item_id, Rendition.name).where(
            ids_in(Rendition.item_id, list(ids), session)
        )
    ):
        names.setdefault(item_id, set()).add(name)
    return {item_id: frozenset(found) for item_id, found in names.items()}


def _sizes(session: Session, ids: list[int]) -> dict[int, list[SizeRow]]:
    rows: dict[int, list[SizeRow]] = {}
    for item_id, code, width, height, mp in session.connection().execute(
        select(
            SizeOption.item_id,
            SizeOption.code,
            SizeOption.width,
            SizeOption.height,
            SizeOption.megapixels,
        )
        .where(ids_in(SizeOption.item_id, ids, session))
        .order_by(SizeOption.item_id, SizeOption.position)
    ):
        rows.setdefault(item_id, []).append(SizeRow(code, width, height, mp))
    return rows


def _categories(session: Session, ids: list[int]) -> dict[int, list[tuple[int, str]]]:
    rows: dict[int, list[tuple[int, str]]] = {}
    for item_id, category_id, name in session.connection().execute(
        select(ItemCategory.item_id, Category.id, Category.name)
        .join(Category, Category.id == ItemCategory.category_id)
        .where(ids_in(ItemCategory.item_id, ids, session))
        .order_by(ItemCategory.item_id, Category.id)
    ):
        rows.setdefault(item_id, []).append((category_id, name))
    return rows


def _levels(session: Session, owner_ids: Iterable[int]) -> dict[int, str]:
    wanted = list(set(owner_ids))
    rows = session.connection().execute(
        select(User.id, User.contributor_level).where(ids_in(User.id, wanted, session))
    )
    return {user_id: level for user_id, level in rows}


def _published(table: Any) -> Any:
    return and_(table.status == ItemStatus.ACTIVE.value, table.visible.is_(True))


def _series(session: Session, ids: list[int]) -> dict[int, list[int]]:
    """The other published items of each item's series, in id order (batched)."""
    item, other = MediaItem.__table__.alias("item"), MediaItem.__table__.alias("other")
    rows = session.connection().execute(
        select(item.c.id, other.c.id)
        .join(other, and_(other.c.series_id == item.c.series_id, other.c.id != item.c.id))
        .where(ids_in(item.c.id, ids, session), _published(other.c))
        .order_by(item.c.id, other.c.id)
    )
    found: dict[int, list[int]] = {}
    for item_id, other_id in rows:
        if len(found.setdefault(item_id, [])) < RELATED_LIMIT:
            found[item_id].append(other_id)
    return found


def _same_model(session: Session, ids: list[int]) -> dict[int, list[int]]:
    """Published items sharing a model release with each item, in id order (batched)."""
    mine, theirs = aliased(ItemRelease), aliased(ItemRelease)
    other = MediaItem.__table__
    rows = session.connection().execute(
        select(mine.item_id, theirs.item_id)
        .join(Release, Release.id == mine.release_id)
        .join(theirs, and_(theirs.release_id == mine.release_id, theirs.item_id != mine.item_id))
        .join(other, other.c.id == theirs.item_id)
        .where(
            ids_in(mine.item_id, ids, session),
            Release.type == int(ReleaseType.MODEL),
            _published(other.c),
        )
        .distinct()
        .order_by(mine.item_id, theirs.item_id)
    )
    found: dict[int, list[int]] = {}
    for item_id, other_id in rows:
        if len(found.setdefault(item_id, [])) < RELATED_LIMIT:
            found[item_id].append(other_id)
    return found


def _default_sizes(summary: ItemSummary, rows: list[SizeRow]) -> tuple[SizeRow, ...]:
    """Audio is sold as the file as uploaded: one size, AUDIO_SIZE, when none is stored."""
    if not rows and summary.kind.is_audio:
        return (SizeRow(AUDIO_SIZE, None, None, None),)
    return tuple(rows)


def load_records(
    session: Session,
    ids: Sequence[int],
    lang: str | None,
    *,
    with_related: bool = True,
    with_similar: bool = True,
) -> dict[int, ItemRecord]:
    """Records of the published items among `ids` (batched; related lists per item;
    `with_similar=False` skips the similar-items ranking, a few queries per item)."""
    wanted = list(dict.fromkeys(ids))
    summaries = [
        s
        for s in hydrate(session, wanted, lang, with_tags=True)
        if s.status == ItemStatus.ACTIVE and s.visible
    ]
    found = [s.id for s in summaries]
    if not found:
        return {}
    renditions = renditions_of(session, found)
    sizes = _sizes(session, found)
    categories = _categories(session, found)
    levels = _levels(session, (s.owner_id for s in summaries))
    series = _series(session, found) if with_related else {}
    same_model = _same_model(session, found) if with_related else {}
    records: dict[int, ItemRecord] = {}
    for summary in summaries:
        item_id = summary.id
        records[item_id] = ItemRecord(
            summary=summary,
            level=levels.get(summary.owner_id, "beginner"),
            renditions=renditions.get(item_id, frozenset()),
            sizes=_default_sizes(summary, sizes.get(item_id, [])),
            categories=tuple(categories.get(item_id, [])),
            similar=_similar(session, item_id) if with_related and with_similar else (),
            same_model=tuple(same_model.get(item_id, ())),
            series=tuple(series.get(item_id, ())),
        )
    return records


def _similar(session: Session, item_id: int) -> tuple[int, ...]:
    """The core's ranking of similar published items (keywords, picture hash, colour)."""
    return tuple(found.item_id for found in related.similar(session, item_id, SIMILAR_LIMIT))


def _encode(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


# -- caches -----------------------------------------------------------------------------


class RecordCache:
    """Item records of one runtime for RECORD_TTL_S, keyed by item id and language."""

    def __init__(self) -> None:
        self._records: dict[tuple[int, str | None], tuple[Any, ItemRecord]] = {}
        self._prices: dict[int | None, PriceTable] = {}
        self._rendered: dict[tuple[Any, ...], tuple[dict[str, Any], bytes, wire.Encoded]] = {}
        self._listed: dict[tuple[Any, ...], tuple[dict[str, Any], bytes]] = {}

    def rendered(
        self, record: ItemRecord, style: Style, prices: PriceTable
    ) -> tuple[dict[str, Any], bytes, wire.Encoded]:
        """getMediaData's fields of a record (without related-item objects), rendered and
        encoded once per record, counts, style and price table: (fields, their JSON, the
        one-item answer: the fields without `type`, encoded; shared, never to be changed)."""
        summary = record.summary
        key = (
            summary.id,
            summary.lang,
            summary.views,
            summary.downloads,
            record.loaded_at,
            style,
            prices.loaded_at,
            id(prices),
        )
        found = self._rendered.get(key)
        if found is None:
            if len(self._rendered) >= MAX_CACHED_RECORDS:
                self._rendered.clear()
            fields = media_document(record, style, prices)
            single = {k: v for k, v in fields.items() if k != "type"}
            answer = wire.Encoded(single, _encode(single))
            found = self._rendered[key] = (fields, _encode(fields), answer)
        return found

    def listed(
        self, record: ItemRecord, style: Style, prices: PriceTable
    ) -> tuple[dict[str, Any], bytes]:
        """getMediaData's fields of a record in search's layout (a list of items or
        dp_search_layout=1), rendered and encoded once like `rendered`."""
        summary = record.summary
        key = (
            summary.id,
            summary.lang,
            summary.views,
            summary.downloads,
            record.loaded_at,
            style,
            prices.loaded_at,
            id(prices),
        )
        found = self._listed.get(key)
        if found is None:
            if len(self._listed) >= MAX_CACHED_RECORDS:
                self._listed.clear()
            fields = search_layout(media_document(record, style, prices))
            found = self._listed[key] = (fields, _encode(fields))
        return found

    def get(self, item_id: int, lang: str | None, version: Any) -> ItemRecord | None:
        entry = self._records.get((item_id, lang))
        if entry is None or entry[0] != version:
            return None
        if time.monotonic() - entry[1].loaded_at > RECORD_TTL_S:
            return None
        return entry[1]

    def put(self, lang: str | None, version: Any, record: ItemRecord) -> None:
        if len(self._records) >= MAX_CACHED_RECORDS:
            self._records.clear()
        self._records[(record.summary.id, lang)] = (version, record)

    def prices(self, runtime: Runtime, group_id: int | None) -> PriceTable:
        """The price table of a group (None: buyers without a group), kept PRICE_TTL_S."""
        table = self._prices.get(group_id)
        if table is None or time.monotonic() - table.loaded_at > PRICE_TTL_S:
            with runtime.db.read_session() as session:
                group = session.get(Group, group_id) if group_id is not None else None
                table = self._prices[group_id] = load_price_table(session, group)
        return table

    def clear(self) -> None:
        self._records.clear()
        self._prices.clear()
        self._rendered.clear()
        self._listed.clear()


_caches: WeakKeyDictionary[Runtime, RecordCache] = WeakKeyDictionary()


def record_cache(runtime: Runtime) -> RecordCache:
    cache = _caches.get(runtime)
    if cache is None:
        cache = _caches[runtime] = RecordCache()
    return cache


def cached_records(runtime: Runtime, ids: Sequence[int], lang: str | None) -> list[ItemRecord]:
    """Records of the published items among `ids`, in that order, with fresh counts: one
    indexed query when every record is cached and unchanged, else the missing are loaded."""
    cache = record_cache(runtime)
    versions = public_versions(runtime, ids)
    records: dict[int, ItemRecord] = {}
    missing: list[int] = []
    for item_id, version in versions.items():
        record = cache.get(item_id, lang, version.updated_at)
        if record is None:
            missing.append(item_id)
        else:
            records[item_id] = record
    if missing:
        with runtime.db.read_session() as session:
            loaded = load_records(session, missing, lang)
        for item_id, record in loaded.items():
            cache.put(lang, versions[item_id].updated_at, record)
            records[item_id] = record
    return [
        _counted(records[item_id], versions[item_id])
        for item_id in dict.fromkeys(ids)
        if item_id in records
    ]


def brief_records(runtime: Runtime, ids: Sequence[int], lang: str | None) -> list[ItemRecord]:
    """Records for search results without dp_full_info: cached ones as they are, the
    others loaded in a fixed number of batched queries without the similar-items ranking
    (and not cached, since getMediaData needs that ranking)."""
    cache = record_cache(runtime)
    versions = public_versions(runtime, ids)
    records: dict[int, ItemRecord] = {}
    for item_id, version in versions.items():
        record = cache.get(item_id, lang, version.updated_at)
        if record is not None:
            records[item_id] = record
    missing = [i for i in versions if i not in records]
    if missing:
        with runtime.db.read_session() as session:
            records.update(load_records(session, missing, lang, with_similar=False))
    return [
        _counted(records[item_id], versions[item_id])
        for item_id in dict.fromkeys(ids)
        if item_id in records
    ]


def _counted(record: ItemRecord, version: Version) -> ItemRecord:
    summary = record.summary
    if summary.views == version.views and summary.downloads == version.downloads:
        return record
    fresh = dataclasses.replace(summary, views=version.views, downloads=version.downloads)
    return dataclasses.replace(record, summary=fresh)


# -- prices -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PriceTable:
    """Credits per size code for each product type, standard and extended licenses, as a
    group (or a buyer without a group) sees the price lists."""

    standard: Mapping[ProductType, Mapping[str, int]]
    extended: Mapping[ProductType, Mapping[str, int]]
    loaded_at: float = field(default_factory=time.monotonic)

    def credits(self, kind: MediaKind, code: str) -> tuple[int | None, bool]:
        """(credits, under a standard license) for a size; (None, False) when unpriced."""
        product = product_type_of(kind)
        standard = self.standard.get(product, {}).get(code)
        if standard is not None and code not in EXTENDED_SIZES:
            return standard, True
        extended = self.extended.get(product, {}).get(code)
        if extended is not None:
            return extended, False
        return standard, standard is not None


def load_price_table(session: Session, group: Group | None) -> PriceTable:
    """The first active standard and extended license of each product type, priced."""
    standard: dict[ProductType, dict[str, int]] = {}
    extended: dict[ProductType, dict[str, int]] = {}
    for license in licenses_for_group(session, group):
        target = extended if license.extended else standard
        if license.product_type in target:
            continue
        book = price_book(session, license, group)
        target[license.product_type] = {
            size: row.credits for (size, option), row in book.rows.items() if option == 0
        }
    return PriceTable(standard=standard, extended=extended)


# -- documents --------------------------------------------------------------------------


@dataclass(frozen=True)
class Style:
    """How the caller asked to see items."""

    links: Links
    date_format: str = "datetime"
    full_similar: bool = False


def size_dimensions(summary: ItemSummary, row: SizeRow) -> tuple[int, int]:
    """A size's pixels; where none are stored (older rows), a video size's short side
    scaled to the item's aspect, else the item's own (0 for audio, which has none)."""
    if row.width and row.height:
        return row.width, row.height
    width, height = summary.width or 0, summary.height or 0
    short = VIDEO_SHORT_SIDES.get(row.code)
    if short is None or not width or not height:
        return width, height
    if width >= height:
        return round(short * width / height), short
    return short, round(short * height / width)


def _megapixels(width: int, height: int) -> Decimal:
    return (Decimal(width * height) / 1_000_000).quantize(Decimal("0.01"))


def sizes_fields(record: ItemRecord, prices: PriceTable) -> tuple[dict[str, Any], dict[str, int]]:
    """`sizes` (dimensions, credits, availability) and `available_sizes` (credits)."""
    sizes: dict[str, Any] = {}
    available: dict[str, int] = {}
    for row in record.sizes:
        credits, standard = prices.credits(record.summary.kind, row.code)
        width, height = size_dimensions(record.summary, row)
        entry: dict[str, Any] = {
            "width": width,
            "height": height,
            "credits": credits if credits is not None else 0,
            "subscription": int(standard),
            "imagepack": 0,
            "ondemand": int(credits is not None),
        }
        if row.code not in EXTENDED_SIZES:
            entry["mp"] = mp_number(row.megapixels or _megapixels(width, height))
        sizes[row.code] = entry
        if credits is not None:
            available[row.code] = credits
    return sizes, available


def base_fields(summary: ItemSummary, style: Style, names: frozenset[str]) -> dict[str, Any]:
    """The fields getMediaData and search results share."""
    item_type = ITEM_TYPES[summary.kind]
    fields: dict[str, Any] = {
        "id": str(summary.id),
        "title": summary.title,
        "description": summary.description,
        "width": str(summary.width or 0),
        "height": str(summary.height or 0),
        "mp": str(mp_number(summary.megapixels or megapixels_of(summary))),
        "status": summary.status.value,
        "views": summary.views,
        "downloads": summary.downloads,
        "published": format_date(summary.published_at, style.date_format),
        "updated": format_date(summary.updated_at, style.date_format),
        "upload_timestamp": str(int(summary.created_at.timestamp())),
        "username": summary.owner_username,
        "userid": summary.owner_id,
        "user_id": summary.owner_id,
        "blocked": False,
        "isextended": summary.extended_allowed,
        "isexclusive": summary.exclusive,
        "nudity": summary.nudity,
        "iseditorial": summary.editorial,
        "is_editorial": yes_no(summary.editorial),
        "isFreeItem": summary.free,
        "is_mobile": "no",
        "type": item_type,
        "itype": item_type,
        "original_filesize": str(summary.file_size),
        "original_extension": summary.extension,
        "lightfield": False,
        "avatar": "",
        "aiGenerated": summary.ai_generated,
    }
    fields.update(style.links.pictures(summary.id, names))
    return fields


def related_list(
    ids: Sequence[int], style: Style, neighbours: Mapping[int, ItemSummary], names: Any
) -> list[Any]:
    """Ids, or with dp_full_similar objects with the id, title and thumbnails."""
    if not style.full_similar:
        return list(ids)
    entries: list[Any] = []
    for item_id in ids:
        summary = neighbours.get(item_id)
        if summary is None:
            continue
        found = names.get(item_id, frozenset())
        entries.append(
            {
                "id": item_id,
                "thumbnail": style.links.rendition(item_id, found, SMALL),
                "large_thumb": style.links.rendition(item_id, found, MEDIUM),
                "huge_thumb": style.links.rendition(item_id, found, HUGE),
                "thumb_neutral_wm": style.links.rendition(item_id, found, NEUTRAL),
                "url_max_qa": style.links.rendition(item_id, found, HUGE),
                "itemurl": style.links.item_page(item_id),
                "title": summary.title,
                "description": summary.description,
                "original_title": summary.title,
                "original_description": summary.description,
                "width": summary.width or 0,
                "height": summary.height or 0,
                "isFreeItem": summary.free,
                "type": ITEM_TYPES[summary.kind],
            }
        )
    return entries


def media_document(
    record: ItemRecord,
    style: Style,
    prices: PriceTable,
    neighbours: Mapping[int, ItemSummary] | None = None,
    neighbour_renditions: Mapping[int, frozenset[str]] | None = None,
) -> dict[str, Any]:
    """getMediaData's fields for one item."""
    summary = record.summary
    fields = base_fields(summary, style, record.renditions)
    sizes, available = sizes_fields(record, prices)
    around = neighbours or {}
    names = neighbour_renditions or {}
    fields.update(
        {
            "level": record.level,
            "categories": {str(cid): name for cid, name in record.categories},
            "sizes": sizes,
            "available_sizes": available,
            "tags": list(summary.tags),
            "similar": related_list(record.similar, style, around, names),
            "same_model": related_list(record.same_model, style, around, names),
            "series": related_list(record.series, style, around, names),
        }
    )
    return fields


# -- search's layout ----------------------------------------------------------------------


def search_layout(fields: dict[str, Any]) -> dict[str, Any]:
    """An item as the search sample shows it: numbers where that sample has numbers (`id`,
    `width`, `height`, `mp`, `original_filesize`), plus `exclusive`, `editorial` and
    `deposit_item_id`. getMediaData with a list or dp_search_layout=1 answers this too."""
    fields["id"] = int(fields["id"])
    fields["width"] = int(fields["width"])
    fields["height"] = int(fields["height"])
    fields["mp"] = float(fields["mp"])
    fields["original_filesize"] = int(fields["original_filesize"])
    fields["exclusive"] = yes_no(fields["isexclusive"])
    fields["editorial"] = fields["is_editorial"]
    fields["deposit_item_id"] = fields["id"]
    return fields


def search_result(record: ItemRecord, style: Style) -> dict[str, Any]:
    """One search result without dp_full_info: the sample's fields, no sizes, tags or
    categories. `similar` is empty here: ranking similar items costs a few queries per
    item, so only dp_full_info (and getMediaData) fill it; series and same model are
    batched and always filled."""
    summary = record.summary
    fields = base_fields(summary, style, record.renditions)
    fields.update(
        {
            "level": record.level,
            "similar": [],
            "same_model": list(record.same_model),
            "series": list(record.series),
        }
    )
    return search_layout(fields)
