"""FastAPI dependencies of the native API: the runtime, a database session, the caller."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import ApiKind, Credential, LoginSession, Role, User
from stockhouse.accounts.tokens import SESSION_TOKEN_PREFIX
from stockhouse.errors import AuthenticationFailed, PermissionDenied
from stockhouse.runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def get_session(runtime: Annotated[Runtime, Depends(get_runtime)]) -> Iterator[Session]:
    """One transaction per request: committed on success, rolled back on any error."""
    with runtime.db.session() as session:
        yield session


@dataclass(frozen=True)
class Principal:
    """Who is calling: the user, and the session or API key they presented."""

    user: User
    token: str
    login: LoginSession | None = None
    credential: Credential | None = None


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationFailed("send 'Authorization: Bearer <session token or API key>'")
    return token.strip()


def get_principal(request: Request, session: Annotated[Session, Depends(get_session)]) -> Principal:
    token = bearer_token(request)
    if token.startswith(SESSION_TOKEN_PREFIX):
        login = accounts.resolve_session(session, token)
        return Principal(user=login.user, token=token, login=login)
    credential = accounts.resolve_credential(session, token, ApiKind.NATIVE)
    return Principal(user=credential.user, token=token, credential=credential)


def require_admin(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
    if not principal.user.has_role(Role.ADMIN):
        raise PermissionDenied("this needs the admin role")
    return principal


SessionDep = Annotated[Session, Depends(get_session)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
AdminDep = Annotated[Principal, Depends(require_admin)]
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
