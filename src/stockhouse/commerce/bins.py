"""Bins (lightboxes): a user's named collections of items, as seed 003's *_bin commands use.

Rules:
- a name is unique per user;
- at most one bin per user is active: the first bin a user makes becomes active,
  `set_active` moves the mark, and deleting the active bin passes it to the oldest
  remaining bin (so a user with bins always has an active one);
- only published (active and visible) items can be added;
- a private bin is its owner's alone: to anyone else it does not exist (NotFound); a
  public bin can be read by anyone, but changed only by its owner;
- `generation` (Pond5 "gen") goes up by one on every change of a bin's name or content,
  so that clients can bust cached bin icons.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from stockhouse.accounts.models import User
from stockhouse.catalog.access import can_view, is_public
from stockhouse.catalog.models import MediaItem
from stockhouse.catalog.translations import clean_line
from stockhouse.commerce.models import Bin, BinItem
from stockhouse.db.base import utcnow
from stockhouse.errors import Conflict, InvalidParameter, NotFound

MAX_NAME_LENGTH = 200
MAX_BINS_PER_USER = 500
MAX_ITEMS_PER_BIN = 10_000
MAX_ITEMS_PER_CHANGE = 500


@dataclass(frozen=True)
class BinSummary:
    """A bin in a listing: Pond5 get_bins' id, p, tot, gen and name, and whether active."""

    id: int
    name: str
    public: bool
    active: bool
    generation: int
    item_count: int


@dataclass(frozen=True)
class BinContents:
    """A bin and the items of it the viewer may see, in the order they were added."""

    bin: Bin
    items: list[MediaItem]


@dataclass(frozen=True)
class BinChange:
    """What a modify call did: Pond5 modify_active_bin's addid and nbr_removed counts."""

    added: int
    removed: int
    generation: int


# -- finding ----------------------------------------------------------------------------


def _find(session: Session, bin_id: int, *, for_update: bool = False) -> Bin | None:
    query = select(Bin).where(Bin.id == bin_id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.scalar(query)


def get_own_bin(session: Session, user: User, bin_id: int, *, for_update: bool = False) -> Bin:
    """One of the user's bins; NotFound for every other bin, public or not."""
    found = _find(session, bin_id, for_update=for_update)
    if found is None or found.user_id != user.id:
        raise NotFound(f"bin {bin_id} does not exist")
    return found


def get_bin(session: Session, viewer: User | None, bin_id: int) -> BinContents:
    """A bin its owner or (when public) anyone may read, with the items the viewer may see."""
    found = _find(session, bin_id)
    if found is None or not (found.public or (viewer is not None and viewer.id == found.user_id)):
        raise NotFound(f"bin {bin_id} does not exist")
    items = session.scalars(
        select(MediaItem)
        .join(BinItem, BinItem.item_id == MediaItem.id)
        .where(BinItem.bin_id == found.id)
        .order_by(BinItem.added_at, BinItem.item_id)
    ).all()
    return BinContents(bin=found, items=[item for item in items if can_view(viewer, item)])


def item_counts(session: Session, bin_ids: Iterable[int]) -> dict[int, int]:
    """How many items each bin holds (0 for an empty bin)."""
    ids = list(bin_ids)
    counts = {bin_id: 0 for bin_id in ids}
    if ids:
        rows = session.execute(
            select(BinItem.bin_id, func.count())
            .where(BinItem.bin_id.in_(ids))
            .group_by(BinItem.bin_id)
        )
        counts.update({bin_id: count for bin_id, count in rows})
    return counts


def list_bins(session: Session, user: User) -> list[BinSummary]:
    """The user's bins, oldest first, with their item counts."""
    bins = session.scalars(select(Bin).where(Bin.user_id == user.id).order_by(Bin.id)).all()
    counts = item_counts(session, (b.id for b in bins))
    return [
        BinSummary(
            id=b.id,
            name=b.name,
            public=b.public,
            active=b.active,
            generation=b.generation,
            item_count=counts[b.id],
        )
        for b in bins
    ]


def active_bin(session: Session, user: User) -> Bin | None:
    """The user's active bin (None only when they have no bins: Pond5's 101)."""
    return session.scalar(select(Bin).where(Bin.user_id == user.id, Bin.active.is_(True)))


# -- changing bins ----------------------------------------------------------------------


def _lock_user(session: Session, user: User) -> None:
    # One writer per user's bins, so that two concurrent creates cannot both become active.
    session.execute(select(User.id).where(User.id == user.id).with_for_update(key_share=True))


def _clean_name(name: str) -> str:
    cleaned = clean_line("name", name, MAX_NAME_LENGTH)
    if not cleaned:
        raise InvalidParameter("name", "a bin needs a name")
    return cleaned


def _check_name_free(session: Session, user: User, name: str, except_id: int | None) -> None:
    taken = session.scalar(select(Bin.id).where(Bin.user_id == user.id, Bin.name == name))
    if taken is not None and taken != except_id:
        raise Conflict(f"you already have a bin named {name!r}")


def _make_active(session: Session, user: User, target: Bin) -> None:
    session.execute(
        update(Bin)
        .where(Bin.user_id == user.id, Bin.id != target.id, Bin.active.is_(True))
        .values(active=False)
        .execution_options(synchronize_session="fetch")
    )
    target.active = True


def create_bin(session: Session, user: User, name: str, *, public: bool = False) -> Bin:
    """A new empty bin; the user's first bin becomes their active bin."""
    name = _clean_name(name)
    _lock_user(session, user)
    _check_name_free(session, user, name, None)
    count = session.scalar(select(func.count()).select_from(Bin).where(Bin.user_id == user.id))
    if (count or 0) >= MAX_BINS_PER_USER:
        raise Conflict(f"a user may keep at most {MAX_BINS_PER_USER} bins")
    created = Bin(user_id=user.id, name=name, public=public, active=not count, generation=0)
    session.add(created)
    session.flush()
    return created


def rename_bin(session: Session, user: User, bin_id: int, name: str) -> Bin:
    """Give one of the user's bins a new name (a change: the generation goes up)."""
    name = _clean_name(name)
    _lock_user(session, user)
    target = get_own_bin(session, user, bin_id, for_update=True)
    if target.name != name:
        _check_name_free(session, user, name, target.id)
        target.name = name
        _touch(target)
    session.flush()
    return target


def set_public(session: Session, user: User, bin_id: int, public: bool) -> Bin:
    """Share a bin with everyone, or make it private again."""
    target = get_own_bin(session, user, bin_id, for_update=True)
    target.public = public
    target.updated_at = utcnow()
    session.flush()
    return target


def set_active(session: Session, user: User, bin_id: int) -> Bin:
    """Make one of the user's bins the active one (Pond5 set_active_bin)."""
    _lock_user(session, user)
    target = get_own_bin(session, user, bin_id)
    _make_active(session, user, target)
    session.flush()
    return target


def delete_bin(session: Session, user: User, bin_id: int) -> None:
    """Delete a bin and its item list; an active bin passes the mark to the oldest left."""
    _lock_user(session, user)
    target = get_own_bin(session, user, bin_id)
    was_active = target.active
    session.delete(target)
    session.flush()
    if was_active:
        oldest = session.scalar(select(Bin).where(Bin.user_id == user.id).order_by(Bin.id))
        if oldest is not None:
            _make_active(session, user, oldest)
            session.flush()


# -- changing contents ------------------------------------------------------------------


def _touch(target: Bin) -> None:
    target.generation += 1
    target.updated_at = utcnow()


def _unique_ids(item_ids: Iterable[int]) -> list[int]:
    ids = list(dict.fromkeys(item_ids))
    if len(ids) > MAX_ITEMS_PER_CHANGE:
        raise InvalidParameter("item_ids", f"at most {MAX_ITEMS_PER_CHANGE} items per change")
    return ids


def _published(session: Session, item_ids: list[int]) -> None:
    """NotFound for the first id that is not a published item (unknown or not public)."""
    items = {
        item.id: item
        for item in session.scalars(select(MediaItem).where(MediaItem.id.in_(item_ids)))
    }
    for item_id in item_ids:
        item = items.get(item_id)
        if item is None or not is_public(item):
            raise NotFound(f"item {item_id} does not exist")


def modify_bin(
    session: Session,
    user: User,
    bin_id: int,
    *,
    add: Sequence[int] = (),
    remove: Sequence[int] = (),
) -> BinChange:
    """Add and remove items of one of the user's bins; items already there are skipped.

    All or nothing: one unpublished or unknown item to add refuses the whole change.
    """
    to_add, to_remove = _unique_ids(add), _unique_ids(remove)
    target = get_own_bin(session, user, bin_id, for_update=True)
    if to_add:
        _published(session, to_add)
    present = set(session.scalars(select(BinItem.item_id).where(BinItem.bin_id == target.id)).all())
    new = [item_id for item_id in to_add if item_id not in present]
    gone = [item_id for item_id in to_remove if item_id in present and item_id not in to_add]
    if len(present) + len(new) - len(gone) > MAX_ITEMS_PER_BIN:
        raise Conflict(f"a bin holds at most {MAX_ITEMS_PER_BIN} items")
    if gone:
        session.execute(
            delete(BinItem)
            .where(BinItem.bin_id == target.id, BinItem.item_id.in_(gone))
            .execution_options(synchronize_session="fetch")
        )
    now = utcnow()
    # Distinct instants keep the order of one call's items when listing by added_at.
    session.add_all(
        BinItem(bin_id=target.id, item_id=item_id, added_at=now + timedelta(microseconds=i))
        for i, item_id in enumerate(new)
    )
    if new or gone:
        _touch(target)
    session.flush()
    session.expire(target, ["items"])
    return BinChange(added=len(new), removed=len(gone), generation=target.generation)


def add_items(session: Session, user: User, bin_id: int, item_ids: Sequence[int]) -> BinChange:
    return modify_bin(session, user, bin_id, add=item_ids)


def remove_items(session: Session, user: User, bin_id: int, item_ids: Sequence[int]) -> BinChange:
    return modify_bin(session, user, bin_id, remove=item_ids)
