"""Helpers of the licensing, transfer and invoice tests: the other wire forms, license ids,
balances and the ledger check, and a prepaid group funded for exactly N licenses."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from starlette.testclient import TestClient

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import ApiKind, GroupRole, PaymentMode, Role
from stockhouse.commerce import ledger
from stockhouse.commerce.models import AccountKind, License, LicenseTransaction, ProductType
from stockhouse.runtime import Runtime
from tests.catalog.factories import PASSWORD
from tests.commerce.factories import fund
from tests.compat.depositphotos.conftest import DP_KEY

TRANSFER_RIGHTS = 16


def dp_json(client: TestClient, command: str, **params: Any) -> dict[str, Any]:
    """A JSON body, dp_apikey and dp_command in the URL (the document's JSON form)."""
    response = client.post(
        f"/depositphotos/?dp_command={command}&dp_apikey={DP_KEY}",
        content=json.dumps(params).encode(),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 200
    answer: dict[str, Any] = response.json()
    return answer


def dp_header(client: TestClient, command: str, body: str) -> dict[str, Any]:
    """A PHP http_build_query body with the key in the Api-Key header (the official SDK)."""
    response = client.post(
        "/depositphotos/",
        content=f"dp_command={command}&{body}".encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded", "Api-Key": DP_KEY},
    )
    assert response.status_code == 200
    answer: dict[str, Any] = response.json()
    return answer


def license_id(runtime: Runtime, product: ProductType, *, extended: bool = False) -> int:
    with runtime.db.read_session() as session:
        return session.scalars(
            select(License.id).where(License.product_type == product, License.extended == extended)
        ).one()


def group_balance(runtime: Runtime, group_id: int) -> int:
    with runtime.db.read_session() as session:
        return ledger.balance_of(
            session, AccountKind.GROUP_BALANCE, group_id=group_id, currency="USD"
        )


def group_receivable(runtime: Runtime, group_id: int) -> int:
    with runtime.db.read_session() as session:
        return ledger.balance_of(
            session, AccountKind.GROUP_RECEIVABLE, group_id=group_id, currency="USD"
        )


def assert_ledger_ok(runtime: Runtime) -> None:
    with runtime.db.read_session() as session:
        report = ledger.check(session)
    assert report.ok, report.lines()


def transaction_row(runtime: Runtime, transaction_id: int) -> LicenseTransaction:
    with runtime.db.read_session() as session:
        row = session.get(LicenseTransaction, transaction_id)
        assert row is not None
        return row


def funded_group(runtime: Runtime, name: str, balance_minor: int) -> tuple[int, str]:
    """A new prepaid group whose only member (its admin) has a session; balance exactly
    `balance_minor`. The group id and the session id."""
    with runtime.db.session() as session:
        group = accounts.create_group(session, name=f"{name} Co", payment_mode=PaymentMode.PREPAID)
        member = accounts.create_user(
            session, username=name, password=PASSWORD, roles=[Role.BUYER], country="DE"
        )
        accounts.add_member(session, group, member, GroupRole.ADMIN)
        fund(session, AccountKind.GROUP_BALANCE, balance_minor, group_id=group.id)
        credential = accounts.resolve_credential(session, DP_KEY, ApiKind.DEPOSITPHOTOS)
        issued = accounts.create_session(
            session, member, ttl_s=runtime.settings.session_ttl_s, credential=credential
        )
        return group.id, issued.token


def licensing(
    item_ids: int | str | list[int], license: int, option: str, ext: int = 0
) -> dict[str, Any]:
    """One dp_licensing object."""
    entry: dict[str, Any] = {"dp_item_id": item_ids, "dp_license_id": license, "dp_option": option}
    if ext:
        entry["dp_ext_options"] = ext
    return entry
