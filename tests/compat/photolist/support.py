"""A photo.list client written from the protocol description (not from the server's code),
and a small catalog of photos whose every column the tests choose.

The client speaks the three transports as the real software's clients do: a JSON body, an
XML body, and the GET form with PHP bracket parameters and `token:`/`hmac:` path segments.
"""

from __future__ import annotations

import hashlib
import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from itertools import count
from typing import Any
from urllib.parse import quote, urlencode

from starlette.testclient import TestClient

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import ApiKind, Role
from stockhouse.catalog.models import ItemStatus, MediaItem, MediaKind, Rendition
from stockhouse.runtime import Runtime
from tests.catalog.factories import PASSWORD, tiny_jpeg

NOW = 1_700_000_123  # the fixed clock of the tests; its window ends at 1_700_000_400
LIFETIME = 300
TRANSPORTS = ("json", "xml", "get")


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()  # noqa: S324 (the protocol's hash)


def salt(now: int = NOW) -> int:
    return ((now + LIFETIME - 1) // LIFETIME) * LIFETIME


def php_serialize(data: Any) -> str:
    """Ultralite's `_serialize`: `{k:v,...}`, nested recursively, booleans true/false."""
    if isinstance(data, dict):
        pairs = list(data.items())
    elif isinstance(data, list):
        pairs = list(enumerate(data))
    else:
        pairs = [] if data is None else [(0, data)]
    out = ""
    for key, value in pairs:
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, dict | list) or value is None:
            text = php_serialize(value)
        else:
            text = str(value)
        out += f"{key}:{text},"
    return "{" + out + "}"


def as_xml_reads(value: Any) -> Any:
    """What the server reads back from an XML request: texts, one-element lists as one
    element, empty elements as empty mappings."""
    if isinstance(value, dict):
        return {k: as_xml_reads(v) for k, v in value.items()}
    if isinstance(value, list):
        items = [as_xml_reads(v) for v in value]
        return items[0] if len(items) == 1 else items
    if isinstance(value, bool):
        return "true" if value else "false"
    return {} if value == "" else str(value)


def as_query_reads(value: Any) -> Any:
    """What the server reads back from PHP bracket parameters: texts, booleans as 1/0."""
    if isinstance(value, dict):
        return {k: as_query_reads(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_query_reads(v) for v in value]
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def php_query(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    """http_build_query's pairs: `fields[]=...`, `sort[title]=asc`, `a[b][c]=...`."""
    pairs: list[tuple[str, str]] = []
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, child in items:
        name = f"{prefix}[{'' if isinstance(value, list) else key}]" if prefix else str(key)
        if isinstance(child, dict | list):
            pairs += php_query(child, name)
        else:
            pairs.append((name, str(int(child)) if isinstance(child, bool) else str(child)))
    return pairs


def xml_body(document: dict[str, Any]) -> bytes:
    def fill(parent: ET.Element, value: Any) -> None:
        if isinstance(value, dict):
            for key, child in value.items():
                for entry in child if isinstance(child, list) else [child]:
                    fill(ET.SubElement(parent, key), entry)
        else:
            parent.text = ("true" if value else "false") if isinstance(value, bool) else str(value)

    root = ET.Element("xml")
    fill(root, document)
    return b'<?xml version="1.0" encoding="UTF-8" standalone="yes" ?>' + ET.tostring(root)


def xml_answer(data: bytes) -> Any:
    """An XML answer as a document: repeated elements as lists (photo always a list)."""
    root = ET.fromstring(data)  # noqa: S314 (our own server's answer)

    def read(element: ET.Element) -> Any:
        if len(element) == 0:
            return element.text or ""
        out: dict[str, Any] = {}
        for child in element:
            value = read(child)
            if child.tag == "photo":
                out.setdefault("photo", []).append(value)
            else:
                out[child.tag] = value
        return out

    assert root.tag == "xml"
    return read(root)


def send(
    client: TestClient,
    transport: str,
    method: str,
    request: Any,
    extra: dict[str, str] | None = None,
    output: str = "json",
) -> Any:
    """One call in `transport`; the parsed answer (XML answers as documents of text)."""
    extra = extra or {}
    if transport == "json":
        body = json.dumps({"method": method, "request": request, **extra})
        response = client.post("/api/json/", content=body)
    elif transport == "xml":
        response = client.post(
            "/api/xml/", content=xml_body({"method": method, "request": request, **extra})
        )
    else:
        segments = "".join(f"{k}:{quote(v, safe='')}/" for k, v in extra.items())
        query = urlencode(php_query(request)) if isinstance(request, dict) else ""
        response = client.get(f"/api/get/{method}/{output}/{segments}?{query}")
    assert response.status_code == 200
    if transport == "xml" or output == "xml":
        assert response.headers["content-type"].startswith("application/xml")
        return xml_answer(response.content)
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


@dataclass
class Session:
    """A logged-in client: its secret, token and the nonce of its next call."""

    client: TestClient
    public_key: str
    private_key: str
    token: str = ""
    nonce: str = ""
    secret: str = field(init=False)

    def __post_init__(self) -> None:
        self.secret = md5(self.public_key + self.private_key)

    def login(self) -> None:
        answer = send(
            self.client, "json", "auth.request", {"public_key": self.public_key, "session": "test"}
        )
        assert answer["status"] == "valid", answer
        challenge = answer["response"]["challenge"]
        self.token = md5(challenge + self.secret + str(salt()))
        signature = md5(self.token + challenge + self.secret)
        answer = send(
            self.client, "json", "auth.token", {"challenge": challenge, "signature": signature}
        )
        assert answer["status"] == "valid", answer
        self.nonce = answer["response"]["nonce"]
        assert answer["response"]["signature"] == md5(self.token + self.nonce + self.secret)

    def signed(self, method: str, request: Any, transport: str) -> dict[str, str]:
        reads = {"xml": as_xml_reads, "get": as_query_reads}.get(transport, lambda v: v)(request)
        hmac = md5(self.nonce + method + php_serialize(reads) + self.secret)
        return {"token": self.token, "hmac": hmac}

    def call(self, method: str, request: Any, transport: str = "json", output: str = "json") -> Any:
        """A signed call; checks the answer's hmac and keeps its nonce for the next call."""
        answer = send(
            self.client, transport, method, request, self.signed(method, request, transport), output
        )
        if answer["status"] == "valid" and transport == "json" and output == "json":
            expected = md5(
                self.nonce + answer["nonce"] + php_serialize(answer["response"]) + self.secret
            )
            assert answer["hmac"] == expected
        if "nonce" in answer:
            self.nonce = answer["nonce"]
        return answer


# -- catalog ----------------------------------------------------------------------------


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# name: (title, filename, description, published, status, visible)
PHOTOS: dict[str, tuple[str, str, str, str, ItemStatus, bool]] = {
    "butterfly": (
        "A butterfly",
        "kGj123.jpeg",
        "wings",
        "2011-05-03 16:38:12",
        ItemStatus.ACTIVE,
        True,
    ),
    "daddy": (
        "Daddy Portrait",
        "ACv3hI.jpeg",
        "portrait",
        "2011-05-12 09:12:54",
        ItemStatus.ACTIVE,
        True,
    ),
    "apple": ("apple", "b.jpg", "", "2011-04-30 23:59:59", ItemStatus.ARCHIVED, False),
    "moth": ("A butterfly", "Zz.jpg", "another", "2011-06-01 00:00:00", ItemStatus.ACTIVE, True),
    "omega": (
        "Ωmega 'quoted' <b>",
        "omega.jpg",
        "ü",
        "2011-05-31 23:59:59",
        ItemStatus.ACTIVE,
        False,
    ),
}
RENDITIONS = {"thumb170": (170, 128), "thumb450": (450, 338), "preview_brand": (1000, 750)}


@dataclass(frozen=True)
class World:
    ids: dict[str, int]  # the photos above, and "pending", "video"
    owner: int  # the contributor who owns them
    read: tuple[str, str]  # public and private key with the read grant
    no_grant: tuple[str, str]
    disabled: tuple[str, str]


def _key(runtime: Runtime, user_id: int, grants: tuple[str, ...]) -> tuple[str, str]:
    with runtime.db.session() as session:
        user = accounts.get_user(session, user_id)
        issued = accounts.create_credential(
            session,
            runtime.secrets,
            user=user,
            api=ApiKind.PHOTOLIST,
            grants=grants,
            with_secret=True,
        )
        assert issued.secret is not None
        return issued.key, issued.secret


@cache
def _jpeg(width: int, height: int) -> bytes:
    return tiny_jpeg(width, height, shade=width % 200)


_serial = count(1)


def add_item(runtime: Runtime, owner: int, renditions: bool = False, **columns: Any) -> int:
    """An item row; only photos whose URLs are fetched get real rendition blobs."""
    defaults: dict[str, Any] = {
        "extension": "jpg",
        "mime_type": "image/jpeg",
        "file_size": 1000,
        "width": 64,
        "height": 48,
    }
    with runtime.db.session() as session:
        item = MediaItem(
            owner_id=owner, original_blob=f"{next(_serial):064x}", **{**defaults, **columns}
        )
        session.add(item)
        session.flush()
        for rendition, (width, height) in RENDITIONS.items() if renditions else ():
            data = runtime.blobs.put_bytes(_jpeg(width // 10, height // 10))
            item.renditions.append(
                Rendition(
                    name=rendition,
                    blob=data.key,
                    mime_type="image/jpeg",
                    width=width,
                    height=height,
                    size=data.size,
                )
            )
        return item.id


def make_world(runtime: Runtime) -> World:
    with runtime.db.session() as session:
        owner = accounts.create_user(
            session, username="olga", password=PASSWORD, roles=[Role.CONTRIBUTOR]
        ).id
        gallery = accounts.create_user(
            session, username="gallery", password=PASSWORD, roles=[Role.BUYER]
        ).id
    ids: dict[str, int] = {}
    for name, (title, filename, description, published, status, visible) in PHOTOS.items():
        ids[name] = add_item(
            runtime,
            owner,
            name in ("butterfly", "apple"),
            kind=MediaKind.PHOTO,
            title=title,
            original_filename=filename,
            description=description,
            published_at=at(published),
            status=status,
            visible=visible,
        )
    ids["pending"] = add_item(
        runtime,
        owner,
        kind=MediaKind.PHOTO,
        title="Pending",
        original_filename="p.jpg",
        status=ItemStatus.PENDING,
    )
    ids["video"] = add_item(
        runtime,
        owner,
        kind=MediaKind.VIDEO,
        title="Video",
        original_filename="v.mp4",
        extension="mp4",
        mime_type="video/mp4",
        status=ItemStatus.ACTIVE,
        published_at=at("2011-05-05 00:00:00"),
    )
    disabled = _key(runtime, gallery, ("read",))
    with runtime.db.session() as session:
        for credential in accounts.list_credentials(session):
            if credential.key_prefix == disabled[0][:12]:
                accounts.disable_credential(session, credential)
    return World(
        ids, owner, _key(runtime, gallery, ("read",)), _key(runtime, gallery, ()), disabled
    )
