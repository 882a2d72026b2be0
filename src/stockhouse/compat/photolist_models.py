"""Tables of the photo.list (Pixelpost "Ultralite 2") read-grant protocol: challenges and tokens.

A challenge lives from `auth.request` to `auth.token`; a token from `auth.token` until
it is purged. Both carry the protocol's shared secret `md5(public_key . private_key)`
sealed with the data dir's key: the public key itself is stored only as a digest, and
every later check needs the secret (docs/compat/photolist.md).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from stockhouse.db.base import Base, UTCDateTime, utcnow


class PhotolistChallenge(Base):
    """A challenge handed out by `auth.request`, usable once until `expires_at`."""

    __tablename__ = "photolist_challenge"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    challenge_digest: Mapped[str] = mapped_column(String(64), unique=True)
    credential_id: Mapped[int] = mapped_column(
        ForeignKey("credential.id", ondelete="CASCADE"), index=True
    )
    session_name: Mapped[str] = mapped_column(String(255), default="")
    secret_ciphertext: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class PhotolistToken(Base):
    """A token exchanged by `auth.token`: valid during its lifetime window (`salt`), and
    the nonce the next signed call must use."""

    __tablename__ = "photolist_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    credential_id: Mapped[int] = mapped_column(
        ForeignKey("credential.id", ondelete="CASCADE"), index=True
    )
    session_name: Mapped[str] = mapped_column(String(255), default="")
    challenge_ciphertext: Mapped[str] = mapped_column(Text)
    secret_ciphertext: Mapped[str] = mapped_column(Text)
    salt: Mapped[int] = mapped_column(BigInteger)
    nonce: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
