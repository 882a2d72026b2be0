"""Who may see and change catalog items: the rules every catalog service and adapter shares.

Owners see their own items in every status; reviewers and admins see every item; anyone
else sees only items that are published (`active`) and visible.
"""

from __future__ import annotations

from stockhouse.accounts.models import Role, User
from stockhouse.catalog.models import ItemStatus, MediaItem
from stockhouse.errors import NotFound, PermissionDenied


def is_admin(user: User) -> bool:
    return user.has_role(Role.ADMIN)


def is_reviewer(user: User) -> bool:
    """Reviewers and admins may work the review queue."""
    return user.has_role(Role.REVIEWER) or user.has_role(Role.ADMIN)


def require_contributor(user: User, action: str) -> None:
    """PermissionDenied unless `user` may supply media (contributors and admins)."""
    if not (user.has_role(Role.CONTRIBUTOR) or is_admin(user)):
        raise PermissionDenied(f"{action} needs the contributor role")


def is_public(item: MediaItem) -> bool:
    """Whether anyone, signed in or not, may see the item and its previews."""
    return item.status == ItemStatus.ACTIVE and item.visible


def sees_every_status(user: User | None, item: MediaItem) -> bool:
    """Owners, reviewers and admins see an item whatever its status."""
    return user is not None and (user.id == item.owner_id or is_reviewer(user))


def can_view(user: User | None, item: MediaItem) -> bool:
    return is_public(item) or sees_every_status(user, item)


def require_viewable(user: User | None, item: MediaItem) -> MediaItem:
    """The item, or NotFound for callers who may not see it (its existence stays private)."""
    if not can_view(user, item):
        raise NotFound(f"item {item.id} does not exist")
    return item


def require_owner_or_admin(user: User, owner_id: int, what: str) -> None:
    """PermissionDenied unless `user` owns the thing (named by `what`) or is an admin."""
    if user.id != owner_id and not is_admin(user):
        raise PermissionDenied(f"{what} is not yours")
