"""A Pond5 search catalog, built once per test module on each engine, searched over HTTP.

`p5_search_env` (module scope, SQLite and PostgreSQL) opens the world of conftest.py (for
its API key and secret), hides the world's own items from search, adds CATALOG below and
builds the search index (Tantivy, the default backend on both engines). Items are named;
tests compare name lists, so expected orders read as the table.

Every video has its own Pond5 standard ("vs"); views, downloads, durations and upload
days are all different, so that every sort has one right answer.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import Role
from stockhouse.app import create_app
from stockhouse.catalog.categories import ensure_default_categories, list_categories
from stockhouse.catalog.models import (
    ItemCategory,
    ItemRelease,
    ItemStatus,
    ItemTag,
    MediaItem,
    MediaKind,
    Release,
    ReleaseType,
    SizeOption,
)
from stockhouse.config import load_settings
from stockhouse.ingest.sizes import image_sizes
from stockhouse.runtime import Runtime
from stockhouse.search.service import open_backend
from tests.compat.pond5.conftest import Pond5World, build_world, one

T0 = datetime(2024, 1, 1, tzinfo=UTC)
OWNERS = ("ann", "Bob", "cy")
VIDEO, MUSIC, SFX = MediaKind.VIDEO, MediaKind.MUSIC, MediaKind.SFX
PHOTO, ILLUSTRATION, VECTOR = MediaKind.PHOTO, MediaKind.ILLUSTRATION, MediaKind.VECTOR
VIDEO_SIZES = (("480", 480), ("720", 720), ("1080", 1080), ("4k", 2160))


@dataclass(frozen=True)
class Spec:
    """One item; `day` is its upload day after T0."""

    name: str
    kind: MediaKind
    owner: str
    title: str
    tags: tuple[str, ...]
    vs: int | None
    size: tuple[int, int] | None
    duration_ms: int | None
    views: int
    downloads: int
    day: int
    flags: tuple[str, ...] = ()  # editorial, nudity, model_release
    category: tuple[str, str] | None = None  # (group, name) of a default category
    description: str = ""
    fps: str | None = None
    codecs: tuple[str | None, str | None] = (None, None)
    ar: int | None = None
    aq: str | None = None
    status: ItemStatus = ItemStatus.ACTIVE
    visible: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


CATALOG: tuple[Spec, ...] = (
    Spec("city_4k", VIDEO, "ann", "City at night", ("city", "night", "aerial"), 10,
         (3840, 2160), 15000, 500, 50, 10, category=("video", "Aerial"),
         description="Lights of a city from above.", fps="25", codecs=("h264", "aac"),
         ar=6, aq="1.77778"),
    Spec("beach_hd", VIDEO, "Bob", "Beach waves", ("beach", "sea", "waves"), 4,
         (1920, 1080), 8000, 150, 3, 20, category=("video", "Nature"), fps="29.97",
         codecs=("h264", "no snd"), ar=6, aq="1.77778"),
    Spec("pal_farm", VIDEO, "cy", "Cows on a farm", ("farm", "cows"), 3, (720, 576), 20000,
         70, 5, 30, fps="25", codecs=("dvvideo", "pcm_s16le"), ar=1, aq="1.33333"),
    Spec("ntsc_dv_street", VIDEO, "ann", "Street with cars", ("street", "cars"), 2,
         (720, 480), 5000, 10, 8, 40, fps="29.97", codecs=("dvvideo", "pcm_s16le"), ar=1),
    Spec("ntsc_d1_park", VIDEO, "Bob", "Dog in a park", ("park", "dog"), 1, (720, 486), 6000,
         20, 1, 50, category=("video", "Animals"), codecs=("mpeg2video", "no snd"), ar=2),
    Spec("web_clip", VIDEO, "cy", "Small dog clip", ("web", "dog"), 7, (640, 360), 3000, 5, 0,
         60, codecs=("h264", "aac"), ar=6),
    Spec("eight_k", VIDEO, "ann", "Deep space", ("space", "stars"), 11, (7680, 4320), 4000, 1,
         2, 70, codecs=("hevc", "no snd"), ar=6),
    Spec("hdv_1080i", VIDEO, "Bob", "Rock concert", ("concert", "music"), 8, (1440, 1080),
         7000, 30, 9, 80, codecs=("mpeg2video", "mp2"), ar=2),
    Spec("hd_720", VIDEO, "cy", "Clouds passing", ("clouds", "sky"), 9, (1280, 720), 9000, 40,
         4, 90, codecs=("h264", "aac"), ar=6),
    Spec("hdv_720p", VIDEO, "ann", "Old train", ("train", "rails"), 5, (1280, 720), 10000, 50,
         6, 100, codecs=("mpeg2video", "mp2"), ar=6),
    Spec("other_hd", VIDEO, "Bob", "Dog on a sofa", ("dog", "sofa"), 6, (2048, 1080), 11000,
         60, 7, 110, codecs=("prores", "pcm_s24le"), ar=5),
    Spec("news_riot", VIDEO, "cy", "Riot in the street", ("riot", "news", "street"), 4,
         (1920, 1080), 12000, 300, 20, 120, flags=("editorial",), ar=6),
    Spec("model_clip", VIDEO, "ann", "Runner with a dog", ("dog", "runner"), 4, (1920, 1080),
         13000, 80, 11, 190, flags=("model_release",), ar=6),
    Spec("piano", MUSIC, "ann", "Calm piano", ("piano", "calm"), 100, None, 120000, 90, 12, 130,
         category=("music", "Ambient"), codecs=(None, "mp3")),
    Spec("door_slam", SFX, "Bob", "Door slam", ("door", "slam"), 101, None, 1500, 0, 13, 140,
         category=("sfx", "Foley"), codecs=(None, "pcm_s16le")),
    Spec("dog_photo", PHOTO, "cy", "Dog in the grass", ("dog", "grass"), None, (4000, 3000),
         None, 120, 30, 150, flags=("model_release",)),
    Spec("nude_statue", PHOTO, "ann", "Marble statue", ("statue", "art"), None, (2000, 3000),
         None, 33, 14, 160, flags=("nudity",)),
    Spec("castle", ILLUSTRATION, "Bob", "Fairy castle", ("castle", "fairy"), None, (3000, 4500),
         None, 15, 15, 170),
    Spec("mountain", VECTOR, "cy", "Mountain landscape", ("mountain",), None, (800, 800),
         None, 25, 16, 180),
    Spec("hidden_dog", VIDEO, "ann", "Hidden dog", ("dog",), 4, (1920, 1080), 2000, 999, 99,
         5, visible=False),
    Spec("pending_dog", VIDEO, "Bob", "Pending dog", ("dog",), 4, (1920, 1080), 2500, 998, 98,
         6, status=ItemStatus.PENDING),
)  # fmt: skip

# Editorial photos for paging: only `editorial:1` with the photo bit finds them.
FILLERS: tuple[Spec, ...] = tuple(
    Spec(f"filler_{n:02d}", PHOTO, OWNERS[n % 3], f"Filler {n}", ("filler",), None, (600, 400),
         None, 1000 + n, 0, 200 + n, flags=("editorial",))
    for n in range(30)
)  # fmt: skip
SEARCHABLE = tuple(s.name for s in CATALOG if s.status is ItemStatus.ACTIVE and s.visible)
BY_NAME = {spec.name: spec for spec in CATALOG}
ORDER = {spec.name: n for n, spec in enumerate(CATALOG + FILLERS)}


def in_catalog_order(names: list[str]) -> list[str]:
    return sorted(names, key=ORDER.__getitem__)


@dataclass
class SearchWorld:
    runtime: Runtime
    client: TestClient
    world: Pond5World
    ids: dict[str, int]
    categories: dict[tuple[str, str], int]

    def names(self, items: list[dict[str, Any]]) -> list[str]:
        by_id = {item_id: name for name, item_id in self.ids.items()}
        return [by_id[item["id"]] for item in items]

    def search(self, **params: Any) -> dict[str, Any]:
        """The slot of one `search` command sent over HTTP in a JSON envelope."""
        slot: dict[str, Any] = one(self.client, self.world, "search", **params)
        return slot

    def found(self, **params: Any) -> list[str]:
        """Names of the items one search page returns, in order."""
        slot = self.search(**params)
        assert "items" in slot, slot
        return self.names(slot["items"])


def _sizes(spec: Spec) -> list[SizeOption]:
    if spec.size is None:
        return []
    width, height = spec.size
    if spec.kind is VIDEO:
        codes = [code for code, short in VIDEO_SIZES if short <= min(width, height)]
        return [SizeOption(code=code, position=i) for i, code in enumerate(codes or ["480"])]
    return [
        SizeOption(code=s.code, position=i, width=s.width, height=s.height)
        for i, s in enumerate(image_sizes(width, height))
    ]


def _add(
    session: Session,
    spec: Spec,
    owners: dict[str, int],
    categories: dict[tuple[str, str], int],
    serial: int,
) -> int:
    width, height = spec.size or ((16, 9) if spec.kind.is_audio else (None, None))
    day = T0 + timedelta(days=spec.day)
    item = MediaItem(
        kind=spec.kind,
        owner_id=owners[spec.owner],
        status=spec.status,
        visible=spec.visible,
        title=spec.title,
        description=spec.description,
        original_filename=f"{spec.name}.bin",
        extension="mov" if spec.kind is VIDEO else "jpg" if spec.kind.is_image else "wav",
        mime_type="application/octet-stream",
        file_size=10_000 + serial,
        original_blob=f"{serial:064x}",
        width=width,
        height=height,
        duration_ms=spec.duration_ms,
        fps=Decimal(spec.fps) if spec.fps else None,
        video_codec=spec.codecs[0],
        audio_codec=spec.codecs[1],
        video_standard=spec.vs,
        aspect_ratio=spec.ar,
        aspect_quotient=Decimal(spec.aq) if spec.aq else None,
        views=spec.views,
        downloads=spec.downloads,
        editorial="editorial" in spec.flags,
        nudity="nudity" in spec.flags,
        created_at=day,
        updated_at=day,
        published_at=day if spec.status is ItemStatus.ACTIVE else None,
    )
    item.sizes = _sizes(spec)
    session.add(item)
    session.flush()
    for position, tag in enumerate(spec.tags):
        session.add(ItemTag(item_id=item.id, lang="en", tag=tag, position=position))
    if spec.category is not None:
        session.add(ItemCategory(item_id=item.id, category_id=categories[spec.category]))
    if "model_release" in spec.flags:
        release = Release(owner_id=item.owner_id, type=int(ReleaseType.MODEL), name="model")
        session.add(release)
        session.flush()
        session.add(ItemRelease(item_id=item.id, release_id=release.id))
    return item.id


def build_search_world(runtime: Runtime, client: TestClient) -> SearchWorld:
    world = build_world(runtime)
    with runtime.db.session() as session:
        session.execute(update(MediaItem).values(visible=False))  # the world's own items
        ensure_default_categories(session)
        categories = {(c.group, c.name): c.id for c in list_categories(session)}
        owners = {
            name: accounts.create_user(
                session, username=name, password=None, roles=[Role.CONTRIBUTOR]
            ).id
            for name in OWNERS
        }
        ids = {
            spec.name: _add(session, spec, owners, categories, serial)
            for serial, spec in enumerate(CATALOG + FILLERS, start=1)
        }
    backend = open_backend(runtime, maintain=False)
    backend.rebuild()
    runtime.__dict__["search"] = backend
    return SearchWorld(runtime, client, world, ids, categories)


@contextmanager
def module_app(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    sqlite_template: Path,
    engine: str,
) -> Iterator[tuple[Runtime, TestClient]]:
    """A runtime on an empty migrated database of `engine` and a client of its app, for a
    module-scoped fixture."""
    data_dir = tmp_path_factory.mktemp("p5-module")
    empty = None
    if engine == "sqlite":
        path = data_dir / "stockhouse.db"
        shutil.copyfile(sqlite_template, path)
        database_url = f"sqlite:///{path}"
    else:
        # The worker's shared database, emptied afterwards (cheaper than a database of its
        # own); no other test of this worker runs while a module holds it.
        templates = request.getfixturevalue("postgres_templates")
        database_url = templates.shared_database()
        empty = templates.empty_shared_database
    settings = load_settings(
        {"data_dir": str(data_dir / "data"), "database_url": database_url}, environ={}
    )
    runtime = Runtime(settings)
    try:
        with TestClient(create_app(runtime), raise_server_exceptions=False) as client:
            yield runtime, client
    finally:
        runtime.close()
        if empty is not None:
            empty()


ENGINES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="module", params=ENGINES)
def p5_search(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[SearchWorld]:
    """The search world of one engine, for a whole test module."""
    with module_app(request, tmp_path_factory, sqlite_template, request.param) as (runtime, client):
        yield build_search_world(runtime, client)
