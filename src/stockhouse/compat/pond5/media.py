"""Pond5 icon and preview files under the documented names (seed 003, get_clip_data).

Clients build file URLs themselves from the bases a command returns:
`{icon_base}%09d_icon.jpeg` (also `_iconm`, `_iconl`, `_prevstill`),
`{icon_base}bin/%010d_icon.jpeg` and `{flv_base}%09d_prev.m4a`, `_main_l.mp4`,
`_main_xl.mp4`, `_xl.webm`. Stockhouse answers them at ICON_PREFIX and FLV_PREFIX from
the renditions the ingest pipeline made (catalog.models.Rendition):

- the four stills are the video renditions of the same names; images and sounds have
  none, so they are made on first request (from the watermarked preview, or the
  waveform) and cached as renditions;
- `_main_l.mp4` and `_main_xl.mp4` are both the H.264 preview (`preview_mp4`, 480 px box:
  Stockhouse makes one MP4 preview size);
- `_xl.webm` is `preview_webm`, transcoded from the MP4 preview with PyAV and cached when
  the ingest could not make it (FFmpeg without libvpx at the time);
- `_prev.m4a` is a sound's `preview_m4a`;
- a bin's icon is the icon of its first published item.

Only published (active and visible) items are served; anything else is a plain 404, as
from a CDN. The old Flash names (`_prev_l.flv`, `_prev_xl.flv`, `_anaglyph.flv`) are 404:
the document tells clients to fall back to them only when the new files are missing.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from stockhouse.api.file_responses import blob_response
from stockhouse.api.media import PUBLIC_CACHE_CONTROL, etag_matches, etag_of
from stockhouse.catalog.access import is_public
from stockhouse.catalog.models import ItemStatus, MediaItem, MediaKind, Rendition
from stockhouse.commerce.models import BinItem
from stockhouse.compat.pond5.wire import FLV_DIR, ICON_DIR, MEDIA_PREFIX
from stockhouse.runtime import Runtime

ICON_PREFIX = f"{MEDIA_PREFIX}/{ICON_DIR}"  # what wire.icon_base points at
FLV_PREFIX = f"{MEDIA_PREFIX}/{FLV_DIR}"  # wire.flv_base and flv_base_encr
MAX_ITEM_ID = 2**31 - 1
JPEG_QUALITY = 85
# Exact sizes of the four stills (seed 003's example: 120x66 ... 1280x720).
STILL_SIZES: dict[str, tuple[int, int]] = {
    "icon": (120, 66),
    "iconm": (240, 134),
    "iconl": (480, 268),
    "prevstill": (1280, 720),
}
# Renditions a still of an image or a sound is made from, best first.
STILL_SOURCES: dict[bool, tuple[str, ...]] = {
    True: ("preview_brand", "preview_neutral", "large", "thumb450"),  # images
    False: ("waveform",),  # sounds
}
BACKGROUND = (255, 255, 255)
_ICON_NAME = re.compile(r"([0-9]{1,10})_(icon|iconm|iconl|prevstill)\.jpeg")
_BIN_ICON_NAME = re.compile(r"bin/([0-9]{1,10})_icon\.jpeg")
# Pond5 file name suffix -> (rendition, kinds it exists for).
FLV_FILES: dict[str, tuple[str, frozenset[MediaKind]]] = {
    "prev.m4a": ("preview_m4a", frozenset({MediaKind.MUSIC, MediaKind.SFX})),
    "main_l.mp4": ("preview_mp4", frozenset({MediaKind.VIDEO})),
    "main_xl.mp4": ("preview_mp4", frozenset({MediaKind.VIDEO})),
    "xl.webm": ("preview_webm", frozenset({MediaKind.VIDEO})),
}
_FLV_NAME = re.compile(r"([0-9]{1,10})_(" + "|".join(re.escape(s) for s in FLV_FILES) + ")")
WEBM_MIME = "video/webm"


# -- file names ----------------------------------------------------------------------


def icon_name(item_id: int, variant: str = "icon") -> str:
    """`%09d_icon.jpeg` and its variants, as clients append them to icon_base."""
    return f"{item_id:09d}_{variant}.jpeg"


def bin_icon_name(bin_id: int) -> str:
    """`bin/%010d_icon.jpeg`, appended to icon_base."""
    return f"bin/{bin_id:010d}_icon.jpeg"


# -- finding what to serve -------------------------------------------------------------


@dataclass(frozen=True)
class _Served:
    blob: str
    mime_type: str
    size: int


def _not_found() -> Response:
    return PlainTextResponse("Not Found", status_code=404)


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def _item_id(text: str) -> int | None:
    number = int(text)
    return number if 0 < number <= MAX_ITEM_ID else None


def _public_item(runtime: Runtime, item_id: int) -> tuple[MediaKind, dict[str, _Served]] | None:
    """A published item's kind and renditions, or None."""
    with runtime.db.read_session() as session:
        item = session.get(MediaItem, item_id)
        if item is None or not is_public(item):
            return None
        renditions = {r.name: _Served(r.blob, r.mime_type, r.size) for r in item.renditions}
        return item.kind, renditions


def _first_public_item(runtime: Runtime, bin_id: int) -> int | None:
    with runtime.db.read_session() as session:
        return session.scalar(
            select(BinItem.item_id)
            .join(MediaItem, MediaItem.id == BinItem.item_id)
            .where(
                BinItem.bin_id == bin_id,
                MediaItem.status == ItemStatus.ACTIVE,
                MediaItem.visible.is_(True),
            )
            .order_by(BinItem.added_at, BinItem.item_id)
            .limit(1)
        )


def _cache_rendition(runtime: Runtime, item_id: int, name: str, path: Path, mime: str) -> _Served:
    """Store a made file as a rendition of the item (a concurrent maker may win)."""
    info = runtime.blobs.put_file(path)
    width, height = STILL_SIZES.get(name, (None, None))
    try:
        with runtime.db.session() as session:
            session.add(
                Rendition(
                    item_id=item_id,
                    name=name,
                    blob=info.key,
                    mime_type=mime,
                    width=width,
                    height=height,
                    size=info.size,
                )
            )
    except IntegrityError:
        pass  # another request cached the same file first; ours is identical in kind
    return _Served(info.key, mime, info.size)


def _source_path(runtime: Runtime, blob: str, workdir: Path) -> Path:
    local = runtime.blobs.local_path(blob)
    if local is not None:
        return local
    path = workdir / "source"
    runtime.blobs.copy_to_file(blob, path)
    return path


def _make_still(
    runtime: Runtime, item_id: int, kind: MediaKind, renditions: dict[str, _Served], name: str
) -> _Served | None:
    """A still of an image or a sound, boxed to its exact size, made and cached."""
    source = next((renditions[n] for n in STILL_SOURCES[kind.is_image] if n in renditions), None)
    if source is None:
        return None
    width, height = STILL_SIZES[name]
    with tempfile.TemporaryDirectory(prefix="stockhouse-pond5-") as tmp:
        workdir = Path(tmp)
        output = workdir / f"{name}.jpg"
        _boxed_jpeg(_source_path(runtime, source.blob, workdir), output, width, height)
        return _cache_rendition(runtime, item_id, name, output, "image/jpeg")


def _boxed_jpeg(source: Path, output: Path, width: int, height: int) -> None:
    """`source` fitted into exactly width x height, centred on white, as JPEG."""
    import pyvips  # loads only when a still is actually made

    image: Any = pyvips.Image.thumbnail(str(source), width, height=height)
    if image.hasalpha():
        image = image.flatten(background=list(BACKGROUND))
    if image.bands < 3:
        image = image[0].bandjoin([image[0], image[0]])
    boxed = image.gravity("centre", width, height, extend="background", background=BACKGROUND)
    boxed.jpegsave(str(output), Q=JPEG_QUALITY)


def _make_webm(runtime: Runtime, item_id: int, renditions: dict[str, _Served]) -> _Served | None:
    """The WebM preview transcoded from the MP4 preview, cached (see module docstring)."""
    source = renditions.get("preview_mp4")
    if source is None:
        return None
    from stockhouse.compat.pond5.transcode import mp4_to_webm

    with tempfile.TemporaryDirectory(prefix="stockhouse-pond5-") as tmp:
        workdir = Path(tmp)
        output = workdir / "preview.webm"
        mp4_to_webm(_source_path(runtime, source.blob, workdir), output)
        return _cache_rendition(runtime, item_id, "preview_webm", output, WEBM_MIME)


# -- routes ----------------------------------------------------------------------------


def _send(request: Request, runtime: Runtime, served: _Served) -> Response:
    headers = {"etag": etag_of(served.blob), "cache-control": PUBLIC_CACHE_CONTROL}
    if etag_matches(request.headers.get("if-none-match"), headers["etag"]):
        return Response(status_code=304, headers=headers)
    return blob_response(
        request, runtime.blobs, served.blob, served.mime_type, served.size, headers
    )


def _still(runtime: Runtime, item_id: int, name: str) -> _Served | None:
    found = _public_item(runtime, item_id)
    if found is None:
        return None
    kind, renditions = found
    if name in renditions:
        return renditions[name]
    if kind == MediaKind.VIDEO:
        return None  # a clip whose decode made no stills has none to give
    return _make_still(runtime, item_id, kind, renditions, name)


def serve_icon(request: Request) -> Response:
    """`{icon_base}%09d_icon.jpeg` (and iconm, iconl, prevstill) or a bin icon."""
    runtime = _runtime(request)
    name = str(request.path_params["name"]).lstrip("/")  # "{icon_base}/..." works too
    served: _Served | None = None
    if match := _ICON_NAME.fullmatch(name):
        item_id = _item_id(match.group(1))
        served = _still(runtime, item_id, match.group(2)) if item_id else None
    elif match := _BIN_ICON_NAME.fullmatch(name):
        bin_id = _item_id(match.group(1))
        first = _first_public_item(runtime, bin_id) if bin_id else None
        served = _still(runtime, first, "icon") if first else None
    return _not_found() if served is None else _send(request, runtime, served)


def serve_flv(request: Request) -> Response:
    """`{flv_base}%09d_prev.m4a`, `_main_l.mp4`, `_main_xl.mp4`, `_xl.webm`."""
    runtime = _runtime(request)
    name = str(request.path_params["name"]).lstrip("/")
    match = _FLV_NAME.fullmatch(name)
    item_id = _item_id(match.group(1)) if match else None
    found = _public_item(runtime, item_id) if match and item_id else None
    if match is None or found is None:
        return _not_found()
    kind, renditions = found
    rendition, kinds = FLV_FILES[match.group(2)]
    if kind not in kinds:
        return _not_found()
    served = renditions.get(rendition)
    if served is None and rendition == "preview_webm":
        served = _make_webm(runtime, int(match.group(1)), renditions)
    return _not_found() if served is None else _send(request, runtime, served)


def pond5_media_routes() -> list[BaseRoute]:
    """The icon_base and flv_base routes, for the application to mount at its root."""
    return [
        Route(ICON_PREFIX + "{name:path}", serve_icon, methods=["GET", "HEAD"]),
        Route(FLV_PREFIX + "{name:path}", serve_flv, methods=["GET", "HEAD"]),
    ]
