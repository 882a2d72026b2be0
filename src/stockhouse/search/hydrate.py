"""Filling a page of item ids with the items' fields: one batched query, never one per item.

Backends answer ids; `hydrate` turns them into `ItemSummary` values in the same order,
with the title and description in the asked language where the item has a translation
(one outer join), and optionally the tags in that language (one more batched query).
Rows are read with SQLAlchemy Core, not as ORM objects: result pages are a hot path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, select
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
from stockhouse.search.documents import canonical_language, equivalent_languages


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


# Columns read straight from media_item: every ItemSummary field that is one.
_SPECIAL = {"owner_username", "title", "description", "lang", "tags"}
_ITEM_COLUMNS = [getattr(MediaItem, f.name) for f in fields(ItemSummary) if f.name not in _SPECIAL]


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
    found = {row_id: _summary(row, languages, tags.get(row_id, ())) for row_id, row in rows.items()}
    return [found[item_id] for item_id in wanted if item_id in found]


def _rows(session: Session, ids: list[int], languages: list[str]) -> dict[int, Any]:
    """One row per item; with a translation, the best-matching language's row wins."""
    statement = (
        select(*_ITEM_COLUMNS, User.username.label("owner_username"))
        .add_columns(MediaItem.title, MediaItem.description)
        .join(User, User.id == MediaItem.owner_id)
        .where(MediaItem.id.in_(ids))
    )
    if languages:
        statement = statement.outerjoin(
            ItemTranslation,
            and_(ItemTranslation.item_id == MediaItem.id, ItemTranslation.lang.in_(languages)),
        ).add_columns(
            ItemTranslation.lang.label("t_lang"),
            ItemTranslation.title.label("t_title"),
            ItemTranslation.description.label("t_description"),
        )
    rows: dict[int, Any] = {}
    for row in session.execute(statement):
        current = rows.get(row.id)
        if current is None or _preference(row, languages) < _preference(current, languages):
            rows[row.id] = row
    return rows


def _preference(row: Any, languages: list[str]) -> int:
    """Lower is better: the language as asked before its aliases."""
    t_lang = row._mapping.get("t_lang")
    return languages.index(t_lang) if t_lang in languages else len(languages)


def _summary(row: Any, languages: list[str], tags: tuple[str, ...]) -> ItemSummary:
    values = row._mapping
    title, description, lang = values["title"], values["description"], DEFAULT_LANGUAGE
    t_lang = values.get("t_lang")
    if t_lang is not None:
        title = values["t_title"] or title
        description = values["t_description"] or description
        lang = canonical_language(t_lang)
    item_values = {c.key: values[c.key] for c in _ITEM_COLUMNS}
    return ItemSummary(
        **item_values,
        owner_username=values["owner_username"],
        title=title,
        description=description,
        lang=lang,
        tags=tags,
    )


def _tags(session: Session, ids: list[int], languages: list[str]) -> dict[int, tuple[str, ...]]:
    """Tags per item in the first of `languages` it has, else in the default language."""
    wanted = [*languages, DEFAULT_LANGUAGE]
    by_item: dict[int, dict[str, list[str]]] = {}
    for item_id, tag_lang, tag in session.execute(
        select(ItemTag.item_id, ItemTag.lang, ItemTag.tag)
        .where(ItemTag.item_id.in_(ids), ItemTag.lang.in_(wanted))
        .order_by(ItemTag.item_id, ItemTag.lang, ItemTag.position)
    ):
        by_item.setdefault(item_id, {}).setdefault(tag_lang, []).append(tag)
    result: dict[int, tuple[str, ...]] = {}
    for item_id, per_lang in by_item.items():
        chosen = next((per_lang[code] for code in wanted if code in per_lang), [])
        result[item_id] = tuple(chosen)
    return result
