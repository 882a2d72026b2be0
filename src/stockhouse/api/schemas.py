"""Response models shared by several native API modules, and `from_view`, which builds a
response model from the core's view of the same thing."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel

from stockhouse.accounts.models import Credential, GroupMember, User

ModelT = TypeVar("ModelT", bound=BaseModel)


def from_view(model: type[ModelT], view: object, **values: Any) -> ModelT:
    """`model` filled from a core view: each field from the view's attribute of the same
    name (enums become their values, nested views their own models), except the fields
    given in `values`, whose wire form differs (another name, a minor amount as a
    decimal, a URL made for the request, ...)."""
    taken = {name: getattr(view, name) for name in model.model_fields if name not in values}
    return model.model_validate(taken | values, from_attributes=True)


class UserOut(BaseModel):
    id: int
    username: str
    email: str | None
    first_name: str
    last_name: str
    country: str | None
    timezone: str
    roles: list[str]
    is_active: bool
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(
            id=user.id,
            username=user.username,
            email=user.email,
            first_name=user.first_name,
            last_name=user.last_name,
            country=user.country,
            timezone=user.timezone,
            roles=sorted(r.value for r in user.role_names),
            is_active=user.is_active,
            created_at=user.created_at,
        )


class MembershipOut(BaseModel):
    group_id: int
    group_name: str
    role: str

    @classmethod
    def of(cls, member: GroupMember) -> MembershipOut:
        return cls(group_id=member.group_id, group_name=member.group.name, role=member.role.value)


class CredentialOut(BaseModel):
    """An API key as listed: never the key or secret themselves."""

    id: int
    user_id: int
    api: str
    name: str
    key_prefix: str
    has_secret: bool
    grants: list[str]
    enabled: bool
    created_at: datetime
    last_used_at: datetime | None

    @classmethod
    def of(cls, credential: Credential) -> CredentialOut:
        return cls(
            id=credential.id,
            user_id=credential.user_id,
            api=credential.api.value,
            name=credential.name,
            key_prefix=credential.key_prefix,
            has_secret=credential.secret_ciphertext is not None,
            grants=sorted(credential.grant_names),
            enabled=credential.enabled,
            created_at=credential.created_at,
            last_used_at=credential.last_used_at,
        )
