"""loginEnterprise, logout and renewSession: three-hour sessions of group members."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from starlette.testclient import TestClient

from stockhouse.accounts.models import LoginSession
from stockhouse.accounts.tokens import digest
from stockhouse.db.base import utcnow
from stockhouse.runtime import Runtime
from tests.compat.depositphotos.conftest import DP_KEY, PASSWORD, World, assert_failure, dp

THREE_HOURS = timedelta(hours=3)


def login(client: TestClient, user: str, password: str = PASSWORD) -> dict[str, Any]:
    return dp(client, "loginEnterprise", dp_login_user=user, dp_login_password=password)


def expires_at(runtime: Runtime, token: str) -> timedelta:
    with runtime.db.read_session() as session:
        row = session.scalar(select(LoginSession).where(LoginSession.token_digest == digest(token)))
        assert row is not None
        return row.expires_at - utcnow()


def test_login_answers_session_user_and_key(client: TestClient, world: World) -> None:
    answer = login(client, "mia")
    assert answer["type"] == "success"
    assert answer["userid"] == str(world.user_ids["mia"])
    assert answer["apiKey"] == DP_KEY
    assert isinstance(answer["sessionid"], str) and len(answer["sessionid"]) > 20


def test_session_lasts_three_hours(client: TestClient, world: World, runtime: Runtime) -> None:
    token = str(login(client, "max")["sessionid"])
    left = expires_at(runtime, token)
    assert THREE_HOURS - timedelta(minutes=1) < left <= THREE_HOURS


def test_session_opens_group_commands(client: TestClient, world: World) -> None:
    token = login(client, "pat")["sessionid"]
    answer = dp(client, "getUserEnterpriseGroup", dp_session_id=token)
    assert answer["group"]["groupId"] == world.market.postpaid


def test_wrong_password_is_authentication_error(client: TestClient, world: World) -> None:
    answer = login(client, "mia", "wrong password")
    assert_failure(answer, "EUser\\Authentication", 404)
    assert answer["error"]["errormsg"] == "This login does not exist. Please try again."


def test_unknown_login_is_authentication_error(client: TestClient, world: World) -> None:
    assert_failure(login(client, "nobody-here"), "EUser\\Authentication", 404)


def test_user_outside_any_group_cannot_log_in(client: TestClient, world: World) -> None:
    answer = login(client, "sol")
    assert_failure(answer, "EUser\\Authentication", 403)
    assert "enterprise group" in answer["error"]["errormsg"]


def test_missing_login_is_invalid_param(client: TestClient, world: World) -> None:
    answer = dp(client, "loginEnterprise", dp_login_password=PASSWORD)
    assert_failure(answer, "EInternal\\InvalidParam", 400)


def test_missing_password_is_invalid_param(client: TestClient, world: World) -> None:
    answer = dp(client, "loginEnterprise", dp_login_user="mia")
    assert_failure(answer, "EInternal\\InvalidParam", 400)


def test_logout_answers_the_key_and_ends_the_session(client: TestClient, world: World) -> None:
    token = login(client, "mia")["sessionid"]
    answer = dp(client, "logout", dp_session_id=token)
    assert answer["type"] == "success"
    assert answer["apiKey"] == DP_KEY
    after = dp(client, "getUserEnterpriseGroup", dp_session_id=token)
    assert_failure(after, "EAPI\\EIllegalSession", 403)


def test_renew_session_answers_data_and_extends(
    client: TestClient, world: World, sessions: dict[str, str], runtime: Runtime
) -> None:
    token = sessions["max"]
    answer = dp(client, "renewSession", dp_session_id=token)
    assert answer["data"] == {"sessionid": token, "userid": world.user_ids["max"]}
    assert expires_at(runtime, token) > THREE_HOURS - timedelta(minutes=1)


def test_renew_of_a_logged_out_session_is_illegal(
    client: TestClient, world: World, sessions: dict[str, str]
) -> None:
    dp(client, "logout", dp_session_id=sessions["pia"])
    answer = dp(client, "renewSession", dp_session_id=sessions["pia"])
    assert_failure(answer, "EAPI\\EIllegalSession", 403)


def test_login_with_a_bad_key_is_illegal_key(client: TestClient, world: World) -> None:
    answer = dp(
        client, "loginEnterprise", key="x" * 40, dp_login_user="mia", dp_login_password=PASSWORD
    )
    assert_failure(answer, "EAPI\\EIllegalApiKey", 403)
