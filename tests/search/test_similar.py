"""Similar, same model, series and search by image (with the SSRF-guarded URL fetch).

Similarity rankings are pinned item by item. Search by image decodes small pictures made
here; URL fetches go to an HTTP server the test starts on 127.0.0.1 (allowlisted where a
fetch should succeed), and private targets are refused before any connection is made.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast

import numpy as np
import pytest
import pyvips
from starlette.testclient import TestClient

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import Role
from stockhouse.catalog.limits import PayloadTooLarge
from stockhouse.catalog.models import (
    ItemRelease,
    ItemStatus,
    MediaItem,
    MediaKind,
    Release,
    ReleaseType,
    Series,
)
from stockhouse.errors import InvalidParameter, NotFound
from stockhouse.runtime import Runtime
from stockhouse.search import fetch, similar
from stockhouse.search.fetch import FetchRefused, fetch_image
from stockhouse.search.similar import color_distance
from tests.search.items_support import add_item

BASE_HASH = 0x0F0F0F0F0F0F0F0F
LOCAL = ["127.0.0.1/32"]


# -- pictures ---------------------------------------------------------------------------


PATTERNS = {"waves": 1, "ripples": 2, "bands": 3}


def picture(pattern: str, width: int = 64, height: int = 48) -> pyvips.Image:
    """A small RGB picture of a few crossing sine waves (the pattern names the seed): smooth
    enough to survive resizing, varied enough for distinct perceptual hashes."""
    rng = np.random.default_rng(PATTERNS[pattern])
    y, x = np.mgrid[0:height, 0:width] / np.array([height, width])[:, None, None]
    grey = np.zeros((height, width))
    for _ in range(4):
        fx, fy, phase = rng.uniform(0.5, 3), rng.uniform(0.5, 3), rng.uniform(0, 2 * np.pi)
        grey += np.sin(2 * np.pi * (fx * x + fy * y) + phase)
    grey = (grey - grey.min()) / (grey.max() - grey.min()) * 255
    rgb = np.stack([grey, grey * 0.6 + 50, 255 - grey], axis=2).astype(np.uint8)
    return pyvips.Image.new_from_array(rgb, interpretation="srgb")


def png(pattern: str, **size: int) -> bytes:
    data: bytes = picture(pattern, **size).pngsave_buffer()
    return data


def jpeg(pattern: str, **size: int) -> bytes:
    data: bytes = picture(pattern, **size).jpegsave_buffer(Q=70)
    return data


# -- the catalog ------------------------------------------------------------------------


@dataclass
class Similars:
    ids: dict[str, int]
    series_id: int

    def names(self, item_ids: list[int]) -> list[str]:
        by_id = {item_id: name for name, item_id in self.ids.items()}
        return [by_id[item_id] for item_id in item_ids]


@pytest.fixture
def foxes(runtime: Runtime) -> Similars:
    """A fox photo (`base`) and items more or less like it."""
    with runtime.db.session() as session:
        owner = accounts.create_user(
            session, username="vera", password=None, roles=[Role.CONTRIBUTOR]
        ).id
        series = Series(owner_id=owner, name="Autumn")
        session.add(series)
        session.flush()
        fox_tags = ["fox", "forest", "autumn", "red"]
        ids = {
            "base": add_item(
                session,
                owner,
                title="Fox",
                tags=fox_tags,
                phash=BASE_HASH,
                color=9,
                series_id=series.id,
            ),
            "twin": add_item(
                session, owner, title="Fox again", tags=fox_tags, phash=BASE_HASH ^ 1, color=9
            ),
            "cousin": add_item(
                session,
                owner,
                title="Fox cub",
                tags=["fox", "forest"],
                phash=BASE_HASH ^ 0xFF,
                color=10,
            ),
            "lookalike": add_item(
                session,
                owner,
                title="Same light",
                tags=["car"],
                phash=BASE_HASH,
                color=9,
                series_id=series.id,
            ),
            "vector_fox": add_item(
                session,
                owner,
                title="Fox icon",
                tags=["fox", "forest"],
                kind=MediaKind.VECTOR,
                extension="svg",
            ),
            "stranger": add_item(
                session,
                owner,
                title="Snow fox",
                tags=["fox", "snow", "winter"],
                phash=BASE_HASH ^ 0xFFFFFFFF,
                color=17,
            ),
            "video_fox": add_item(
                session,
                owner,
                title="Fox video",
                tags=fox_tags,
                kind=MediaKind.VIDEO,
                phash=BASE_HASH,
                color=9,
            ),
            "archived_fox": add_item(
                session,
                owner,
                title="Old fox",
                tags=fox_tags,
                phash=BASE_HASH,
                color=9,
                status=ItemStatus.ARCHIVED,
                visible=False,
                series_id=series.id,
            ),
            "unrelated": add_item(
                session, owner, title="Harbour", tags=["boat"], phash=~BASE_HASH, color=1
            ),
        }
    return Similars(ids, series.id)


# -- similar ----------------------------------------------------------------------------


def test_similar_ranks_by_keywords_then_pixels_then_colour(
    runtime: Runtime, foxes: Similars
) -> None:
    with runtime.db.read_session() as session:
        found = similar.similar(session, foxes.ids["base"])
    assert foxes.names([s.item_id for s in found]) == [
        "twin",
        "cousin",
        "lookalike",
        "vector_fox",
        "stranger",
    ]


def test_similar_scores_add_up_from_their_parts(runtime: Runtime, foxes: Similars) -> None:
    with runtime.db.read_session() as session:
        found = {
            foxes.names([s.item_id])[0]: s for s in similar.similar(session, foxes.ids["base"])
        }
    assert found["twin"].score == pytest.approx(0.6 * 1 + 0.3 * (31 / 32) + 0.1 * 1, abs=1e-6)
    assert found["twin"].shared_tags == 4
    assert found["twin"].hash_distance == 1
    cousin_colour = color_distance(9, 10)
    assert found["cousin"].score == pytest.approx(
        0.6 * 0.5 + 0.3 * (24 / 32) + 0.1 * (1 - cousin_colour), abs=1e-6
    )
    assert found["lookalike"].shared_tags == 0  # found through the series
    assert found["vector_fox"].hash_distance is None
    assert found["stranger"].score == pytest.approx(
        0.6 / 6 + 0.1 * (1 - color_distance(9, 17)), abs=1e-6
    )


def test_similar_leaves_out_other_media_families_and_unpublished_items(
    runtime: Runtime, foxes: Similars
) -> None:
    with runtime.db.read_session() as session:
        names = foxes.names([s.item_id for s in similar.similar(session, foxes.ids["base"])])
    assert "video_fox" not in names
    assert "archived_fox" not in names
    assert "base" not in names


def test_similar_stops_at_the_limit(runtime: Runtime, foxes: Similars) -> None:
    with runtime.db.read_session() as session:
        found = similar.similar(session, foxes.ids["base"], limit=2)
    assert foxes.names([s.item_id for s in found]) == ["twin", "cousin"]


def test_similar_of_an_unknown_item_is_not_found(runtime: Runtime, foxes: Similars) -> None:
    with runtime.db.read_session() as session, pytest.raises(NotFound):
        similar.similar(session, 999_999)


@pytest.mark.parametrize("limit", [0, 101])
def test_similar_refuses_a_limit_out_of_range(
    runtime: Runtime, foxes: Similars, limit: int
) -> None:
    with runtime.db.read_session() as session, pytest.raises(InvalidParameter) as caught:
        similar.similar(session, foxes.ids["base"], limit=limit)
    assert caught.value.name == "limit"


def test_colour_distance_is_zero_for_one_colour_and_one_for_the_farthest() -> None:
    assert color_distance(9, 9) == 0
    assert max(color_distance(a, b) for a in range(1, 18) for b in range(1, 18)) == 1
    assert color_distance(9, 10) < color_distance(9, 17)
    assert color_distance(None, 9) == 1


# -- same model, series -----------------------------------------------------------------


def attach(runtime: Runtime, item_ids: list[int], release_type: ReleaseType) -> None:
    with runtime.db.session() as session:
        owner = session.get(MediaItem, item_ids[0])
        assert owner is not None
        release = Release(owner_id=owner.owner_id, type=int(release_type), name="release")
        session.add(release)
        session.flush()
        for item_id in item_ids:
            session.add(ItemRelease(item_id=item_id, release_id=release.id))


def test_same_model_lists_published_items_sharing_a_model_release(
    runtime: Runtime, foxes: Similars
) -> None:
    ids = foxes.ids
    attach(
        runtime,
        [ids["base"], ids["stranger"], ids["cousin"], ids["archived_fox"]],
        ReleaseType.MODEL,
    )
    attach(runtime, [ids["base"], ids["twin"]], ReleaseType.PROPERTY)
    with runtime.db.read_session() as session:
        assert foxes.names(similar.same_model(session, ids["base"])) == ["cousin", "stranger"]
        assert similar.same_model(session, ids["twin"]) == []


def test_series_items_are_the_other_published_items_of_the_series(
    runtime: Runtime, foxes: Similars
) -> None:
    with runtime.db.read_session() as session:
        assert foxes.names(similar.series_items(session, foxes.ids["base"])) == ["lookalike"]
        assert foxes.names(similar.series_items(session, foxes.ids["lookalike"])) == ["base"]
        assert similar.series_items(session, foxes.ids["twin"]) == []


# -- search by image --------------------------------------------------------------------


@pytest.fixture
def pictures(runtime: Runtime) -> dict[str, int]:
    """Three published photos whose hash and colour were measured from real pictures."""
    with runtime.db.session() as session:
        owner = accounts.create_user(
            session, username="ivan", password=None, roles=[Role.CONTRIBUTOR]
        ).id
        ids = {}
        for pattern in PATTERNS:
            measured = similar.image_print(png(pattern))
            ids[pattern] = add_item(
                session, owner, title=pattern, phash=measured.phash, color=measured.color
            )
        ids["music"] = add_item(
            session,
            owner,
            title="tune",
            kind=MediaKind.MUSIC,
            phash=similar.image_print(png("waves")).phash,
        )
    return ids


def test_search_by_image_finds_the_same_picture_first(
    runtime: Runtime, pictures: dict[str, int]
) -> None:
    matches = similar.by_image(runtime, png("ripples"))
    assert matches[0].item_id == pictures["ripples"]
    assert matches[0].hash_distance == 0
    assert matches[0].color_distance == 0
    assert pictures["music"] not in [m.item_id for m in matches]


def test_search_by_image_finds_a_resized_recompressed_copy(
    runtime: Runtime, pictures: dict[str, int]
) -> None:
    matches = similar.by_image(runtime, jpeg("waves", width=48, height=36))
    assert matches[0].item_id == pictures["waves"]
    assert matches[0].hash_distance <= 6


def test_search_by_image_ranks_by_hash_distance(runtime: Runtime, pictures: dict[str, int]) -> None:
    matches = similar.by_image(runtime, png("bands"))
    distances = [m.hash_distance for m in matches]
    assert distances == sorted(distances)
    assert all(d <= similar.MAX_IMAGE_DISTANCE for d in distances)


@pytest.mark.parametrize(
    "data",
    [b"", b"GIF89a but not really", b"%PDF-1.7 not an image", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40],
)
def test_search_by_image_refuses_what_is_not_a_decodable_image(
    runtime: Runtime, data: bytes
) -> None:
    with pytest.raises(InvalidParameter) as caught:
        similar.by_image(runtime, data)
    assert caught.value.name == "image"


# -- fetching a URL ---------------------------------------------------------------------

PNG_BYTES = png("waves")
OVERSIZED = 4096  # bytes: the limit the oversize tests pass to fetch_image


class Handler(BaseHTTPRequestHandler):
    """Routes of the test server; `hits` counts every request it answered."""

    hits: list[str] = []

    def do_GET(self) -> None:
        Handler.hits.append(self.path)
        port = cast(ThreadingHTTPServer, self.server).server_port
        routes: dict[str, Any] = {
            "/img.png": (200, {"Content-Type": "image/png"}, PNG_BYTES),
            "/page.html": (200, {"Content-Type": "text/html"}, b"<html>no image</html>" * 4),
            "/big": (200, {}, b"\x89PNG\r\n\x1a\n" + b"0" * OVERSIZED * 2),
            "/to-img": (302, {"Location": "/img.png"}, b""),
            "/to-metadata": (302, {"Location": "http://169.254.169.254/latest/"}, b""),
            "/to-loopback": (302, {"Location": f"http://[::1]:{port}/img.png"}, b""),
            "/loop": (302, {"Location": "/loop"}, b""),
        }
        if self.path == "/big-chunked":
            self._chunked(b"\x89PNG\r\n\x1a\n" + b"0" * OVERSIZED * 2)
            return
        status, headers, body = routes.get(self.path, (404, {}, b"missing"))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _chunked(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for start in range(0, len(body), 1000):
            chunk = body[start : start + 1000]
            self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        self.wfile.write(b"0\r\n\r\n")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """An HTTP server on 127.0.0.1; yields its base URL."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def hits() -> list[str]:
    Handler.hits.clear()
    return Handler.hits


def test_an_allowlisted_local_server_is_fetched(server: str) -> None:
    fetched = fetch_image(f"{server}/img.png", allowlist=LOCAL)
    assert fetched.content == PNG_BYTES


def test_redirects_between_allowed_addresses_are_followed(server: str) -> None:
    fetched = fetch_image(f"{server}/to-img", allowlist=LOCAL)
    assert fetched.content == PNG_BYTES
    assert fetched.url == f"{server}/img.png"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/img.png",
        "http://10.1.2.3/img.png",
        "http://192.168.0.1/img.png",
        "http://172.16.5.4/img.png",
        "http://100.64.0.1/img.png",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:{port}/img.png",
        "http://[fe80::1]/img.png",
        "http://[fc00::1]/img.png",
        "http://[::ffff:127.0.0.1]:{port}/img.png",
        "http://[::ffff:a01:203]/img.png",
        "http://[64:ff9b::7f00:1]/img.png",
        "http://0.0.0.0:{port}/img.png",
        "http://[::]:{port}/img.png",
        "http://224.0.0.1/img.png",
        "http://240.0.0.1/img.png",
        "http://255.255.255.255/img.png",
        "http://localhost:{port}/img.png",
        "http://2130706433:{port}/img.png",
        "http://0x7f.1:{port}/img.png",
        "http://127.1:{port}/img.png",
    ],
)
def test_private_and_reserved_targets_are_refused_without_a_connection(
    server: str, hits: list[str], url: str
) -> None:
    port = server.rsplit(":", 1)[1]
    with pytest.raises(FetchRefused) as caught:
        fetch_image(url.format(port=port))
    assert caught.value.name == "url"
    assert hits == []


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/img.png",
        "file:///etc/passwd",
        "gopher://127.0.0.1/",
        "http://user:secret@example.com/img.png",
        "http:///img.png",
        "not a url",
        "http://0177.0.0.1/",
        "http://" + "a" * 3000 + ".com/",
    ],
)
def test_other_schemes_and_malformed_urls_are_refused(url: str) -> None:
    with pytest.raises(FetchRefused):
        fetch_image(url)


def test_a_redirect_to_a_refused_address_is_not_followed(server: str, hits: list[str]) -> None:
    with pytest.raises(FetchRefused, match="private"):
        fetch_image(f"{server}/to-metadata", allowlist=LOCAL)
    with pytest.raises(FetchRefused, match="private"):
        fetch_image(f"{server}/to-loopback", allowlist=LOCAL)
    assert hits == ["/to-metadata", "/to-loopback"]


def test_too_many_redirects_are_refused(server: str, hits: list[str]) -> None:
    with pytest.raises(FetchRefused, match="redirects"):
        fetch_image(f"{server}/loop", allowlist=LOCAL)
    assert len(hits) == fetch.MAX_REDIRECTS + 1


@pytest.mark.parametrize("path", ["/big", "/big-chunked"])
def test_an_oversized_body_is_cut_off(server: str, path: str) -> None:
    with pytest.raises(PayloadTooLarge):
        fetch_image(f"{server}{path}", allowlist=LOCAL, max_bytes=OVERSIZED)


def test_a_body_that_is_not_an_image_is_refused(server: str) -> None:
    with pytest.raises(FetchRefused, match="image"):
        fetch_image(f"{server}/page.html", allowlist=LOCAL)


def test_an_error_status_is_refused(server: str) -> None:
    with pytest.raises(FetchRefused, match="404"):
        fetch_image(f"{server}/nothing-here", allowlist=LOCAL)


def test_an_unresolvable_host_is_refused() -> None:
    with pytest.raises(FetchRefused, match="resolved"):
        fetch_image("http://no-such-host.invalid/img.png")


# -- the API ----------------------------------------------------------------------------


def test_similar_endpoint_lists_hydrated_items_in_rank_order(
    client: TestClient, foxes: Similars
) -> None:
    response = client.get(f"/v1/items/{foxes.ids['base']}/similar", params={"limit": 3})
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert foxes.names([i["id"] for i in items]) == ["twin", "cousin", "lookalike"]
    assert items[0]["title"] == "Fox again"
    assert items[0]["shared_tags"] == 4


def test_related_endpoints_hide_an_unpublished_item_from_strangers(
    client: TestClient, foxes: Similars
) -> None:
    for route in ("similar", "same-model", "series"):
        response = client.get(f"/v1/items/{foxes.ids['archived_fox']}/{route}")
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"


def test_series_and_same_model_endpoints(
    client: TestClient, runtime: Runtime, foxes: Similars
) -> None:
    attach(runtime, [foxes.ids["base"], foxes.ids["twin"]], ReleaseType.MODEL)
    series = client.get(f"/v1/items/{foxes.ids['base']}/series").json()
    assert series["series_id"] == foxes.series_id
    assert foxes.names([i["id"] for i in series["items"]]) == ["lookalike"]
    model = client.get(f"/v1/items/{foxes.ids['base']}/same-model").json()
    assert foxes.names([i["id"] for i in model["items"]]) == ["twin"]


def test_search_by_image_upload(client: TestClient, pictures: dict[str, int]) -> None:
    response = client.post(
        "/v1/search/by-image", files={"image": ("query.png", png("bands"), "image/png")}
    )
    assert response.status_code == 200, response.text
    first = response.json()["items"][0]
    assert first["id"] == pictures["bands"]
    assert first["hash_distance"] == 0


def test_search_by_image_url_of_an_allowlisted_server(
    client: TestClient, pictures: dict[str, int], server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from stockhouse.api import similar as similar_api

    monkeypatch.setattr(similar_api, "fetch_allowlist", lambda runtime: LOCAL)
    response = client.post("/v1/search/by-image", json={"url": f"{server}/img.png"})
    assert response.status_code == 200, response.text
    assert response.json()["items"][0]["id"] == pictures["waves"]


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"url": "http://169.254.169.254/latest/meta-data/"}, "url"),
        ({"url": "http://localhost/"}, "url"),
        ({"url": 5}, "url"),
        ({}, "url"),
    ],
)
def test_search_by_image_url_refusals_name_the_url(
    client: TestClient, body: dict[str, Any], param: str
) -> None:
    response = client.post("/v1/search/by-image", json=body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["param"]) == ("invalid_parameter", param)


def test_search_by_image_refuses_an_upload_that_is_not_an_image(client: TestClient) -> None:
    response = client.post(
        "/v1/search/by-image", files={"image": ("x.png", b"<svg></svg>", "image/png")}
    )
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "image"
