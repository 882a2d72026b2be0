"""The reviewer's queue: pending items, the longest-waiting first, each approved or rejected
with a reason. The page is driven by the keyboard (areas.js): j/k move between items,
a approves, r goes to the reason field of a rejection.

Who may review what (not one's own items, only pending ones) is catalog/workflow.py's rule.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import Role
from stockhouse.api.media import rendition_link
from stockhouse.catalog import service as catalog
from stockhouse.catalog import workflow
from stockhouse.catalog.models import MediaItem, ReleaseType
from stockhouse.web.pages import Web, page
from stockhouse.web.templating import PREVIEW_BY_KIND

REVIEWERS = (Role.REVIEWER, Role.ADMIN)
QUEUE_PAGE = 50
STILL_PREVIEW = "preview_neutral"  # images: the large still, as buyers will see it
KEYS = (
    ("j", "next item"),
    ("k", "previous item"),
    ("a", "approve the current item"),
    ("r", "reject: go to the reason field (Enter sends)"),
)


@dataclass(frozen=True)
class QueueEntry:
    item: MediaItem
    owner: str
    preview: str
    still: bool  # an image (else a clip or sound with a player)
    tags: list[str]
    releases: list[str]


def _entry(web: Web, item: MediaItem, owner: str) -> QueueEntry:
    kind = item.kind.value
    preview = rendition_link(web.runtime, item, PREVIEW_BY_KIND.get(kind, STILL_PREVIEW))
    return QueueEntry(
        item=item,
        owner=owner,
        preview=preview,
        still=kind not in PREVIEW_BY_KIND,
        tags=item.tag_names(),
        releases=[f"{ReleaseType(r.type).name.lower()}: {r.name}" for r in item.releases],
    )


@page(roles=REVIEWERS)
def review_queue(request: Request, web: Web) -> Response:
    with web.runtime.db.read_session() as session:
        reviewer = accounts.get_user(session, web.require_user().id)
        items = workflow.review_queue(session, reviewer, limit=QUEUE_PAGE)
        owners = {i.owner_id: accounts.get_user(session, i.owner_id).username for i in items}
        entries = [_entry(web, item, owners[item.owner_id]) for item in items]
        return web.render("review/queue.html", entries=entries, keys=KEYS, reviewer_id=reviewer.id)


def _decide(request: Request, web: Web, approve: bool) -> Response:
    item_id: int = request.path_params["item_id"]
    with web.runtime.db.session() as session:
        reviewer = accounts.get_user(session, web.require_user().id)
        item = catalog.get_item(session, item_id)
        if approve:
            workflow.approve(session, reviewer, item)
        else:
            workflow.reject(session, reviewer, item, web.field("reason"))
    verdict = "approved and published" if approve else "rejected"
    return web.redirect("/review", f"Item #{item_id} {verdict}.")


@page(roles=REVIEWERS)
def approve(request: Request, web: Web) -> Response:
    return _decide(request, web, approve=True)


@page(roles=REVIEWERS)
def reject(request: Request, web: Web) -> Response:
    return _decide(request, web, approve=False)


def routes() -> list[BaseRoute]:
    return [
        Route("/review", review_queue, methods=["GET"]),
        Route("/review/{item_id:int}/approve", approve, methods=["POST"]),
        Route("/review/{item_id:int}/reject", reject, methods=["POST"]),
    ]
