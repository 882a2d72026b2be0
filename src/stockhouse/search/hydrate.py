"""Filling a page of item ids with the items' fields: one batched query, never one per item.

Backends answer ids; `hydrate` turns them into `ItemSummary` values in the same order,
with the title and description in the asked language where the item has a translation
(one outer join), and optionally the tags in that language (one more batched query).
Rows are read with SQLAlchemy Core, not as ORM objects: result pages are a hot path.

The Tantivy index also stores each item's summary (`encode_summary`: the same fields,
with every translation as the catalog stores it), so that its pages need no SQL at all:
`StoredSummary.in_language` gives exactly what `hydrate` gives for the item as indexed.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Integer, String, and_, any_, bindparam, cast, literal, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from stockhouse.accounts.models import User
from stockhouse.catalog.models import (
    ItemStatus,
    ItemTag,
    ItemTranslation,
    MediaItem,
    MediaKind,
    Orientation,
)
from stockhouse.catalog.translations import DEFAULT_LANGUAGE
from stockhouse.search.documents import ItemDocument, canonical_language, equivalent_languages


@dataclass(frozen=True, slots=True)
class ItemSummary:
    """An item's fields as search results show them.

    `title` and `description` are in `lang`: the asked language where the item has a
    translation (field by field), else the item's own (default-language) text.
    """

    id: int
    kind: MediaKind
    owner_id: int
    owner_username: str
    status: ItemStatus
    visible: bool
    title: str
    description: str
    lang: str
    original_filename: str
    extension: str
    mime_type: str
    file_size: int
    width: int | None
    height: int | None
    megapixels: Decimal | None
    orientation: Orientation | None
    color: int | None
    duration_ms: int | None
    fps: Decimal | None
    video_codec: str | None
    audio_codec: str | None
    video_standard: int | None
    aspect_ratio: int | None
    aspect_quotient: Decimal | None
    editorial: bool
    nudity: bool
    exclusive: bool
    extended_allowed: bool
    free: bool
    ai_generated: bool
    people_gender: str | None
    people_age: str | None
    people_race: str | None
    people_quantity: int | None
    people_only: bool
    series_id: int | None
    views: int
    downloads: int
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None
    tags: tuple[str, ...] = ()


# The select list, in ItemSummary's field order (tags, last, come from another query), so
# that a row unpacks straight into an ItemSummary.
_FIELD_NAMES = [f.name for f in fields(ItemSummary) if f.name != "tags"]
# Table columns, not ORM attributes: a plain Core statement skips the ORM's compile and
# result-adaptation steps, which cost more than the query on a page of results.
_ITEM = MediaItem.__table__.c
_USER = User.__table__.c
_SPECIAL_COLUMNS: dict[str, Any] = {
    "owner_username": _USER.username,
    "lang": literal(DEFAULT_LANGUAGE, String),
}
_SELECTED = [
    _SPECIAL_COLUMNS[name] if name in _SPECIAL_COLUMNS else _ITEM[name] for name in _FIELD_NAMES
]
_BASE = select(*_SELECTED).join_from(
    MediaItem.__table__, User.__table__, _USER.id == _ITEM.owner_id
)
_TITLE, _DESCRIPTION, _LANG = (_FIELD_NAMES.index(n) for n in ("title", "description", "lang"))
_WIDTH = len(_FIELD_NAMES)
_new_summary: Callable[..., ItemSummary] = ItemSummary  # built from rows, positionally


def hydrate(
    session: Session,
    item_ids: Sequence[int],
    lang: str | None = None,
    *,
    with_tags: bool = False,
) -> list[ItemSummary]:
    """The items of `item_ids`, in that order (ids that no longer exist are left out).

    With `lang` (other than the default), titles and descriptions are translated where a
    translation exists; with `with_tags`, tags are in `lang` too, falling back to the
    default language's tags when the item has none in `lang`.
    """
    wanted = list(dict.fromkeys(item_ids))
    if not wanted:
        return []
    translate = lang is not None and canonical_language(lang) != DEFAULT_LANGUAGE
    languages = equivalent_languages(lang) if translate and lang is not None else []
    rows = _rows(session, wanted, languages)
    tags = _tags(session, wanted, languages) if with_tags else {}
    found = {item_id: _summary(row, tags.get(item_id, ())) for item_id, row in rows.items()}
    return [found[item_id] for item_id in wanted if item_id in found]


def ids_in(column: Any, ids: list[int], session: Session) -> ColumnElement[bool]:
    """`column IN ids`; on PostgreSQL as `= ANY(array)`, one parameter instead of many."""
    if session.get_bind().dialect.name == "postgresql":
        condition: ColumnElement[bool] = column == any_(cast(bindparam("ids", ids), ARRAY(Integer)))
        return condition
    return column.in_(ids)  # type: ignore[no-any-return]


def _rows(session: Session, ids: list[int], languages: list[str]) -> dict[int, Any]:
    """One row per item; with a translation, the best-matching language's row wins."""
    statement = _BASE.where(ids_in(_ITEM.id, ids, session))
    if languages:
        translation = ItemTranslation.__table__.c
        statement = statement.outerjoin(
            ItemTranslation.__table__,
            and_(translation.item_id == _ITEM.id, translation.lang.in_(languages)),
        ).add_columns(translation.lang, translation.title, translation.description)
    rows: dict[int, Any] = {}
    # Core rows through the session's connection: no ORM result processing on a hot path.
    for row in session.connection().execute(statement).all():
        current = rows.get(row[0])
        if current is None or _preference(row, languages) < _preference(current, languages):
            rows[row[0]] = row
    return rows


def _preference(row: Any, languages: list[str]) -> int:
    """Lower is better: the language as asked before its aliases."""
    t_lang = row[_WIDTH] if len(row) > _WIDTH else None
    return languages.index(t_lang) if t_lang in languages else len(languages)


def _summary(row: Any, tags: tuple[str, ...]) -> ItemSummary:
    if len(row) == _WIDTH or row[_WIDTH] is None:
        return _new_summary(*row[:_WIDTH], tags=tags)
    values = list(row[:_WIDTH])
    t_lang, t_title, t_description = row[_WIDTH:]
    values[_TITLE] = t_title or values[_TITLE]
    values[_DESCRIPTION] = t_description or values[_DESCRIPTION]
    values[_LANG] = canonical_language(t_lang)
    return _new_summary(*values, tags=tags)


def _tags(session: Session, ids: list[int], languages: list[str]) -> dict[int, tuple[str, ...]]:
    """Tags per item in the first of `languages` it has, else in the default language."""
    wanted = [*languages, DEFAULT_LANGUAGE]
    by_item: dict[int, dict[str, list[str]]] = {}
    for item_id, tag_lang, tag in session.connection().execute(
        select(ItemTag.item_id, ItemTag.lang, ItemTag.tag)
        .where(ids_in(ItemTag.item_id, ids, session), ItemTag.lang.in_(wanted))
        .order_by(ItemTag.item_id, ItemTag.lang, ItemTag.position)
    ):
        by_item.setdefault(item_id, {}).setdefault(tag_lang, []).append(tag)
    result: dict[int, tuple[str, ...]] = {}
    for item_id, per_lang in by_item.items():
        chosen = next((per_lang[code] for code in wanted if code in per_lang), [])
        result[item_id] = tuple(chosen)
    return result


# -- summaries stored in the search index -------------------------------------------------

SUMMARY_FORMAT = 1  # the first value of an encoded summary
_DECIMALS = frozenset({"megapixels", "fps", "aspect_quotient"})
_TIMES = frozenset({"created_at", "updated_at", "published_at"})
# Enum members by value through a dict: calling the enum class costs several times more,
# on every item of a page read from the index.
_DECODERS: dict[str, Callable[[Any], Any]] = {
    "kind": {member.value: member for member in MediaKind}.__getitem__,
    "status": {member.value: member for member in ItemStatus}.__getitem__,
    "orientation": {member.value: member for member in Orientation}.__getitem__,
    **{name: Decimal for name in _DECIMALS},
    **{name: datetime.fromisoformat for name in _TIMES},
}
_DOCUMENT_VALUES: dict[str, Callable[[ItemDocument], Any]] = {
    "owner_username": lambda doc: doc.owner_username,
    "lang": lambda doc: DEFAULT_LANGUAGE,
}
Translation = tuple[str, str, str]  # language code as stored, title, description


def _encode_value(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name in _DECIMALS:
        return str(value)
    if name in _TIMES:
        return value.isoformat()
    if name in _DECODERS:  # enums
        return value.value
    return value


def encode_summary(doc: ItemDocument) -> bytes:
    """The stored summary of an indexed item: ItemSummary's fields and its translations."""
    values = []
    for name in _FIELD_NAMES:
        if name in _DOCUMENT_VALUES:
            value = _DOCUMENT_VALUES[name](doc)
        elif name in doc.details:
            value = doc.details[name]
        else:
            value = getattr(doc, name)
        values.append(_encode_value(name, value))
    payload = [SUMMARY_FORMAT, values, [list(t) for t in doc.translations]]
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


@dataclass(frozen=True, slots=True)
class StoredSummary:
    """An item's summary as indexed: its own texts, and its translations to pick from."""

    item: ItemSummary  # in the default language, without tags
    translations: tuple[Translation, ...]

    def in_language(self, lang: str | None) -> ItemSummary:
        """The summary `hydrate(session, [id], lang)` gives (same translation choice)."""
        if lang is None or not self.translations or canonical_language(lang) == DEFAULT_LANGUAGE:
            return self.item
        languages = equivalent_languages(lang)
        chosen = [t for t in self.translations if t[0] in languages]
        if not chosen:
            return self.item
        t_lang, t_title, t_description = min(chosen, key=lambda t: languages.index(t[0]))
        return dataclasses.replace(
            self.item,
            title=t_title or self.item.title,
            description=t_description or self.item.description,
            lang=canonical_language(t_lang),
        )


def decode_summary(blob: bytes) -> StoredSummary | None:
    """The summary `encode_summary` wrote; None for another format (then hydrate by SQL)."""
    payload = _decode_json(blob.decode())
    if not isinstance(payload, list) or not payload or payload[0] != SUMMARY_FORMAT:
        return None
    _, values, translations = payload
    if len(values) != _WIDTH:
        return None
    for index, name in _DECODED_POSITIONS:
        if values[index] is not None:
            values[index] = _DECODERS[name](values[index])
    return StoredSummary(_new_summary(*values), tuple((lang, t, d) for lang, t, d in translations))


_decode_json = json.JSONDecoder().decode
_DECODED_POSITIONS = [(i, name) for i, name in enumerate(_FIELD_NAMES) if name in _DECODERS]
