"""Depositphotos getMediaData: everything about one item, or about a list of items.

One id (`dp_media_id=5`) answers the item's fields at the top level, as the document
shows (numbers as text where its sample has text); a list (`dp_media_id[]=5&dp_media_id[]=6`,
`5,6` or a JSON array) or `dp_search_layout=1` answers `{"count", "result": [...]}` in
search's layout (numbers as numbers, as search's sample has them). Only
published items are shown; an unknown or unpublished id is NotFoundItemException.

This is the benchmarked hot path: it runs on the event loop (no threadpool hop) and,
when the items' records are cached (documents.py), costs one indexed query.
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy.orm import Session

from stockhouse.accounts import service as accounts
from stockhouse.compat.depositphotos import documents, wire
from stockhouse.compat.depositphotos.documents import ItemRecord, Links, Style
from stockhouse.compat.depositphotos.options import language, watermark
from stockhouse.search.hydrate import hydrate

MAX_MEDIA_IDS = 100
MAX_COUNTRY_CHARS = 8


def caller_group(call: wire.Call) -> int | None:
    """The group whose price lists apply: the session user's, else none (default list)."""
    if call.user_id is None:
        return None
    with call.runtime.db.read_session() as session:
        member = accounts.membership_of(session, accounts.get_user(session, call.user_id))
        return member.group_id if member is not None else None


def _style(call: wire.Call) -> Style:
    params = call.params
    date_format = params.text("dp_datetime_format", max_chars=20) or "datetime"
    if date_format not in documents.DATETIME_FORMATS:
        raise wire.invalid_param(
            "dp_datetime_format", "Dp_datetime_format must be one of date, datetime, unix"
        )
    return _cached_style(
        call.base_url,
        watermark(params),
        date_format,
        bool(params.boolean("dp_full_similar", False)),
    )


@functools.lru_cache(maxsize=256)
def _cached_style(base_url: str, mark: str, date_format: str, full_similar: bool) -> Style:
    """One Style object per combination: it is part of the rendered-answer cache key."""
    return Style(links=Links(base_url, mark), date_format=date_format, full_similar=full_similar)


def _neighbours(
    session: Session, records: list[ItemRecord], lang: str | None
) -> tuple[dict[int, Any], dict[int, frozenset[str]]]:
    """Summaries and renditions of the related items (dp_full_similar), batched."""
    ids = {i for r in records for i in (*r.similar, *r.same_model, *r.series)}
    if not ids:
        return {}, {}
    summaries = {s.id: s for s in hydrate(session, sorted(ids), lang)}
    return summaries, documents.renditions_of(session, sorted(ids))


@wire.command("getMediaData", session=False, inline=True)
def get_media_data(call: wire.Call) -> dict[str, Any]:
    """The item (or items) with sizes, prices, tags, categories and related items."""
    params = call.params
    raw = params.raw("dp_media_id")
    ids = params.integer_list("dp_media_id", max_items=MAX_MEDIA_IDS)
    if not ids:
        raise wire.invalid_param("dp_media_id")
    as_list = isinstance(raw, list | dict) or (isinstance(raw, str) and "," in raw)
    layout = params.integer("dp_search_layout", 0, minimum=0, maximum=1)
    style = _style(call)
    lang = language(params)
    params.text("dp_country_excluded", max_chars=MAX_COUNTRY_CHARS)  # no item is restricted
    params.text("dp_domain")  # renditions are served by this server, not a CDN
    records = documents.cached_records(call.runtime, ids, lang)
    if not records:
        raise wire.item_not_found()
    prices = documents.record_cache(call.runtime).prices(call.runtime, caller_group(call))
    around: dict[int, Any] = {}
    names: dict[int, frozenset[str]] = {}
    if style.full_similar:
        with call.runtime.db.read_session() as session:
            around, names = _neighbours(session, records, lang)
    if style.full_similar:
        found = [documents.media_document(r, style, prices, around, names) for r in records]
        if as_list or layout:
            listed = [documents.search_layout(f) for f in found]
            return {"count": len(listed), "result": listed}
        return {k: v for k, v in found[0].items() if k != "type"}
    cache = documents.record_cache(call.runtime)
    if as_list or layout:
        pairs = [cache.listed(r, style, prices) for r in records]
        body = b'{"count":%d,"result":[%s]}' % (len(pairs), b",".join(p[1] for p in pairs))
        return wire.Encoded({"count": len(pairs), "result": [p[0] for p in pairs]}, body)
    # the top level's `type` is the envelope's; `itype` says the kind
    return cache.rendered(records[0], style, prices)[2]
