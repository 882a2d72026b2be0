"""The small catalog every search test runs on, and a `backend` fixture over each backend.

`backend` is module-scoped: the catalog is built once per backend and database, then every
test of the module reads it. Its params are Tantivy on SQLite, Tantivy on PostgreSQL and
the PostgreSQL full-text backend (only on PostgreSQL). Items are named; tests compare
name lists (`catalog.names(ids)`), so the expected orders read as the catalog below.
"""

from __future__ import annotations

import importlib.util
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import Role
from stockhouse.catalog.models import (
    Category,
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
    Series,
)
from stockhouse.config import load_settings
from stockhouse.runtime import Runtime
from stockhouse.search.query import SearchBackend, SearchQuery

T0 = datetime(2024, 1, 1, tzinfo=UTC)
OWNERS = ("alice", "Bob", "carol")
CATEGORIES = {
    "animals": ("image", "Test Animals"),
    "nature": ("image", "Test Nature"),
    "business": ("image", "Test Business"),
    "aerial": ("video", "Test Aerial"),
    "ambient": ("music", "Test Ambient"),
}
KIND_EXTENSIONS = {"jpg": "image/jpeg", "png": "image/png", "svg": "image/svg+xml"}

H, V, SQ = Orientation.HORIZONTAL, Orientation.VERTICAL, Orientation.SQUARE
PHOTO, VECTOR, ILLUSTRATION = MediaKind.PHOTO, MediaKind.VECTOR, MediaKind.ILLUSTRATION
VIDEO, MUSIC, SFX = MediaKind.VIDEO, MediaKind.MUSIC, MediaKind.SFX


@dataclass(frozen=True)
class Spec:
    """One catalog item. Days count from T0 (2024-01-01); `published` None = unpublished."""

    name: str
    kind: MediaKind
    owner: str
    title: str
    tags: tuple[str, ...]
    ext: str
    size: tuple[int, int] | None
    orientation: Orientation | None
    color: int | None
    views: int
    downloads: int
    published: int | None
    created: int
    updated: int
    description: str = ""
    status: ItemStatus = ItemStatus.ACTIVE
    visible: bool = True
    duration_ms: int | None = None
    categories: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()  # editorial, nudity, exclusive, free, ai_generated, people_only
    people: tuple[str | None, str | None, str | None, int | None] = (None, None, None, None)
    translations: tuple[tuple[str, str, tuple[str, ...]], ...] = ()  # (lang, title, tags)
    video_standard: int | None = None
    in_series: bool = False
    model_release: bool = False


CATALOG: tuple[Spec, ...] = (
    Spec("dog_park", PHOTO, "alice", "Dog running in the park", ("dog", "park", "grass"),
         "jpg", (4000, 3000), H, 4, 120, 30, 95, 5, 40,
         description="A happy dog runs across green grass.", categories=("animals", "nature"),
         translations=(("de", "Hund läuft im Park", ("hund", "park")),)),
    Spec("cat_sofa", PHOTO, "Bob", "Cat sleeping on a sofa", ("cat", "sofa", "home"),
         "png", (1200, 1600), V, 15, 300, 30, 20, 25, 21,
         description="A grey cat asleep.", categories=("animals",)),
    Spec("dog_beach", PHOTO, "carol", "Dog on the beach", ("dog", "beach", "sea"),
         "jpg", (2000, 2000), SQ, 2, 50, 10, 30, 7, 30,
         description="Waves and sand.", categories=("animals", "nature"),
         translations=(("pl", "Pies na plaży", ("pies", "plaża")),)),
    Spec("lighthouse", PHOTO, "alice", "Lighthouse at dusk", ("lighthouse", "coast", "evening"),
         "jpg", (5000, 3000), H, 7, 80, 5, 40, 8, 41,
         description="An old tower by the coast.", categories=("nature",)),
    Spec("harbour", PHOTO, "Bob", "Harbour boats", ("boats", "harbour"),
         "jpg", (3000, 2000), H, 1, 10, 5, 50, 9, 41,
         description="The lighthouse keeper watches the boats.", flags=("editorial",),
         categories=("business",)),
    Spec("red_car", PHOTO, "carol", "Red car on a street", ("red car", "street", "vehicle"),
         "jpg", (1920, 1080), H, 9, 200, 0, 60, 10, 60, categories=("business",)),
    Spec("car_wheels", PHOTO, "alice", "Car with red wheels", ("car", "wheels"),
         "jpg", (800, 600), H, 10, 0, 0, 70, 11, 70, flags=("ai_generated", "free")),
    Spec("morning_run", PHOTO, "Bob", "Morning run on the beach",
         ("run", "jogging", "beach", "people"), "jpg", (6000, 4000), H, 8, 40, 12, 80, 12, 80,
         description="Runners at sunrise.", flags=("people_only",),
         people=("female", "30", "caucasian", 1), model_release=True),
    Spec("business_team", PHOTO, "carol", "Business team meeting",
         ("business", "team", "office", "people"), "jpg", (2500, 1667), H, 14, 60, 12, 90, 13, 90,
         flags=("exclusive", "editorial"), people=("both", "40", "multi", 3),
         categories=("business",), model_release=True,
         translations=(("fr", "Réunion d'équipe", ("équipe", "réunion")),)),
    Spec("mountain", VECTOR, "alice", "Mountain landscape", ("mountain", "landscape", "nature"),
         "svg", (800, 800), SQ, 4, 25, 8, 100, 14, 100, categories=("nature",)),
    Spec("flowers", VECTOR, "Bob", "Flower pattern", ("flower", "pattern"),
         "eps", (1000, 500), H, 12, 5, 8, 60, 15, 110),
    Spec("castle", ILLUSTRATION, "carol", "Fairy castle", ("castle", "fairy tale"),
         "png", (3000, 4500), V, 13, 15, 2, 120, 16, 120),
    Spec("aerial_city", VIDEO, "alice", "Aerial city at night", ("city", "aerial", "night"),
         "mp4", (3840, 2160), H, 16, 500, 50, 130, 17, 130, duration_ms=15000,
         categories=("aerial",), video_standard=10, in_series=True),
    Spec("ocean_waves", VIDEO, "Bob", "Ocean waves", ("ocean", "waves", "sea"),
         "mov", (1920, 1080), H, 3, 150, 3, 140, 18, 140, duration_ms=8000,
         flags=("editorial",), categories=("aerial",), video_standard=4),
    Spec("clouds", VIDEO, "alice", "Clouds timelapse", ("clouds", "sky", "timelapse"),
         "mp4", (1280, 720), H, 17, 70, 3, 150, 19, 150, duration_ms=30000,
         video_standard=9, in_series=True),
    Spec("piano", MUSIC, "carol", "Calm piano", ("piano", "calm"),
         "mp3", None, None, None, 90, 20, 160, 20, 160, duration_ms=120000,
         categories=("ambient",)),
    Spec("door_slam", SFX, "Bob", "Door slam", ("door", "slam"),
         "wav", None, None, None, 0, 0, 170, 21, 170, duration_ms=1500),
    Spec("statue", PHOTO, "alice", "Marble statue", ("statue", "art", "nude"),
         "jpg", (2000, 3000), V, 17, 33, 1, 180, 3, 180, flags=("nudity",)),
    Spec("archived_dog", PHOTO, "carol", "Old dog portrait", ("dog", "portrait"),
         "jpg", (1000, 1000), SQ, 15, 999, 99, 5, 1, 5, categories=("animals",),
         status=ItemStatus.ARCHIVED, visible=False),
    Spec("pending_dog", PHOTO, "alice", "Dog with a ball", ("dog", "ball"),
         "jpg", (1600, 1200), H, 4, 0, 0, None, 23, 23, status=ItemStatus.PENDING),
    Spec("hidden_cat", PHOTO, "Bob", "Cat on a roof", ("cat", "roof"),
         "jpg", (1024, 768), H, 11, 7, 2, 15, 2, 15, visible=False),
    Spec("rejected_car", PHOTO, "carol", "Blurry car", ("car",),
         "jpg", (640, 480), H, 15, 0, 0, None, 24, 24, status=ItemStatus.REJECTED),
)  # fmt: skip

# The items a default query (active and visible) sees, in catalog order.
SEARCHABLE = tuple(s.name for s in CATALOG if s.status is ItemStatus.ACTIVE and s.visible)


@dataclass
class Catalog:
    """The built catalog: item, owner and category ids by name."""

    ids: dict[str, int]
    owners: dict[str, int]
    categories: dict[str, int]
    series_id: int

    def names(self, item_ids: list[int]) -> list[str]:
        by_id = {item_id: name for name, item_id in self.ids.items()}
        return [by_id[item_id] for item_id in item_ids]

    def id(self, name: str) -> int:
        return self.ids[name]


def _day(day: int | None) -> datetime | None:
    return None if day is None else T0 + timedelta(days=day, hours=day % 5)


def build_catalog(runtime: Runtime) -> Catalog:
    """Create CATALOG's owners, categories, series, releases and items in the database."""
    with runtime.db.session() as session:
        owners = {
            name: accounts.create_user(
                session, username=name, password=None, roles=[Role.CONTRIBUTOR]
            ).id
            for name in OWNERS
        }
        categories: dict[str, int] = {}
        for key, (group, name) in CATEGORIES.items():
            category = Category(group=group, name=name)
            session.add(category)
            session.flush()
            categories[key] = category.id
        series = Series(owner_id=owners["alice"], name="City and sky")
        session.add(series)
        session.flush()
        ids = {
            spec.name: _add_item(session, spec, owners, categories, series.id) for spec in CATALOG
        }
    return Catalog(ids=ids, owners=owners, categories=categories, series_id=series.id)


def _add_item(
    session: Session, spec: Spec, owners: dict[str, int], categories: dict[str, int], series_id: int
) -> int:
    width, height = spec.size or (None, None)
    gender, age, race, quantity = spec.people
    item = MediaItem(
        kind=spec.kind,
        owner_id=owners[spec.owner],
        status=spec.status,
        visible=spec.visible,
        title=spec.title,
        description=spec.description,
        original_filename=f"{spec.name}.{spec.ext}",
        extension=spec.ext,
        mime_type=KIND_EXTENSIONS.get(spec.ext, "application/octet-stream"),
        file_size=1000,
        original_blob=f"{spec.name:0<64}"[:64],
        width=width,
        height=height,
        orientation=spec.orientation,
        color=spec.color,
        duration_ms=spec.duration_ms,
        video_standard=spec.video_standard,
        people_gender=gender,
        people_age=age,
        people_race=race,
        people_quantity=quantity,
        views=spec.views,
        downloads=spec.downloads,
        published_at=_day(spec.published),
        created_at=_day(spec.created),
        updated_at=_day(spec.updated),
        series_id=series_id if spec.in_series else None,
        **{flag: True for flag in spec.flags},
    )
    session.add(item)
    session.flush()
    for position, tag in enumerate(spec.tags):
        session.add(ItemTag(item_id=item.id, lang="en", tag=tag, position=position))
    for lang, title, tags in spec.translations:
        session.add(ItemTranslation(item_id=item.id, lang=lang, title=title, description=""))
        for position, tag in enumerate(tags):
            session.add(ItemTag(item_id=item.id, lang=lang, tag=tag, position=position))
    for key in spec.categories:
        session.add(ItemCategory(item_id=item.id, category_id=categories[key]))
    if spec.model_release:
        release = Release(owner_id=owners[spec.owner], type=int(ReleaseType.MODEL), name="model")
        session.add(release)
        session.flush()
        session.add(ItemRelease(item_id=item.id, release_id=release.id))
    session.flush()
    return item.id


# -- the backend fixture ----------------------------------------------------------------


@dataclass
class SearchEnv:
    runtime: Runtime
    backend: SearchBackend
    catalog: Catalog
    backend_name: str

    def search(self, **fields: Any) -> list[str]:
        """Names of the items `SearchQuery(**fields)` finds, in order (one page)."""
        fields.setdefault("limit", 100)
        return self.catalog.names(self.backend.search(SearchQuery(**fields)).item_ids)


BACKENDS = [
    pytest.param(("sqlite", "tantivy"), id="tantivy-sqlite"),
    pytest.param(("postgres", "tantivy"), id="tantivy-postgres", marks=pytest.mark.postgres),
    pytest.param(("postgres", "postgres"), id="postgres", marks=pytest.mark.postgres),
]


def make_backend(name: str, runtime: Runtime) -> SearchBackend:
    if name == "tantivy":
        from stockhouse.search.tantivy_backend import TantivySearchBackend

        return TantivySearchBackend(runtime)
    if importlib.util.find_spec("stockhouse.search.postgres_backend") is None:
        pytest.skip(
            "the PostgreSQL backend (stockhouse.search.postgres_backend) is not written yet"
        )
    from stockhouse.search.postgres_backend import PostgresSearchBackend

    return PostgresSearchBackend(runtime)  # type: ignore[no-any-return, unused-ignore]


@contextmanager
def open_env(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    sqlite_template: Path,
    engine: str,
    backend_name: str,
) -> Iterator[SearchEnv]:
    """A runtime on a new database of `engine` with CATALOG built and indexed."""
    data_dir = tmp_path_factory.mktemp("search-data")
    drop = None
    if engine == "sqlite":
        path = data_dir / "stockhouse.db"
        shutil.copyfile(sqlite_template, path)
        database_url = f"sqlite:///{path}"
    else:
        templates = request.getfixturevalue("postgres_templates")
        database_url = templates.new_database()
        drop = templates.drop
    flags = {"data_dir": str(data_dir), "database_url": database_url, "search": backend_name}
    runtime = Runtime(load_settings(flags, environ={}))
    try:
        catalog = build_catalog(runtime)
        backend = make_backend(backend_name, runtime)
        backend.rebuild()
        runtime.__dict__["search"] = backend  # what Runtime.search would open, already built
        yield SearchEnv(runtime, backend, catalog, backend_name)
    finally:
        runtime.close()
        if drop is not None:
            drop(database_url)


@pytest.fixture(scope="module", params=BACKENDS)
def search_env(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[SearchEnv]:
    """A runtime with CATALOG built and `backend` indexed over it, for one module."""
    engine, backend_name = request.param
    with open_env(request, tmp_path_factory, sqlite_template, engine, backend_name) as env:
        yield env


@pytest.fixture(scope="module")
def backend(search_env: SearchEnv) -> SearchBackend:
    return search_env.backend


@pytest.fixture(scope="module")
def catalog(search_env: SearchEnv) -> Catalog:
    return search_env.catalog
