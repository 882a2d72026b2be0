"""The search document of an item: read from the catalog in batches, written to Tantivy.

`load_documents` and `iter_documents` read items with a handful of batched Core queries
(items with their owner, tags, translations, categories, model releases), never one query
per item. `tantivy_schema` and `to_tantivy` define what the Tantivy index holds:

- text per language: title, tags and description as separate fields (so that a title
  match weighs more), analysed with the language's Snowball stemmer where Tantivy has one
  (English, German, French, Spanish, ...; Depositphotos' codes like `sp`, `br`, `se` count
  as the language they stand for) and without stemming for the others (kept per language
  in JSON fields keyed by the language code);
- a stored summary (hydrate.encode_summary: the fields a result page shows, with every
  translation) and its revision, a fast field that changes whenever the item is indexed,
  so that pages are filled from the index and cached per process without SQL;
- every filter as an indexed fast field, and the sort keys as fast fields. Numeric sort keys
  are "composite": the value in the high 32 bits and the item id in the low ones, so that
  one fast-field sort orders by the value and breaks ties by the id: the id itself for
  keys whose natural direction is descending, `ID_MASK - id` for the ascending ones, so
  that ties put the highest id first in the natural direction (query.py's rules).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

import tantivy
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from stockhouse.accounts.models import User
from stockhouse.catalog.models import (
    ItemCategory,
    ItemRelease,
    ItemStatus,
    ItemTag,
    ItemTranslation,
    MediaItem,
    MediaKind,
    Orientation,
    Release,
    ReleaseType,
)
from stockhouse.catalog.translations import DEFAULT_LANGUAGE
from stockhouse.commerce.prices import from_prices
from stockhouse.db.engine import Database

BATCH_SIZE = 500  # items per batch of catalog queries
REBUILD_BATCH_SIZE = 2000  # items per batch when reading the whole catalog
MAX_TOKEN_LENGTH = 40  # longer tokens (hashes, junk) are not indexed
SORT_TEXT_LENGTH = 120  # characters of a title kept as its sort key
TAG_SEPARATOR = "\n"

ID_BITS = 32
ID_MASK = (1 << ID_BITS) - 1
VALUE_MAX = (1 << 32) - 1  # composite sort values saturate here

# Depositphotos' language codes (seed 001's list) that are not the ISO code of the language.
LANGUAGE_ALIASES: dict[str, str] = {
    "sp": "es",
    "mx": "es-mx",
    "br": "pt-br",
    "jp": "ja",
    "cz": "cs",
    "se": "sv",
    "gr": "el",
}

# ISO 639-1 language -> the Snowball stemmer Tantivy has for it.
STEMMERS: dict[str, str] = {
    "en": "english",
    "de": "german",
    "fr": "french",
    "es": "spanish",
    "it": "italian",
    "pt": "portuguese",
    "nl": "dutch",
    "ru": "russian",
    "sv": "swedish",
    "da": "danish",
    "fi": "finnish",
    "no": "norwegian",
    "nb": "norwegian",
    "nn": "norwegian",
    "hu": "hungarian",
    "ro": "romanian",
    "tr": "turkish",
    "el": "greek",
    "ar": "arabic",
    "ta": "tamil",
}
STEMMED_GROUPS = tuple(sorted(set(STEMMERS.values())))
OTHER_GROUP = "other"
TEXT_PARTS = ("title", "tags", "desc")

# Codes stored in the index. Status codes follow the alphabetical order of the status
# names, so that the code sorts like the name.
KIND_CODES: dict[MediaKind, int] = {kind: code for code, kind in enumerate(MediaKind, start=1)}
STATUS_CODES: dict[ItemStatus, int] = {
    status: code for code, status in enumerate(sorted(ItemStatus, key=str), start=1)
}
ORIENTATION_CODES: dict[Orientation, int] = {o: code for code, o in enumerate(Orientation, 1)}

FILTER_U64_FIELDS = (
    "kind",
    "status",
    "orientation",
    "color",
    "width",
    "height",
    "long_edge",
    "duration_ms",
    "people_quantity",
    "owner_id",
    "category",
    "series",
    "video_standard",
    "published_us",
)
FILTER_BOOL_FIELDS = (
    "visible",
    "editorial",
    "nudity",
    "exclusive",
    "free",
    "ai_generated",
    "people_only",
    "model_release",
    "searchable",  # active and visible: what a default query sees, as one term
)
FILTER_RAW_FIELDS = ("username", "extension", "people_gender", "people_age", "people_race")
TEXT_SORT_FIELDS = ("name_key", "username_key", "extension_key")
SUGGEST_FIELD = "suggest"
SUMMARY_FIELD = "summary"  # stored: the result-page fields (hydrate.encode_summary)
REVISION_FIELD = "rev"  # fast: when the document was written (keys cached summaries)
# Item columns that only result pages show (the summary), not searched or sorted on.
SUMMARY_ONLY_COLUMNS = (
    "description",
    "original_filename",
    "mime_type",
    "file_size",
    "megapixels",
    "fps",
    "video_codec",
    "audio_codec",
    "aspect_ratio",
    "aspect_quotient",
    "extended_allowed",
)
LINES_TOKENIZER = "sh_lines"  # each line one token: whole "lang:tag" entries


# -- reading the catalog ----------------------------------------------------------------


@dataclass
class LanguageText:
    """An item's title, description and tags in one language."""

    title: str = ""
    description: str = ""
    tags: list[str] = field(default_factory=list)


@dataclass
class ItemDocument:
    """Everything the index holds about one item, in plain values."""

    id: int
    kind: MediaKind
    owner_id: int
    owner_username: str
    status: ItemStatus
    visible: bool
    title: str
    extension: str
    width: int | None
    height: int | None
    orientation: Orientation | None
    color: int | None
    duration_ms: int | None
    editorial: bool
    nudity: bool
    exclusive: bool
    free: bool
    ai_generated: bool
    people_gender: str | None
    people_age: str | None
    people_race: str | None
    people_quantity: int | None
    people_only: bool
    series_id: int | None
    video_standard: int | None
    views: int
    downloads: int
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None
    texts: dict[str, LanguageText] = field(default_factory=dict)
    category_ids: list[int] = field(default_factory=list)
    has_model_release: bool = False
    price: int = 0  # "from" price in minor units (commerce.prices.from_prices); 0 unpriced
    # Result-page columns (SUMMARY_ONLY_COLUMNS) and translations as the catalog stores
    # them (language code as written, title, description), for the stored summary.
    details: dict[str, Any] = field(default_factory=dict)
    translations: list[tuple[str, str, str]] = field(default_factory=list)


_ITEM_COLUMNS = (
    MediaItem.id,
    MediaItem.kind,
    MediaItem.owner_id,
    User.username,
    MediaItem.status,
    MediaItem.visible,
    MediaItem.title,
    MediaItem.description,
    MediaItem.extension,
    MediaItem.width,
    MediaItem.height,
    MediaItem.orientation,
    MediaItem.color,
    MediaItem.duration_ms,
    MediaItem.editorial,
    MediaItem.nudity,
    MediaItem.exclusive,
    MediaItem.free,
    MediaItem.ai_generated,
    MediaItem.people_gender,
    MediaItem.people_age,
    MediaItem.people_race,
    MediaItem.people_quantity,
    MediaItem.people_only,
    MediaItem.series_id,
    MediaItem.video_standard,
    MediaItem.views,
    MediaItem.downloads,
    MediaItem.created_at,
    MediaItem.updated_at,
    MediaItem.published_at,
    *(MediaItem.__table__.c[name] for name in SUMMARY_ONLY_COLUMNS if name != "description"),
)


@functools.lru_cache(maxsize=256)
def canonical_language(lang: str) -> str:
    """The language code the index uses for `lang` (`jp` -> `ja`, `sp` -> `es`, ...)."""
    code = lang.strip().lower().replace("_", "-")
    return LANGUAGE_ALIASES.get(code, code)


def equivalent_languages(lang: str) -> list[str]:
    """`lang` and the other codes the catalog may have stored the same language under."""
    canonical = canonical_language(lang)
    return sorted({lang, canonical} | {a for a, c in LANGUAGE_ALIASES.items() if c == canonical})


_DOCUMENT_FIELDS = frozenset(f.name for f in fields(ItemDocument))


def _new_document(row: Any) -> ItemDocument:
    values = row._mapping
    document = ItemDocument(
        owner_username=values["username"],
        details={name: values[name] for name in SUMMARY_ONLY_COLUMNS},
        **{name: value for name, value in values.items() if name in _DOCUMENT_FIELDS},
    )
    document.texts[DEFAULT_LANGUAGE] = LanguageText(
        title=values["title"], description=values["description"]
    )
    return document


def load_documents(session: Session, item_ids: Sequence[int]) -> list[ItemDocument]:
    """The documents of those of `item_ids` that exist, in id order (batched queries)."""
    documents: list[ItemDocument] = []
    unique = sorted(set(item_ids))
    for start in range(0, len(unique), BATCH_SIZE):
        documents.extend(_load_batch(session, _among(unique[start : start + BATCH_SIZE])))
    return documents


Selector = Callable[[Any], ColumnElement[bool]]


def _among(ids: list[int]) -> Selector:
    def where(column: Any) -> ColumnElement[bool]:
        return column.in_(ids)  # type: ignore[no-any-return]

    return where


def _after(last_id: int) -> Selector:
    def where(column: Any) -> ColumnElement[bool]:
        return column > last_id  # type: ignore[no-any-return]

    return where


def _load_batch(session: Session, where: Selector, limit: int | None = None) -> list[ItemDocument]:
    """The documents of the items `where(id column)` selects (the first `limit` by id).

    Core statements on the session's connection: a rebuild reads millions of rows, and
    ORM result processing would double its time.
    """
    connection = session.connection()
    statement = (
        select(*_ITEM_COLUMNS)
        .join(User, User.id == MediaItem.owner_id)
        .where(where(MediaItem.id))
        .order_by(MediaItem.id)
        .limit(limit)
    )
    documents = {row[0]: _new_document(row) for row in connection.execute(statement).all()}
    if not documents:
        return []
    found = list(documents)
    # Once the items are known, their rows in the other tables are a range of item ids.
    low, high = found[0], found[-1]
    for item_id, lang, title, description in connection.execute(
        select(
            ItemTranslation.item_id,
            ItemTranslation.lang,
            ItemTranslation.title,
            ItemTranslation.description,
        ).where(ItemTranslation.item_id.between(low, high))
    ).all():
        if item_id in documents:
            text = _text_of(documents[item_id], lang)
            text.title, text.description = title, description
            documents[item_id].translations.append((lang, title, description))
    # One row per item and language (tags never hold a line break): far fewer rows to read.
    joined = func.aggregate_strings(ItemTag.tag, TAG_SEPARATOR)
    for item_id, lang, tags in connection.execute(
        select(ItemTag.item_id, ItemTag.lang, joined)
        .where(ItemTag.item_id.between(low, high))
        .group_by(ItemTag.item_id, ItemTag.lang)
    ).all():
        if item_id in documents:
            _text_of(documents[item_id], lang).tags.extend(tags.split(TAG_SEPARATOR))
    for item_id, category_id in connection.execute(
        select(ItemCategory.item_id, ItemCategory.category_id)
        .where(ItemCategory.item_id.between(low, high))
        .order_by(ItemCategory.item_id, ItemCategory.category_id)
    ).all():
        if item_id in documents:
            documents[item_id].category_ids.append(category_id)
    for (item_id,) in connection.execute(
        select(ItemRelease.item_id)
        .join(Release, Release.id == ItemRelease.release_id)
        .where(ItemRelease.item_id.between(low, high), Release.type == int(ReleaseType.MODEL))
        .distinct()
    ).all():
        if item_id in documents:
            documents[item_id].has_model_release = True
    for item_id, price in from_prices(session, found).items():
        documents[item_id].price = price
    return list(documents.values())


def _text_of(document: ItemDocument, lang: str) -> LanguageText:
    """The document's texts in `lang` (a catalog code), created empty on first use."""
    code = canonical_language(lang)
    text = document.texts.get(code)
    if text is None:
        text = document.texts[code] = LanguageText()
    return text


def iter_documents(
    database: Database, batch_size: int = REBUILD_BATCH_SIZE
) -> Iterator[list[ItemDocument]]:
    """Every item's document, in batches in id order; each batch in its own read session."""
    last_id = 0
    while True:
        with database.read_session() as session:
            batch = _load_batch(session, _after(last_id), limit=batch_size)
        if not batch:
            return
        last_id = batch[-1].id
        yield batch


# -- the Tantivy side -------------------------------------------------------------------


def language_group(lang: str) -> str:
    """The group of text fields a language is indexed in: its stemmer's name, or "other"."""
    base = canonical_language(lang).split("-", 1)[0]
    return STEMMERS.get(base, OTHER_GROUP)


def text_field(part: str, lang: str) -> str:
    """The field (or JSON path) holding `part` (title, tags, desc) of texts in `lang`."""
    group = language_group(lang)
    if group == OTHER_GROUP:
        return f"{part}_{OTHER_GROUP}.{canonical_language(lang)}"
    return f"{part}_{group}"


def tokenizer_name(group: str) -> str:
    return f"sh_{group}"


def make_analyzer(group: str) -> tantivy.TextAnalyzer:
    """Split on non-alphanumerics, drop over-long tokens, lower-case, stem, fold accents.

    Accents are folded after stemming because the Snowball stemmers expect them.
    """
    builder = (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(MAX_TOKEN_LENGTH))
        .filter(tantivy.Filter.lowercase())
    )
    if group != OTHER_GROUP:
        builder = builder.filter(tantivy.Filter.stemmer(group))
    return builder.filter(tantivy.Filter.ascii_fold()).build()


def register_analyzers(index: tantivy.Index) -> None:
    """Register the analysers of every language group (needed on every opened Index)."""
    for group in (*STEMMED_GROUPS, OTHER_GROUP):
        index.register_tokenizer(tokenizer_name(group), make_analyzer(group))
    lines = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.regex(r"[^\n]+")).build()
    index.register_tokenizer(LINES_TOKENIZER, lines)


def tantivy_schema() -> tantivy.Schema:
    """The schema of the Tantivy index (bump SCHEMA_VERSION in the backend on change)."""
    builder = tantivy.SchemaBuilder()
    builder.add_unsigned_field("id", indexed=True, fast=True)
    for group in STEMMED_GROUPS:
        for part in TEXT_PARTS:
            builder.add_text_field(f"{part}_{group}", tokenizer_name=tokenizer_name(group))
    for part in TEXT_PARTS:
        builder.add_json_field(f"{part}_{OTHER_GROUP}", tokenizer_name=tokenizer_name(OTHER_GROUP))
    for name in FILTER_U64_FIELDS:
        builder.add_unsigned_field(name, indexed=True, fast=True)
    for name in FILTER_BOOL_FIELDS:
        builder.add_boolean_field(name, indexed=True, fast=True)
    for name in FILTER_RAW_FIELDS:
        builder.add_text_field(name, tokenizer_name="raw", index_option="basic")
    for name in COMPOSITE_SORTS:
        builder.add_unsigned_field(name, fast=True)
    for name in TEXT_SORT_FIELDS:
        builder.add_text_field(name, tokenizer_name="raw", index_option="basic", fast=True)
    builder.add_text_field(SUGGEST_FIELD, tokenizer_name=LINES_TOKENIZER, index_option="basic")
    builder.add_bytes_field(SUMMARY_FIELD, stored=True)
    builder.add_unsigned_field(REVISION_FIELD, fast=True)
    return builder.build()


def composite(value: int, tie: int) -> int:
    """`value` (saturated to 32 bits) in the high bits, `tie` in the low bits."""
    return (min(max(value, 0), VALUE_MAX) << ID_BITS) | (tie & ID_MASK)


def epoch_seconds(moment: datetime | None) -> int:
    return int(moment.timestamp()) if moment is not None else 0


def epoch_micros(moment: datetime) -> int:
    """Microseconds since 1970 (0 for earlier times), for exact date-range filters."""
    whole = int(moment.timestamp())
    return max(0, whole * 1_000_000 + moment.microsecond)


def sort_text(text: str) -> str:
    """The sort key of a name: lower-cased, at most SORT_TEXT_LENGTH characters."""
    return text.lower()[:SORT_TEXT_LENGTH]


def _add_optional(document: tantivy.Document, name: str, value: int | None) -> None:
    if value is not None and value >= 0:
        document.add_unsigned(name, value)


def _add_texts(document: tantivy.Document, doc: ItemDocument) -> None:
    others: dict[str, dict[str, str]] = {part: {} for part in TEXT_PARTS}
    for lang, text in doc.texts.items():
        values = {
            "title": text.title,
            "tags": TAG_SEPARATOR.join(text.tags),
            "desc": text.description,
        }
        if text.tags:
            # One value of "lang:tag" lines, split back into whole tags by the line analyser.
            document.add_text(SUGGEST_FIELD, "\n".join(f"{lang}:{tag}" for tag in text.tags))
        group = language_group(lang)
        for part, value in values.items():
            if not value:
                continue
            if group == OTHER_GROUP:
                others[part][lang] = value
            else:
                document.add_text(f"{part}_{group}", value)
    for part, by_lang in others.items():
        if by_lang:
            document.add_json(f"{part}_{OTHER_GROUP}", by_lang)


def to_tantivy(doc: ItemDocument, summary: bytes | None = None) -> tantivy.Document:
    """The Tantivy document of an item, with its stored `summary` when given."""
    document = tantivy.Document()
    document.add_unsigned("id", doc.id)
    if summary is not None:
        document.add_bytes(SUMMARY_FIELD, summary)
    # Nanoseconds: unique per write of an item, whichever process writes it.
    document.add_unsigned(REVISION_FIELD, time.time_ns())
    _add_texts(document, doc)
    document.add_unsigned("kind", KIND_CODES[doc.kind])
    document.add_unsigned("status", STATUS_CODES[doc.status])
    if doc.orientation is not None:
        document.add_unsigned("orientation", ORIENTATION_CODES[doc.orientation])
    _add_optional(document, "color", doc.color)
    _add_optional(document, "width", doc.width)
    _add_optional(document, "height", doc.height)
    if doc.width is not None and doc.height is not None:
        document.add_unsigned("long_edge", max(doc.width, doc.height))
    _add_optional(document, "duration_ms", doc.duration_ms)
    _add_optional(document, "people_quantity", doc.people_quantity)
    document.add_unsigned("owner_id", doc.owner_id)
    for category_id in doc.category_ids:
        document.add_unsigned("category", category_id)
    _add_optional(document, "series", doc.series_id)
    _add_optional(document, "video_standard", doc.video_standard)
    if doc.published_at is not None:
        document.add_unsigned("published_us", epoch_micros(doc.published_at))
    flags = {
        "visible": doc.visible,
        "editorial": doc.editorial,
        "nudity": doc.nudity,
        "exclusive": doc.exclusive,
        "free": doc.free,
        "ai_generated": doc.ai_generated,
        "people_only": doc.people_only,
        "model_release": doc.has_model_release,
        "searchable": doc.status == ItemStatus.ACTIVE and bool(doc.visible),
    }
    for name, flag in flags.items():
        document.add_boolean(name, bool(flag))
    document.add_text("username", doc.owner_username)
    document.add_text("extension", doc.extension.lower())
    for name in ("people_gender", "people_age", "people_race"):
        value = getattr(doc, name)
        if value:
            document.add_text(name, value.lower())
    _add_sort_keys(document, doc)
    return document


# Composite sort fields: the sort field each holds, and whether its natural order is
# descending (then ties on the value order the id the same way).
COMPOSITE_SORTS: dict[str, bool] = {
    "sk_best_sales": True,
    "sk_newest": True,
    "sk_views": True,
    "sk_created": True,
    "sk_modified": True,
    "sk_price": False,
    "sk_duration": False,
    "sk_status": False,
    "sk_undiscovered": False,
}


def _add_sort_keys(document: tantivy.Document, doc: ItemDocument) -> None:
    values = {
        "sk_best_sales": doc.downloads,
        "sk_newest": epoch_seconds(doc.published_at),
        "sk_views": doc.views,
        "sk_created": epoch_seconds(doc.created_at),
        "sk_modified": epoch_seconds(doc.updated_at),
        "sk_price": doc.price,
        "sk_duration": doc.duration_ms or 0,
        "sk_status": STATUS_CODES[doc.status],
        "sk_undiscovered": doc.views,
    }
    for name, value in values.items():
        tie = doc.id if COMPOSITE_SORTS[name] else ID_MASK - doc.id
        document.add_unsigned(name, composite(value, tie))
    document.add_text("name_key", sort_text(doc.title))
    document.add_text("username_key", sort_text(doc.owner_username))
    document.add_text("extension_key", sort_text(doc.extension))
