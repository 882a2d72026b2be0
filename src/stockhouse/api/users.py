"""Native API: user administration (admin role)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import Role
from stockhouse.api.deps import AdminDep, SessionDep
from stockhouse.api.schemas import UserOut

router = APIRouter(prefix="/users", tags=["users"])

MAX_PAGE_SIZE = 500


class UserIn(BaseModel):
    username: str = Field(max_length=64)
    password: str | None = Field(default=None, max_length=1024)
    email: str | None = Field(default=None, max_length=254)
    roles: list[Role] = Field(default_factory=lambda: [Role.BUYER])
    first_name: str = Field(default="", max_length=100)
    last_name: str = Field(default="", max_length=100)
    country: str | None = Field(default=None, max_length=2)
    timezone: str = Field(default="UTC", max_length=64)


class UserPatch(BaseModel):
    roles: list[Role] | None = None
    is_active: bool | None = None
    password: str | None = Field(default=None, max_length=1024)


@router.post("", status_code=201, response_model=UserOut)
def create_user(body: UserIn, _: AdminDep, session: SessionDep) -> UserOut:
    user = accounts.create_user(session, **body.model_dump())
    return UserOut.of(user)


@router.get("", response_model=list[UserOut])
def list_users(
    _: AdminDep,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[UserOut]:
    return [UserOut.of(u) for u in accounts.list_users(session, limit=limit, offset=offset)]


@router.get("/{user_id}", response_model=UserOut)
def get_user(user_id: int, _: AdminDep, session: SessionDep) -> UserOut:
    return UserOut.of(accounts.get_user(session, user_id))


@router.patch("/{user_id}", response_model=UserOut)
def update_user(user_id: int, body: UserPatch, _: AdminDep, session: SessionDep) -> UserOut:
    user = accounts.get_user(session, user_id)
    if body.roles is not None:
        accounts.set_roles(session, user, body.roles)
    if body.is_active is not None:
        accounts.set_active(session, user, body.is_active)
    if body.password is not None:
        accounts.set_password(session, user, body.password)
    return UserOut.of(user)
