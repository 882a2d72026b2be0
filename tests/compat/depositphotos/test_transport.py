"""The Depositphotos transport: every way a real client sends a command, and every
failure of the envelope, answered as HTTP 200 JSON in the error catalogue's terms."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update
from starlette.testclient import TestClient

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import ApiKind, LoginSession
from stockhouse.app import create_app
from stockhouse.config import Settings
from stockhouse.db.base import utcnow
from stockhouse.runtime import Runtime
from tests.compat.depositphotos.conftest import DP_KEY, World, assert_failure, dp

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")


def media_title(answer: dict[str, object]) -> object:
    assert answer["type"] == "success", answer
    return answer["title"]


# -- transports -------------------------------------------------------------------------


def test_form_post_with_dp_apikey_answers_the_success_envelope(
    client: TestClient, world: World
) -> None:
    answer = dp(client, "getMediaData", dp_media_id=world.photo)
    assert answer["type"] == "success"
    assert answer["version"] == "1.3"
    assert TIMESTAMP.match(answer["timestamp"])
    assert answer["title"] == "Harbour at dawn"


def test_get_with_the_query_string_works(client: TestClient, world: World) -> None:
    response = client.get(
        "/depositphotos/",
        params={"dp_command": "getMediaData", "dp_apikey": DP_KEY, "dp_media_id": world.photo},
    )
    assert response.status_code == 200
    assert media_title(response.json()) == "Harbour at dawn"


def test_json_body_with_key_and_command_in_the_url(client: TestClient, world: World) -> None:
    response = client.post(
        f"/depositphotos/?dp_command=getMediaData&dp_apikey={DP_KEY}",
        content=json.dumps({"dp_media_id": world.photo}),
        headers={"Content-Type": "application/json"},
    )
    assert media_title(response.json()) == "Harbour at dawn"


def test_json_body_may_carry_the_key_with_the_command_in_the_url(
    client: TestClient, world: World
) -> None:
    response = client.post(
        "/depositphotos/?dp_command=getMediaData",
        json={"dp_apikey": DP_KEY, "dp_media_id": [world.photo, world.vector]},
    )
    answer = response.json()
    assert [item["id"] for item in answer["result"]] == [world.photo, world.vector]


def test_api_key_header_alone_as_the_official_sdk_sends_it(
    client: TestClient, world: World
) -> None:
    response = client.post(
        "/depositphotos/",
        content=f"dp_command=getMediaData&dp_media_id={world.photo}".encode(),
        headers={"Api-Key": DP_KEY, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert media_title(response.json()) == "Harbour at dawn"


def test_multipart_form_works(client: TestClient, world: World) -> None:
    response = client.post(
        "/depositphotos/",
        files={"unused": ("a.txt", b"x")},
        data={"dp_command": "getMediaData", "dp_apikey": DP_KEY, "dp_media_id": str(world.photo)},
    )
    assert media_title(response.json()) == "Harbour at dawn"


def test_rpc_php_alias_answers_the_same(client: TestClient, world: World) -> None:
    answer = dp(client, "getMediaData", path="/depositphotos/rpc.php", dp_media_id=world.photo)
    assert answer["title"] == "Harbour at dawn"


@pytest.fixture
def root_client(settings: Settings, world: World, runtime: Runtime) -> Iterator[TestClient]:
    """The app as `stockhouse serve --api depositphotos` builds it (same database)."""
    root_settings = dataclasses.replace(settings, root_api="depositphotos")
    root_runtime = Runtime(root_settings)
    try:
        with TestClient(create_app(root_runtime), raise_server_exceptions=False) as c:
            yield c
    finally:
        root_runtime.close()


def test_root_mode_answers_at_slash(root_client: TestClient, world: World) -> None:
    answer = dp(root_client, "getMediaData", path="/", dp_media_id=world.photo)
    assert answer["title"] == "Harbour at dawn"


def test_php_bracket_array_of_media_ids(client: TestClient, world: World) -> None:
    response = client.post(
        "/depositphotos/",
        content=(
            f"dp_command=getMediaData&dp_apikey={DP_KEY}"
            f"&dp_media_id[]={world.vector}&dp_media_id[]={world.photo}"
        ).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    ids = [item["id"] for item in response.json()["result"]]
    assert ids == [world.vector, world.photo]


@pytest.mark.parametrize("word", ["1", "true", "on", "yes", "TRUE"])
def test_true_booleans_in_every_spelling(client: TestClient, world: World, word: str) -> None:
    answer = dp(client, "getMediaData", dp_media_id=world.photo, dp_search_layout=1)
    assert answer["count"] == 1
    answer = dp(client, "search", dp_search_query="lighthouse", dp_full_info=word)
    assert answer["result"][0]["sizes"]  # full info shows the sizes


# -- the envelope's failures ------------------------------------------------------------


def test_missing_command_is_undefined_command(client: TestClient, world: World) -> None:
    response = client.post("/depositphotos/", data={"dp_apikey": DP_KEY})
    assert response.status_code == 200
    assert_failure(response.json(), "EAPI\\EUndefinedCommand", 400)
    assert response.json()["error"]["errormsg"] == "dp_command should be specified"


def test_unknown_command_is_value_not_allowed(client: TestClient, world: World) -> None:
    assert_failure(dp(client, "getEverything"), "EAPI\\EValueNotAllowed", 403)


def test_unknown_key_is_illegal(client: TestClient, world: World) -> None:
    answer = dp(client, "getMediaData", key="not-a-key", dp_media_id=world.photo)
    assert_failure(answer, "EAPI\\EIllegalApiKey", 403)


def test_missing_key_is_illegal(client: TestClient, world: World) -> None:
    answer = dp(client, "getMediaData", key=None, dp_media_id=world.photo)
    assert_failure(answer, "EAPI\\EIllegalApiKey", 403)


def test_key_of_another_api_is_illegal(client: TestClient, world: World, runtime: Runtime) -> None:
    with runtime.db.session() as session:
        owner = accounts.get_user(session, world.key_owner)
        issued = accounts.create_credential(
            session, runtime.secrets, user=owner, api=ApiKind.NATIVE
        )
    answer = dp(client, "getMediaData", key=issued.key, dp_media_id=world.photo)
    assert_failure(answer, "EAPI\\EIllegalApiKey", 403)


def test_session_command_without_session_is_illegal_session(
    client: TestClient, world: World
) -> None:
    assert_failure(dp(client, "getUserEnterpriseGroup"), "EAPI\\EIllegalSession", 403)


def test_unknown_session_is_illegal_session(client: TestClient, world: World) -> None:
    answer = dp(client, "getUserEnterpriseGroup", dp_session_id="shs_nope")
    assert_failure(answer, "EAPI\\EIllegalSession", 403)


def test_expired_session_is_illegal_session(
    client: TestClient, world: World, sessions: dict[str, str], runtime: Runtime
) -> None:
    with runtime.db.session() as session:
        session.execute(update(LoginSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    answer = dp(client, "getUserEnterpriseGroup", dp_session_id=sessions["mia"])
    assert_failure(answer, "EAPI\\EIllegalSession", 403)


def test_native_login_token_is_not_a_depositphotos_session(
    client: TestClient, world: World, runtime: Runtime
) -> None:
    with runtime.db.session() as session:
        user = accounts.get_user(session, world.user_ids["mia"])
        token = accounts.create_session(session, user, ttl_s=600).token
    answer = dp(client, "getUserEnterpriseGroup", dp_session_id=token)
    assert_failure(answer, "EAPI\\EIllegalSession", 403)


def test_older_dp_sessionid_spelling_is_accepted(
    client: TestClient, world: World, sessions: dict[str, str]
) -> None:
    answer = dp(client, "getUserEnterpriseGroup", dp_sessionid=sessions["mia"])
    assert answer["group"]["groupId"] == world.market.prepaid


def test_missing_required_param_is_invalid_param(client: TestClient, world: World) -> None:
    answer = dp(client, "getMediaData")
    assert_failure(answer, "EInternal\\InvalidParam", 400)
    assert answer["error"]["errormsg"] == "Dp_media_id is required and cannot be empty"


# -- hostile input ----------------------------------------------------------------------

HOSTILE = [
    {"dp_media_id": "1 OR 1=1"},
    {"dp_media_id": "99999999999999999999999999"},
    {"dp_media_id": "-1"},
    {"dp_media_id": "1.5"},
    {"dp_media_id": "ü"},
    {"dp_media_id": "1", "dp_datetime_format": ["a", "b"]},
    {"dp_media_id": "1", "dp_lang": "'; DROP TABLE media_item; --"},
    {"dp_media_id": "1", "dp_full_similar": "maybe"},
    {"dp_media_id": {"a": {"b": "c"}}},
    {"dp_media_id": "1", "dp_search_layout": "9999999999999999999999"},
]


@pytest.mark.parametrize("params", HOSTILE)
def test_hostile_get_media_data_params_get_invalid_param(
    client: TestClient, world: World, params: dict[str, Any]
) -> None:
    answer = dp(client, "getMediaData", **params)
    assert answer["type"] == "failure"
    assert answer["error"]["exception"] in ("EInternal\\InvalidParam", "NotFoundItemException")


@pytest.mark.parametrize(
    "params",
    [
        {"dp_search_query": ["a", "b"]},
        {"dp_search_query": "x", "dp_search_limit": "1e9"},
        {"dp_search_query": "x", "dp_search_offset": str(10**30)},
        {"dp_search_query": "x", "dp_search_sort": "7"},
        {"dp_search_query": "x", "dp_search_color": "18"},
        {"dp_search_query": "x", "dp_search_orientation": "diagonal"},
        {"dp_search_query": "x", "dp_search_width": "NaN"},
        {"dp_search_query": "x", "dp_search_width": "inf"},
        {"dp_search_query": "x", "dp_search_dimension_units": "furlong"},
        {"dp_search_query": "x", "dp_lang": "\u202e\u0000"},
        {"dp_search_query": "x", "dp_search_user": "admin"},
    ],
)
def test_hostile_search_params_get_invalid_param(
    client: TestClient, world: World, params: dict[str, Any]
) -> None:
    assert_failure(dp(client, "search", **params), "EInternal\\InvalidParam", 400)


def test_injection_text_is_only_searched_for(client: TestClient, world: World) -> None:
    answer = dp(client, "search", dp_search_query="' OR 1=1; -- <script>&amp; \u2603 ../../etc")
    assert answer["type"] == "success"
    assert answer["count"] == 0


def test_huge_body_is_refused_in_the_wire_format(client: TestClient, world: World) -> None:
    body = b"dp_command=search&dp_apikey=" + DP_KEY.encode() + b"&x=" + b"a" * 1_100_000
    response = client.post(
        "/depositphotos/",
        content=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200
    assert response.json()["type"] == "failure"


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'"text"', b"\xff\xfe"])
def test_bad_json_bodies_are_invalid_param(client: TestClient, world: World, body: bytes) -> None:
    response = client.post(
        f"/depositphotos/?dp_command=getMediaData&dp_apikey={DP_KEY}",
        content=body,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 200
    assert_failure(response.json(), "EInternal\\InvalidParam", 400)


def test_json_with_wrong_types_is_invalid_param(client: TestClient, world: World) -> None:
    response = client.post(
        f"/depositphotos/?dp_command=search&dp_apikey={DP_KEY}",
        json={"dp_search_query": {"nested": True}, "dp_search_limit": [1]},
    )
    assert_failure(response.json(), "EInternal\\InvalidParam", 400)
