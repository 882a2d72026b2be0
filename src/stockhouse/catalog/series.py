"""Series: items a contributor grouped together (a shoot, a set, a story)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stockhouse.accounts.models import User
from stockhouse.catalog.access import require_owner_or_admin
from stockhouse.catalog.models import MediaItem, Series
from stockhouse.catalog.translations import clean_line
from stockhouse.errors import Conflict, InvalidParameter, NotFound

MAX_SERIES_NAME_LENGTH = 200
MAX_ITEMS_PER_ASSIGNMENT = 500


def create_series(session: Session, owner: User, name: str) -> Series:
    """A new, empty series of `owner`; names are unique per owner."""
    name = clean_line("name", name, MAX_SERIES_NAME_LENGTH)
    if not name:
        raise InvalidParameter("name", "a series needs a name")
    taken = session.scalar(
        select(Series.id).where(Series.owner_id == owner.id, Series.name == name)
    )
    if taken is not None:
        raise Conflict(f"you already have a series named {name!r}")
    series = Series(owner_id=owner.id, name=name)
    session.add(series)
    session.flush()
    return series


def get_series(session: Session, series_id: int) -> Series:
    series = session.get(Series, series_id)
    if series is None:
        raise NotFound(f"series {series_id} does not exist")
    return series


def list_series(session: Session, owner: User) -> Sequence[Series]:
    return session.scalars(
        select(Series).where(Series.owner_id == owner.id).order_by(Series.id)
    ).all()


def series_item_counts(session: Session, series_ids: Iterable[int]) -> dict[int, int]:
    """How many items each series holds (series without items are left out)."""
    rows = session.execute(
        select(MediaItem.series_id, func.count())
        .where(MediaItem.series_id.in_(list(series_ids)))
        .group_by(MediaItem.series_id)
    )
    return {series_id: count for series_id, count in rows if series_id is not None}


def item_ids_in_series(session: Session, series: Series) -> list[int]:
    return list(
        session.scalars(
            select(MediaItem.id).where(MediaItem.series_id == series.id).order_by(MediaItem.id)
        )
    )


def check_series_for_item(series: Series, item: MediaItem) -> None:
    """A series may only hold items of its own owner."""
    if series.owner_id != item.owner_id:
        raise InvalidParameter(
            "series_id", f"series {series.id} and item {item.id} have different owners"
        )


def assign_to_series(
    session: Session, actor: User, series: Series | None, item_ids: Iterable[int]
) -> list[int]:
    """Put items in `series` (or take them out of any series with None); returns the ids.

    The actor must own every item (admins may act for anyone); a series holds only items of
    its owner. Grouping does not change what buyers see, so it is allowed in every status.
    """
    ids = list(dict.fromkeys(item_ids))
    if len(ids) > MAX_ITEMS_PER_ASSIGNMENT:
        raise InvalidParameter("item_ids", f"at most {MAX_ITEMS_PER_ASSIGNMENT} items at a time")
    if series is not None:
        require_owner_or_admin(actor, series.owner_id, f"series {series.id}")
    items = {i.id: i for i in session.scalars(select(MediaItem).where(MediaItem.id.in_(ids)))}
    for item_id in ids:
        item = items.get(item_id)
        if item is None:
            raise NotFound(f"item {item_id} does not exist")
        require_owner_or_admin(actor, item.owner_id, f"item {item_id}")
        if series is not None:
            check_series_for_item(series, item)
    for item in items.values():
        item.series_id = series.id if series is not None else None
    session.flush()
    return ids
