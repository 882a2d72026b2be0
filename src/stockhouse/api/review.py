"""Native API: the review queue, and approving or rejecting pending items (reviewers)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from stockhouse.api.deps import Principal, SessionDep, get_principal
from stockhouse.api.items import MAX_WIRE_TEXT, ItemOut
from stockhouse.catalog import service, workflow
from stockhouse.catalog.access import is_reviewer
from stockhouse.errors import PermissionDenied

router = APIRouter(prefix="/review", tags=["review"])


def require_reviewer(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
    if not is_reviewer(principal.user):
        raise PermissionDenied("this needs the reviewer or admin role")
    return principal


ReviewerDep = Annotated[Principal, Depends(require_reviewer)]


class RejectIn(BaseModel):
    reason: str = Field(max_length=MAX_WIRE_TEXT)


@router.get("/queue", response_model=list[ItemOut])
def review_queue(
    principal: ReviewerDep,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=workflow.MAX_QUEUE_PAGE)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[ItemOut]:
    """Pending items, the longest-waiting first."""
    items = workflow.review_queue(session, principal.user, limit=limit, offset=offset)
    return [ItemOut.of(item) for item in items]


@router.post("/{item_id}/approve", response_model=ItemOut)
def approve(item_id: int, principal: ReviewerDep, session: SessionDep) -> ItemOut:
    """Publish a pending item (not one's own)."""
    item = service.get_item(session, item_id)
    return ItemOut.of(workflow.approve(session, principal.user, item))


@router.post("/{item_id}/reject", response_model=ItemOut)
def reject(item_id: int, body: RejectIn, principal: ReviewerDep, session: SessionDep) -> ItemOut:
    """Turn a pending item down; `reason` is shown to its owner."""
    item = service.get_item(session, item_id)
    return ItemOut.of(workflow.reject(session, principal.user, item, body.reason))
