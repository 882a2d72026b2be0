"""Who is browsing: the login-session cookie, per-session CSRF tokens and flash messages.

The session cookie holds the token of an accounts `LoginSession` (create_session /
resolve_session / revoke_session), so logging out anywhere revokes it everywhere. Cookies
are HTTP-only and SameSite=Lax, and Secure when the site is served over https.

CSRF: every form carries a token derived (HMAC with the data dir's secret key) from the
login-session token, or, before login, from a random anonymous cookie; a POST whose token
does not match is refused with 403. Flash messages ride in a signed cookie to the next page.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import Response

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import GroupRole, Role
from stockhouse.errors import AuthenticationFailed
from stockhouse.runtime import Runtime

SESSION_COOKIE = "sh_session"
ANON_COOKIE = "sh_anon"
FLASH_COOKIE = "sh_flash"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
ANON_COOKIE_MAX_AGE_S = 30 * 86400
MAX_FLASH_MESSAGES = 5
MAX_FLASH_LENGTH = 300
FLASH_LEVELS = ("info", "success", "error")


@dataclass(frozen=True)
class WebUser:
    """The logged-in user as pages need them (a plain value, safe outside a DB session)."""

    id: int
    username: str
    roles: frozenset[str]
    group_id: int | None = None
    group_name: str | None = None
    group_admin: bool = False

    def has_role(self, role: Role) -> bool:
        return role.value in self.roles

    @property
    def is_buyer(self) -> bool:
        return self.has_role(Role.BUYER) or self.group_id is not None


@dataclass(frozen=True)
class Flash:
    level: str
    text: str


@dataclass
class Visitor:
    """The browser of one request: its user (if logged in) and the tokens its forms need."""

    user: WebUser | None
    session_token: str | None
    anon_id: str
    new_anon: bool
    secure: bool
    flashes: list[Flash] = field(default_factory=list)
    had_flash_cookie: bool = False


def _mac(secret: str, purpose: str, value: str) -> str:
    digest = hmac.new(secret.encode(), f"{purpose}|{value}".encode(), hashlib.sha256)
    return digest.hexdigest()[:40]


def is_secure(request: Request, runtime: Runtime) -> bool:
    """Whether cookies get the Secure flag: the site (or this request) is on https."""
    return request.url.scheme == "https" or runtime.settings.base_url.startswith("https://")


def _web_user(runtime: Runtime, token: str) -> WebUser | None:
    with runtime.db.read_session() as session:
        try:
            login = accounts.resolve_session(session, token)
        except AuthenticationFailed:
            return None
        user = login.user
        membership = accounts.membership_of(session, user)
        return WebUser(
            id=user.id,
            username=user.username,
            roles=frozenset(role.value for role in user.role_names),
            group_id=membership.group_id if membership else None,
            group_name=membership.group.name if membership else None,
            group_admin=membership is not None and membership.role == GroupRole.ADMIN,
        )


def visitor_of(request: Request, runtime: Runtime) -> Visitor:
    """Read the cookies of a request: the user, the anonymous id, pending flash messages."""
    token = request.cookies.get(SESSION_COOKIE)
    user = _web_user(runtime, token) if token else None
    anon = request.cookies.get(ANON_COOKIE, "")
    new_anon = not (16 <= len(anon) <= 64 and anon.isalnum())
    if new_anon:
        anon = secrets.token_hex(16)
    raw_flash = request.cookies.get(FLASH_COOKIE)
    return Visitor(
        user=user,
        session_token=token if user else None,
        anon_id=anon,
        new_anon=new_anon,
        secure=is_secure(request, runtime),
        flashes=_read_flashes(runtime.settings.secret_key, raw_flash) if raw_flash else [],
        had_flash_cookie=raw_flash is not None,
    )


# -- CSRF -------------------------------------------------------------------------------


def csrf_token(runtime: Runtime, visitor: Visitor) -> str:
    """The token this visitor's forms must send back (tied to their session)."""
    basis = visitor.session_token or f"anon:{visitor.anon_id}"
    return _mac(runtime.settings.secret_key, "csrf", basis)


def csrf_valid(runtime: Runtime, visitor: Visitor, sent: str | None) -> bool:
    if not sent or (visitor.new_anon and visitor.session_token is None):
        return False  # a visitor without any cookie cannot have been shown a form
    return hmac.compare_digest(sent, csrf_token(runtime, visitor))


# -- flash messages ---------------------------------------------------------------------


def _read_flashes(secret: str, raw: str) -> list[Flash]:
    payload, _, mac = raw.rpartition(".")
    if not payload or not hmac.compare_digest(mac, _mac(secret, "flash", payload)):
        return []
    try:
        items = json.loads(base64.urlsafe_b64decode(payload.encode()))
    except ValueError:
        return []
    return [
        Flash(str(level), str(text)[:MAX_FLASH_LENGTH])
        for level, text in items[:MAX_FLASH_MESSAGES]
        if level in FLASH_LEVELS
    ]


def set_flash(response: Response, runtime: Runtime, messages: list[Flash], secure: bool) -> None:
    """Carry messages to the next page the browser shows."""
    items = [[m.level, m.text[:MAX_FLASH_LENGTH]] for m in messages[:MAX_FLASH_MESSAGES]]
    payload = base64.urlsafe_b64encode(json.dumps(items).encode()).decode()
    value = f"{payload}.{_mac(runtime.settings.secret_key, 'flash', payload)}"
    response.set_cookie(FLASH_COOKIE, value, httponly=True, samesite="lax", secure=secure)


# -- cookies ----------------------------------------------------------------------------


def start_session(response: Response, runtime: Runtime, user_id: int, secure: bool) -> None:
    """Log a user in: a new login session, its token in the session cookie."""
    ttl = runtime.settings.session_ttl_s
    with runtime.db.session() as session:
        issued = accounts.create_session(session, accounts.get_user(session, user_id), ttl_s=ttl)
        token = issued.token
    response.set_cookie(
        SESSION_COOKIE, token, max_age=ttl, httponly=True, samesite="lax", secure=secure
    )


def end_session(response: Response, runtime: Runtime, visitor: Visitor) -> None:
    """Log out: revoke the login session and drop the cookie."""
    if visitor.session_token:
        # A session that is already over needs no revoking.
        with runtime.db.session() as session, contextlib.suppress(AuthenticationFailed):
            accounts.revoke_session(session, visitor.session_token)
    response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="lax", secure=visitor.secure)


def finish(response: Response, visitor: Visitor, *, flash_shown: bool) -> None:
    """Cookies every page answer sets: the anonymous id once, flash cleared once shown."""
    if visitor.new_anon:
        response.set_cookie(
            ANON_COOKIE,
            visitor.anon_id,
            max_age=ANON_COOKIE_MAX_AGE_S,
            httponly=True,
            samesite="lax",
            secure=visitor.secure,
        )
    if flash_shown and visitor.had_flash_cookie:
        response.delete_cookie(FLASH_COOKIE, httponly=True, samesite="lax", secure=visitor.secure)
