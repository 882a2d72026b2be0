"""Listing the catalog by plain item columns: what collection APIs (photo.list) show.

Unlike search (relevance, text, facets), a listing orders by the item's own columns in
any combination, filters by status, kind, public visibility and publication time, and
counts. Text columns order by code point (binary collation) on both engines, so that
SQLite and PostgreSQL give the same order; ties end with the item id, ascending.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import Session

from stockhouse.catalog.models import ItemStatus, MediaItem, MediaKind
from stockhouse.errors import InvalidParameter

MAX_LISTING_LIMIT = 1000
MAX_LISTING_SORT_KEYS = 6


class ListingField(enum.StrEnum):
    ID = "id"
    FILENAME = "filename"  # the original file name
    TITLE = "title"
    DESCRIPTION = "description"
    PUBLISHED = "published"  # published_at; items never published sort as the earliest
    PUBLIC = "public"  # active and visible (catalog.access.is_public) sorts after the rest


@dataclass(frozen=True)
class ListingOrder:
    field: ListingField
    descending: bool = False


@dataclass(frozen=True)
class ListingQuery:
    """Which items, in which order, which page. Empty sets and None mean "any"."""

    kinds: frozenset[MediaKind] = frozenset()
    statuses: frozenset[ItemStatus] = frozenset({ItemStatus.ACTIVE})
    public: bool | None = None
    published_from: datetime | None = None  # inclusive
    published_to: datetime | None = None  # inclusive
    item_ids: frozenset[int] = frozenset()
    order: tuple[ListingOrder, ...] = ()
    offset: int = 0
    limit: int = 100


@dataclass(frozen=True)
class ListingPage:
    items: Sequence[MediaItem]
    total: int


def public_condition() -> ColumnElement[bool]:
    """SQL for catalog.access.is_public."""
    return and_(MediaItem.status == ItemStatus.ACTIVE, MediaItem.visible.is_(True))


def _conditions(query: ListingQuery) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if query.kinds:
        conditions.append(MediaItem.kind.in_(sorted(query.kinds)))
    if query.statuses:
        conditions.append(MediaItem.status.in_(sorted(query.statuses)))
    if query.public is True:
        conditions.append(public_condition())
    elif query.public is False:
        conditions.append(~public_condition())
    if query.published_from is not None:
        conditions.append(MediaItem.published_at >= query.published_from)
    if query.published_to is not None:
        conditions.append(MediaItem.published_at <= query.published_to)
    if query.item_ids:
        conditions.append(MediaItem.id.in_(sorted(query.item_ids)))
    return conditions


def _binary(column: Any, dialect: str) -> Any:
    # SQLite compares text by code point already; PostgreSQL does with the "C" collation.
    return column.collate("C") if dialect == "postgresql" else column


def _sort_expression(field: ListingField, dialect: str) -> Any:
    if field is ListingField.ID:
        return MediaItem.id
    if field is ListingField.FILENAME:
        return _binary(MediaItem.original_filename, dialect)
    if field is ListingField.TITLE:
        return _binary(MediaItem.title, dialect)
    if field is ListingField.DESCRIPTION:
        return _binary(MediaItem.description, dialect)
    if field is ListingField.PUBLISHED:
        return MediaItem.published_at
    return case((public_condition(), 1), else_=0)


def _order_by(query: ListingQuery, dialect: str) -> list[Any]:
    clauses: list[Any] = []
    for key in query.order:
        expression = _sort_expression(key.field, dialect)
        if key.field is ListingField.PUBLISHED:
            clauses.append(
                MediaItem.published_at.is_not(None).desc()
                if key.descending
                else MediaItem.published_at.is_not(None).asc()
            )
        clauses.append(expression.desc() if key.descending else expression.asc())
    if not any(key.field is ListingField.ID for key in query.order):
        clauses.append(MediaItem.id.asc())
    return clauses


def validate_listing(query: ListingQuery) -> ListingQuery:
    if not 1 <= query.limit <= MAX_LISTING_LIMIT:
        raise InvalidParameter("limit", f"limit must be 1-{MAX_LISTING_LIMIT}")
    if query.offset < 0:
        raise InvalidParameter("offset", "offset must not be negative")
    if len(query.order) > MAX_LISTING_SORT_KEYS:
        raise InvalidParameter("sort", f"at most {MAX_LISTING_SORT_KEYS} sort keys")
    return query


def count_listing(session: Session, query: ListingQuery) -> int:
    total = session.scalar(select(func.count()).select_from(MediaItem).where(*_conditions(query)))
    return int(total or 0)


def list_listing(session: Session, query: ListingQuery, *, count: bool = True) -> ListingPage:
    """One page of the listing, and (with `count`) the number of items on every page."""
    validate_listing(query)
    dialect = session.get_bind().dialect.name
    items = session.scalars(
        select(MediaItem)
        .where(*_conditions(query))
        .order_by(*_order_by(query, dialect))
        .offset(query.offset)
        .limit(query.limit)
    ).all()
    total = count_listing(session, query) if count else len(items)
    return ListingPage(items=items, total=total)
