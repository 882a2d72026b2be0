"""Cliparto's "API Query": `GET /apiq/?id=&q=&ext=&md5=` answered in plain text.

The caller signs with `md5(id + q + ext + API code)` over the exact received strings; the
API code is the secret of the contributor's enabled CLIPARTO credential. Every answer is
HTTP 200 text/plain: a bare number, one record per line with "; " between fields, or a
single "Error: ..." line (the texts are listed in docs/compat/cliparto.md).
All figures come from the contributor services; this module only translates.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, or_, select
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import BaseRoute, Route

from stockhouse.accounts.models import ApiKind, Credential, User
from stockhouse.accounts.service import credential_secret
from stockhouse.catalog import releases, workflow
from stockhouse.catalog.models import MediaItem, Release
from stockhouse.commerce.models import LicenseTransaction
from stockhouse.commerce.money import to_decimal
from stockhouse.compat.ratelimit import RepeatedQuery, RequestLimiter, TooFrequent, limiter_for
from stockhouse.contributors.earnings import (
    DEFAULT_CURRENCY,
    DEFAULT_RECENT,
    MAX_RECENT,
    EarningsSummary,
    earnings_summary,
    recent_downloads,
)
from stockhouse.errors import DomainError
from stockhouse.ingest.inbox import process_inbox
from stockhouse.runtime import Runtime

log = logging.getLogger("stockhouse.compat.cliparto")

MAX_ROW_ID = 2**31 - 1  # ids are 32-bit integer columns; larger ones cannot exist
MAX_PARAM_CHARS = 1000
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
_DIGITS = re.compile(r"[0-9]{1,18}")  # ASCII digits only (str.isdigit accepts others)
_LINE_BREAKS = re.compile(r"[\r\n\t\x00-\x1f\x7f]+")
LIMITER_STATE = "cliparto_limiter"


class QueryError(Exception):
    """An answer that is an error line; `text` follows "Error: "."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


@dataclass(frozen=True)
class Call:
    """One authenticated query: who asks, and the extra parameter as received."""

    runtime: Runtime
    user_id: int
    ext: str


# -- formatting -------------------------------------------------------------------------


def _amount(value: Decimal) -> str:
    return f"{value:.2f}"


def _field(value: object) -> str:
    """One field of a record: on one line, and without the "; " separator inside."""
    if value is None:
        return ""
    return _LINE_BREAKS.sub(" ", str(value)).replace(";", ",").strip()


def _record(*fields: object) -> str:
    return "; ".join(_field(f) for f in fields)


def _row_id(value: str) -> int | None:
    """A decimal id that can exist in the database, else None."""
    if not _DIGITS.fullmatch(value) or int(value) > MAX_ROW_ID:
        return None
    return int(value)


def _digits(value: str, what: str) -> int:
    row_id = _row_id(value)
    if row_id is None:
        raise QueryError(f"unknown {what}")
    return row_id


# -- queries ----------------------------------------------------------------------------


def _summary(call: Call) -> EarningsSummary:
    with call.runtime.db.read_session() as session:
        user = session.get(User, call.user_id)
        assert user is not None  # authenticated a moment ago
        return earnings_summary(session, user)


def _summary_query(pick: Callable[[EarningsSummary], str]) -> Callable[[Call], str]:
    def answer(call: Call) -> str:
        return pick(_summary(call))

    return answer


def _downloads_list(call: Call) -> str:
    limit = DEFAULT_RECENT
    if call.ext != "":
        if not _DIGITS.fullmatch(call.ext) or not 1 <= int(call.ext) <= MAX_RECENT:
            raise QueryError(f"ext must be a number from 1 to {MAX_RECENT}")
        limit = int(call.ext)
    with call.runtime.db.read_session() as session:
        user = session.get(User, call.user_id)
        assert user is not None
        rows = recent_downloads(session, user, limit=limit)
    return "\n".join(
        _record(
            row.licensed_at.strftime(DATE_FORMAT),
            row.item_id,
            row.license_name,
            row.size_code,
            _amount(row.earning),
            row.buyer_country,
            row.search_query,
        )
        for row in rows
    )


def _image_id_by_file_name(call: Call) -> str:
    stem = call.ext
    if not stem.strip():
        raise QueryError("empty file name")
    if _LINE_BREAKS.search(stem):  # stored names never hold control characters
        raise QueryError("unknown file name")
    with call.runtime.db.read_session() as session:
        rows = session.execute(
            select(MediaItem.id, MediaItem.original_filename)
            .where(
                MediaItem.owner_id == call.user_id,
                or_(
                    MediaItem.original_filename == stem,
                    MediaItem.original_filename.startswith(stem + ".", autoescape=True),
                ),
            )
            .order_by(MediaItem.id.desc())
        ).all()
    for item_id, filename in rows:
        if filename == stem or filename.rpartition(".")[0] == stem:
            return str(item_id)
    raise QueryError("unknown file name")


def _own_item(call: Call, text: str) -> MediaItem:
    item_id = _digits(text, "image ID")
    with call.runtime.db.read_session() as session:
        item = session.get(MediaItem, item_id)
        if item is None or item.owner_id != call.user_id:
            raise QueryError("unknown image ID")
        session.expunge(item)
        return item


def _image_data(call: Call) -> str:
    item = _own_item(call, call.ext)
    with call.runtime.db.read_session() as session:
        downloads, royalties = session.execute(
            select(
                func.count(LicenseTransaction.id),
                func.coalesce(
                    func.sum(LicenseTransaction.royalty_minor).filter(
                        LicenseTransaction.currency == DEFAULT_CURRENCY
                    ),
                    0,
                ),
            ).where(LicenseTransaction.item_id == item.id)
        ).one()
    return _record(
        item.status.value,
        item.title,
        item.views,
        int(downloads),
        _amount(to_decimal(int(royalties), DEFAULT_CURRENCY)),
        item.series_id,
        item.original_filename,
    )


def _process_files_from_ftp(call: Call) -> str:
    report = process_inbox(call.runtime, call.user_id)
    return str(report.received)


def _submit_to_pending(call: Call) -> str:
    with call.runtime.db.session() as session:
        user = session.get(User, call.user_id)
        assert user is not None
        return str(len(workflow.submit_all_uploaded(session, user)))


def _releases_list(call: Call) -> str:
    with call.runtime.db.read_session() as session:
        user = session.get(User, call.user_id)
        assert user is not None
        rows = releases.list_releases(session, user)
        return "\n".join(_record(r.id, r.type, r.name) for r in rows)


def _attach_release_to_image(call: Call) -> str:
    release_text, colon, item_text = call.ext.partition(":")
    if not colon:
        raise QueryError("ext must be ReleaseID:ImageID")
    release_id = _digits(release_text, "release ID")
    item_id = _digits(item_text, "image ID")
    with call.runtime.db.session() as session:
        user = session.get(User, call.user_id)
        release = session.get(Release, release_id)
        item = session.get(MediaItem, item_id)
        assert user is not None
        if release is None or release.owner_id != user.id:
            raise QueryError("unknown release ID")
        if item is None or item.owner_id != user.id:
            raise QueryError("unknown image ID")
        releases.attach_release(session, user, release, item)
    return "OK"


QUERIES: dict[str, Callable[[Call], str]] = {
    "BalanceCurrent": _summary_query(lambda s: _amount(s.decimal(s.balance_minor))),
    "EarningsTotal": _summary_query(lambda s: _amount(s.decimal(s.total.amount_minor))),
    "EarningsThisMonth": _summary_query(lambda s: _amount(s.decimal(s.this_month.amount_minor))),
    "EarningsPrevMonth": _summary_query(
        lambda s: _amount(s.decimal(s.previous_month.amount_minor))
    ),
    "DownloadsTotal": _summary_query(lambda s: str(s.total.downloads)),
    "DownloadsThisMonth": _summary_query(lambda s: str(s.this_month.downloads)),
    "DownloadsPrevMonth": _summary_query(lambda s: str(s.previous_month.downloads)),
    "DownloadsList": _downloads_list,
    "ImagesTotal": _summary_query(lambda s: str(s.images_total)),
    "ImagesNew": _summary_query(lambda s: str(s.images_new_this_month)),
    "ImagesNewPrevMonth": _summary_query(lambda s: str(s.images_new_previous_month)),
    "ImageIDByFileName": _image_id_by_file_name,
    "ImageData": _image_data,
    "ProcessFilesFromFTP": _process_files_from_ftp,
    "SubmitToPending": _submit_to_pending,
    "ReleasesList": _releases_list,
    "AttachReleaseToImage": _attach_release_to_image,
}


# -- authentication and the endpoint ----------------------------------------------------


def signature(id_: str, q: str, ext: str, code: str) -> str:
    """md5(id + q + ext + API code) in lower-case hex, as the caller computes it."""
    # The protocol fixes MD5; usedforsecurity=False keeps FIPS builds working.
    digest = hashlib.md5((id_ + q + ext + code).encode(), usedforsecurity=False)
    return digest.hexdigest()


def authenticate(runtime: Runtime, id_: str, q: str, ext: str, md5: str) -> int:
    """The user id when some enabled CLIPARTO code of user `id_` signs the query."""
    user_id = _row_id(id_)
    if user_id is None:
        raise QueryError("wrong id")
    given = md5.strip().lower().encode()
    with runtime.db.read_session() as session:
        user = session.get(User, user_id)
        if user is None or not user.is_active:
            raise QueryError("wrong md5")
        credentials = session.scalars(
            select(Credential).where(
                Credential.user_id == user.id,
                Credential.api == ApiKind.CLIPARTO,
                Credential.enabled.is_(True),
                Credential.secret_ciphertext.is_not(None),
            )
        ).all()
        codes = [credential_secret(runtime.secrets, c) for c in credentials]
    matches = [hmac.compare_digest(signature(id_, q, ext, c).encode(), given) for c in codes]
    if not any(matches):
        raise QueryError("wrong md5")
    return user.id


def _limiter(request: Request) -> RequestLimiter:
    state = request.app.state
    limiter: RequestLimiter | None = getattr(state, LIMITER_STATE, None)
    if limiter is None:
        settings = request.app.state.runtime.settings
        limiter = limiter_for(
            settings.redis_url, settings.cliparto_min_interval_s, settings.cliparto_repeat_window_s
        )
        setattr(state, LIMITER_STATE, limiter)
    return limiter


def answer(runtime: Runtime, limiter: RequestLimiter, params: dict[str, str]) -> str:
    """The plain-text answer to one request's parameters (an "Error: ..." line on failure)."""
    try:
        for name in ("id", "q", "md5"):
            if not params.get(name):
                raise QueryError(f"missing parameter {name}")
        if any(len(v) > MAX_PARAM_CHARS for v in params.values()):
            raise QueryError("parameter too long")
        id_, q, ext = params["id"], params["q"], params.get("ext", "")
        user_id = authenticate(runtime, id_, q, ext, params["md5"])
        handler = QUERIES.get(q)
        if handler is None:
            raise QueryError("unknown query type")
        limiter.check(user_id, id_, q, ext)
        return handler(Call(runtime, user_id, ext))
    except QueryError as exc:
        return f"Error: {exc.text}"
    except TooFrequent as exc:
        return f"Error: too many requests, wait {math.ceil(exc.retry_after_s)} seconds"
    except RepeatedQuery:
        return "Error: the same query was made less than an hour ago"
    except DomainError as exc:
        return f"Error: {_field(exc.message)}"
    except Exception:  # a caller of this protocol expects a text line, never a 500
        log.exception("cliparto query failed")
        return "Error: internal error, try again later"


async def apiq(request: Request) -> PlainTextResponse:
    runtime: Runtime = request.app.state.runtime
    params = {
        key: request.query_params[key]
        for key in ("id", "q", "ext", "md5")
        if key in request.query_params
    }
    text = await asyncio.to_thread(answer, runtime, _limiter(request), params)
    return PlainTextResponse(text, media_type="text/plain; charset=utf-8")


def cliparto_routes() -> list[BaseRoute]:
    """`/apiq/` and `/apiq` (GET), to be mounted on the root application."""
    return [
        Route("/apiq/", apiq, methods=["GET"]),
        Route("/apiq", apiq, methods=["GET"]),
    ]
