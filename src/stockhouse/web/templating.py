"""The Jinja2 environment of the web UI: autoescaped templates from the package, filters
and globals the templates share (money, media URLs, query-string building)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.requests import Request

from stockhouse import __version__
from stockhouse.commerce.money import format_money
from stockhouse.ingest.colors import COLORS
from stockhouse.web.nav import nav_links

STATIC_PREFIX = "/static"


def media_url(item_id: int, rendition: str) -> str:
    """A public rendition of a published item (served by api/media.py)."""
    return f"/media/{item_id}/{rendition}"


# The still that stands for an item in grids, by kind (what ingest makes for each kind).
THUMBNAIL_BY_KIND = {"video": "poster", "music": "waveform", "sfx": "waveform"}
PREVIEW_BY_KIND = {"video": "preview_mp4", "music": "preview_m4a", "sfx": "preview_m4a"}


def thumbnail_url(item_id: int, kind: str) -> str:
    return media_url(item_id, THUMBNAIL_BY_KIND.get(kind, "thumb450"))


def preview_url(item_id: int, kind: str) -> str:
    """The large preview: watermarked still for images, the clip or sound otherwise."""
    return media_url(item_id, PREVIEW_BY_KIND.get(kind, "preview_neutral"))


def url_with(request: Request, drop: tuple[str, ...] = (), **changes: Any) -> str:
    """This page's URL with some query parameters changed (None removes one): links of
    filters, sort and pagination keep every other filter in the URL."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in changes]
    params = [(k, v) for k, v in params if k not in drop]
    for key, value in changes.items():
        if value is None or value == "":
            continue
        if isinstance(value, (list, tuple, set, frozenset)):
            params.extend((key, str(v)) for v in value)
        else:
            params.append((key, str(value)))
    query = urlencode(params)
    return request.url.path + (f"?{query}" if query else "")


def _money(amount_minor: int | None, currency: str = "USD") -> str:
    return "-" if amount_minor is None else format_money(amount_minor, currency)


def _date(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d") if moment else "-"


def _duration(ms: int | None) -> str:
    if not ms:
        return ""
    seconds = round(ms / 1000)
    return f"{seconds // 60}:{seconds % 60:02d}"


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("stockhouse.web", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        version=__version__,
        static=lambda path: f"{STATIC_PREFIX}/{path}?v={__version__}",
        media_url=media_url,
        thumbnail_url=thumbnail_url,
        preview_url=preview_url,
        url_with=url_with,
        colors=COLORS,
        nav_links=nav_links,
    )
    env.filters.update(money=_money, date=_date, duration=_duration)
    return env


def render_template(name: str, context: Mapping[str, Any]) -> str:
    return environment().get_template(name).render(context)
