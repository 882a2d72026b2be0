"""Native API: bins (lightboxes): the caller's bins, the active bin, and public bins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from stockhouse.accounts.models import User
from stockhouse.api.deps import PrincipalDep, SessionDep, get_principal, get_session
from stockhouse.commerce import bins
from stockhouse.commerce.models import Bin
from stockhouse.errors import NotFound

router = APIRouter(tags=["bins"])


def optional_user(
    request: Request, session: Annotated[Session, Depends(get_session)]
) -> User | None:
    """The caller when they sent credentials, else None (public bins are readable by all)."""
    if "authorization" not in request.headers:
        return None
    return get_principal(request, session).user


ViewerDep = Annotated[User | None, Depends(optional_user)]


class BinIn(BaseModel):
    name: str = Field(max_length=bins.MAX_NAME_LENGTH + 50)
    public: bool = False


class BinPatch(BaseModel):
    name: str | None = Field(default=None, max_length=bins.MAX_NAME_LENGTH + 50)
    public: bool | None = None


class ActiveIn(BaseModel):
    bin_id: int


class ItemsIn(BaseModel):
    item_ids: list[int] = Field(min_length=1, max_length=bins.MAX_ITEMS_PER_CHANGE)


class BinOut(BaseModel):
    id: int
    name: str
    public: bool
    active: bool
    generation: int
    item_count: int


class BinItemOut(BaseModel):
    id: int
    title: str
    kind: str


class BinDetailOut(BinOut):
    owner_id: int
    items: list[BinItemOut]


class BinChangeOut(BaseModel):
    added: int
    removed: int
    generation: int


def _bin_out(session: Session, found: Bin) -> BinOut:
    return BinOut(
        id=found.id,
        name=found.name,
        public=found.public,
        active=found.active,
        generation=found.generation,
        item_count=bins.item_counts(session, [found.id])[found.id],
    )


def _change_out(change: bins.BinChange) -> BinChangeOut:
    return BinChangeOut(added=change.added, removed=change.removed, generation=change.generation)


@router.get("/bins", response_model=list[BinOut])
def list_bins(principal: PrincipalDep, session: SessionDep) -> list[BinOut]:
    """The caller's bins, oldest first, with item counts (Pond5 get_bins)."""
    return [
        BinOut(
            id=s.id,
            name=s.name,
            public=s.public,
            active=s.active,
            generation=s.generation,
            item_count=s.item_count,
        )
        for s in bins.list_bins(session, principal.user)
    ]


@router.post("/bins", status_code=201, response_model=BinOut)
def create_bin(body: BinIn, principal: PrincipalDep, session: SessionDep) -> BinOut:
    created = bins.create_bin(session, principal.user, body.name, public=body.public)
    return _bin_out(session, created)


@router.get("/bins/active", response_model=BinOut)
def get_active_bin(principal: PrincipalDep, session: SessionDep) -> BinOut:
    active = bins.active_bin(session, principal.user)
    if active is None:
        raise NotFound("you have no bins, so no active bin")
    return _bin_out(session, active)


@router.put("/bins/active", response_model=BinOut)
def set_active_bin(body: ActiveIn, principal: PrincipalDep, session: SessionDep) -> BinOut:
    return _bin_out(session, bins.set_active(session, principal.user, body.bin_id))


@router.get("/bins/{bin_id}", response_model=BinDetailOut)
def get_bin(bin_id: int, viewer: ViewerDep, session: SessionDep) -> BinDetailOut:
    """A bin of the caller's, or anyone's public bin, with the items the caller may see."""
    contents = bins.get_bin(session, viewer, bin_id)
    found = contents.bin
    return BinDetailOut(
        **_bin_out(session, found).model_dump(),
        owner_id=found.user_id,
        items=[
            BinItemOut(id=item.id, title=item.title, kind=item.kind.value)
            for item in contents.items
        ],
    )


@router.patch("/bins/{bin_id}", response_model=BinOut)
def update_bin(bin_id: int, body: BinPatch, principal: PrincipalDep, session: SessionDep) -> BinOut:
    """Rename (the generation goes up) or share / unshare one of the caller's bins."""
    target = bins.get_own_bin(session, principal.user, bin_id)
    if body.name is not None:
        target = bins.rename_bin(session, principal.user, bin_id, body.name)
    if body.public is not None:
        target = bins.set_public(session, principal.user, bin_id, body.public)
    return _bin_out(session, target)


@router.delete("/bins/{bin_id}", status_code=204)
def delete_bin(bin_id: int, principal: PrincipalDep, session: SessionDep) -> None:
    bins.delete_bin(session, principal.user, bin_id)


@router.post("/bins/{bin_id}/items", response_model=BinChangeOut)
def add_items(
    bin_id: int, body: ItemsIn, principal: PrincipalDep, session: SessionDep
) -> BinChangeOut:
    """Add published items (all or nothing); items already in the bin are skipped."""
    return _change_out(bins.add_items(session, principal.user, bin_id, body.item_ids))


@router.delete("/bins/{bin_id}/items/{item_id}", response_model=BinChangeOut)
def remove_item(
    bin_id: int, item_id: int, principal: PrincipalDep, session: SessionDep
) -> BinChangeOut:
    return _change_out(bins.remove_items(session, principal.user, bin_id, [item_id]))
