"""Signed, expiring links: valid until their time, and useless once changed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import pytest

from stockhouse.signing import InvalidSignature, LinkExpired, LinkSigner

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
PATH = "/media/original/42"


def parts(query: str) -> tuple[str, str]:
    values = parse_qs(query)
    return values["expires"][0], values["sig"][0]


def test_a_signed_link_verifies_until_it_expires() -> None:
    signer = LinkSigner("k1")
    expires, sig = parts(signer.sign(PATH, NOW + timedelta(minutes=15)))
    assert signer.verify(PATH, expires, sig, now=NOW) == NOW + timedelta(minutes=15)
    assert signer.verify(PATH, expires, sig, now=NOW + timedelta(minutes=14, seconds=59))


@pytest.mark.parametrize("later", [timedelta(minutes=15), timedelta(days=3)])
def test_an_expired_link_is_refused(later: timedelta) -> None:
    signer = LinkSigner("k1")
    expires, sig = parts(signer.sign(PATH, NOW + timedelta(minutes=15)))
    with pytest.raises(LinkExpired, match="expired"):
        signer.verify(PATH, expires, sig, now=NOW + later)


def test_signed_path_carries_its_expiry() -> None:
    signer = LinkSigner("k1")
    url, expires_at = signer.signed_path(PATH, timedelta(minutes=5), now=NOW)
    path, _, query = url.partition("?")
    assert (path, expires_at) == (PATH, NOW + timedelta(minutes=5))
    assert signer.verify_query(PATH, {k: v[0] for k, v in parse_qs(query).items()}, now=NOW)


def test_a_later_expiry_does_not_verify() -> None:
    signer = LinkSigner("k1")
    expires, sig = parts(signer.sign(PATH, NOW + timedelta(minutes=15)))
    with pytest.raises(InvalidSignature):
        signer.verify(PATH, str(int(expires) + 3600), sig, now=NOW)


def test_another_path_does_not_verify() -> None:
    signer = LinkSigner("k1")
    expires, sig = parts(signer.sign(PATH, NOW + timedelta(minutes=15)))
    with pytest.raises(InvalidSignature):
        signer.verify("/media/original/43", expires, sig, now=NOW)


def test_another_key_does_not_verify() -> None:
    expires, sig = parts(LinkSigner("k1").sign(PATH, NOW + timedelta(minutes=15)))
    with pytest.raises(InvalidSignature):
        LinkSigner("k2").verify(PATH, expires, sig, now=NOW)


def test_a_flipped_signature_character_does_not_verify() -> None:
    signer = LinkSigner("k1")
    expires, sig = parts(signer.sign(PATH, NOW + timedelta(minutes=15)))
    flipped = sig[:-1] + ("A" if sig[-1] != "A" else "B")
    with pytest.raises(InvalidSignature):
        signer.verify(PATH, expires, flipped, now=NOW)


@pytest.mark.parametrize(
    ("expires", "sig"),
    [
        (None, None),
        ("1", None),
        (None, "x" * 43),
        ("-5", "x" * 43),
        ("1e9", "x" * 43),
        ("9" * 40, "x" * 43),
        ("1700000000", "x" * 42),
        ("1700000000", "x" * 43 + "="),
        ("1700000000", "' OR 1=1 --" + "x" * 32),
    ],
)
def test_malformed_parameters_are_refused_without_a_crash(
    expires: str | None, sig: str | None
) -> None:
    with pytest.raises(InvalidSignature):
        LinkSigner("k1").verify(PATH, expires, sig, now=NOW)


def test_signing_needs_a_key_and_an_absolute_path() -> None:
    with pytest.raises(ValueError, match="secret key"):
        LinkSigner("")
    with pytest.raises(ValueError, match="absolute path"):
        LinkSigner("k").sign("media/1", NOW)
