"""Tables of the accounts capability: users, roles, groups, credentials, sessions."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from stockhouse.db.base import Base, UTCDateTime, str_enum, utcnow


class Role(enum.StrEnum):
    """What a user may do across the whole marketplace."""

    ADMIN = "admin"
    REVIEWER = "reviewer"
    CONTRIBUTOR = "contributor"
    BUYER = "buyer"


class GroupRole(enum.StrEnum):
    """A user's place inside an enterprise group."""

    ADMIN = "group-admin"
    MEMBER = "member"


class PaymentMode(enum.StrEnum):
    PREPAID = "prepaid"
    POSTPAID = "postpaid"


class ApiKind(enum.StrEnum):
    """Which protocol a credential is for; each compatible API accepts only its own."""

    NATIVE = "native"
    DEPOSITPHOTOS = "depositphotos"
    POND5 = "pond5"
    CLIPARTO = "cliparto"
    PHOTOLIST = "photolist"
    IMAGES_V2 = "images_v2"


class User(Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str | None] = mapped_column(String(254))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    first_name: Mapped[str] = mapped_column(String(100), default="")
    last_name: Mapped[str] = mapped_column(String(100), default="")
    country: Mapped[str | None] = mapped_column(String(2))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    business_name: Mapped[str] = mapped_column(String(200), default="")
    industry: Mapped[str] = mapped_column(String(100), default="")
    website: Mapped[str] = mapped_column(String(300), default="")
    biography: Mapped[str] = mapped_column(Text, default="")
    avatar_blob: Mapped[str | None] = mapped_column(String(80))
    contributor_level: Mapped[str] = mapped_column(String(32), default="beginner")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    roles: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def role_names(self) -> set[Role]:
        return {r.role for r in self.roles}

    def has_role(self, role: Role) -> bool:
        return role in self.role_names


class UserRole(Base):
    __tablename__ = "user_role"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"), primary_key=True)

    user: Mapped[User] = relationship(back_populates="roles")


class Group(Base):
    """An enterprise buyer: a company whose members license on its account."""

    __tablename__ = "buyer_group"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    payment_mode: Mapped[PaymentMode] = mapped_column(
        str_enum(PaymentMode, "payment_mode"), default=PaymentMode.PREPAID
    )
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    vat_number: Mapped[str] = mapped_column(String(64), default="")
    vat_rate: Mapped[Decimal] = mapped_column(Numeric(6, 4), default=Decimal("0"))
    vat_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    billing_profile: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    members: Mapped[list[GroupMember]] = relationship(
        back_populates="group", cascade="all, delete-orphan"
    )


class GroupMember(Base):
    __tablename__ = "group_member"
    __table_args__ = (UniqueConstraint("group_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("buyer_group.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[GroupRole] = mapped_column(
        str_enum(GroupRole, "group_role"), default=GroupRole.MEMBER
    )
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    group: Mapped[Group] = relationship(back_populates="members")
    user: Mapped[User] = relationship()


class Credential(Base):
    """An API key a client presents, optionally with a secret for signed protocols.

    The key is stored only as a SHA-256 digest (it is a bearer secret); `key_prefix` lets
    owners recognise it in listings. Where a protocol signs requests with a shared secret
    (Pond5, Cliparto, photo.list) the secret is kept encrypted with the data dir's key,
    because verifying a signature needs the secret itself.
    """

    __tablename__ = "credential"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    api: Mapped[ApiKind] = mapped_column(str_enum(ApiKind, "api_kind"))
    name: Mapped[str] = mapped_column(String(100), default="")
    key_digest: Mapped[str] = mapped_column(String(64), unique=True)
    key_prefix: Mapped[str] = mapped_column(String(16))
    secret_ciphertext: Mapped[str | None] = mapped_column(Text)
    grants: Mapped[str] = mapped_column(String(200), default="read")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()

    @property
    def grant_names(self) -> set[str]:
        return {g for g in self.grants.split(",") if g}


class LoginSession(Base):
    """A logged-in user's token; expires, and ends early on logout."""

    __tablename__ = "login_session"
    __table_args__ = (Index("ix_login_session_user_expires", "user_id", "expires_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    credential_id: Mapped[int | None] = mapped_column(
        ForeignKey("credential.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()
    credential: Mapped[Credential | None] = relationship()
