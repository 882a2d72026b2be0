"""The demo catalog: photos, vectors, videos, music and sound effects made here, pushed
through the real ingest pipeline and review workflow.

The plan is deterministic (the same N always gives the same items), so re-running
`stockhouse demo` keeps what exists and makes only what is missing.
"""

from __future__ import annotations

import logging
import random
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import Role, User
from stockhouse.catalog import formats, releases, series, translations, workflow
from stockhouse.catalog.categories import ensure_default_categories, set_categories
from stockhouse.catalog.models import (
    Category,
    MediaItem,
    MediaKind,
    Upload,
    UploadState,
)
from stockhouse.db.base import utcnow
from stockhouse.demo.accounts import CLIPARTO_DEMO_CONTRIBUTOR_ID
from stockhouse.demo.images import Palette, make_photo, make_svg
from stockhouse.demo.vocabulary import (
    ADJECTIVES,
    LANGUAGES,
    SCENES,
    Scene,
    scene_title,
    translated_tags,
)
from stockhouse.errors import NotFound
from stockhouse.ingest import synth
from stockhouse.ingest.colors import COLORS
from stockhouse.ingest.pipeline import ingest_now, receive_upload
from stockhouse.runtime import Runtime

log = logging.getLogger("stockhouse.demo")

MIN_PER_KIND = 10  # contract.md: at least 10 videos, 10 audio items and 10 vectors
OTHER_CONTRIBUTORS = ("lens-lab", "motion-works", "soundsmith")
MUSIC_SECONDS = 35.0  # above the ingest's music/sfx threshold of 30 s
SFX_SECONDS = 2.0
MUSIC_GENRES = ("Ambient", "Cinematic", "Corporate", "Electronic", "Jazz", "Pop")
SFX_CATEGORIES = ("Ambience", "Foley", "Interface", "Nature", "Whooshes")
PHOTO_ORIENTATIONS = ("horizontal", "horizontal", "vertical", "square")
# Where in every 20 of the main contributor's items each status goes; the rest are active.
# (Slots 3, 7, 11... belong to the other contributors: see _owner.)
STATUS_BY_SLOT = {0: "uploaded", 1: "pending", 2: "rejected", 5: "archived", 6: "uploaded"}

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class DemoItem:
    """One planned item: what to make, whose it is and where it ends in the workflow."""

    index: int
    kind: str  # photo, vector, video, music, sfx
    scene: Scene
    adjective: dict[str, str]
    owner: str
    status: str
    orientation: str


def plan_catalog(total: int) -> list[DemoItem]:
    """The first `total` items of the demo catalog, the same on every run."""
    kinds = _kinds(total)
    plan = []
    for index, kind in enumerate(kinds):
        rng = random.Random(index)
        owner = _owner(kind, index)
        main = owner == "contributor"
        plan.append(
            DemoItem(
                index=index,
                kind=kind,
                scene=SCENES[index % len(SCENES)],
                adjective=ADJECTIVES[(index // len(SCENES)) % len(ADJECTIVES)],
                owner=owner,
                status=STATUS_BY_SLOT.get(index % 20, "active") if main else "active",
                orientation=rng.choice(PHOTO_ORIENTATIONS),
            )
        )
    return _with_an_archived_photo(plan)


def _with_an_archived_photo(plan: list[DemoItem]) -> list[DemoItem]:
    """contract.md promises hidden (archived) photos; the slots alone may archive none."""
    if any(i.kind == "photo" and i.status == "archived" for i in plan):
        return plan
    for position, item in enumerate(plan):
        if item.kind == "photo" and item.owner == "contributor" and item.status == "active":
            plan[position] = replace(item, status="archived")
            break
    return plan


def _kinds(total: int) -> list[str]:
    share = max(1, total // 15) if total < 4 * MIN_PER_KIND * 3 else total // 15
    videos = max(min(MIN_PER_KIND, total // 4), share)
    audio = max(min(MIN_PER_KIND, total // 4), share)
    vectors = max(min(MIN_PER_KIND, total // 4), total // 10)
    music = (audio + 1) // 2 + audio // 5
    kinds = ["video"] * videos + ["music"] * music + ["sfx"] * (audio - music)
    kinds += ["vector"] * vectors
    kinds += ["photo"] * (total - len(kinds))
    random.Random(42).shuffle(kinds)
    return kinds[:total]


def _owner(kind: str, index: int) -> str:
    if index % 4 != 3:
        return "contributor"
    return {"video": "motion-works", "music": "soundsmith", "sfx": "soundsmith"}.get(
        kind, "lens-lab"
    )


# -- making the files -------------------------------------------------------------------


def _palette(item: DemoItem) -> Palette:
    """Every other image takes its dominant colour from the colour table, so that a search
    by each of the 17 colours finds something."""
    if item.index % 2:
        return item.scene.palette
    color = COLORS[(item.index // 2) % len(COLORS)].rgb
    return Palette(sky=color, ground=color, accent=item.scene.palette.accent)


def _make_file(item: DemoItem, workdir: Path) -> Path:
    scene, seed = item.scene, item.index
    title = scene_title(scene, item.adjective, "en")
    if item.kind == "photo":
        path = workdir / f"IMG_{seed:05d}.jpg"
        return make_photo(
            path,
            _palette(item),
            item.orientation,
            seed,
            scale=0.8,
            keywords=scene.tags,
            title=title,
            description=_description(item, "en"),
        )
    if item.kind == "vector":
        return make_svg(workdir / f"vector_{seed:05d}.svg", _palette(item), seed, title=title)
    if item.kind == "video":
        return _make_video(item, workdir)
    seconds = MUSIC_SECONDS if item.kind == "music" else SFX_SECONDS
    # FLAC and WAV encode fast; the pipeline's M4A preview is the lossy one.
    path = workdir / f"{item.kind}_{seed:05d}.{'flac' if item.kind == 'music' else 'wav'}"
    return synth.make_audio(
        path,
        seconds=seconds,
        rate=44100,
        channels=2,
        tone_hz=150.0 + 3.0 * seed,
        fade_out=item.kind == "sfx",
    )


def _video_flavour(item: DemoItem) -> str:
    return ("pal", "ntsc", "hd")[item.index % 3]


def _make_video(item: DemoItem, workdir: Path) -> Path:
    path = workdir / f"clip_{item.index:05d}.mov"
    flavour = _video_flavour(item)
    if flavour == "pal":
        return synth.make_video(
            path, 720, 576, seconds=1.0, codec="dvvideo", sar=Fraction(64, 45), seed=item.index
        )
    if flavour == "ntsc":
        return synth.make_video(path, 720, 480, seconds=1.0, codec="dvvideo", seed=item.index)
    return synth.make_video(
        path.with_suffix(".mp4"),
        1280,
        720,
        fps=25,
        seconds=1.0,
        codec="h264",
        audio_codec="aac",
        seed=item.index,
    )


def _description(item: DemoItem, lang: str) -> str:
    subject = item.scene.title[lang]
    return {
        "en": f"Stock {item.kind} of {subject}, made for the Stockhouse demo.",
        "de": f"Stock-Motiv: {subject}. Für die Stockhouse-Demo erstellt.",
        "fr": f"Image d'illustration : {subject}. Réalisée pour la démo Stockhouse.",
        "es": f"Material de archivo: {subject}. Creado para la demo de Stockhouse.",
    }[lang]


# -- describing and reviewing -----------------------------------------------------------


def _describe(session: Session, item: MediaItem, plan: DemoItem) -> None:
    item.title = scene_title(plan.scene, plan.adjective, "en")
    item.description = _description(plan, "en")
    translations.set_tags(item, "en", [*plan.scene.tags, plan.kind])
    for lang in LANGUAGES:
        translations.set_tags(item, lang, translated_tags(plan.scene.tags, lang))
        translations.set_translation(
            item,
            lang,
            title=scene_title(plan.scene, plan.adjective, lang),
            description=_description(plan, lang),
        )
    item.editorial = plan.scene.editorial
    item.nudity = plan.scene.nudity
    item.exclusive = plan.index % 7 == 0
    item.free = plan.index % 29 == 0
    people = plan.scene.people if item.kind.is_image or item.kind == MediaKind.VIDEO else {}
    if people:
        item.people_gender = str(people["gender"])
        item.people_age = str(people["age"])
        item.people_race = str(people["race"])
        item.people_quantity = int(str(people["quantity"]))
        item.people_only = bool(people.get("only", False))
    item.views = random.Random(plan.index).randint(0, 5000)
    set_categories(session, item, [_category_id(session, item.kind, plan)])


def _category_id(session: Session, kind: MediaKind, plan: DemoItem) -> int:
    group = kind.category_group
    name = plan.scene.category
    if group == "music":
        name = MUSIC_GENRES[plan.index % len(MUSIC_GENRES)]
    elif group == "sfx":
        name = SFX_CATEGORIES[plan.index % len(SFX_CATEGORIES)]
    category_id = session.scalar(
        select(Category.id).where(Category.group == group, Category.name == name)
    )
    assert category_id is not None, f"default category {group}/{name} is missing"
    return category_id


def _review(session: Session, item: MediaItem, plan: DemoItem, owner: User, reviewer: User) -> None:
    if plan.status == "uploaded":
        return
    workflow.submit(session, owner, item)
    if plan.status == "pending":
        return
    if plan.status == "rejected":
        workflow.reject(session, reviewer, item, "Please add a model release for the people shown.")
        return
    workflow.approve(session, reviewer, item)
    # Spread publication dates over two years so that "newest" has something to sort.
    item.published_at = utcnow() - timedelta(days=plan.index * 731 // max(1, len(SCENES) * 20))
    if plan.status == "archived":
        workflow.archive(session, owner, item)


def _group_in_series(session: Session, item: MediaItem, plan: DemoItem, owner: User) -> None:
    if not item.kind.is_image:
        return
    name = f"{plan.scene.title['en'].capitalize()} collection"
    existing = next((s for s in series.list_series(session, owner) if s.name == name), None)
    chosen = existing or series.create_series(session, owner, name)
    series.assign_to_series(session, owner, chosen, [item.id])


def _attach_model_release(
    runtime: Runtime, session: Session, item: MediaItem, plan: DemoItem, owner: User, workdir: Path
) -> None:
    if not plan.scene.people or not item.kind.is_image:
        return
    name = f"Model release: {plan.scene.title['en']}"
    release = next((r for r in releases.list_releases(session, owner) if r.name == name), None)
    if release is None:
        document = make_photo(
            workdir / "release.jpg", plan.scene.palette, "vertical", plan.index, scale=0.25
        )
        with document.open("rb") as stream:
            release = releases.create_release(
                session,
                runtime.blobs,
                owner,
                release_type=1,
                name=name,
                stream=stream,
                filename="release.jpg",
            )
    releases.attach_release(session, owner, release, item)


def _add_pal_version(
    runtime: Runtime, session: Session, item: MediaItem, plan: DemoItem, workdir: Path
) -> None:
    """PAL clips get a second version (724x576) of their format, as in seed 003's example."""
    if _video_flavour(plan) != "pal":
        return
    [video_format] = formats.video_formats(session, item)
    path = synth.make_video(
        workdir / "pal724.mov",
        724,
        576,
        seconds=1.0,
        codec="mpeg4",
        sar=Fraction(16, 11),
        seed=plan.index,
    )
    info = runtime.blobs.put_file(path)
    formats.add_video_version(
        session,
        video_format,
        width=724,
        height=576,
        video_codec="mpeg4",
        audio_codec=item.audio_codec or "no snd",
        extension="mov",
        video_standard=item.video_standard or 3,
        aspect_ratio=item.aspect_ratio or 2,
        aspect_quotient=item.aspect_quotient or Decimal("1.77778"),
        blob=info.key,
        file_size=info.size,
    )


# -- the whole catalog ------------------------------------------------------------------


def _ensure_people(session: Session) -> dict[str, User]:
    users = {"contributor": accounts.get_user(session, CLIPARTO_DEMO_CONTRIBUTOR_ID)}
    for name in OTHER_CONTRIBUTORS:
        try:
            users[name] = accounts.get_user_by_username(session, name)
        except NotFound:
            users[name] = accounts.create_user(
                session, username=name, password=None, roles=[Role.CONTRIBUTOR], country="GB"
            )
    users["reviewer"] = accounts.get_user_by_username(session, "admin")
    return users


def _existing_count(session: Session, user_ids: list[int]) -> int:
    return (
        session.scalar(
            select(func.count(Upload.id)).where(
                Upload.owner_id.in_(user_ids), Upload.state == UploadState.DONE
            )
        )
        or 0
    )


def build_demo_catalog(runtime: Runtime, *, items: int, progress: Progress | None = None) -> int:
    """Make the planned items that do not exist yet; returns how many were made."""
    with runtime.db.session() as session:
        ensure_default_categories(session)
        users = _ensure_people(session)
        user_ids = {name: user.id for name, user in users.items()}
        done = _existing_count(session, [v for k, v in user_ids.items() if k != "reviewer"])
    plan = plan_catalog(items)[done:]
    with tempfile.TemporaryDirectory(prefix="stockhouse-demo-") as tmp:
        for position, planned in enumerate(plan, start=1):
            _make_item(runtime, planned, user_ids, Path(tmp))
            if progress:
                progress(position, len(plan))
    return len(plan)


def _make_item(runtime: Runtime, plan: DemoItem, user_ids: dict[str, int], workdir: Path) -> None:
    path = _make_file(plan, workdir)
    upload = receive_upload(
        runtime, user_ids[plan.owner], path, path.name, source="cli", enqueue=False
    )
    upload = ingest_now(runtime, upload.id)
    path.unlink(missing_ok=True)
    if upload.state != UploadState.DONE or upload.item_id is None:
        log.warning("demo item %s not ingested: %s", plan.index, upload.reason)
        return
    with runtime.db.session() as session:
        item = session.get_one(MediaItem, upload.item_id)
        owner = session.get_one(User, user_ids[plan.owner])
        reviewer = session.get_one(User, user_ids["reviewer"])
        _describe(session, item, plan)
        _group_in_series(session, item, plan, owner)
        _attach_model_release(runtime, session, item, plan, owner, workdir)
        if item.kind == MediaKind.VIDEO:
            _add_pal_version(runtime, session, item, plan, workdir)
        _review(session, item, plan, owner, reviewer)
