"""The admin pages over the TestClient: users (create, roles, disable), groups, API keys
(shown once; rotate, disable), licenses and prices; nobody else gets in."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import ApiKind, Role
from stockhouse.commerce import prices
from stockhouse.runtime import Runtime
from tests.catalog.factories import PASSWORD, People, make_people
from tests.web.support import csrf_of, login

ADMIN_PAGES = ("/admin/users", "/admin/groups", "/admin/keys", "/admin/licenses")


def _admin(client: TestClient, runtime: Runtime) -> tuple[People, str]:
    people = make_people(runtime)
    login(client, people.admin.username)
    return people, csrf_of(client, "/admin/users")


def test_every_admin_page_opens_for_an_admin(client: TestClient, runtime: Runtime) -> None:
    _admin(client, runtime)
    titles = [re.findall(r"<h1>([^<]+)</h1>", client.get(p).text) for p in ADMIN_PAGES]
    assert titles == [
        ["Users"],
        ["Enterprise groups"],
        ["API keys and secrets"],
        ["Licenses and prices"],
    ]


def test_nobody_else_opens_the_admin_pages(client: TestClient, runtime: Runtime) -> None:
    people = make_people(runtime)
    for user in (people.buyer, people.owner, people.reviewer):
        client.cookies.clear()
        login(client, user.username)
        assert [client.get(p).status_code for p in ADMIN_PAGES] == [403] * 4
    client.cookies.clear()
    assert client.get("/admin/users", follow_redirects=False).status_code == 303


def test_creating_a_user_with_roles(client: TestClient, runtime: Runtime) -> None:
    _, token = _admin(client, runtime)
    client.post(
        "/admin/users",
        data={
            "csrf_token": token,
            "username": "rev2",
            "password": PASSWORD,
            "role": ["reviewer", "contributor", "emperor"],
        },
    )
    with runtime.db.read_session() as session:
        made = accounts.get_user_by_username(session, "rev2")
        assert made.role_names == {Role.REVIEWER, Role.CONTRIBUTOR}


def test_setting_roles_and_disabling_a_user(client: TestClient, runtime: Runtime) -> None:
    people, token = _admin(client, runtime)
    target = people.buyer.id
    client.post(
        f"/admin/users/{target}",
        data={"csrf_token": token, "action": "roles", "role": ["buyer", "contributor"]},
    )
    client.post(f"/admin/users/{target}", data={"csrf_token": token, "action": "disable"})
    with runtime.db.read_session() as session:
        user = accounts.get_user(session, target)
        assert (user.role_names, user.is_active) == ({Role.BUYER, Role.CONTRIBUTOR}, False)


def test_an_admin_cannot_disable_themselves(client: TestClient, runtime: Runtime) -> None:
    people, token = _admin(client, runtime)
    response = client.post(
        f"/admin/users/{people.admin.id}",
        data={"csrf_token": token, "action": "disable"},
        headers={"referer": "http://testserver/admin/users"},
    )
    assert "you cannot disable your own account" in response.text
    with runtime.db.read_session() as session:
        assert accounts.get_user(session, people.admin.id).is_active


def test_a_bad_username_is_shown_escaped_not_a_crash(client: TestClient, runtime: Runtime) -> None:
    _, token = _admin(client, runtime)
    response = client.post(
        "/admin/users",
        data={"csrf_token": token, "username": "<x>", "password": PASSWORD},
        headers={"referer": "http://testserver/admin/users"},
    )
    assert response.status_code == 200
    assert "flash-error" in response.text and "<x>" not in response.text


def test_creating_a_group_and_adding_a_member(client: TestClient, runtime: Runtime) -> None:
    people, token = _admin(client, runtime)
    client.post(
        "/admin/groups",
        data={
            "csrf_token": token,
            "name": "Umbrella",
            "payment_mode": "postpaid",
            "currency": "eur",
        },
    )
    with runtime.db.read_session() as session:
        group = accounts.get_group_by_name(session, "Umbrella")
        group_id, mode, currency = group.id, group.payment_mode.value, group.currency
    client.post(
        f"/admin/groups/{group_id}",
        data={
            "csrf_token": token,
            "action": "add",
            "username": people.buyer.username,
            "group_role": "group-admin",
        },
    )
    with runtime.db.read_session() as session:
        member = accounts.membership_of(session, accounts.get_user(session, people.buyer.id))
        assert member is not None
        assert (member.group_id, member.role.value, mode, currency) == (
            group_id,
            "group-admin",
            "postpaid",
            "EUR",
        )


def test_a_new_key_and_secret_are_shown_once(client: TestClient, runtime: Runtime) -> None:
    people, token = _admin(client, runtime)
    response = client.post(
        "/admin/keys",
        data={
            "csrf_token": token,
            "username": people.buyer.username,
            "api": "pond5",
            "name": "CMS",
            "grant": "read",
            "with_secret": "1",
        },
    )
    assert response.status_code == 201
    key = re.findall(r'id="issued-key">([^<]+)<', response.text)[0]
    secret = re.findall(r'id="issued-secret">([^<]+)<', response.text)[0]
    listing = client.get("/admin/keys").text
    assert key not in listing and secret not in listing
    with runtime.db.read_session() as session:
        credential = accounts.resolve_credential(session, key, ApiKind.POND5)
        assert accounts.credential_secret(runtime.secrets, credential) == secret


def test_rotating_and_disabling_keys(client: TestClient, runtime: Runtime) -> None:
    people, token = _admin(client, runtime)
    with runtime.db.session() as session:
        owner = accounts.get_user(session, people.buyer.id)
        first = accounts.create_credential(session, runtime.secrets, user=owner, api=ApiKind.NATIVE)
        second = accounts.create_credential(
            session, runtime.secrets, user=owner, api=ApiKind.NATIVE
        )
        ids = (first.credential.id, second.credential.id)
    rotated = client.post(f"/admin/keys/{ids[0]}", data={"csrf_token": token, "action": "rotate"})
    new_key = re.findall(r'id="issued-key">([^<]+)<', rotated.text)[0]
    client.post(f"/admin/keys/{ids[1]}", data={"csrf_token": token, "action": "disable"})
    with runtime.db.read_session() as session:
        enabled = [accounts.get_credential(session, i).enabled for i in ids]
        assert enabled == [False, False]
        assert accounts.resolve_credential(session, new_key).user_id == people.buyer.id


def test_a_key_for_an_unknown_api_is_refused(client: TestClient, runtime: Runtime) -> None:
    people, token = _admin(client, runtime)
    response = client.post(
        "/admin/keys",
        data={"csrf_token": token, "username": people.buyer.username, "api": "'; drop table"},
        headers={"referer": "http://testserver/admin/keys"},
    )
    assert "choose the API the key is for" in response.text
    with runtime.db.read_session() as session:
        assert accounts.list_credentials(session) == []


def test_creating_and_pricing_a_license(client: TestClient, runtime: Runtime) -> None:
    _, token = _admin(client, runtime)
    client.post(
        "/admin/licenses",
        data={"csrf_token": token, "name": "Web only", "product_type": "image", "sizes": "s, m"},
    )
    with runtime.db.read_session() as session:
        license_id = next(lic.id for lic in prices.list_licenses(session) if lic.name == "Web only")
    client.post(
        f"/admin/licenses/{license_id}",
        data={
            "csrf_token": token,
            "action": "price",
            "size": "m",
            "amount": "12.5",
            "credits": "3",
        },
    )
    with runtime.db.read_session() as session:
        rows = [(p.size_code, p.amount_minor, p.credits) for p in prices.list_prices(session)]
    assert rows == [("m", 1250, 3)]


def test_a_price_that_is_not_a_number_is_refused(client: TestClient, runtime: Runtime) -> None:
    _, token = _admin(client, runtime)
    with runtime.db.session() as session:
        license_id = prices.create_license(
            session, name="L", product_type="image", size_codes=["s"]
        ).id
    response = client.post(
        f"/admin/licenses/{license_id}",
        data={"csrf_token": token, "action": "price", "size": "s", "amount": "1e999999"},
        headers={"referer": "http://testserver/admin/licenses"},
    )
    assert response.status_code == 200 and "flash-error" in response.text
    with runtime.db.read_session() as session:
        assert prices.list_prices(session) == []


def test_admin_forms_need_the_csrf_token(client: TestClient, runtime: Runtime) -> None:
    people, _ = _admin(client, runtime)
    response = client.post(f"/admin/users/{people.buyer.id}", data={"action": "disable"})
    assert response.status_code == 403
    with runtime.db.read_session() as session:
        assert accounts.get_user(session, people.buyer.id).is_active
