"""Fixtures for the Pond5 API tests (shared by every test module here).

`world` opens the commerce test market (contributor carla; buyer sol with USD cash and,
here, credits; a photo, a video in PAL (two versions) and NTSC (one version), a music
file) and adds a sound effect, a second video without formats, the Pond5 technical fields
(vs, ar, aq, fps, codecs, duration), real tiny renditions, and a Pond5 API key of the
partner "p5partner" with its secret.

Requests are built the way the official PHP client builds them: `commands_json` is a
STRING (the JSON array of command objects), `commands_hash = md5(commands_json + secret +
"dragspel")`, and the envelope is posted form-encoded as the single field `api`.
`p5(client, world, {...}, {...})` sends commands and returns the decoded answer;
`one(...)` returns the first command's slot. `login(client, world)` logs sol in through the
API and returns {"cx", "cm"}; `direct_login(runtime, world, user_id)` makes the same pair
without going through the `login` command.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from defusedxml.ElementTree import fromstring as defused_fromstring
from starlette.testclient import TestClient

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import ApiKind, Role
from stockhouse.catalog.models import ItemStatus, MediaItem, MediaKind, Rendition
from stockhouse.commerce import credits
from stockhouse.config import Settings
from stockhouse.db.base import utcnow
from stockhouse.runtime import Runtime
from tests.catalog.factories import PASSWORD, tiny_jpeg
from tests.commerce.factories import Market, open_market

P5_SECRET = "p5-Secret-for-tests"
HASH_SALT = "dragspel"
BUYER_CREDITS = 100
RENDITIONS = {"thumb110": (110, 62), "thumb170": (170, 96), "large": (320, 180)}
__all__ = [
    "BUYER_CREDITS",
    "HASH_SALT",
    "P5_SECRET",
    "PASSWORD",
    "Pond5World",
    "commands_hash",
    "direct_login",
    "envelope",
    "login",
    "one",
    "p5",
    "p5_xml",
    "post_api",
    "xml_envelope",
    "xml_to_python",
]


@dataclass(frozen=True)
class Pond5World:
    """The market, the extra items, the Pond5 key and secret, and who is who."""

    market: Market
    key: str
    secret: str
    partner: int  # owner of the API key (not a buyer)
    buyer: int  # sol: USD cash 10,000.00 and BUYER_CREDITS credits
    buyer_name: str
    sfx: int
    plain_video: int  # a video without formats

    @property
    def video(self) -> int:
        return self.market.video

    @property
    def music(self) -> int:
        return self.market.music

    @property
    def photo(self) -> int:
        return self.market.photo

    @property
    def contributor(self) -> int:
        return self.market.contributor


def add_renditions(runtime: Runtime, item: MediaItem) -> None:
    """Real tiny JPEG renditions under the names the ingest pipeline writes."""
    for shade, (name, (width, height)) in enumerate(RENDITIONS.items()):
        blob = runtime.blobs.put_bytes(tiny_jpeg(width, height, shade=30 + shade + item.id))
        item.renditions.append(
            Rendition(
                name=name,
                blob=blob.key,
                mime_type="image/jpeg",
                width=width,
                height=height,
                size=blob.size,
            )
        )


def _set_video_fields(item: MediaItem) -> None:
    item.video_standard, item.aspect_ratio, item.aspect_quotient = 3, 1, Decimal("1.25")
    item.duration_ms, item.fps = 12_000, Decimal("25")
    item.video_codec, item.audio_codec = "h264", "aac"
    item.title = "Happy in the snow"


def _audio(runtime: Runtime, owner_id: int, kind: MediaKind, title: str) -> MediaItem:
    blob = runtime.blobs.put_bytes(f"RIFF {title} ".encode() * 30)
    return MediaItem(
        kind=kind,
        owner_id=owner_id,
        status=ItemStatus.ACTIVE,
        title=title,
        original_filename=f"{title.replace(' ', '-')}.wav",
        extension="wav",
        mime_type="audio/wav",
        file_size=blob.size,
        original_blob=blob.key,
        duration_ms=3_000,
        audio_codec="pcm_s16le",
        published_at=utcnow(),
    )


def _plain_video(runtime: Runtime, owner_id: int) -> MediaItem:
    from stockhouse.catalog.models import SizeOption

    blob = runtime.blobs.put_bytes(b"plain video " * 40)
    item = MediaItem(
        kind=MediaKind.VIDEO,
        owner_id=owner_id,
        status=ItemStatus.ACTIVE,
        title="City at night",
        original_filename="city.mp4",
        extension="mp4",
        mime_type="video/mp4",
        file_size=blob.size,
        original_blob=blob.key,
        width=1920,
        height=1080,
        video_standard=4,
        aspect_ratio=6,
        aspect_quotient=Decimal("1.77778"),
        duration_ms=8_000,
        fps=Decimal("29.97"),
        video_codec="h264",
        audio_codec="no snd",
        published_at=utcnow(),
    )
    item.sizes = [SizeOption(code=code, position=i) for i, code in enumerate(("720", "1080"))]
    return item


def build_world(runtime: Runtime) -> Pond5World:
    market = open_market(runtime)
    with runtime.db.session() as session:
        video = session.get(MediaItem, market.video)
        music = session.get(MediaItem, market.music)
        assert video is not None and music is not None
        _set_video_fields(video)
        music.title, music.duration_ms, music.audio_codec = "Morning theme", 30_000, "pcm_s16le"
        sfx = _audio(runtime, market.contributor, MediaKind.SFX, "door slam")
        plain = _plain_video(runtime, market.contributor)
        session.add_all([sfx, plain])
        session.flush()
        for item in (video, music, sfx, plain):
            add_renditions(runtime, item)
        partner = accounts.create_user(
            session, username="p5partner", password=PASSWORD, roles=[Role.BUYER]
        )
        key = f"{partner.id}_{483920175}"
        accounts.create_credential(
            session, runtime.secrets, user=partner, api=ApiKind.POND5, key=key, secret=P5_SECRET
        )
        buyer = accounts.get_user(session, market.solo)
        buyer.first_name, buyer.last_name = "Sol", "Buyer"
        credits.grant_credits(session, buyer, BUYER_CREDITS)
        return Pond5World(
            market=market,
            key=key,
            secret=P5_SECRET,
            partner=partner.id,
            buyer=buyer.id,
            buyer_name=buyer.username,
            sfx=sfx.id,
            plain_video=plain.id,
        )


@pytest.fixture
def world(runtime: Runtime) -> Pond5World:
    return build_world(runtime)


@pytest.fixture
def api(client: TestClient) -> TestClient:
    """The whole application (the same as `client`; named for readability here)."""
    return client


# -- building requests ------------------------------------------------------------------


def commands_hash(commands_text: str, secret: str) -> str:
    """md5(commands_json + secret + "dragspel"), hex, as the official client computes it."""
    return hashlib.md5(
        (commands_text + secret + HASH_SALT).encode(), usedforsecurity=False
    ).hexdigest()


def envelope(
    world: Pond5World,
    commands: Sequence[Mapping[str, Any]] | str,
    *,
    secret: str | None = None,
    key: str | None = None,
    **outer: Any,
) -> str:
    """The JSON envelope as a string; `commands` may be a ready commands_json string."""
    text = commands if isinstance(commands, str) else json.dumps(list(commands))
    body = {
        "api_key": world.key if key is None else key,
        "ver": 1,
        "commands_json": text,
        "commands_hash": commands_hash(text, world.secret if secret is None else secret),
        **outer,
    }
    return json.dumps(body)


def post_api(client: TestClient, api_value: str, path: str = "/pond5/") -> httpx.Response:
    """POST `api=<value>` form-encoded, as the PHP client does."""
    response: httpx.Response = client.post(
        path,
        content=urlencode({"api": api_value}).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    return response


def p5(
    client: TestClient,
    world: Pond5World,
    *commands: Mapping[str, Any],
    path: str = "/pond5/",
    **outer: Any,
) -> dict[str, Any]:
    """Send the commands in one JSON envelope; the decoded answer (HTTP 200 JSON)."""
    response = post_api(client, envelope(world, commands, **outer), path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    answer: dict[str, Any] = response.json()
    assert isinstance(answer["commands"], list)
    return answer


def one(client: TestClient, world: Pond5World, command: str, /, **params: Any) -> Any:
    """Send one command; what is in its slot (an object, or for a few commands an array)."""
    answer = p5(client, world, {"command": command, **params})
    assert len(answer["commands"]) == 1, answer
    return answer["commands"][0]


# -- XML --------------------------------------------------------------------------------


def _xml_children(parent: ET.Element, value: Any) -> None:
    if isinstance(value, Mapping):
        for name, child in value.items():
            _xml_children(ET.SubElement(parent, name), child)
    elif isinstance(value, list | tuple):
        for child in value:
            _xml_children(ET.SubElement(parent, "item"), child)
    elif isinstance(value, bool):
        parent.text = "true" if value else "false"
    else:
        parent.text = str(value)


def commands_xml(commands: Sequence[Mapping[str, Any]]) -> str:
    """`<commands><item><command>…</command>…</item></commands>` (the P2 example's shape)."""
    root = ET.Element("commands")
    _xml_children(root, list(commands))
    return ET.tostring(root, encoding="unicode")


def xml_envelope(
    world: Pond5World,
    commands: Sequence[Mapping[str, Any]] | str,
    *,
    secret: str | None = None,
) -> str:
    """`<pond5_api_request>` with commands_xml escaped inside; hash over the unescaped text."""
    text = commands if isinstance(commands, str) else commands_xml(commands)
    root = ET.Element("pond5_api_request")
    ET.SubElement(root, "api_key").text = world.key
    ET.SubElement(root, "ver").text = "1"
    ET.SubElement(root, "commands_xml").text = text
    ET.SubElement(root, "commands_hash").text = commands_hash(
        text, world.secret if secret is None else secret
    )
    return ET.tostring(root, encoding="unicode")


def xml_to_python(element: ET.Element) -> Any:
    """An XML answer element as Python: `<item>` children make a list, others a dict."""
    children = list(element)
    if not children:
        return element.text or ""
    if all(child.tag == "item" for child in children):
        return [xml_to_python(child) for child in children]
    return {child.tag: xml_to_python(child) for child in children}


def p5_xml(client: TestClient, world: Pond5World, *commands: Mapping[str, Any]) -> dict[str, Any]:
    """Send the commands as an XML request; the `<pond5_api_response>` as Python values."""
    response = post_api(client, xml_envelope(world, commands))
    assert response.status_code == 200, response.text
    assert "xml" in response.headers["content-type"]
    root = defused_fromstring(response.content)
    assert root.tag == "pond5_api_response"
    answer: dict[str, Any] = xml_to_python(root)
    return answer


# -- logging in -------------------------------------------------------------------------


def login(
    client: TestClient,
    world: Pond5World,
    username: str | None = None,
    password: str = PASSWORD,
) -> dict[str, str]:
    """Log in through the `login` command; {"cx": …, "cm": …}."""
    slot = one(client, world, "login", username=username or world.buyer_name, password=password)
    assert "cx" in slot and "cm" in slot, slot
    return {"cx": slot["cx"], "cm": slot["cm"]}


def direct_login(runtime: Runtime, world: Pond5World, user_id: int) -> dict[str, str]:
    """The cx/cm pair of a fresh session of `user_id` under the world's key, made directly."""
    with runtime.db.session() as session:
        credential = accounts.resolve_credential(session, world.key, ApiKind.POND5)
        issued = accounts.create_session(
            session,
            accounts.get_user(session, user_id),
            ttl_s=runtime.settings.session_ttl_s,
            credential=credential,
        )
        return {"cx": str(issued.login.id), "cm": issued.token}


@pytest.fixture
def creds(runtime: Runtime, world: Pond5World) -> dict[str, str]:
    """cx/cm of the buyer sol (made directly, so tests of other commands do not depend on
    the login command)."""
    return direct_login(runtime, world, world.buyer)


@pytest.fixture
def root_client(settings: Settings) -> Iterator[TestClient]:
    """A client of an app that also serves Pond5 at "/?page=api" (`serve --api pond5`),
    over the same database and data dir as `runtime`."""
    from stockhouse.app import create_app

    root_runtime = Runtime(dataclasses.replace(settings, root_api="pond5"))
    try:
        with TestClient(create_app(root_runtime), raise_server_exceptions=False) as test_client:
            yield test_client
    finally:
        root_runtime.close()
