"""Catalog item services: find, list and edit media items; count their views and downloads.

Plain functions over a SQLAlchemy session; the caller owns the transaction (a failed edit
raises, and the caller's rollback undoes any part of it already applied).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from stockhouse.accounts.models import User
from stockhouse.catalog import categories, translations
from stockhouse.catalog.access import is_admin, require_viewable
from stockhouse.catalog.models import ItemStatus, MediaItem, MediaKind
from stockhouse.catalog.series import check_series_for_item, get_series
from stockhouse.catalog.translations import (
    DEFAULT_LANGUAGE,
    MAX_DESCRIPTION_LENGTH,
    MAX_LANGUAGES,
    MAX_TITLE_LENGTH,
    clean_line,
    clean_text,
)
from stockhouse.errors import Conflict, InvalidParameter, NotFound, PermissionDenied

MAX_PAGE_SIZE = 500
MAX_COPYRIGHT_LENGTH = 300
MAX_PEOPLE_QUANTITY = 100
EDITABLE_STATUSES = (ItemStatus.UPLOADED, ItemStatus.REJECTED)

# The people attributes buyers filter on (Depositphotos dp_search_gender/age/race).
PEOPLE_GENDERS = ("male", "female", "both")
PEOPLE_AGES = ("infant", "child", "teenager", "20", "30", "40", "50", "60", "70")
PEOPLE_RACES = (
    "asian",
    "brazilian",
    "black",
    "caucasian",
    "hispanic",
    "middle",
    "multi",
    "native",
    "other",
)


class Unset(enum.Enum):
    """Marks an edit field that was not given (as opposed to given as None: cleared)."""

    UNSET = "unset"


UNSET = Unset.UNSET


@dataclass(frozen=True)
class TranslationEdit:
    """New texts of one language; None leaves a field as it is."""

    title: str | None = None
    description: str | None = None
    tags: list[str] | None = None


@dataclass(frozen=True)
class ItemEdit:
    """The fields of an item to change; fields left at their default stay as they are.

    `tags` are the default language's; `translations` maps a language to its new texts,
    or to None to remove that language. `series_id` and the people fields accept None
    (clear) as a value, so they use UNSET for "not given".
    """

    title: str | None = None
    description: str | None = None
    tags: list[str] | None = None
    translations: dict[str, TranslationEdit | None] = field(default_factory=dict)
    category_ids: list[int] | None = None
    series_id: int | Unset | None = UNSET
    editorial: bool | None = None
    nudity: bool | None = None
    exclusive: bool | None = None
    extended_allowed: bool | None = None
    free: bool | None = None
    ai_generated: bool | None = None
    people_only: bool | None = None
    people_gender: str | Unset | None = UNSET
    people_age: str | Unset | None = UNSET
    people_race: str | Unset | None = UNSET
    people_quantity: int | Unset | None = UNSET
    copyright: str | None = None


_FLAGS = (
    "editorial",
    "nudity",
    "exclusive",
    "extended_allowed",
    "free",
    "ai_generated",
    "people_only",
)


@dataclass(frozen=True)
class ItemPage:
    """One page of a listing and the number of items over all pages."""

    items: Sequence[MediaItem]
    total: int


# -- finding ----------------------------------------------------------------------------


def get_item(session: Session, item_id: int) -> MediaItem:
    item = session.get(MediaItem, item_id)
    if item is None:
        raise NotFound(f"item {item_id} does not exist")
    return item


def get_viewable_item(session: Session, viewer: User | None, item_id: int) -> MediaItem:
    """The item if `viewer` may see it (see catalog.access), else NotFound."""
    return require_viewable(viewer, get_item(session, item_id))


def list_items(
    session: Session,
    owner: User,
    *,
    status: ItemStatus | None = None,
    kind: MediaKind | None = None,
    limit: int = 100,
    offset: int = 0,
) -> ItemPage:
    """The owner's items, newest first, optionally of one status and kind."""
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise InvalidParameter("limit", f"limit must be 1-{MAX_PAGE_SIZE}")
    if offset < 0:
        raise InvalidParameter("offset", "offset must not be negative")
    conditions = [MediaItem.owner_id == owner.id]
    if status is not None:
        conditions.append(MediaItem.status == ItemStatus(status))
    if kind is not None:
        conditions.append(MediaItem.kind == MediaKind(kind))
    total = session.scalar(select(func.count()).select_from(MediaItem).where(*conditions))
    items = session.scalars(
        select(MediaItem)
        .where(*conditions)
        .order_by(MediaItem.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return ItemPage(items=items, total=total or 0)


# -- editing ----------------------------------------------------------------------------


def require_editable(actor: User, item: MediaItem) -> None:
    """Owners edit while an item is uploaded or rejected; admins edit at any time."""
    if is_admin(actor):
        return
    if actor.id != item.owner_id:
        raise PermissionDenied("only the item's owner can edit it")
    if item.status not in EDITABLE_STATUSES:
        raise Conflict(
            f"item {item.id} is {item.status.value}; only uploaded or rejected items can be edited"
        )


def update_item(session: Session, actor: User, item: MediaItem, edit: ItemEdit) -> MediaItem:
    """Apply `edit` to `item` after checking the actor's right and every value."""
    require_editable(actor, item)
    if edit.title is not None:
        item.title = clean_line("title", edit.title, MAX_TITLE_LENGTH)
    if edit.description is not None:
        item.description = clean_text("description", edit.description, MAX_DESCRIPTION_LENGTH)
    if edit.tags is not None:
        translations.set_tags(item, DEFAULT_LANGUAGE, edit.tags)
    _apply_translations(item, edit.translations)
    if edit.category_ids is not None:
        categories.set_categories(session, item, edit.category_ids)
    if not isinstance(edit.series_id, Unset):
        _set_series(session, item, edit.series_id)
    for flag in _FLAGS:
        value = getattr(edit, flag)
        if value is not None:
            setattr(item, flag, bool(value))
    _apply_people(item, edit)
    if edit.copyright is not None:
        item.copyright = clean_line("copyright", edit.copyright, MAX_COPYRIGHT_LENGTH)
    session.flush()
    return item


def _apply_translations(item: MediaItem, edits: dict[str, TranslationEdit | None]) -> None:
    for lang, text in edits.items():
        if text is None:
            translations.remove_language(item, lang)
            continue
        if text.title is not None or text.description is not None:
            translations.set_translation(item, lang, title=text.title, description=text.description)
        if text.tags is not None:
            if translations.validate_language(lang) == DEFAULT_LANGUAGE:
                raise InvalidParameter("translations", "give the default language's tags as tags")
            translations.set_tags(item, lang, text.tags)
    if len(translations.languages_of(item)) > MAX_LANGUAGES:
        raise InvalidParameter("translations", f"an item has at most {MAX_LANGUAGES} languages")


def _set_series(session: Session, item: MediaItem, series_id: int | None) -> None:
    if series_id is None:
        item.series_id = None
        return
    try:
        series = get_series(session, series_id)
    except NotFound:
        raise InvalidParameter("series_id", f"series {series_id} does not exist") from None
    check_series_for_item(series, item)
    item.series_id = series.id


def _choice(name: str, value: str | None, allowed: tuple[str, ...]) -> str | None:
    if value is None:
        return None
    text = str(value).strip().lower()
    if text not in allowed:
        raise InvalidParameter(name, f"{name} must be one of {', '.join(allowed)}")
    return text


def _apply_people(item: MediaItem, edit: ItemEdit) -> None:
    if not isinstance(edit.people_gender, Unset):
        item.people_gender = _choice("people_gender", edit.people_gender, PEOPLE_GENDERS)
    if not isinstance(edit.people_age, Unset):
        item.people_age = _choice("people_age", edit.people_age, PEOPLE_AGES)
    if not isinstance(edit.people_race, Unset):
        item.people_race = _choice("people_race", edit.people_race, PEOPLE_RACES)
    if not isinstance(edit.people_quantity, Unset):
        quantity = edit.people_quantity
        if quantity is not None and not 0 <= quantity <= MAX_PEOPLE_QUANTITY:
            raise InvalidParameter(
                "people_quantity", f"people_quantity must be 0-{MAX_PEOPLE_QUANTITY}"
            )
        item.people_quantity = quantity


# -- counters ---------------------------------------------------------------------------


def record_view(session: Session, item_id: int) -> None:
    """Count one view of an item: a single UPDATE that leaves updated_at as it was."""
    _increment(session, item_id, views=MediaItem.views + 1)


def record_download(session: Session, item_id: int) -> None:
    """Count one licensed download of an item (single UPDATE, like record_view)."""
    _increment(session, item_id, downloads=MediaItem.downloads + 1)


def _increment(session: Session, item_id: int, **values: object) -> None:
    session.execute(
        update(MediaItem)
        .where(MediaItem.id == item_id)
        .values(updated_at=MediaItem.updated_at, **values)
        .execution_options(synchronize_session=False)
    )
