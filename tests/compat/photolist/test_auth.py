"""The read-grant protocol on the wire: auth.request, auth.token, signed calls, auth.refresh."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from stockhouse.compat.photolist import METHODS, ApiMethod, auth
from tests.compat.photolist.support import (
    NOW,
    TRANSPORTS,
    Session,
    World,
    md5,
    php_serialize,
    salt,
    send,
)

LIST = {"fields": ["id"]}

# The worked example of docs/compat/photolist.md, "Signing step by step".
DOC_PUBLIC = "shk_4nT7vQ2pLx9Rk3mZ8wYb1cD6eF0gH5jK"
DOC_PRIVATE = "Qm3xV8rT1nB6yP4wL9kZ2cF7hJ5dS0aG"
DOC_CHALLENGE = "2f1c9e0b7a6d4c3b8e5f1a2d9c7b6e4f"
DOC_TIME = 1700000123
DOC_NONCE = "9b8a7c6d5e4f30211203f4e5d6c7b8a9"
DOC_REQUEST = {
    "fields": ["id", "title", "publish-date", "thumb-url"],
    "pager": {"page": 1, "max-per-page": 10},
    "sort": {"publish-date": "desc", "title": "asc"},
    "filter": {"visible": True},
}
DOC_VALUES = {
    "secret": "f82c66fd23f47405b8baa0946e1d0eba",
    "salt": 1700000400,
    "token": "27f545d778fd1c31a4704372feae77cc",
    "signature": "ab4e9d8d19bce5ae557c1caebafe090b",
    "server_signature": "fe635822d535e43939987e32f14749e2",
    "serialized": "{fields:{0:id,1:title,2:publish-date,3:thumb-url,},"
    "pager:{page:1,max-per-page:10,},sort:{publish-date:desc,title:asc,},filter:{visible:true,},}",
    "hmac": "ff2e0f729427e6352a8d4a2770c95048",
}


def error(answer: dict[str, object], code: str, message: str) -> None:
    assert answer == {"status": "error", "code": code, "message": message}


def test_the_documented_example_computes_as_the_server_computes() -> None:
    secret = auth.make_secret(DOC_PUBLIC, DOC_PRIVATE)
    token = auth.make_token(DOC_CHALLENGE, secret, auth.salt_at(DOC_TIME))
    assert secret == DOC_VALUES["secret"] == md5(DOC_PUBLIC + DOC_PRIVATE)
    assert auth.salt_at(DOC_TIME) == DOC_VALUES["salt"] == salt(DOC_TIME)
    assert token == DOC_VALUES["token"]
    assert auth.sign(token, DOC_CHALLENGE, secret) == DOC_VALUES["signature"]
    assert auth.sign(token, DOC_NONCE, secret) == DOC_VALUES["server_signature"]
    assert auth.serialize(DOC_REQUEST) == php_serialize(DOC_REQUEST) == DOC_VALUES["serialized"]
    assert auth.request_hmac(DOC_NONCE, "photo.list", DOC_REQUEST, secret) == DOC_VALUES["hmac"]


def test_salt_is_the_end_of_the_lifetime_window() -> None:
    assert [auth.salt_at(t) for t in (1699999800, 1699999801, 1700000100, 1700000101)] == [
        1699999800,
        1700000100,
        1700000100,
        1700000400,
    ]


def test_serialize_follows_php_for_every_scalar_kind() -> None:
    value: dict[str, object] = {
        "a": True,
        "b": False,
        "c": None,
        "d": 1.5,
        "e": 10,
        "f": [],
        "g": "x:y,",
    }
    assert auth.serialize(value) == "{a:true,b:false,c:{},d:1.5,e:10,f:{},g:x:y,,}"
    assert auth.serialize("") == "{0:,}"
    assert auth.serialize(None) == "{}"


def test_login_gives_a_nonce_signed_with_the_token(reader: Session) -> None:
    assert len(reader.nonce) == 32 and reader.token


def test_auth_request_answers_a_challenge_and_the_lifetime(
    client: TestClient, world: World
) -> None:
    answer = send(client, "json", "auth.request", {"public_key": world.read[0], "session": "s"})
    assert answer["status"] == "valid"
    assert set(answer["response"]) == {"challenge", "lifetime"}
    assert answer["response"]["lifetime"] == 300
    assert len(answer["response"]["challenge"]) == 32


def test_unknown_public_key_gets_a_challenge_that_cannot_be_exchanged(client: TestClient) -> None:
    answer = send(client, "json", "auth.request", {"public_key": "nobody", "session": "s"})
    assert answer["response"]["lifetime"] == 300
    challenge = answer["response"]["challenge"]
    token = md5(challenge + md5("nobody") + str(salt()))
    answer = send(
        client, "json", "auth.token", {"challenge": challenge, "signature": md5(token + challenge)}
    )
    error(answer, "bad_data", "The specified `challenge` is not valid.")


@pytest.mark.parametrize(
    ("request_", "field"),
    [({"session": "s"}, "public_key"), ({"public_key": "k"}, "session")],
)
def test_auth_request_requires_its_fields(
    client: TestClient, request_: dict[str, str], field: str
) -> None:
    answer = send(client, "json", "auth.request", request_)
    error(answer, "bad_request", f"`auth.request` method requires a `{field}` field.")


def test_auth_token_requires_challenge_and_signature(client: TestClient) -> None:
    error(
        send(client, "json", "auth.token", {"signature": "x"}),
        "bad_request",
        "`auth.token` method requires a `challenge` field.",
    )
    error(
        send(client, "json", "auth.token", {"challenge": "x"}),
        "bad_request",
        "`auth.token` method requires a `signature` field.",
    )


def _challenge(client: TestClient, public_key: str) -> str:
    answer = send(client, "json", "auth.request", {"public_key": public_key, "session": "s"})
    challenge: str = answer["response"]["challenge"]
    return challenge


def test_wrong_signature_is_bad_data(client: TestClient, world: World) -> None:
    challenge = _challenge(client, world.read[0])
    answer = send(client, "json", "auth.token", {"challenge": challenge, "signature": "0" * 32})
    error(answer, "bad_data", "The specified `signature` is not valid.")


def test_a_challenge_is_exchanged_once(client: TestClient, world: World) -> None:
    public, private = world.read
    challenge = _challenge(client, public)
    secret = md5(public + private)
    token = md5(challenge + secret + str(salt()))
    request = {"challenge": challenge, "signature": md5(token + challenge + secret)}
    assert send(client, "json", "auth.token", request)["status"] == "valid"
    error(
        send(client, "json", "auth.token", request),
        "bad_data",
        "The specified `challenge` is not valid.",
    )


def test_an_expired_challenge_is_refused(
    client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    public, private = world.read
    challenge = _challenge(client, public)
    later = NOW + 301
    monkeypatch.setattr(auth, "clock", lambda: float(later))
    secret = md5(public + private)
    token = md5(challenge + secret + str(salt(later)))
    answer = send(
        client,
        "json",
        "auth.token",
        {"challenge": challenge, "signature": md5(token + challenge + secret)},
    )
    error(answer, "bad_data", "The specified `challenge` is not valid.")


def test_disabled_key_cannot_log_in(client: TestClient, world: World) -> None:
    public, private = world.disabled
    challenge = _challenge(client, public)
    secret = md5(public + private)
    token = md5(challenge + secret + str(salt()))
    answer = send(
        client,
        "json",
        "auth.token",
        {"challenge": challenge, "signature": md5(token + challenge + secret)},
    )
    error(answer, "bad_data", "The specified `challenge` is not valid.")


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_signed_calls_work_in_every_transport_and_chain_nonces(
    reader: Session, transport: str
) -> None:
    first = reader.call("photo.count", {}, transport)
    second = reader.call("photo.count", {}, transport)
    assert first["status"] == second["status"] == "valid"
    assert first["nonce"] != second["nonce"]


def test_anonymous_call_is_unauthorized(client: TestClient, world: World) -> None:
    for transport in TRANSPORTS:
        answer = send(client, transport, "photo.list", LIST)
        error(
            answer,
            "unauthorized",
            "You do not have the necessary rights to use the `photo.list` method.",
        )


@pytest.mark.parametrize("method", ["photo.list", "photo.get", "photo.count", "photo.size"])
def test_key_without_read_grant_is_unauthorized(no_grant: Session, method: str) -> None:
    answer = no_grant.call(method, {"fields": ["id"], "id": 1})
    error(
        answer,
        "unauthorized",
        f"You do not have the necessary rights to use the `{method}` method.",
    )


def test_unknown_token_is_bad_token(reader: Session) -> None:
    reader.token = "f" * 32
    error(reader.call("photo.list", LIST), "bad_token", "The token is not valid.")


def test_token_of_a_past_window_is_old_token(
    reader: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(auth, "clock", lambda: float(NOW + 300))
    error(reader.call("photo.list", LIST), "old_token", "The token has expired.")


def test_wrong_hmac_is_bad_hmac(client: TestClient, reader: Session) -> None:
    extra = {"token": reader.token, "hmac": "0" * 32}
    error(send(client, "json", "photo.list", LIST, extra), "bad_hmac", "The hmac is not valid.")


def test_hmac_over_another_request_is_bad_hmac(client: TestClient, reader: Session) -> None:
    extra = reader.signed("photo.list", {"fields": ["id", "title"]}, "json")
    error(send(client, "json", "photo.list", LIST, extra), "bad_hmac", "The hmac is not valid.")


def test_a_used_nonce_cannot_sign_again(client: TestClient, reader: Session) -> None:
    extra = reader.signed("photo.list", LIST, "json")
    assert send(client, "json", "photo.list", LIST, extra)["status"] == "valid"
    error(send(client, "json", "photo.list", LIST, extra), "bad_hmac", "The hmac is not valid.")


def _login_challenge(session: Session) -> str:
    """Log in again, remembering the challenge (the fixture's login does not keep it)."""
    answer = send(
        session.client, "json", "auth.request", {"public_key": session.public_key, "session": "t"}
    )
    challenge: str = answer["response"]["challenge"]
    session.token = md5(challenge + session.secret + str(salt()))
    signature = md5(session.token + challenge + session.secret)
    answer = send(
        session.client, "json", "auth.token", {"challenge": challenge, "signature": signature}
    )
    session.nonce = answer["response"]["nonce"]
    return challenge


def test_refresh_gives_the_token_of_the_new_window(
    reader: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    challenge = _login_challenge(reader)
    later = NOW + 300
    monkeypatch.setattr(auth, "clock", lambda: float(later))
    assert reader.call("photo.count", {})["code"] == "old_token"
    new_token = md5(challenge + reader.secret + str(salt(later)))
    signature = md5(new_token + reader.token + reader.secret)
    answer = send(
        reader.client, "json", "auth.refresh", {"token": reader.token, "signature": signature}
    )
    assert answer["status"] == "valid", answer
    assert answer["response"]["signature"] == md5(
        new_token + answer["response"]["nonce"] + reader.secret
    )
    reader.token, reader.nonce = new_token, answer["response"]["nonce"]
    assert reader.call("photo.count", {})["response"] == {"total": 5}


def test_refresh_with_a_wrong_signature_is_bad_data(reader: Session) -> None:
    answer = send(
        reader.client, "json", "auth.refresh", {"token": reader.token, "signature": "0" * 32}
    )
    error(answer, "bad_data", "The specified `signature` is not valid.")


def test_refresh_of_an_unknown_token_is_bad_data(client: TestClient, world: World) -> None:
    answer = send(client, "json", "auth.refresh", {"token": "a" * 32, "signature": "b" * 32})
    error(answer, "bad_data", "The specified `token` is not valid.")


def test_response_hmac_covers_the_answer(reader: Session) -> None:
    before = reader.nonce
    answer = reader.call("photo.size", "")
    expected = md5(before + answer["nonce"] + php_serialize(answer["response"]) + reader.secret)
    assert answer["hmac"] == expected


def test_a_nonce_replayed_while_its_call_runs_answers_only_once(
    client: TestClient, reader: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    extra = reader.signed("photo.count", {}, "json")
    replays: list[dict[str, object]] = []
    count = METHODS["photo.count"]
    calls = iter(range(2))

    def count_and_replay(runtime: object, http: object, request: object) -> object:
        if next(calls, None) == 0:  # the same signed call comes while the first is answered
            replays.append(send(client, "json", "photo.count", {}, extra))
        return count.handler(runtime, http, request)  # type: ignore[arg-type]

    monkeypatch.setitem(METHODS, "photo.count", ApiMethod(count_and_replay, auth.READ_GRANT))
    first = send(client, "json", "photo.count", {}, extra)
    assert replays[0]["response"] == {"total": 5}
    error(first, "bad_hmac", "The hmac is not valid.")
