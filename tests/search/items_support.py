"""Catalog rows for the PostgreSQL-backend and similarity tests, made directly (no media).

`add_item` writes one media_item row with the fields a test names, its English tags and
optional translations; everything else gets a neutral default.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from itertools import count
from typing import Any

from sqlalchemy.orm import Session

from stockhouse.catalog.models import (
    ItemStatus,
    ItemTag,
    ItemTranslation,
    MediaItem,
    MediaKind,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)
_serial = count(1)


def add_item(
    session: Session,
    owner_id: int,
    *,
    title: str = "",
    tags: Iterable[str] = (),
    translations: Iterable[tuple[str, str, Iterable[str]]] = (),
    kind: MediaKind = MediaKind.PHOTO,
    status: ItemStatus = ItemStatus.ACTIVE,
    **fields: Any,
) -> int:
    """One item; `translations` are (lang, title, tags). Returns its id."""
    serial = next(_serial)
    extension = fields.pop("extension", "mp4" if kind is MediaKind.VIDEO else "jpg")
    item = MediaItem(
        kind=kind,
        owner_id=owner_id,
        status=status,
        visible=fields.pop("visible", True),
        title=title,
        description=fields.pop("description", ""),
        original_filename=f"item-{serial}.{extension}",
        extension=extension,
        mime_type="video/mp4" if kind is MediaKind.VIDEO else "image/jpeg",
        file_size=1000 + serial,
        original_blob=f"{serial:064x}",
        published_at=fields.pop("published_at", T0 if status is ItemStatus.ACTIVE else None),
        created_at=fields.pop("created_at", T0),
        updated_at=fields.pop("updated_at", T0),
        **fields,
    )
    session.add(item)
    session.flush()
    for position, tag in enumerate(tags):
        session.add(ItemTag(item_id=item.id, lang="en", tag=tag, position=position))
    for lang, translated, translated_tags in translations:
        session.add(ItemTranslation(item_id=item.id, lang=lang, title=translated, description=""))
        for position, tag in enumerate(translated_tags):
            session.add(ItemTag(item_id=item.id, lang=lang, tag=tag, position=position))
    session.flush()
    return item.id
