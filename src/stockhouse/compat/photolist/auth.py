"""The read-grant protocol of the Pixelpost API: challenge, token, per-call hmac and nonce.

Exactly the computation of Ultralite 2 (wire-notes section 4; `.` is concatenation, md5
is lower-case hex of the UTF-8 bytes):

    secret    = md5(public_key . private_key)
    salt      = ceil(unix_time / LIFETIME_S) * LIFETIME_S        (decimal integer)
    token     = md5(challenge . secret . salt)
    signature = md5(token . data . secret)                       (data: challenge, nonce...)
    hmac      = md5(nonce . method . serialize(request) . secret)

A public key is a PHOTOLIST credential's key, the private key its secret. md5 is what the
protocol's clients compute; it is not Stockhouse's choice.
"""

from __future__ import annotations

import hashlib
import hmac as hmaclib
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from stockhouse.accounts.models import ApiKind, Credential
from stockhouse.accounts.service import credential_secret, resolve_credential
from stockhouse.accounts.tokens import digest
from stockhouse.compat.photolist import errors
from stockhouse.compat.photolist_models import PhotolistChallenge, PhotolistToken
from stockhouse.errors import AuthenticationFailed
from stockhouse.runtime import Runtime

LIFETIME_S = 300  # the real software's default `lifetime`
TOKEN_KEEP = timedelta(days=1)  # unused tokens are forgotten after this (then: bad_token)
MAX_KEY_CHARS = 200
MAX_SESSION_CHARS = 255
READ_GRANT = "read"

# The clock, as seconds since the epoch; tests replace it to cross lifetime windows.
clock: Callable[[], float] = time.time


def md5(text: str) -> str:
    # The protocol is built on md5; the hash is not Stockhouse's choice of primitive.
    return hashlib.md5(text.encode("utf-8", "surrogatepass"), usedforsecurity=False).hexdigest()


def make_secret(public_key: str, private_key: str) -> str:
    return md5(public_key + private_key)


def salt_at(unix_time: float, lifetime: int = LIFETIME_S) -> int:
    """The end of the lifetime window `unix_time` (whole seconds, as PHP's time()) is in."""
    seconds = int(unix_time)
    return -(-seconds // lifetime) * lifetime


def make_token(challenge: str, secret: str, salt: int) -> str:
    return md5(f"{challenge}{secret}{salt}")


def sign(token: str, data: str, secret: str) -> str:
    return md5(token + data + secret)


def _php_float(value: float) -> str:
    """PHP's string form of a float (precision 14): 1.5, 0.3, 1.0E+25."""
    text = format(value, ".14G")
    if "E" in text:
        mantissa, exponent = text.split("E")
        sign_char, digits = exponent[0], exponent[1:].lstrip("0") or "0"
        mantissa = mantissa if "." in mantissa else mantissa + ".0"
        return f"{mantissa}E{sign_char}{digits}"
    return text


def _php_items(value: Any) -> Iterator[tuple[str, Any]]:
    """The (key, value) pairs of PHP's `(array)` cast of a decoded value."""
    if isinstance(value, dict):
        yield from ((str(k), v) for k, v in value.items())
    elif isinstance(value, list):
        yield from ((str(i), v) for i, v in enumerate(value))
    elif value is not None:
        yield "0", value


def serialize(value: Any) -> str:
    """`{key:value,...}` over PHP's array form of `value`: nested arrays and objects
    recursively, booleans as true/false, null as an empty array, other scalars as text."""
    parts: list[str] = []
    for key, child in _php_items(value):
        if isinstance(child, bool):
            text = "true" if child else "false"
        elif isinstance(child, dict | list) or child is None:
            text = serialize(child)
        elif isinstance(child, float):
            text = _php_float(child)
        else:
            text = str(child)
        parts.append(f"{key}:{text},")
    return "{" + "".join(parts) + "}"


def request_hmac(nonce: str, method: str, request: Any, secret: str) -> str:
    return md5(nonce + method + serialize(request) + secret)


def new_nonce() -> str:
    return secrets.token_hex(16)


def _now() -> datetime:
    return datetime.fromtimestamp(clock(), UTC)


def _equal(a: str, b: object) -> bool:
    return isinstance(b, str) and hmaclib.compare_digest(a.encode(), b.encode("utf-8", "replace"))


def _text_field(request: Any, method: str, field: str, limit: int) -> str:
    value = request.get(field) if isinstance(request, dict) else None
    if value is None:
        raise errors.field_required(method, field)
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise errors.field_not_valid(field)
    text = str(value)
    if len(text) > limit:
        raise errors.field_not_valid(field)
    return text


# -- auth.request -----------------------------------------------------------------------


def _photolist_credential(session: Session, public_key: str) -> Credential | None:
    try:
        credential = resolve_credential(session, public_key, ApiKind.PHOTOLIST)
    except AuthenticationFailed:
        return None
    return credential if credential.secret_ciphertext else None


def auth_request(runtime: Runtime, request: Any) -> dict[str, Any]:
    """`{public_key, session}` -> `{challenge, lifetime}`; an unknown key gets a challenge
    too (that can never be exchanged), so that callers cannot probe which keys exist."""
    public_key = _text_field(request, "auth.request", "public_key", MAX_KEY_CHARS)
    session_name = _text_field(request, "auth.request", "session", MAX_SESSION_CHARS)
    challenge = new_nonce()
    now = _now()
    with runtime.db.session() as session:
        session.execute(delete(PhotolistChallenge).where(PhotolistChallenge.expires_at < now))
        credential = _photolist_credential(session, public_key)
        if credential is not None:
            secret = make_secret(public_key, credential_secret(runtime.secrets, credential))
            session.add(
                PhotolistChallenge(
                    challenge_digest=digest(challenge),
                    credential_id=credential.id,
                    session_name=session_name,
                    secret_ciphertext=runtime.secrets.seal(secret),
                    created_at=now,
                    expires_at=now + timedelta(seconds=LIFETIME_S),
                )
            )
    return {"challenge": challenge, "lifetime": LIFETIME_S}


# -- auth.token / auth.refresh ----------------------------------------------------------


def _usable(session: Session, credential_id: int) -> Credential | None:
    credential = session.get(Credential, credential_id)
    if credential is None or not credential.enabled or not credential.user.is_active:
        return None
    return credential


def auth_token(runtime: Runtime, request: Any) -> dict[str, Any]:
    """`{challenge, signature}` -> `{nonce, signature}`: the challenge becomes a token."""
    challenge = _text_field(request, "auth.token", "challenge", MAX_KEY_CHARS)
    signature = _text_field(request, "auth.token", "signature", MAX_KEY_CHARS)
    now = _now()
    with runtime.db.session() as session:
        row = session.scalar(
            select(PhotolistChallenge).where(
                PhotolistChallenge.challenge_digest == digest(challenge)
            )
        )
        # An expired challenge stays until the next auth.request purges it.
        if row is None or row.expires_at < now or _usable(session, row.credential_id) is None:
            raise errors.field_not_valid("challenge")
        secret = runtime.secrets.open(row.secret_ciphertext)
        salt = salt_at(clock())
        token = make_token(challenge, secret, salt)
        if not _equal(sign(token, challenge, secret), signature):
            raise errors.field_not_valid("signature")
        nonce = new_nonce()
        session.delete(row)
        session.execute(
            delete(PhotolistToken).where(PhotolistToken.last_used_at < now - TOKEN_KEEP)
        )
        existing = session.scalar(
            select(PhotolistToken).where(PhotolistToken.token_digest == digest(token))
        )
        if existing is not None:  # the same challenge cannot come twice; a stale twin goes
            session.delete(existing)
            session.flush()
        session.add(
            PhotolistToken(
                token_digest=digest(token),
                credential_id=row.credential_id,
                session_name=row.session_name,
                challenge_ciphertext=runtime.secrets.seal(challenge),
                secret_ciphertext=row.secret_ciphertext,
                salt=salt,
                nonce=nonce,
                created_at=now,
                last_used_at=now,
            )
        )
    return {"nonce": nonce, "signature": sign(token, nonce, secret)}


def auth_refresh(runtime: Runtime, request: Any) -> dict[str, Any]:
    """`{token, signature: md5(new_token . token . secret)}` -> `{nonce, signature}`: the
    token of the current lifetime window replaces the given one."""
    old = _text_field(request, "auth.refresh", "token", MAX_KEY_CHARS)
    signature = _text_field(request, "auth.refresh", "signature", MAX_KEY_CHARS)
    now = _now()
    with runtime.db.session() as session:
        row = session.scalar(
            select(PhotolistToken).where(PhotolistToken.token_digest == digest(old))
        )
        if row is None or _usable(session, row.credential_id) is None:
            raise errors.field_not_valid("token")
        secret = runtime.secrets.open(row.secret_ciphertext)
        challenge = runtime.secrets.open(row.challenge_ciphertext)
        salt = salt_at(clock())
        token = make_token(challenge, secret, salt)
        if not _equal(sign(token, old, secret), signature):
            raise errors.field_not_valid("signature")
        nonce = new_nonce()
        row.token_digest, row.salt, row.nonce, row.last_used_at = digest(token), salt, nonce, now
    return {"nonce": nonce, "signature": sign(token, nonce, secret)}


# -- signed calls -----------------------------------------------------------------------


@dataclass(frozen=True)
class Caller:
    """An authenticated call: its token row, grants, the nonce it used and the secret."""

    token_id: int
    credential_id: int
    grants: frozenset[str]
    nonce: str
    secret: str


def authenticate(
    runtime: Runtime, method: str, request: Any, token: Any, hmac: Any
) -> Caller | None:
    """The caller of a call carrying `token` and `hmac`; None for an anonymous call.

    Checks in the real software's order: unknown token (bad_token), token of a past
    lifetime window (old_token), hmac (bad_hmac).
    """
    if token is None or hmac is None:
        return None
    if not isinstance(token, str) or len(token) > MAX_KEY_CHARS:
        raise errors.bad_token()
    with runtime.db.session() as session:
        row = session.scalar(
            select(PhotolistToken).where(PhotolistToken.token_digest == digest(token))
        )
        credential = _usable(session, row.credential_id) if row is not None else None
        if row is None or credential is None:
            raise errors.bad_token()
        secret = runtime.secrets.open(row.secret_ciphertext)
        challenge = runtime.secrets.open(row.challenge_ciphertext)
        if make_token(challenge, secret, salt_at(clock())) != token:
            raise errors.old_token()
        if not _equal(request_hmac(row.nonce, method, request, secret), hmac):
            raise errors.bad_hmac()
        row.last_used_at = _now()
        return Caller(row.id, credential.id, frozenset(credential.grant_names), row.nonce, secret)


def sign_response(runtime: Runtime, caller: Caller, response: Any) -> dict[str, str]:
    """The `nonce` and `hmac` an authenticated answer gains; the new nonce is stored for
    the token, so the client's next call must use it.

    The nonce is swapped only if it is still the one the call was signed with: of two
    calls racing with the same nonce (a replay), one answers and the other is bad_hmac.
    """
    nonce = new_nonce()
    signature = md5(caller.nonce + nonce + serialize(response) + caller.secret)
    with runtime.db.session() as session:
        swapped = session.execute(
            update(PhotolistToken)
            .where(PhotolistToken.id == caller.token_id, PhotolistToken.nonce == caller.nonce)
            .values(nonce=nonce)
        )
        if swapped.rowcount != 1:  # type: ignore[attr-defined]
            raise errors.bad_hmac()
    return {"nonce": nonce, "hmac": signature}


def require_grant(caller: Caller | None, grant: str, method: str) -> None:
    if caller is None or grant not in caller.grants:
        raise errors.ungranted(method)
