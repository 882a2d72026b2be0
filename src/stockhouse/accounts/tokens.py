"""Random tokens, their stored digests, and encryption of signing secrets at rest."""

from __future__ import annotations

import base64
import hashlib
import secrets

from cryptography.fernet import Fernet, InvalidToken

SESSION_TOKEN_PREFIX = "shs_"  # noqa: S105 (a prefix, not a secret)
API_KEY_PREFIX = "shk_"
DISPLAY_PREFIX_LENGTH = 12


def new_token(prefix: str = "", nbytes: int = 32) -> str:
    return prefix + secrets.token_urlsafe(nbytes)


def digest(token: str) -> str:
    """The form a bearer token is stored and looked up in (SHA-256 hex)."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class SecretBox:
    """Encrypts secrets that must be readable again (protocol signing keys)."""

    def __init__(self, secret_key: str) -> None:
        key = hashlib.sha256(("stockhouse-secrets:" + secret_key).encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def seal(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode("ascii")

    def open(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode("ascii")).decode()
        except InvalidToken:
            raise ValueError("secret cannot be decrypted with this data dir's key") from None
