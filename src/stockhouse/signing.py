"""Signed, expiring links: a URL path that works without a login until a given time.

A link is `path?expires=<unix seconds>&sig=<HMAC-SHA256 of path and expiry>`, keyed by the
data dir's secret key, so links survive restarts and every process of one deployment
accepts the others' links. Used for originals, non-public previews and downloads.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from stockhouse.db.base import utcnow
from stockhouse.errors import PermissionDenied

EXPIRES_PARAM = "expires"
SIGNATURE_PARAM = "sig"
_KEY_CONTEXT = b"stockhouse-signed-links:"
_EXPIRES_PATTERN = re.compile(r"[0-9]{1,11}")  # up to the year 5138
_SIGNATURE_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")


class InvalidSignature(PermissionDenied):
    """The link was not made by this deployment, or was changed after it was made."""


class LinkExpired(PermissionDenied):
    """The link was genuine but its time is up."""


def _epoch(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("signing needs an aware datetime")
    return int(moment.timestamp())


class LinkSigner:
    """Signs and verifies links with one secret key."""

    def __init__(self, secret_key: str) -> None:
        if not secret_key:
            raise ValueError("signed links need a secret key")
        self._key = hashlib.sha256(_KEY_CONTEXT + secret_key.encode()).digest()

    def _signature(self, path: str, expires: int) -> str:
        message = f"{path}\n{expires}".encode("utf-8", "surrogatepass")
        mac = hmac.new(self._key, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")

    def sign(self, path: str, expires_at: datetime) -> str:
        """The query string (`expires=...&sig=...`) that makes `path` valid until then."""
        if not path.startswith("/"):
            raise ValueError("sign an absolute path, e.g. /media/original/7")
        expires = _epoch(expires_at)
        return urlencode({EXPIRES_PARAM: expires, SIGNATURE_PARAM: self._signature(path, expires)})

    def signed_path(
        self, path: str, ttl: timedelta, *, now: datetime | None = None
    ) -> tuple[str, datetime]:
        """`path?expires=...&sig=...` valid for `ttl` from now, and when it expires."""
        expires_at = datetime.fromtimestamp(_epoch((now or utcnow()) + ttl), UTC)
        return f"{path}?{self.sign(path, expires_at)}", expires_at

    def verify(
        self, path: str, expires: str | None, signature: str | None, *, now: datetime | None = None
    ) -> datetime:
        """The expiry of a genuine, unexpired link; InvalidSignature or LinkExpired otherwise.

        The signature is checked first (in constant time), so a changed expiry reads as a
        forgery, not as an expired link.
        """
        if (
            expires is None
            or signature is None
            or not _EXPIRES_PATTERN.fullmatch(expires)
            or not _SIGNATURE_PATTERN.fullmatch(signature)
        ):
            raise InvalidSignature("this link is not signed; ask for a new link")
        expected = self._signature(path, int(expires))
        if not hmac.compare_digest(expected.encode(), signature.encode()):
            raise InvalidSignature("this link's signature is not valid")
        expires_at = datetime.fromtimestamp(int(expires), UTC)
        if (now or utcnow()) >= expires_at:
            raise LinkExpired(f"this link expired at {expires_at.isoformat()}; ask for a new one")
        return expires_at

    def verify_query(
        self, path: str, query: Mapping[str, str], *, now: datetime | None = None
    ) -> datetime:
        """verify() with the parameters taken from a parsed query string."""
        return self.verify(path, query.get(EXPIRES_PARAM), query.get(SIGNATURE_PARAM), now=now)
