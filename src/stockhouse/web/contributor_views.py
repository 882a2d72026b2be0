"""Contributor pages: upload (drag and drop, many files, progress each), the items with
their status, metadata edited in bulk, submit for review, the FTP inbox, releases,
earnings by month with recent downloads, and the Cliparto API code.

Rules live in the core (ingest, catalog, contributors, accounts); these views read the
form, call a service, and render or redirect. The upload route streams the file to the
ingest pipeline (api/uploads.receive_file) instead of reading a form, so it checks the
session and the CSRF header itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlparse

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import ApiKind, Credential, Role, User
from stockhouse.api.media import rendition_link
from stockhouse.api.uploads import receive_file, upload_limit
from stockhouse.blobs.base import ReadableStream
from stockhouse.catalog import categories, releases, workflow
from stockhouse.catalog import service as catalog
from stockhouse.catalog.limits import PayloadTooLarge
from stockhouse.catalog.models import ItemStatus, MediaItem, ReleaseType, Upload
from stockhouse.contributors import earnings
from stockhouse.errors import DomainError, InvalidParameter, NotFound
from stockhouse.ingest import inbox
from stockhouse.runtime import Runtime
from stockhouse.web import session as cookies
from stockhouse.web.pages import Web, page
from stockhouse.web.session import CSRF_FIELD, CSRF_HEADER, Flash
from stockhouse.web.templating import THUMBNAIL_BY_KIND

CONTRIBUTOR = (Role.CONTRIBUTOR,)
ITEMS_PER_PAGE = 30
MAX_BULK_ITEMS = 100
MAX_TAGS_TEXT = 2000
RECENT_DOWNLOADS = 20
CHART_MONTHS = 12
WEB_SOURCE = "web"
STATUS_CHOICES = tuple(status.value for status in ItemStatus)


def _user(session: Session, web: Web) -> User:
    return accounts.get_user(session, web.require_user().id)


def private_thumbnail(runtime: Runtime, item: MediaItem) -> str:
    """The grid still of an item that may not be public yet (a signed link then)."""
    return rendition_link(runtime, item, THUMBNAIL_BY_KIND.get(item.kind.value, "thumb450"))


def _page_number(request: Request) -> int:
    text = request.query_params.get("page", "1")
    return max(int(text), 1) if text.isdigit() and len(text) < 6 else 1


def _item_ids(web: Web) -> list[int]:
    ids = [int(v) for v in web.fields("item") if v.isdigit() and len(v) < 12]
    if not ids:
        raise InvalidParameter("item", "tick at least one item first")
    if len(ids) > MAX_BULK_ITEMS:
        raise InvalidParameter("item", f"at most {MAX_BULK_ITEMS} items at a time")
    return list(dict.fromkeys(ids))


# -- items ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemRow:
    item: MediaItem
    thumbnail: str
    tags: list[str]


@page(roles=CONTRIBUTOR)
def contribute(request: Request, web: Web) -> Response:
    """The contributor's start page: upload, and every item with its status."""
    wanted = request.query_params.get("status", "")
    status = ItemStatus(wanted) if wanted in STATUS_CHOICES else None
    page_number = _page_number(request)
    with web.runtime.db.read_session() as session:
        user = _user(session, web)
        found = catalog.list_items(
            session,
            user,
            status=status,
            limit=ITEMS_PER_PAGE,
            offset=(page_number - 1) * ITEMS_PER_PAGE,
        )
        rows = [
            ItemRow(item, private_thumbnail(web.runtime, item), item.tag_names())
            for item in found.items
        ]
        last = max(1, -(-found.total // ITEMS_PER_PAGE))
        return web.render(
            "contributor/items.html",
            rows=rows,
            total=found.total,
            status=status.value if status else "",
            statuses=STATUS_CHOICES,
            page_number=page_number,
            last_page=last,
            page_numbers=list(range(1, last + 1)),
            categories=categories.list_categories(session),
            max_upload=upload_limit(),
        )


def _tags(text: str) -> list[str] | None:
    """Comma-separated tags; None (keep them) when the field is empty."""
    if not text.strip():
        return None
    return [tag.strip() for tag in text[:MAX_TAGS_TEXT].split(",") if tag.strip()]


def _edit_of(web: Web) -> catalog.ItemEdit:
    """The bulk edit form: an empty field leaves that field of each item as it is."""
    category_ids = [int(v) for v in web.fields("category") if v.isdigit() and len(v) < 9]
    return catalog.ItemEdit(
        title=web.field("title").strip() or None,
        description=web.field("description").strip() or None,
        tags=_tags(web.field("tags")),
        category_ids=category_ids or None,
    )


@page(roles=CONTRIBUTOR)
def bulk_action(request: Request, web: Web) -> Response:
    """Edit the ticked items' metadata, or send them to review."""
    ids = _item_ids(web)
    action = web.field("action")
    with web.runtime.db.session() as session:
        user = _user(session, web)
        items = [catalog.get_item(session, item_id) for item_id in ids]
        if action == "submit":
            for item in items:
                workflow.submit(session, user, item)
            message = f"Sent {len(items)} item{'s' if len(items) != 1 else ''} to review."
        elif action == "edit":
            edit = _edit_of(web)
            for item in items:
                catalog.update_item(session, user, item, edit)
            message = f"Updated {len(items)} item{'s' if len(items) != 1 else ''}."
        else:
            raise InvalidParameter("action", "choose Save changes or Submit for review")
    return web.redirect("/contribute", message)


@page(roles=CONTRIBUTOR)
def submit_all(request: Request, web: Web) -> Response:
    with web.runtime.db.session() as session:
        sent = workflow.submit_all_uploaded(session, _user(session, web))
    return web.redirect("/contribute", f"Sent {len(sent)} uploaded item(s) to review.")


# -- upload -----------------------------------------------------------------------------


def upload_json(upload: Upload) -> dict[str, Any]:
    return {
        "id": upload.id,
        "state": upload.state.value,
        "reason": upload.reason,
        "item_id": upload.item_id,
        "duplicate_of": upload.duplicate_of,
        "filename": upload.filename,
    }


Consumer = Callable[[ReadableStream, str], Upload]


def _store(runtime: Runtime, owner_id: int, submit: bool) -> Consumer:
    """Hand the streamed file to the ingest pipeline (which queues its ingest job)."""

    def consume(stream: ReadableStream, filename: str) -> Upload:
        from stockhouse.ingest.pipeline import UploadTooLarge, receive_upload

        try:
            return receive_upload(runtime, owner_id, stream, filename, WEB_SOURCE, submit)
        except UploadTooLarge:
            raise PayloadTooLarge("the file", upload_limit()) from None

    return consume


def _upload_answer(
    request: Request, runtime: Runtime, visitor: cookies.Visitor, status: int, body: dict[str, Any]
) -> Response:
    """JSON for the page's script; a redirect with a message for a plain form post."""
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse(body, status_code=status)
    response = RedirectResponse("/contribute", status_code=303)
    if status < 300:
        text, level = f"Received {body['filename']}; it is being processed.", "success"
    else:
        text, level = str(body.get("error", "The upload failed.")), "error"
    cookies.set_flash(response, runtime, [Flash(level, text)], visitor.secure)
    return response


async def upload_media(request: Request) -> Response:
    """Receive one media file (multipart part `file`) as the logged-in contributor's upload.

    The page's script sends the CSRF token in the X-CSRF-Token header; the form fallback
    without JavaScript puts it in the action URL, since the body is streamed unread.
    """
    runtime: Runtime = request.app.state.runtime
    visitor = await run_in_threadpool(cookies.visitor_of, request, runtime)
    sent = request.headers.get(CSRF_HEADER) or request.query_params.get(CSRF_FIELD)
    if not cookies.csrf_valid(runtime, visitor, sent):
        return JSONResponse({"error": "the form is out of date; reload the page"}, 403)
    user = visitor.user
    if user is None:
        return JSONResponse({"error": "log in first"}, 401)
    if not user.has_role(Role.CONTRIBUTOR):
        return JSONResponse({"error": "uploading needs a contributor account"}, 403)
    submit = request.query_params.get("submit") == "1"
    try:
        upload = await receive_file(request, upload_limit(), _store(runtime, user.id, submit))
    except DomainError as exc:
        return _upload_answer(request, runtime, visitor, exc.http_status, {"error": exc.message})
    return _upload_answer(request, runtime, visitor, 201, upload_json(upload))


@page(roles=CONTRIBUTOR)
def upload_state(request: Request, web: Web) -> Response:
    """An upload's state for the page's script (queued, processing, done...)."""
    upload_id: int = request.path_params["upload_id"]
    with web.runtime.db.read_session() as session:
        upload = session.get(Upload, upload_id)
        if upload is None or upload.owner_id != web.require_user().id:
            raise NotFound(f"upload {upload_id} does not exist")
        return JSONResponse(upload_json(upload))


# -- inbox ------------------------------------------------------------------------------


@dataclass(frozen=True)
class FtpAccess:
    enabled: bool
    host: str
    port: int | None
    username: str
    passive_ports: str


def _ftp_access(runtime: Runtime, username: str) -> FtpAccess:
    from stockhouse.ingest.ftp import PASSIVE_PORTS  # pyftpdlib only when asked

    settings = runtime.settings
    return FtpAccess(
        enabled=settings.ftp_port != 0,
        host=urlparse(settings.public_base_url).hostname or settings.host,
        port=settings.ftp_port or None,
        username=username,
        passive_ports=f"{PASSIVE_PORTS.start}-{PASSIVE_PORTS.stop - 1}",
    )


@page(roles=CONTRIBUTOR)
def inbox_page(request: Request, web: Web) -> Response:
    user = web.require_user()
    entries = inbox.list_inbox(web.runtime.settings, user.id)
    files = [(entry, datetime.fromtimestamp(entry.modified_at, UTC)) for entry in entries]
    return web.render(
        "contributor/inbox.html",
        ftp=_ftp_access(web.runtime, user.username),
        files=files,
    )


@page(roles=CONTRIBUTOR)
def process_inbox(request: Request, web: Web) -> Response:
    report = inbox.process_inbox(
        web.runtime, web.require_user().id, submit=web.field("submit") == "1"
    )
    return web.render("contributor/inbox_report.html", report=report)


# -- releases ---------------------------------------------------------------------------


@page(roles=CONTRIBUTOR, files=1)
def releases_page(request: Request, web: Web) -> Response:
    if request.method == "POST":
        document = web.upload("file")
        if document is None:
            raise InvalidParameter("file", "choose the release document (PDF or JPEG)")
        with web.runtime.db.session() as session:
            made = releases.create_release(
                session,
                web.runtime.blobs,
                _user(session, web),
                release_type=web.field("type") or "model",
                name=web.field("name"),
                stream=document.file,
                filename=document.filename or "",
            )
            release_id = made.id
        return web.redirect("/contribute/releases", f"Release #{release_id} saved.")
    with web.runtime.db.read_session() as session:
        user = _user(session, web)
        found = releases.list_releases(session, user)
        editable = catalog.list_items(session, user, limit=catalog.MAX_PAGE_SIZE).items
        return web.render(
            "contributor/releases.html",
            releases=found,
            items=editable,
            type_names={int(t): t.name.lower() for t in ReleaseType},
        )


@page(roles=CONTRIBUTOR)
def attach_release(request: Request, web: Web) -> Response:
    release_id = web.int_field("release_id") or 0
    ids = _item_ids(web)
    with web.runtime.db.session() as session:
        user = _user(session, web)
        release = releases.get_own_release(session, user, release_id)
        for item_id in ids:
            releases.attach_release(session, user, release, catalog.get_item(session, item_id))
    return web.redirect(
        "/contribute/releases", f"Release #{release_id} attached to {len(ids)} item(s)."
    )


# -- earnings ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    """One month of the earnings chart, laid out in the SVG's units."""

    label: str
    amount_minor: int
    downloads: int
    x: float
    y: float
    height: float


CHART_WIDTH = 600
CHART_HEIGHT = 200
CHART_BASELINE = 180


def chart_bars(months: list[earnings.MonthEarnings]) -> list[Bar]:
    """Bars scaled to the best month (no chart library: the page draws inline SVG)."""
    top = max((m.earnings.amount_minor for m in months), default=0) or 1
    slot = CHART_WIDTH / max(len(months), 1)
    bars = []
    for index, month in enumerate(months):
        height = (CHART_BASELINE - 10) * month.earnings.amount_minor / top
        bars.append(
            Bar(
                label=month.label,
                amount_minor=month.earnings.amount_minor,
                downloads=month.earnings.downloads,
                x=round(index * slot + slot * 0.15, 1),
                y=round(CHART_BASELINE - height, 1),
                height=round(height, 1),
            )
        )
    return bars


@page(roles=CONTRIBUTOR)
def earnings_page(request: Request, web: Web) -> Response:
    with web.runtime.db.read_session() as session:
        user = _user(session, web)
        summary = earnings.earnings_summary(session, user)
        months = earnings.earnings_by_month(session, user, months=CHART_MONTHS)
        recent = earnings.recent_downloads(session, user, limit=RECENT_DOWNLOADS)
    slot = CHART_WIDTH / CHART_MONTHS
    return web.render(
        "contributor/earnings.html",
        summary=summary,
        bars=chart_bars(months),
        bar_width=round(slot * 0.7, 1),
        chart_width=CHART_WIDTH,
        chart_height=CHART_HEIGHT,
        baseline=CHART_BASELINE,
        recent=recent,
    )


# -- the Cliparto API code --------------------------------------------------------------


def _codes(session: Session, user: User) -> list[Credential]:
    return [
        c
        for c in accounts.list_credentials(session, user)
        if c.api == ApiKind.CLIPARTO and c.enabled
    ]


@page(roles=CONTRIBUTOR)
def api_code(request: Request, web: Web) -> Response:
    """The Cliparto API code: shown once when made; create one, or rotate the current one."""
    issued: str | None = None
    with web.runtime.db.session() as session:
        user = _user(session, web)
        if request.method == "POST":
            current = _codes(session, user)
            if web.field("action") == "rotate":
                credential_id = web.int_field("credential_id") or 0
                mine = next((c for c in current if c.id == credential_id), None)
                if mine is None:
                    raise NotFound(f"API code {credential_id} does not exist")
                made = accounts.rotate_credential(session, web.runtime.secrets, mine)
            else:
                made = accounts.create_credential(
                    session,
                    web.runtime.secrets,
                    user=user,
                    api=ApiKind.CLIPARTO,
                    name="Cliparto API code",
                    with_secret=True,
                )
            issued = made.secret
        codes = [(c.id, c.created_at, c.last_used_at) for c in _codes(session, user)]
        user_id = user.id
    return web.render(
        "contributor/api_code.html",
        status_code=201 if issued else 200,
        issued=issued,
        codes=codes,
        contributor_id=user_id,
        base_url=web.runtime.settings.public_base_url,
    )


def routes() -> list[BaseRoute]:
    post = ["POST"]
    return [
        Route("/contribute", contribute, methods=["GET"]),
        Route("/contribute/items", bulk_action, methods=post),
        Route("/contribute/submit-all", submit_all, methods=post),
        Route("/contribute/upload", upload_media, methods=post),
        Route("/contribute/uploads/{upload_id:int}", upload_state, methods=["GET"]),
        Route("/contribute/inbox", inbox_page, methods=["GET"]),
        Route("/contribute/inbox/process", process_inbox, methods=post),
        Route("/contribute/releases", releases_page, methods=["GET", "POST"]),
        Route("/contribute/releases/attach", attach_release, methods=post),
        Route("/contribute/earnings", earnings_page, methods=["GET"]),
        Route("/contribute/api-code", api_code, methods=["GET", "POST"]),
    ]
