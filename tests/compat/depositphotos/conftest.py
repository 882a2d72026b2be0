"""Fixtures for the Depositphotos Enterprise API tests (shared by every test module here).

`world` opens the commerce test market (a prepaid group with admin mia and member max, a
postpaid group with admin pat and member pia, a third group of oz, a contributor's photo,
video and music) and adds a vector, real renditions for the visual items, and a
Depositphotos API key. `dp(client, command, **params)` posts one command as form data, the
way the official PHP SDK sends it, and returns the decoded answer. `sessions` holds a live
session id per user name (made directly, so it does not depend on loginEnterprise).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
from starlette.testclient import TestClient

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import ApiKind
from stockhouse.app import create_app
from stockhouse.catalog.models import ItemStatus, MediaItem, MediaKind, Rendition, SizeOption
from stockhouse.db.base import utcnow
from stockhouse.ingest.sizes import vector_sizes
from stockhouse.runtime import Runtime
from tests.catalog.factories import PASSWORD, tiny_jpeg
from tests.commerce.factories import Market, open_market

DP_KEY = "3f9a1c7e5b2d4f6081a9c3e5b7d9f1a2c4e6b8d0"
RENDITIONS = {
    "large": (300, 200),
    "preview_brand": (300, 200),
    "preview_neutral": (300, 200),
    "thumb450": (150, 100),
    "thumb170": (120, 80),
    "thumb110": (110, 73),
}
USERS = ("mia", "max", "pat", "pia", "oz", "sol")
__all__ = ["DP_KEY", "PASSWORD", "World", "dp", "form_pairs"]


@dataclass(frozen=True)
class World:
    """The market, the extra vector item, the API key and the names of everybody."""

    market: Market
    vector: int
    key: str
    key_owner: int
    user_ids: Mapping[str, int]

    @property
    def photo(self) -> int:
        return self.market.photo

    @property
    def video(self) -> int:
        return self.market.video

    @property
    def music(self) -> int:
        return self.market.music


def add_renditions(runtime: Runtime, item: MediaItem) -> None:
    """Real tiny JPEG renditions under the names the ingest pipeline writes."""
    for shade, (name, (width, height)) in enumerate(RENDITIONS.items()):
        blob = runtime.blobs.put_bytes(tiny_jpeg(width, height, shade=40 + shade + item.id))
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


def _vector(runtime: Runtime, owner_id: int) -> MediaItem:
    blob = runtime.blobs.put_bytes(b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 400 400\n")
    return MediaItem(
        kind=MediaKind.VECTOR,
        owner_id=owner_id,
        status=ItemStatus.ACTIVE,
        title="Lighthouse icon",
        description="A flat lighthouse icon",
        original_filename="lighthouse.eps",
        extension="eps",
        mime_type="application/postscript",
        file_size=blob.size,
        original_blob=blob.key,
        width=400,
        height=400,
        published_at=utcnow(),
        sizes=[
            SizeOption(code=s.code, position=i, width=s.width, height=s.height)
            for i, s in enumerate(vector_sizes(400, 400))
        ],
    )


def build_world(runtime: Runtime) -> World:
    market = open_market(runtime)
    with runtime.db.session() as session:
        vector = _vector(runtime, market.contributor)
        session.add(vector)
        session.flush()
        for item_id in (market.photo, market.video):
            item = session.get(MediaItem, item_id)
            assert item is not None
            add_renditions(runtime, item)
        add_renditions(runtime, vector)
        owner = accounts.get_user(session, market.prepaid_admin)
        accounts.create_credential(
            session, runtime.secrets, user=owner, api=ApiKind.DEPOSITPHOTOS, key=DP_KEY
        )
        ids = {
            "mia": market.prepaid_admin,
            "max": market.prepaid_member,
            "pat": market.postpaid_admin,
            "pia": market.postpaid_member,
            "oz": market.outsider,
            "sol": market.solo,
            "carla": market.contributor,
        }
        world = World(market=market, vector=vector.id, key=DP_KEY, key_owner=owner.id, user_ids=ids)
    runtime.search.rebuild()
    return world


@pytest.fixture
def world(runtime: Runtime) -> World:
    return build_world(runtime)


@pytest.fixture
def dp_client(runtime: Runtime) -> Iterator[TestClient]:
    """The whole application (the same as `client`; named for readability here)."""
    with TestClient(create_app(runtime), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def sessions(runtime: Runtime, world: World) -> dict[str, str]:
    """A live session id for each user name of USERS, made under the world's API key."""
    tokens: dict[str, str] = {}
    with runtime.db.session() as session:
        credential = accounts.resolve_credential(session, world.key, ApiKind.DEPOSITPHOTOS)
        for name in USERS:
            user = accounts.get_user(session, world.user_ids[name])
            issued = accounts.create_session(
                session, user, ttl_s=runtime.settings.session_ttl_s, credential=credential
            )
            tokens[name] = issued.token
    return tokens


def form_pairs(prefix: str, value: Any) -> list[tuple[str, str]]:
    """PHP http_build_query pairs: lists and dicts become `name[0]`, `name[key]`."""
    if isinstance(value, Mapping):
        pairs: list[tuple[str, str]] = []
        for key, child in value.items():
            pairs += form_pairs(f"{prefix}[{key}]", child)
        return pairs
    if isinstance(value, list | tuple):
        pairs = []
        for index, child in enumerate(value):
            pairs += form_pairs(f"{prefix}[{index}]", child)
        return pairs
    if isinstance(value, bool):
        return [(prefix, "1" if value else "0")]
    return [(prefix, str(value))]


def dp(
    client: TestClient,
    command: str,
    *,
    key: str | None = DP_KEY,
    path: str = "/depositphotos/",
    **params: Any,
) -> dict[str, Any]:
    """POST one command as a form (dp_apikey + dp_command + params); the decoded answer.

    Every Depositphotos answer is HTTP 200 JSON with timestamp, version and type.
    """
    pairs = [("dp_command", command)]
    if key is not None:
        pairs.append(("dp_apikey", key))
    for name, value in params.items():
        pairs += form_pairs(name, value)
    response = client.post(
        path,
        content=urlencode(pairs).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    answer: dict[str, Any] = response.json()
    assert answer["version"] == "1.3"
    assert answer["type"] in ("success", "failure")
    return answer


def assert_failure(answer: Mapping[str, Any], exception: str, errorcode: int) -> None:
    """The answer is the failure envelope with this catalogue entry."""
    assert answer["type"] == "failure", answer
    assert answer["error"]["exception"] == exception
    assert answer["error"]["errorcode"] == errorcode
    assert answer["error"]["errormsg"]
