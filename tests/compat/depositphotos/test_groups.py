"""getUserEnterpriseGroup and getEnterpriseUserData: group money from the ledger, and who
may read whose account data."""

from __future__ import annotations

from starlette.testclient import TestClient

from stockhouse.runtime import Runtime
from tests.commerce.factories import buy
from tests.compat.depositphotos.conftest import World, assert_failure, dp


def test_prepaid_group_shows_its_ledger_money(
    client: TestClient, world: World, sessions: dict[str, str]
) -> None:
    group = dp(client, "getUserEnterpriseGroup", dp_session_id=sessions["max"])["group"]
    assert group == {
        "groupId": world.market.prepaid,
        "money": 10000.0,
        "profileId": world.market.prepaid,
        "isPostpayment": False,
        "balance": 10000.0,
        "vatNumber": "",
        "vatRate": "0",
        "vatEnabled": False,
    }


def test_sdk_reads_the_same_object_as_data(
    client: TestClient, world: World, sessions: dict[str, str]
) -> None:
    answer = dp(client, "getUserEnterpriseGroup", dp_session_id=sessions["mia"])
    assert answer["data"] == answer["group"]


def test_prepaid_money_falls_by_a_license(
    client: TestClient, world: World, sessions: dict[str, str], runtime: Runtime
) -> None:
    buy(runtime, world.user_ids["max"], world.photo, "s")  # $1.00
    group = dp(client, "getUserEnterpriseGroup", dp_session_id=sessions["mia"])["group"]
    assert group["money"] == 9999.0
    assert group["balance"] == 9999.0


def test_postpaid_group_owes_what_it_licensed(
    client: TestClient, world: World, sessions: dict[str, str], runtime: Runtime
) -> None:
    buy(runtime, world.user_ids["pia"], world.photo, "xl")  # $10.00 + 19% VAT
    group = dp(client, "getUserEnterpriseGroup", dp_session_id=sessions["pat"])["group"]
    assert group["isPostpayment"] is True
    assert group["money"] == 0.0
    assert group["balance"] < 0
    assert group["vatNumber"] == "DE123456789"
    assert group["vatRate"] == "19"
    assert group["vatEnabled"] is True


def test_user_outside_a_group_gets_an_error(
    client: TestClient, world: World, sessions: dict[str, str]
) -> None:
    answer = dp(client, "getUserEnterpriseGroup", dp_session_id=sessions["sol"])
    assert_failure(answer, "EUser\\Authentication", 403)


def test_own_user_data(client: TestClient, world: World, sessions: dict[str, str]) -> None:
    data = dp(client, "getEnterpriseUserData", dp_session_id=sessions["max"])["data"]
    assert data["username"] == "max"
    assert data["userId"] == str(world.user_ids["max"])
    assert data["enterpriseLite"] == {"groupId": world.market.prepaid}
    assert data["country"] == "DE"
    assert data["registered"].isdigit()


def test_group_admin_reads_a_members_data(
    client: TestClient, world: World, sessions: dict[str, str]
) -> None:
    answer = dp(
        client,
        "getEnterpriseUserData",
        dp_session_id=sessions["mia"],
        dp_user_id=world.user_ids["max"],
    )
    assert answer["data"]["username"] == "max"


def test_member_cannot_read_the_admins_data(
    client: TestClient, world: World, sessions: dict[str, str]
) -> None:
    answer = dp(
        client,
        "getEnterpriseUserData",
        dp_session_id=sessions["max"],
        dp_user_id=world.user_ids["mia"],
    )
    assert_failure(answer, "EAPI\\EAccessDenied", 403)


def test_admin_cannot_read_another_groups_user(
    client: TestClient, world: World, sessions: dict[str, str]
) -> None:
    answer = dp(
        client,
        "getEnterpriseUserData",
        dp_session_id=sessions["mia"],
        dp_user_id=world.user_ids["pia"],
    )
    assert_failure(answer, "EAPI\\EAccessDenied", 403)


def test_unknown_user_id_is_refused_like_a_stranger(
    client: TestClient, world: World, sessions: dict[str, str]
) -> None:
    answer = dp(client, "getEnterpriseUserData", dp_session_id=sessions["mia"], dp_user_id=999999)
    assert_failure(answer, "EAPI\\EAccessDenied", 403)


def test_non_numeric_user_id_is_invalid_param(
    client: TestClient, world: World, sessions: dict[str, str]
) -> None:
    answer = dp(client, "getEnterpriseUserData", dp_session_id=sessions["mia"], dp_user_id="me")
    assert_failure(answer, "EInternal\\InvalidParam", 400)
