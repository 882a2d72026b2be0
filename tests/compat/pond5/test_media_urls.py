"""Pond5 icon and preview files: a client building URLs from icon_base and flv_base the
documented way gets real JPEG, MP4, WebM and M4A files of the right item.

Media are made at run time (a 1 s video with sound, a 1 s tone, a small photo) and go
through the real ingest pipeline once per module and engine; then they are published.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

import av
import pytest
import pyvips
from sqlalchemy import delete, select
from starlette.testclient import TestClient

from stockhouse.accounts import service as accounts
from stockhouse.catalog.models import ItemStatus, MediaItem, MediaKind, Rendition
from stockhouse.commerce import bins
from stockhouse.db.base import utcnow
from stockhouse.ingest.synth import make_audio, make_video
from stockhouse.runtime import Runtime
from tests.compat.pond5.conftest import Pond5World, build_world, one, p5
from tests.compat.pond5.search_support import ENGINES, module_app
from tests.ingest.image_factory import make_image
from tests.ingest.pipeline_support import ingest_file, make_contributor

JPEG, WEBM = b"\xff\xd8\xff", b"\x1a\x45\xdf\xa3"
PREVIEW_SIZE = (320, 180)  # the clip as made: previews fit a 480 box, never upscaled
STILLS = {"icon": (120, 66), "iconm": (240, 134), "iconl": (480, 268), "prevstill": (1280, 720)}


@dataclass
class MediaWorld:
    runtime: Runtime
    client: TestClient
    world: Pond5World
    video: int
    sound: int
    photo: int
    pending: int

    def bases(self, **outer: Any) -> dict[str, Any]:
        slot: dict[str, Any] = one(
            self.client, self.world, "get_clip_data", itemid=self.video, **outer
        )
        return slot

    def get(self, url: str, **headers: str) -> Any:
        return self.client.get(url, headers=headers)


def _publish(runtime: Runtime, item_id: int | None, status: ItemStatus) -> int:
    assert item_id is not None
    with runtime.db.session() as session:
        item = session.get(MediaItem, item_id)
        assert item is not None
        item.status, item.published_at = status, utcnow()
        return item.id


@pytest.fixture(scope="module", params=ENGINES)
def media(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[MediaWorld]:
    files = tmp_path_factory.mktemp("p5-media-files")
    with module_app(request, tmp_path_factory, sqlite_template, request.param) as (runtime, client):
        world = build_world(runtime)
        owner = make_contributor(runtime, "vera")
        made = {
            "video": make_video(files / "clip.mp4", 320, 180, seconds=1, audio_codec="aac"),
            "sound": make_audio(files / "tone.wav", seconds=1),
            "photo": make_image(files / "photo.jpg", 400, 300),
            "pending": make_video(files / "other.mp4", 160, 90, seconds=1, seed=3),
        }
        ids = {name: ingest_file(runtime, owner, path).item_id for name, path in made.items()}
        yield MediaWorld(
            runtime=runtime,
            client=client,
            world=world,
            video=_publish(runtime, ids["video"], ItemStatus.ACTIVE),
            sound=_publish(runtime, ids["sound"], ItemStatus.ACTIVE),
            photo=_publish(runtime, ids["photo"], ItemStatus.ACTIVE),
            pending=_publish(runtime, ids["pending"], ItemStatus.PENDING),
        )


def rendition_blob(runtime: Runtime, item_id: int, name: str) -> str | None:
    with runtime.db.read_session() as session:
        return session.scalar(
            select(Rendition.blob).where(Rendition.item_id == item_id, Rendition.name == name)
        )


def jpeg_size(body: bytes) -> tuple[int, int]:
    assert body.startswith(JPEG)
    image = pyvips.Image.new_from_buffer(body, "")
    return image.width, image.height


def video_facts(body: bytes) -> tuple[str, int, int, list[str]]:
    with av.open(BytesIO(body)) as container:
        stream = container.streams.video[0]
        kinds = [str(s.type) for s in container.streams]
        return container.format.name, stream.codec_context.width, stream.codec_context.height, kinds


# -- stills -------------------------------------------------------------------------------


@pytest.mark.parametrize("variant", list(STILLS))
def test_video_stills_are_the_items_own_jpegs(media: MediaWorld, variant: str) -> None:
    icon_base = media.bases()["icon_base"]
    response = media.get(f"{icon_base}{media.video:09d}_{variant}.jpeg")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/jpeg"
    assert jpeg_size(response.content) == STILLS[variant]
    blob = rendition_blob(media.runtime, media.video, variant)
    assert blob is not None and response.headers["etag"] == f'"{blob}"'
    assert response.content == media.runtime.blobs.open(blob).read()


@pytest.mark.parametrize("item", ["photo", "sound"])
def test_stills_of_photos_and_sounds_are_made_and_kept(media: MediaWorld, item: str) -> None:
    item_id = getattr(media, item)
    icon_base = media.bases()["icon_base"]
    sizes = []
    for variant in STILLS:
        first = media.get(f"{icon_base}{item_id:09d}_{variant}.jpeg")
        again = media.get(f"{icon_base}{item_id:09d}_{variant}.jpeg")
        assert first.status_code == again.status_code == 200
        assert first.content == again.content
        assert rendition_blob(media.runtime, item_id, variant) is not None  # cached
        sizes.append(jpeg_size(first.content))
    assert sizes == list(STILLS.values())  # icon < iconm < iconl < prevstill


def test_a_slash_after_icon_base_is_tolerated(media: MediaWorld) -> None:
    icon_base = media.bases()["icon_base"]
    response = media.get(f"{icon_base}/{media.video:09d}_icon.jpeg")
    assert response.status_code == 200 and jpeg_size(response.content) == (120, 66)


def test_etag_gives_304(media: MediaWorld) -> None:
    url = f"{media.bases()['icon_base']}{media.video:09d}_iconm.jpeg"
    etag = media.get(url).headers["etag"]
    response = media.get(url, **{"if-none-match": etag})
    assert response.status_code == 304 and response.content == b""


# -- previews -----------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["main_l.mp4", "main_xl.mp4"])
def test_mp4_previews(media: MediaWorld, suffix: str) -> None:
    flv_base = media.bases()["flv_base"]
    response = media.get(f"{flv_base}{media.video:09d}_{suffix}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "video/mp4"
    fmt, width, height, kinds = video_facts(response.content)
    assert "mp4" in fmt and (width, height) == PREVIEW_SIZE and kinds == ["video", "audio"]
    assert (
        response.headers["etag"] == f'"{rendition_blob(media.runtime, media.video, "preview_mp4")}"'
    )


def test_webm_preview(media: MediaWorld) -> None:
    response = media.get(f"{media.bases()['flv_base']}{media.video:09d}_xl.webm")
    assert response.status_code == 200 and response.headers["content-type"] == "video/webm"
    assert response.content.startswith(WEBM)
    fmt, width, height, _ = video_facts(response.content)
    assert "webm" in fmt and (width, height) == PREVIEW_SIZE


def test_missing_webm_is_transcoded_once_and_kept(media: MediaWorld) -> None:
    with media.runtime.db.session() as session:
        session.execute(
            delete(Rendition).where(
                Rendition.item_id == media.video, Rendition.name == "preview_webm"
            )
        )
    url = f"{media.bases()['flv_base']}{media.video:09d}_xl.webm"
    first = media.get(url)
    assert first.status_code == 200 and first.content.startswith(WEBM)
    _, width, height, kinds = video_facts(first.content)
    assert (width, height, kinds) == (*PREVIEW_SIZE, ["video", "audio"])
    blob = rendition_blob(media.runtime, media.video, "preview_webm")
    assert blob is not None and first.headers["etag"] == f'"{blob}"'
    assert media.get(url).headers["etag"] == first.headers["etag"]


def test_sound_preview_is_m4a(media: MediaWorld) -> None:
    response = media.get(f"{media.bases()['flv_base']}{media.sound:09d}_prev.m4a")
    assert response.status_code == 200 and response.headers["content-type"] == "audio/mp4"
    assert response.content[4:8] == b"ftyp"
    with av.open(BytesIO(response.content)) as container:
        assert [s.type for s in container.streams] == ["audio"]


def test_flv_base_encr_serves_the_same_files(media: MediaWorld) -> None:
    bases = media.bases()
    plain = media.get(f"{bases['flv_base']}{media.video:09d}_main_l.mp4")
    encr = media.get(f"{bases['flv_base_encr']}{media.video:09d}_main_l.mp4")
    assert plain.content == encr.content


def test_https_envelope_gives_https_icon_base_on_the_same_path(media: MediaWorld) -> None:
    slot = p5(media.client, media.world, {"command": "get_clip_data", "itemid": media.video},
              https=True)["commands"][0]  # fmt: skip
    assert slot["icon_base"] == "https://testserver/pond5/media/icons/"
    path = slot["icon_base"].removeprefix("https://testserver")
    assert media.get(f"{path}{media.video:09d}_icon.jpeg").status_code == 200


# -- what is not served -------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "icons/{video:09d}_icon.png",
        "icons/{video:09d}_iconxl.jpeg",
        "icons/abc_icon.jpeg",
        "icons/000000000_icon.jpeg",
        "icons/{missing:09d}_icon.jpeg",
        "icons/{pending:09d}_icon.jpeg",
        "icons/99999999999_icon.jpeg",
        "icons/../../../etc/passwd",
        "icons/{video:09d}_icon.jpeg%00.png",
        "flv/{video:09d}_prev.m4a",  # a video has no sound preview
        "flv/{sound:09d}_main_l.mp4",
        "flv/{photo:09d}_xl.webm",
        "flv/{video:09d}_prev_l.flv",
        "flv/{video:09d}_prev_xl.flv",
        "flv/{video:09d}_anaglyph.flv",
        "flv/{pending:09d}_main_l.mp4",
        "flv/{missing:09d}_main_l.mp4",
        "icons/bin/{missing:010d}_icon.jpeg",
        "icons/bin/abc_icon.jpeg",
    ],
)
def test_not_found(media: MediaWorld, name: str) -> None:
    path = "/pond5/media/" + name.format(
        video=media.video, sound=media.sound, photo=media.photo, pending=media.pending,
        missing=987654,
    )  # fmt: skip
    assert media.get(path).status_code == 404


def test_hidden_item_is_not_served(media: MediaWorld) -> None:
    url = f"{media.bases()['icon_base']}{media.video:09d}_icon.jpeg"
    with media.runtime.db.session() as session:
        item = session.get(MediaItem, media.video)
        assert item is not None
        item.visible = False
    try:
        assert media.get(url).status_code == 404
    finally:
        with media.runtime.db.session() as session:
            item = session.get(MediaItem, media.video)
            assert item is not None
            item.visible = True
    assert media.get(url).status_code == 200


# -- bin icons ----------------------------------------------------------------------------


def make_bin(media: MediaWorld, name: str, item_ids: list[int]) -> int:
    with media.runtime.db.session() as session:
        user = accounts.get_user(session, media.world.buyer)
        made = bins.create_bin(session, user, name)
        if item_ids:
            bins.add_items(session, user, made.id, item_ids)
        return made.id


def test_bin_icon_is_its_first_items_icon(media: MediaWorld) -> None:
    bin_id = make_bin(media, "clips", [media.video, media.photo])
    icon_base = media.bases()["icon_base"]
    response = media.get(f"{icon_base}bin/{bin_id:010d}_icon.jpeg")
    assert response.status_code == 200
    assert response.content == media.get(f"{icon_base}{media.video:09d}_icon.jpeg").content


def test_empty_bin_has_no_icon(media: MediaWorld) -> None:
    bin_id = make_bin(media, "empty", [])
    assert media.get(f"{media.bases()['icon_base']}bin/{bin_id:010d}_icon.jpeg").status_code == 404


def test_kinds_are_what_the_ingest_made(media: MediaWorld) -> None:
    with media.runtime.db.read_session() as session:
        items = [session.get(MediaItem, i) for i in (media.video, media.sound, media.photo)]
        kinds = [item.kind if item is not None else None for item in items]
    assert kinds == [MediaKind.VIDEO, MediaKind.SFX, MediaKind.PHOTO]
