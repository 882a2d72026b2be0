"""Pond5 commands about media: search, get_clip_data, get_clip_data_array, the three
category lists and get_versions_formatted (seed 003; choices in docs/compat/pond5.md).

`search` translates its parameters into one core SearchQuery: the `bm` bitmask into kinds,
footage standards ("vs" codes) and the model-release and explicit filters; `sb` into a
sort key (+100 reverses it); `no` and `p` into a page; `cat` into categories; `col` picks
the extra fields of each item. Editorial items are left out unless the query says
`editorial:1` (the core's text field terms do that). The counts come from the kind facet.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import Group, User
from stockhouse.catalog.categories import list_categories
from stockhouse.catalog.formats import video_formats
from stockhouse.catalog.models import ItemStatus, MediaItem, MediaKind, SizeOption
from stockhouse.commerce import prices
from stockhouse.commerce.carts import licensed_sizes
from stockhouse.commerce.models import License, PriceList, ProductType
from stockhouse.compat.pond5 import facts
from stockhouse.compat.pond5.wire import (
    Call,
    Code,
    Pond5Error,
    command,
    flv_base,
    flv_base_encr,
    icon_base,
    price_text,
)
from stockhouse.errors import InvalidParameter
from stockhouse.ingest.media_classes import VIDEO_STANDARD_LABELS, VideoStandard
from stockhouse.search.hydrate import ItemSummary, hydrate
from stockhouse.search.query import MAX_OFFSET, SearchQuery, SortField, SortKey
from stockhouse.search.service import search as core_search

# -- bm: which media ---------------------------------------------------------------------

# Video bits and the "vs" codes (ingest/media_classes.VideoStandard) each one selects.
BM_VIDEO_STANDARDS: dict[int, frozenset[int]] = {
    1: frozenset({4}),  # hd: HD 1080
    2: frozenset({3}),  # pal
    4: frozenset({1, 2}),  # ntsc: D1 and DV
    8: frozenset({0, 7}),  # multimedia (and unknown)
    262144: frozenset({10}),  # 4k
    524288: frozenset({11}),  # 8k
    1048576: frozenset({8}),  # HD 1080i (HDV 1080i)
    2097152: frozenset({9}),  # HD 720
    4194304: frozenset({5}),  # HDV 720p
    8388608: frozenset({6}),  # other HD
}
BM_ANY_VIDEO = 16515087
BM_MUSIC = 16
BM_SFX = 32
BM_AFTER_EFFECTS = 64  # Stockhouse has no After Effects projects: selects nothing
BM_PHOTOS = 128
BM_MODEL_RELEASE = 256
BM_MATTE = 512  # nor mattes: selects nothing
BM_ILLUSTRATION = 1024  # illustrations and vectors
BM_FILTER_EXPLICIT = 2048
BM_DEFAULT = 16515135  # any sound and video
BM_MEDIA = BM_ANY_VIDEO | BM_MUSIC | BM_SFX | BM_AFTER_EFFECTS | BM_PHOTOS | BM_MATTE
BM_MEDIA |= BM_ILLUSTRATION
BM_KINDS: dict[int, frozenset[MediaKind]] = {
    BM_MUSIC: frozenset({MediaKind.MUSIC}),
    BM_SFX: frozenset({MediaKind.SFX}),
    BM_PHOTOS: frozenset({MediaKind.PHOTO}),
    BM_ILLUSTRATION: frozenset({MediaKind.ILLUSTRATION, MediaKind.VECTOR}),
}

# -- sb: order -----------------------------------------------------------------------------

SORTS: dict[int, SortField] = {
    1: SortField.RELEVANCE,  # default
    2: SortField.USERNAME,
    4: SortField.PRICE,
    5: SortField.DURATION,
    6: SortField.CREATED,  # date uploaded
    8: SortField.BEST_SALES,  # number of sales
    9: SortField.BEST_SALES,  # sales revenue: not indexed, number of sales stands in
    10: SortField.VIEWS,
}
SORT_REVERSE = 100
DEFAULT_SORT = 1

# -- no, p -------------------------------------------------------------------------------

DEFAULT_PER_PAGE = 25
MIN_PER_PAGE = 25
MAX_PER_PAGE = 500
MAX_QUERY_CHARS = 10_000  # longer is refused; the core cuts what it searches to 1000

# -- col: extra fields --------------------------------------------------------------------

COL_NAME = 1
COL_DURATION = 2
COL_KEYWORDS = 4
COL_DESCRIPTION = 8
COL_PRICE = 16
COL_FPS = 32
COL_VIDEO_CODEC = 64
COL_AUDIO_CODEC = 128
COL_ARTIST = 256
COL_FILESIZE = 512
COL_VR360 = 1024
COL_BPM = 2048  # Stockhouse does not know a sound's tempo: nothing is added
# get_clip_data_array numbers its price bit differently.
ARRAY_COL_PRICE = 1

MAX_CLIP_IDS = 500
KIND_LABELS: dict[MediaKind, str] = {
    MediaKind.PHOTO: "Photo",
    MediaKind.VECTOR: "Vector",
    MediaKind.ILLUSTRATION: "Illustration",
    MediaKind.VIDEO: "Original",
    MediaKind.MUSIC: "Music",
    MediaKind.SFX: "Sound effect",
}


# -- shared item fields ---------------------------------------------------------------------


def bases(call: Call) -> dict[str, str]:
    """icon_base, flv_base and flv_base_encr (wire.py: https when the envelope asks)."""
    return {
        "icon_base": icon_base(call),
        "flv_base": flv_base(call),
        "flv_base_encr": flv_base_encr(call),
    }


def item_fields(summary: ItemSummary) -> dict[str, Any]:
    """id, vs, ox, oy, ar, aq of a search summary, by the rules of facts.shape."""
    sound = summary.kind.is_audio
    ox, oy = facts.SOUND_BOX if sound else (summary.width or 0, summary.height or 0)
    if summary.kind == MediaKind.VIDEO:
        standard = summary.video_standard
        standard = facts.VS_MULTIMEDIA if standard is None else standard
    else:
        standard = facts.KIND_VS.get(summary.kind, facts.VS_MULTIMEDIA)
    aspect = summary.aspect_ratio
    return {
        "id": summary.id,
        "vs": standard,
        "ox": ox,
        "oy": oy,
        "ar": facts.AR_UNKNOWN if aspect is None else aspect,
        "aq": facts.aspect_quotient(summary.aspect_quotient, ox, oy),
    }


def _codecs(summary: ItemSummary) -> dict[str, str]:
    """codg / coda by the rules of facts.codec_fields (the same as bins and downloads)."""
    return facts.codec_fields(summary.kind, summary.video_codec, summary.audio_codec)


@dataclass(frozen=True)
class ItemPrice:
    """The price of an item's default cart line ("pr") and of its cheapest and dearest
    size under the same license ("pricerange"), in minor units."""

    default_minor: int
    low_minor: int
    high_minor: int

    def fields(self) -> dict[str, Any]:
        return {
            "pr": price_text(self.default_minor),
            "pricerange": [price_text(self.low_minor), price_text(self.high_minor)],
        }


class Pricer:
    """Prices of items for one buyer's group, as a cart line without a chosen size is
    priced (the first standard license of the kind that covers the item; its largest
    size): licenses and price books are read once per request, sizes in one query."""

    def __init__(self, session: Session, group: Group | None) -> None:
        self.session = session
        self.group = group
        self._licenses: dict[ProductType, list[License]] = {}
        self._books: dict[int, prices.PriceBook] = {}
        listed = session.scalar(select(PriceList.id).where(PriceList.group_id.is_(None)).limit(1))
        self.priced = listed is not None  # no default list: nothing is for sale yet

    def _candidates(self, kind: MediaKind) -> list[License]:
        product = prices.product_type_of(kind)
        if product not in self._licenses:
            found = prices.licenses_for_group(self.session, self.group, product_type=product)
            self._licenses[product] = [lic for lic in found if not lic.extended]
        return self._licenses[product]

    def _book(self, license: License) -> prices.PriceBook:
        if license.id not in self._books:
            self._books[license.id] = prices.price_book(self.session, license, self.group)
        return self._books[license.id]

    def sizes(self, item_ids: Sequence[int]) -> dict[int, list[str]]:
        """Size codes of each item, smallest first."""
        found: dict[int, list[str]] = {item_id: [] for item_id in item_ids}
        if not item_ids:
            return found
        rows = self.session.execute(
            select(SizeOption.item_id, SizeOption.code)
            .where(SizeOption.item_id.in_(list(item_ids)))
            .order_by(SizeOption.item_id, SizeOption.position)
        )
        for item_id, code in rows:
            found[item_id].append(code)
        return found

    def price(self, kind: MediaKind, size_codes: Sequence[str]) -> ItemPrice | None:
        """As carts.price_line prices a fresh line: the first standard license covering a
        size of the item, its largest size; None when that is unpriced (not for sale)."""
        if not self.priced:
            return None
        for license in self._candidates(kind):
            sizes = licensed_sizes(size_codes, license)
            if sizes:
                return self._quote(license, sizes)
        return None

    def _quote(self, license: License, sizes: Sequence[str]) -> ItemPrice | None:
        book = self._book(license)
        amounts: dict[str, int] = {}
        for size in sizes:
            try:
                amounts[size] = book.quote(size, 0).amount_minor
            except InvalidParameter:
                continue  # a size this price list leaves unpriced
        if sizes[-1] not in amounts:
            return None
        return ItemPrice(amounts[sizes[-1]], min(amounts.values()), max(amounts.values()))

    def prices_of(self, summaries: Sequence[ItemSummary]) -> dict[int, ItemPrice]:
        sizes = self.sizes([s.id for s in summaries])
        found = {}
        for summary in summaries:
            price = self.price(summary.kind, sizes[summary.id])
            if price is not None:
                found[summary.id] = price
        return found


def buyer_group(session: Session, user_id: int | None) -> Group | None:
    """The caller's enterprise group (its price list applies), if logged in and a member."""
    if user_id is None:
        return None
    user = session.get(User, user_id)
    membership = accounts.membership_of(session, user) if user is not None else None
    return membership.group if membership is not None else None


def item_prices(call: Call, summaries: Sequence[ItemSummary]) -> dict[int, ItemPrice]:
    """Prices of these items for the caller (see Pricer)."""
    if not summaries:
        return {}
    with call.runtime.db.read_session() as session:
        pricer = Pricer(session, buyer_group(session, call.user_id))
        return pricer.prices_of(summaries)


def _extras(
    summary: ItemSummary, col: int, price: ItemPrice | None, bits: dict[str, int]
) -> dict[str, Any]:
    """The extra fields whose bit (by field name in `bits`) is set in `col`."""
    values: dict[str, Any] = {
        "n": summary.title,
        "dur": summary.duration_ms or 0,
        "kw": " ".join(summary.tags),
        "desc": summary.description,
        "fps": facts.frame_rate(summary.kind, summary.fps),
        **_codecs(summary),
        "artistname": summary.owner_username,
        "filesize": summary.file_size,
        "vr360": False,  # Stockhouse does not recognise 360-degree footage
    }
    found = {name: values[name] for name, bit in bits.items() if col & bit and name in values}
    if "pr" in bits and col & bits["pr"] and price is not None:
        priced = price.fields()
        found["pr"] = priced["pr"]
        if "pricerange" in bits:
            found["pricerange"] = priced["pricerange"]
    return found


SEARCH_COLUMNS: dict[str, int] = {
    "n": COL_NAME,
    "dur": COL_DURATION,
    "kw": COL_KEYWORDS,
    "desc": COL_DESCRIPTION,
    "pr": COL_PRICE,
    "pricerange": COL_PRICE,
    "fps": COL_FPS,
    "codg": COL_VIDEO_CODEC,
    "coda": COL_AUDIO_CODEC,
    "artistname": COL_ARTIST,
    "filesize": COL_FILESIZE,
    "vr360": COL_VR360,
}
ARRAY_COLUMNS: dict[str, int] = {
    "pr": ARRAY_COL_PRICE,
    "codg": COL_VIDEO_CODEC,
    "coda": COL_AUDIO_CODEC,
    "artistname": COL_ARTIST,
    "vr360": COL_VR360,
}


# -- search --------------------------------------------------------------------------------


@dataclass(frozen=True)
class MediaSelection:
    """What a `bm` value asks for, in core filters; `empty` when it names only media
    Stockhouse does not have (After Effects projects, mattes)."""

    kinds: frozenset[MediaKind]
    footage_standards: frozenset[int]
    has_model_release: bool | None
    nudity: bool | None
    empty: bool = False


def media_selection(bm: int) -> MediaSelection:
    """The core filters of a `bm` bitmask; media bits absent (0 too) mean the default."""
    media = bm & BM_MEDIA or BM_DEFAULT
    kinds: set[MediaKind] = set()
    for bit, chosen in BM_KINDS.items():
        if media & bit:
            kinds |= chosen
    standards: frozenset[int] = frozenset()
    video_bits = media & BM_ANY_VIDEO
    if video_bits:
        kinds.add(MediaKind.VIDEO)
        if video_bits != BM_ANY_VIDEO:
            standards = frozenset().union(
                *(vs for bit, vs in BM_VIDEO_STANDARDS.items() if video_bits & bit)
            )
    return MediaSelection(
        kinds=frozenset(kinds),
        footage_standards=standards,
        has_model_release=True if bm & BM_MODEL_RELEASE else None,
        nudity=False if bm & BM_FILTER_EXPLICIT else None,
        empty=not kinds,
    )


def sort_keys(sb: int) -> tuple[SortKey, ...]:
    """An `sb` code as the core sort; +100 reverses; other codes are error 1."""
    reverse = sb >= SORT_REVERSE
    field = SORTS.get(sb - SORT_REVERSE if reverse else sb)
    if field is None:
        raise Pond5Error(Code.GENERAL, "Invalid value for sb")
    return (SortKey(field, reverse),)


def _category_ids(call: Call) -> frozenset[int]:
    return frozenset(i for i in call.args.id_list("cat") if i > 0)


def _per_page(call: Call) -> int:
    wanted = call.args.integer("no", DEFAULT_PER_PAGE, maximum=None)
    return min(max(wanted or DEFAULT_PER_PAGE, MIN_PER_PAGE), MAX_PER_PAGE)


def _counts(kinds: dict[str, int]) -> dict[str, int]:
    return {
        "tot_nbr_rows": sum(kinds.values()),
        "nbr_footage": kinds.get(MediaKind.VIDEO.value, 0),
        "nbr_music": kinds.get(MediaKind.MUSIC.value, 0),
        "nbr_sfx": kinds.get(MediaKind.SFX.value, 0),
    }


@command("search", login=False)
def search_media(call: Call) -> dict[str, Any]:
    """One page of media matching the query, the counts per kind and the file bases."""
    args = call.args
    text = args.text("query", "", max_chars=MAX_QUERY_CHARS) or ""
    selection = media_selection(args.integer("bm", BM_DEFAULT, minimum=0) or 0)
    per_page = _per_page(call)
    page = args.integer("p", 0, minimum=0, maximum=None) or 0
    sort = sort_keys(args.integer("sb", DEFAULT_SORT, minimum=0, maximum=None) or 0)
    col = args.integer("col", 0, minimum=0) or 0
    categories = _category_ids(call)
    answer: dict[str, Any] = {
        **_counts({}),
        "max_per_page": per_page,
        **bases(call),
        "items": [],
    }
    if selection.empty:
        return answer
    offset = page * per_page
    beyond = offset > MAX_OFFSET
    query = SearchQuery(
        text=text,
        kinds=selection.kinds,
        footage_standards=selection.footage_standards,
        has_model_release=selection.has_model_release,
        nudity=selection.nudity,
        editorial=False,  # `editorial:1` in the text takes its place (core field terms)
        category_ids=categories,
        sort=sort,
        offset=0 if beyond else offset,
        limit=1 if beyond else per_page,
        facets=True,
    )
    found = core_search(call.runtime, query, with_tags=bool(col & COL_KEYWORDS))
    answer.update(_counts(found.facets.kind if found.facets else {}))
    if beyond:
        return answer
    priced = item_prices(call, found.items) if col & COL_PRICE else {}
    answer["items"] = [
        {**item_fields(s), **_extras(s, col, priced.get(s.id), SEARCH_COLUMNS)} for s in found.items
    ]
    return answer


# -- clip data -------------------------------------------------------------------------------


def public_summaries(call: Call, item_ids: Iterable[int]) -> list[ItemSummary]:
    """The published items among `item_ids`, in that order, with their tags."""
    wanted = list(dict.fromkeys(item_ids))
    with call.runtime.db.read_session() as session:
        found = hydrate(session, wanted, with_tags=True)
    return [s for s in found if s.status == ItemStatus.ACTIVE and s.visible]


def _clip_data(summary: ItemSummary, price: ItemPrice | None) -> dict[str, Any]:
    keywords = ", ".join(summary.tags)
    data = {
        **item_fields(summary),
        "ed": summary.editorial,
        "n": summary.title,
        "pic_keywords_cb": keywords,
        "pic_keywords_cb_translated": keywords,
        "desc": summary.description,
        "dur": summary.duration_ms or 0,
        "fps": facts.frame_rate(summary.kind, summary.fps),
        **_codecs(summary),
        "artistname": summary.owner_username,
        "filesize": summary.file_size,
        "vr360": False,
    }
    if price is not None:
        data.update(price.fields())
    return data


@command("get_clip_data", login=False)
def get_clip_data(call: Call) -> dict[str, Any]:
    """One published item's data; 105 when there is none with that id."""
    item_id = call.args.required_integer("itemid", minimum=0)
    found = public_summaries(call, [item_id])
    if not found:
        raise Pond5Error(Code.NO_SUCH_ITEM, f"No such item: {item_id}")
    price = item_prices(call, found).get(item_id)
    return {**bases(call), "clip_data": _clip_data(found[0], price)}


@command("get_clip_data_array", login=False)
def get_clip_data_array(call: Call) -> dict[str, Any]:
    """Several items' data in the order asked; ids of no published item are left out."""
    item_ids = call.args.id_list("itemids", max_items=MAX_CLIP_IDS)
    if not item_ids:
        raise Pond5Error(Code.MISSING_ARGUMENTS, "Arguments are missing: itemids")
    col = call.args.integer("col", 0, minimum=0) or 0
    found = public_summaries(call, item_ids)
    priced = item_prices(call, found) if col & ARRAY_COL_PRICE else {}
    items = [
        {
            **item_fields(s),
            "ed": s.editorial,
            "n": s.title,
            **_extras(s, col, priced.get(s.id), ARRAY_COLUMNS),
        }
        for s in found
    ]
    return {**bases(call), "items": items}


# -- categories -----------------------------------------------------------------------------


def _categories(call: Call, group: str) -> dict[str, Any]:
    with call.runtime.db.read_session() as session:
        found = list_categories(session, group)
        return {"categories": [{"n": c.name, "i": c.id} for c in found]}


@command("get_video_categories", login=False)
def get_video_categories(call: Call) -> dict[str, Any]:
    return _categories(call, "video")


@command("get_music_categories", login=False)
def get_music_categories(call: Call) -> dict[str, Any]:
    return _categories(call, "music")


@command("get_sfx_categories", login=False)
def get_sfx_categories(call: Call) -> dict[str, Any]:
    return _categories(call, "sfx")


# -- formats and versions -------------------------------------------------------------------


SIZE_UNITS = ("kB", "MB", "GB", "TB")


def human_size(size: int) -> str:
    """A file size for the "i" line: "700 B", "1.5 MB" (powers of 1000)."""
    if size < 1000:
        return f"{size} B"
    value = size / 1000
    for unit in SIZE_UNITS[:-1]:
        if value < 1000:
            return f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} {SIZE_UNITS[-1]}"


def _standard_label(code: int) -> str:
    try:
        return VIDEO_STANDARD_LABELS[VideoStandard(code)]
    except (ValueError, KeyError):
        return "Unknown"


def _versions_of(session: Session, item: MediaItem, price: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for video_format in video_formats(session, item):
        for version in video_format.versions:
            rows.append(
                {
                    "id": version.id,
                    "ti": video_format.name,
                    "tb": f"{version.width}x{version.height}",
                    "i": f"{_standard_label(version.video_standard)}, {version.video_codec}"
                    f" / {version.audio_codec}, {version.extension}, "
                    f"{human_size(version.file_size)}",
                    **price,
                    "vm": item.id,
                    "so": video_format.sub_offset,
                    "v": version.id,
                    "vs": version.video_standard,
                    "ox": version.width,
                    "oy": version.height,
                    "ar": version.aspect_ratio,
                    "aq": float(version.aspect_quotient),
                    "codg": version.video_codec,
                    "coda": version.audio_codec,
                    "ext": version.extension,
                    "filesize": version.file_size,
                }
            )
    return rows


def _original_row(item: MediaItem, price: dict[str, Any]) -> dict[str, Any]:
    """The one "version" of an item without formats: the file as uploaded."""
    size = f"{item.width}x{item.height}" if item.width and item.height else ""
    return {
        "id": item.id,
        "ti": KIND_LABELS[item.kind],
        "tb": size,
        "i": f"{item.extension}, {human_size(item.file_size)}",
        **price,
        "vm": item.id,
        "so": 0,
        "ext": item.extension,
        "filesize": item.file_size,
    }


@command("get_versions_formatted", login=False)
def get_versions_formatted(call: Call) -> dict[str, Any]:
    """Every version of every format of an item, with the format's price (buying a
    format lets the buyer download all its versions); 105 for no published item."""
    item_id = call.args.required_integer("vm", minimum=0)
    with call.runtime.db.read_session() as session:
        item = session.get(MediaItem, item_id)
        if item is None or item.status != ItemStatus.ACTIVE or not item.visible:
            raise Pond5Error(Code.NO_SUCH_ITEM, f"No such item: {item_id}")
        amount = facts.list_price_minor(session, item, buyer_group(session, call.user_id))
        price = {"pr": price_text(amount)} if amount is not None else {}
        rows = _versions_of(session, item, price) if item.kind == MediaKind.VIDEO else []
        return {"items": rows or [_original_row(item, price)]}
