"""Categories: a fixed list per group (image, video, music, sfx), and an item's choice of them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from stockhouse.catalog.models import Category, MediaItem
from stockhouse.errors import InvalidParameter

CATEGORY_GROUPS = ("image", "video", "music", "sfx")
MAX_CATEGORIES_PER_ITEM = 3

_IMAGE_AND_VIDEO = (
    "Abstract",
    "Animals",
    "Architecture",
    "Arts & Entertainment",
    "Beauty & Fashion",
    "Business",
    "Education",
    "Food & Drink",
    "Holidays",
    "Industry",
    "Interiors",
    "Medicine & Health",
    "Nature",
    "Objects",
    "People",
    "Religion",
    "Science",
    "Sports & Recreation",
    "Technology",
    "Transportation",
    "Travel",
)

DEFAULT_CATEGORIES: dict[str, tuple[str, ...]] = {
    "image": (*_IMAGE_AND_VIDEO, "Backgrounds & Textures", "Illustrations & Clip-Art"),
    "video": (*_IMAGE_AND_VIDEO, "Aerial", "Slow Motion", "Time Lapse"),
    "music": (
        "Ambient",
        "Blues",
        "Children",
        "Cinematic",
        "Classical",
        "Corporate",
        "Country",
        "Electronic",
        "Folk",
        "Hip Hop",
        "Jazz",
        "Latin",
        "Pop",
        "Rock",
        "World",
    ),
    "sfx": (
        "Ambience",
        "Animals",
        "Cartoon",
        "Foley",
        "Household",
        "Human",
        "Impacts",
        "Industrial",
        "Interface",
        "Nature",
        "Transportation",
        "Weapons",
        "Whooshes",
    ),
}


def ensure_default_categories(session: Session) -> int:
    """Create the default categories that do not exist yet; returns how many were created.

    Idempotent: running it again (or after an admin added categories) adds nothing twice.
    """
    existing = {
        (group, name) for group, name in session.execute(select(Category.group, Category.name))
    }
    missing = [
        Category(group=group, name=name)
        for group, names in DEFAULT_CATEGORIES.items()
        for name in names
        if (group, name) not in existing
    ]
    session.add_all(missing)
    session.flush()
    return len(missing)


def validate_group(group: str) -> str:
    if group not in CATEGORY_GROUPS:
        raise InvalidParameter(
            "group", f"category group must be one of {', '.join(CATEGORY_GROUPS)}"
        )
    return group


def list_categories(session: Session, group: str | None = None) -> Sequence[Category]:
    """Categories ordered by group and name; one group's only when `group` is given."""
    query = select(Category).order_by(Category.group, Category.name)
    if group is not None:
        query = query.where(Category.group == validate_group(group))
    return session.scalars(query).all()


def set_categories(session: Session, item: MediaItem, category_ids: Iterable[int]) -> None:
    """Replace the item's categories; each must exist and belong to the item's kind's group."""
    ids = list(dict.fromkeys(category_ids))
    if len(ids) > MAX_CATEGORIES_PER_ITEM:
        raise InvalidParameter(
            "categories", f"an item has at most {MAX_CATEGORIES_PER_ITEM} categories"
        )
    found = {c.id: c for c in session.scalars(select(Category).where(Category.id.in_(ids)))}
    group = item.kind.category_group
    for category_id in ids:
        category = found.get(category_id)
        if category is None:
            raise InvalidParameter("categories", f"category {category_id} does not exist")
        if category.group != group:
            raise InvalidParameter(
                "categories",
                f"category {category_id} is a {category.group} category, "
                f"not one for a {item.kind.value} item",
            )
    item.categories = [found[i] for i in ids]
