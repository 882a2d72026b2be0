"""Native API: log in, log out, and who am I."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field

from stockhouse.accounts import service as accounts
from stockhouse.api.deps import PrincipalDep, RuntimeDep, SessionDep
from stockhouse.api.schemas import MembershipOut, UserOut
from stockhouse.errors import InvalidParameter

router = APIRouter(tags=["sessions"])


class LoginIn(BaseModel):
    username: str = Field(max_length=64)
    password: str = Field(max_length=1024)


class LoginOut(BaseModel):
    token: str
    expires_at: datetime
    user: UserOut


class MeOut(BaseModel):
    user: UserOut
    group: MembershipOut | None
    authenticated_by: str


@router.post("/sessions", status_code=201, response_model=LoginOut)
def log_in(body: LoginIn, session: SessionDep, runtime: RuntimeDep) -> LoginOut:
    """Exchange a username and password for a session token (a Bearer token)."""
    user = accounts.authenticate(session, body.username, body.password)
    issued = accounts.create_session(session, user, ttl_s=runtime.settings.session_ttl_s)
    return LoginOut(token=issued.token, expires_at=issued.login.expires_at, user=UserOut.of(user))


@router.delete("/sessions/current", status_code=204)
def log_out(principal: PrincipalDep, session: SessionDep) -> None:
    """End the session whose token authenticated this request."""
    if principal.login is None:
        raise InvalidParameter("authorization", "an API key is not a session; disable it instead")
    accounts.revoke_session(session, principal.token)


@router.get("/me", response_model=MeOut)
def me(principal: PrincipalDep, session: SessionDep) -> MeOut:
    """The authenticated user, their enterprise group, and how they authenticated."""
    member = accounts.membership_of(session, principal.user)
    return MeOut(
        user=UserOut.of(principal.user),
        group=MembershipOut.of(member) if member else None,
        authenticated_by="session" if principal.login else "api_key",
    )
