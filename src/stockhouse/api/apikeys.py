"""Native API: API keys. Users manage their own; admins manage anyone's."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import ApiKind, Credential, Role
from stockhouse.api.deps import Principal, PrincipalDep, RuntimeDep, SessionDep
from stockhouse.api.schemas import CredentialOut
from stockhouse.errors import NotFound, PermissionDenied

router = APIRouter(prefix="/apikeys", tags=["api keys"])


class ApiKeyIn(BaseModel):
    api: ApiKind = ApiKind.NATIVE
    name: str = Field(default="", max_length=100)
    grants: list[str] = Field(default_factory=lambda: ["read"], max_length=10)
    with_secret: bool = False
    user_id: int | None = Field(default=None, description="admins only: issue for another user")


class IssuedApiKeyOut(BaseModel):
    """The key and secret in clear. They are shown here once and never again."""

    credential: CredentialOut
    key: str
    secret: str | None


def _visible_credential(session: Session, principal: Principal, key_id: int) -> Credential:
    credential = accounts.get_credential(session, key_id)
    if credential.user_id != principal.user.id and not principal.user.has_role(Role.ADMIN):
        raise NotFound(f"API key {key_id} does not exist")
    return credential


@router.post("", status_code=201, response_model=IssuedApiKeyOut)
def create_api_key(
    body: ApiKeyIn, principal: PrincipalDep, session: SessionDep, runtime: RuntimeDep
) -> IssuedApiKeyOut:
    owner = principal.user
    if body.user_id is not None and body.user_id != owner.id:
        if not owner.has_role(Role.ADMIN):
            raise PermissionDenied("only admins issue keys for other users")
        owner = accounts.get_user(session, body.user_id)
    issued = accounts.create_credential(
        session,
        runtime.secrets,
        user=owner,
        api=body.api,
        name=body.name,
        grants=body.grants,
        with_secret=body.with_secret,
    )
    return IssuedApiKeyOut(
        credential=CredentialOut.of(issued.credential), key=issued.key, secret=issued.secret
    )


@router.get("", response_model=list[CredentialOut])
def list_api_keys(principal: PrincipalDep, session: SessionDep) -> list[CredentialOut]:
    return [CredentialOut.of(c) for c in accounts.list_credentials(session, principal.user)]


@router.post("/{key_id}/disable", response_model=CredentialOut)
def disable_api_key(key_id: int, principal: PrincipalDep, session: SessionDep) -> CredentialOut:
    credential = _visible_credential(session, principal, key_id)
    accounts.disable_credential(session, credential)
    return CredentialOut.of(credential)


@router.post("/{key_id}/rotate", response_model=IssuedApiKeyOut)
def rotate_api_key(
    key_id: int, principal: PrincipalDep, session: SessionDep, runtime: RuntimeDep
) -> IssuedApiKeyOut:
    """A new key (and secret) replacing this one, which is disabled; shown once."""
    credential = _visible_credential(session, principal, key_id)
    issued = accounts.rotate_credential(session, runtime.secrets, credential)
    return IssuedApiKeyOut(
        credential=CredentialOut.of(issued.credential), key=issued.key, secret=issued.secret
    )
