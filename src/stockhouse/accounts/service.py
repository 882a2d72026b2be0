"""Account services: users and roles, groups and members, credentials, login sessions.

Plain functions over a SQLAlchemy session; the caller owns the transaction.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from stockhouse.accounts.models import (
    ApiKind,
    Credential,
    Group,
    GroupMember,
    GroupRole,
    LoginSession,
    PaymentMode,
    Role,
    User,
    UserRole,
)
from stockhouse.accounts.passwords import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    hash_password,
    needs_rehash,
    verify_password,
)
from stockhouse.accounts.tokens import (
    API_KEY_PREFIX,
    DISPLAY_PREFIX_LENGTH,
    SESSION_TOKEN_PREFIX,
    SecretBox,
    digest,
    new_token,
)
from stockhouse.db.base import utcnow
from stockhouse.errors import (
    AuthenticationFailed,
    Conflict,
    InvalidParameter,
    NotFound,
)

USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
GROUP_NAME_MAX_LENGTH = 200
KNOWN_GRANTS = frozenset({"read", "write", "admin"})
LAST_USED_RESOLUTION = timedelta(minutes=1)  # avoid a write on every authenticated request


# -- users ------------------------------------------------------------------------------


def validate_username(username: str) -> str:
    if not USERNAME_PATTERN.fullmatch(username):
        raise InvalidParameter(
            "username", "username must be 1-64 letters, digits or . _ @ -, starting alphanumeric"
        )
    return username


def validate_password(password: str) -> str:
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise InvalidParameter(
            "password",
            f"password must be {MIN_PASSWORD_LENGTH}-{MAX_PASSWORD_LENGTH} characters long",
        )
    return password


def create_user(
    session: Session,
    *,
    username: str,
    password: str | None,
    email: str | None = None,
    roles: Iterable[Role] = (Role.BUYER,),
    first_name: str = "",
    last_name: str = "",
    country: str | None = None,
    timezone: str = "UTC",
    user_id: int | None = None,
) -> User:
    """Create a user; `password=None` makes an account that cannot log in by password.

    `user_id` fixes the id (the demo's contributor has the id of seed 000's example).
    """
    validate_username(username)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"username {username!r} is taken")
    if email is not None and ("@" not in email or len(email) > 254):
        raise InvalidParameter("email", "email must be an address like name@example.com")
    if country is not None and not re.fullmatch(r"[A-Z]{2}", country):
        raise InvalidParameter("country", "country must be a two-letter ISO code like US")
    user = User(
        id=user_id,
        username=username,
        email=email,
        password_hash=hash_password(validate_password(password)) if password else None,
        first_name=first_name,
        last_name=last_name,
        country=country,
        timezone=timezone,
    )
    user.roles = [UserRole(role=Role(r)) for r in sorted(set(roles))]
    session.add(user)
    session.flush()
    return user


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} does not exist")
    return user


def get_user_by_username(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"user {username!r} does not exist")
    return user


def list_users(session: Session, *, limit: int = 100, offset: int = 0) -> Sequence[User]:
    return session.scalars(select(User).order_by(User.id).limit(limit).offset(offset)).all()


def set_password(session: Session, user: User, password: str) -> None:
    user.password_hash = hash_password(validate_password(password))
    session.flush()


def set_roles(session: Session, user: User, roles: Iterable[Role]) -> None:
    wanted = {Role(r) for r in roles}
    user.roles = [r for r in user.roles if r.role in wanted] + [
        UserRole(role=r) for r in sorted(wanted - user.role_names)
    ]
    session.flush()


def set_active(session: Session, user: User, active: bool) -> None:
    user.is_active = active
    session.flush()


def authenticate(session: Session, username: str, password: str) -> User:
    """The user with this username and password; one message for every failure."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.is_active or not verify_password(user.password_hash, password):
        raise AuthenticationFailed("wrong username or password")
    assert user.password_hash is not None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


# -- groups -----------------------------------------------------------------------------


def create_group(
    session: Session,
    *,
    name: str,
    payment_mode: PaymentMode = PaymentMode.PREPAID,
    currency: str = "USD",
) -> Group:
    name = name.strip()
    if not name or len(name) > GROUP_NAME_MAX_LENGTH:
        raise InvalidParameter("name", f"group name must be 1-{GROUP_NAME_MAX_LENGTH} characters")
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise InvalidParameter("currency", "currency must be a three-letter ISO code like USD")
    if session.scalar(select(Group.id).where(Group.name == name)) is not None:
        raise Conflict(f"group {name!r} exists")
    group = Group(name=name, payment_mode=PaymentMode(payment_mode), currency=currency)
    session.add(group)
    session.flush()
    return group


def get_group(session: Session, group_id: int) -> Group:
    group = session.get(Group, group_id)
    if group is None:
        raise NotFound(f"group {group_id} does not exist")
    return group


def get_group_by_name(session: Session, name: str) -> Group:
    group = session.scalar(select(Group).where(Group.name == name))
    if group is None:
        raise NotFound(f"group {name!r} does not exist")
    return group


def list_groups(session: Session) -> Sequence[Group]:
    return session.scalars(select(Group).order_by(Group.id)).all()


def add_member(
    session: Session, group: Group, user: User, role: GroupRole = GroupRole.MEMBER
) -> GroupMember:
    """Put a user in a group (a user belongs to at most one enterprise group)."""
    existing = session.scalar(select(GroupMember).where(GroupMember.user_id == user.id))
    if existing is not None:
        if existing.group_id != group.id:
            raise Conflict(f"user {user.username!r} already belongs to another group")
        existing.role = GroupRole(role)
        session.flush()
        return existing
    member = GroupMember(group_id=group.id, user_id=user.id, role=GroupRole(role))
    session.add(member)
    session.flush()
    return member


def remove_member(session: Session, group: Group, user: User) -> None:
    member = session.scalar(
        select(GroupMember).where(GroupMember.group_id == group.id, GroupMember.user_id == user.id)
    )
    if member is None:
        raise NotFound(f"user {user.username!r} is not in group {group.name!r}")
    session.delete(member)
    session.flush()


def membership_of(session: Session, user: User) -> GroupMember | None:
    """The user's enterprise group membership, if any."""
    return session.scalar(select(GroupMember).where(GroupMember.user_id == user.id))


def members_of(session: Session, group: Group) -> Sequence[GroupMember]:
    return session.scalars(
        select(GroupMember).where(GroupMember.group_id == group.id).order_by(GroupMember.user_id)
    ).all()


# -- credentials ------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedCredential:
    """A new credential with its key and secret in clear: the only time they are shown."""

    credential: Credential
    key: str
    secret: str | None


def _validate_grants(grants: Iterable[str]) -> str:
    names = sorted({g.strip() for g in grants if g.strip()})
    unknown = [g for g in names if g not in KNOWN_GRANTS]
    if unknown:
        raise InvalidParameter("grants", f"unknown grant {unknown[0]!r}")
    return ",".join(names)


def create_credential(
    session: Session,
    box: SecretBox,
    *,
    user: User,
    api: ApiKind,
    name: str = "",
    grants: Iterable[str] = ("read",),
    with_secret: bool = False,
    key: str | None = None,
    secret: str | None = None,
) -> IssuedCredential:
    """Issue an API key (and a signing secret when `with_secret` or `secret` is given).

    `key` lets a protocol with its own key format choose the key; by default it is random.
    """
    key = key or new_token(API_KEY_PREFIX)
    if session.scalar(select(Credential.id).where(Credential.key_digest == digest(key))):
        raise Conflict("that API key exists")
    if secret is None and with_secret:
        secret = new_token(nbytes=24)
    credential = Credential(
        user_id=user.id,
        api=ApiKind(api),
        name=name[:100],
        key_digest=digest(key),
        key_prefix=key[:DISPLAY_PREFIX_LENGTH],
        secret_ciphertext=box.seal(secret) if secret else None,
        grants=_validate_grants(grants),
    )
    session.add(credential)
    session.flush()
    return IssuedCredential(credential=credential, key=key, secret=secret)


def _replacement_key(credential: Credential) -> str | None:
    """A new key in the old one's protocol format (Pond5 keys are "<user id>_<number>")."""
    if credential.api == ApiKind.POND5:
        return f"{credential.user_id}_{secrets.randbelow(10**12)}"
    return None


def rotate_credential(session: Session, box: SecretBox, credential: Credential) -> IssuedCredential:
    """Replace a key: a new key (and a new secret when the old had one) with the same
    protocol, name and grants; the old key is disabled in the same transaction."""
    if not credential.enabled:
        raise Conflict("a disabled API key cannot be rotated; issue a new one")
    issued = create_credential(
        session,
        box,
        user=credential.user,
        api=credential.api,
        name=credential.name,
        grants=[g for g in credential.grants.split(",") if g],
        with_secret=credential.secret_ciphertext is not None,
        key=_replacement_key(credential),
    )
    disable_credential(session, credential)
    return issued


def list_credentials(session: Session, user: User | None = None) -> Sequence[Credential]:
    query = select(Credential).order_by(Credential.id)
    if user is not None:
        query = query.where(Credential.user_id == user.id)
    return session.scalars(query).all()


def get_credential(session: Session, credential_id: int) -> Credential:
    credential = session.get(Credential, credential_id)
    if credential is None:
        raise NotFound(f"API key {credential_id} does not exist")
    return credential


def disable_credential(session: Session, credential: Credential) -> None:
    """Disable a key for good; its sessions end with it."""
    if credential.enabled:
        credential.enabled = False
        credential.disabled_at = utcnow()
        now = utcnow()
        for login in session.scalars(
            select(LoginSession).where(
                LoginSession.credential_id == credential.id, LoginSession.revoked_at.is_(None)
            )
        ):
            login.revoked_at = now
        session.flush()


def resolve_credential(session: Session, key: str, api: ApiKind | None = None) -> Credential:
    """The enabled credential for `key` (for `api`, when given) or AuthenticationFailed."""
    credential = session.scalar(select(Credential).where(Credential.key_digest == digest(key)))
    if credential is None or (api is not None and credential.api != api):
        raise AuthenticationFailed("unknown API key")
    if not credential.enabled or not credential.user.is_active:
        raise AuthenticationFailed("API key is disabled")
    now = utcnow()
    if credential.last_used_at is None or now - credential.last_used_at > LAST_USED_RESOLUTION:
        credential.last_used_at = now
    return credential


def credential_secret(box: SecretBox, credential: Credential) -> str:
    if credential.secret_ciphertext is None:
        raise NotFound("this API key has no secret")
    return box.open(credential.secret_ciphertext)


# -- login sessions ---------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedSession:
    """A new login session with its token in clear (returned to the client once)."""

    login: LoginSession
    token: str


def create_session(
    session: Session,
    user: User,
    *,
    ttl_s: int,
    credential: Credential | None = None,
    now: datetime | None = None,
) -> IssuedSession:
    now = now or utcnow()
    token = new_token(SESSION_TOKEN_PREFIX)
    login = LoginSession(
        token_digest=digest(token),
        user_id=user.id,
        credential_id=credential.id if credential else None,
        created_at=now,
        expires_at=now + timedelta(seconds=ttl_s),
    )
    session.add(login)
    session.flush()
    return IssuedSession(login=login, token=token)


def resolve_session(session: Session, token: str, *, now: datetime | None = None) -> LoginSession:
    """The live session for `token`, or AuthenticationFailed saying why not."""
    now = now or utcnow()
    login = session.scalar(select(LoginSession).where(LoginSession.token_digest == digest(token)))
    if login is None:
        raise AuthenticationFailed("unknown session")
    if login.revoked_at is not None:
        raise AuthenticationFailed("session ended by logout")
    if login.expires_at <= now:
        raise AuthenticationFailed("session expired")
    if not login.user.is_active:
        raise AuthenticationFailed("account is disabled")
    return login


def renew_session(
    session: Session, token: str, *, ttl_s: int, now: datetime | None = None
) -> LoginSession:
    now = now or utcnow()
    login = resolve_session(session, token, now=now)
    login.expires_at = now + timedelta(seconds=ttl_s)
    session.flush()
    return login


def revoke_session(session: Session, token: str) -> None:
    login = resolve_session(session, token)
    login.revoked_at = utcnow()
    session.flush()
