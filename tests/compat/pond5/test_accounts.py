"""Pond5 account commands: login, logout, userinfo, get_billing_addresses,
set_billing_address."""

from __future__ import annotations

from dataclasses import replace

from starlette.testclient import TestClient

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import ApiKind
from stockhouse.runtime import Runtime
from tests.compat.pond5.conftest import (
    BUYER_CREDITS,
    PASSWORD,
    Pond5World,
    direct_login,
    login,
    one,
    p5,
)


def test_login_answers_cx_and_cm_that_later_commands_use(
    client: TestClient, world: Pond5World
) -> None:
    creds = login(client, world)
    assert creds["cx"].isdigit() and len(creds["cm"]) >= 32
    assert one(client, world, "userinfo", **creds)["un"] == "sol"


def test_a_login_in_a_batch_does_not_log_in_the_later_commands_of_that_batch(
    client: TestClient, world: Pond5World
) -> None:
    """The document: cx/cm "shall be passed with each command that shall be performed as
    this user"; a command without them is anonymous, even after a login in its batch."""
    answer = p5(
        client,
        world,
        {"command": "login", "username": "sol", "password": PASSWORD},
        {"command": "userinfo"},
    )
    logged_in, info = answer["commands"]
    assert set(logged_in) == {"cx", "cm"}
    assert (info["e"], info["code"]) == (True, 4)
    assert one(client, world, "userinfo", **logged_in)["un"] == "sol"


def test_login_with_a_wrong_password_is_a_general_error(
    client: TestClient, world: Pond5World
) -> None:
    slot = one(client, world, "login", username="sol", password="wrong password")
    assert slot == {"e": True, "code": 1, "msg": "Wrong username or password"}
    unknown = one(client, world, "login", username="nobody", password=PASSWORD)
    assert unknown == slot


def test_a_session_works_only_under_the_key_it_was_made_with(
    client: TestClient, runtime: Runtime, world: Pond5World
) -> None:
    creds = login(client, world)
    with runtime.db.session() as session:
        partner = accounts.get_user(session, world.partner)
        accounts.create_credential(
            session,
            runtime.secrets,
            user=partner,
            api=ApiKind.POND5,
            key=f"{partner.id}_7",
            secret="other-secret",
        )
    other_key = replace(world, key=f"{world.partner}_7", secret="other-secret")
    assert one(client, other_key, "userinfo", **creds)["code"] == 4
    assert one(client, world, "userinfo", **creds)["un"] == "sol"


def test_logout_ends_the_session(client: TestClient, world: Pond5World) -> None:
    creds = login(client, world)
    assert one(client, world, "logout", **creds) == {"completed": 1}
    assert one(client, world, "userinfo", **creds)["code"] == 4


def test_userinfo_has_every_field_of_the_document(
    client: TestClient, world: Pond5World, creds: dict[str, str]
) -> None:
    info = one(client, world, "userinfo", **creds)
    assert info == {
        "credit": BUYER_CREDITS,
        "un": "sol",
        "fn": "Sol",
        "ln": "Buyer",
        "av": f"avatar/{world.buyer}.jpeg",
        "icon_base": "http://testserver/pond5/media/icons/",
        "user_type": "standard",
    }


def test_userinfo_shows_a_dash_for_missing_names(
    client: TestClient, runtime: Runtime, world: Pond5World
) -> None:
    info = one(client, world, "userinfo", **direct_login(runtime, world, world.partner))
    assert (info["fn"], info["ln"], info["credit"]) == ("-", "-", 0)
    assert info["user_type"] == "standard"


def test_userinfo_calls_members_of_an_enterprise_group_resellers(
    client: TestClient, runtime: Runtime, world: Pond5World
) -> None:
    member = direct_login(runtime, world, world.market.prepaid_member)
    assert one(client, world, "userinfo", **member)["user_type"] == "reseller"


ADDRESS = {
    "first_name": "Sol",
    "last_name": "Buyer",
    "street1": "1 Main St",
    "street2": "Suite 5",
    "city": "Springfield",
    "state": "IL",
    "province": "",
    "postal_code": "62701",
    "country": "US",
    "vat_id": "",
    "company_id": "C-77",
    "company_name": "Sol Films",
    "company_department": "Post",
}


def test_set_billing_address_adds_an_address_that_get_billing_addresses_lists(
    client: TestClient, world: Pond5World, creds: dict[str, str]
) -> None:
    added = one(client, world, "set_billing_address", **ADDRESS, **creds)
    listed = one(client, world, "get_billing_addresses", **creds)
    assert listed == [{"addressid": added["addressid"], **ADDRESS, "isdefault": True}]


def test_set_billing_address_with_an_addressid_changes_the_given_fields(
    client: TestClient, world: Pond5World, creds: dict[str, str]
) -> None:
    first = one(client, world, "set_billing_address", **ADDRESS, **creds)["addressid"]
    second = one(client, world, "set_billing_address", country="DE", city="Berlin", **creds)[
        "addressid"
    ]
    changed = one(
        client, world, "set_billing_address", addressid=str(first), city="Chicago", **creds
    )
    listed = one(client, world, "get_billing_addresses", **creds)
    assert changed == {"addressid": first}
    assert [(a["addressid"], a["city"], a["isdefault"]) for a in listed] == [
        (first, "Chicago", True),
        (second, "Berlin", False),
    ]


def test_set_billing_address_refusals(
    client: TestClient, world: Pond5World, creds: dict[str, str]
) -> None:
    no_country = one(client, world, "set_billing_address", city="Paris", **creds)
    bad_country = one(client, world, "set_billing_address", country="XX", **creds)
    unknown = one(client, world, "set_billing_address", addressid=999, city="X", **creds)
    assert (no_country["code"], bad_country["code"], unknown["code"]) == (2, 1, 2)
    assert one(client, world, "get_billing_addresses", **creds) == []


def test_the_avatar_path_of_userinfo_is_a_real_jpeg_under_icon_base(
    client: TestClient, world: Pond5World, creds: dict[str, str]
) -> None:
    info = one(client, world, "userinfo", **creds)
    response = client.get(info["icon_base"] + info["av"])
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/jpeg"
    assert response.content[:3] == b"\xff\xd8\xff"
