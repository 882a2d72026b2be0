"""Native API: enterprise groups and their members (admin role)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import Group, GroupRole, PaymentMode
from stockhouse.api.deps import AdminDep, SessionDep

router = APIRouter(prefix="/groups", tags=["groups"])


class GroupIn(BaseModel):
    name: str = Field(max_length=200)
    payment_mode: PaymentMode = PaymentMode.PREPAID
    currency: str = Field(default="USD", max_length=3)


class MemberIn(BaseModel):
    user_id: int
    role: GroupRole = GroupRole.MEMBER


class MemberOut(BaseModel):
    user_id: int
    username: str
    role: str


class GroupOut(BaseModel):
    id: int
    name: str
    payment_mode: str
    currency: str
    members: list[MemberOut]


def _group_out(session: Session, group: Group) -> GroupOut:
    return GroupOut(
        id=group.id,
        name=group.name,
        payment_mode=group.payment_mode.value,
        currency=group.currency,
        members=[
            MemberOut(user_id=m.user_id, username=m.user.username, role=m.role.value)
            for m in accounts.members_of(session, group)
        ],
    )


@router.post("", status_code=201, response_model=GroupOut)
def create_group(body: GroupIn, _: AdminDep, session: SessionDep) -> GroupOut:
    group = accounts.create_group(session, **body.model_dump())
    return _group_out(session, group)


@router.get("", response_model=list[GroupOut])
def list_groups(_: AdminDep, session: SessionDep) -> list[GroupOut]:
    return [_group_out(session, g) for g in accounts.list_groups(session)]


@router.get("/{group_id}", response_model=GroupOut)
def get_group(group_id: int, _: AdminDep, session: SessionDep) -> GroupOut:
    return _group_out(session, accounts.get_group(session, group_id))


@router.post("/{group_id}/members", status_code=201, response_model=GroupOut)
def add_member(group_id: int, body: MemberIn, _: AdminDep, session: SessionDep) -> GroupOut:
    group = accounts.get_group(session, group_id)
    accounts.add_member(session, group, accounts.get_user(session, body.user_id), body.role)
    return _group_out(session, group)


@router.delete("/{group_id}/members/{user_id}", status_code=204)
def remove_member(group_id: int, user_id: int, _: AdminDep, session: SessionDep) -> None:
    group = accounts.get_group(session, group_id)
    accounts.remove_member(session, group, accounts.get_user(session, user_id))
