"""The enterprise group admin's page over the TestClient: members, balance, prices,
invoices with their PDF, transferred licenses, complimentary downloads; invoicing."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from stockhouse.accounts import service as accounts
from stockhouse.commerce import invoices, transfers
from stockhouse.commerce.downloads import grant_complimentary, signer_for
from stockhouse.commerce.models import ExtOption
from stockhouse.runtime import Runtime
from tests.commerce.factories import (
    PREPAID_FUNDS,
    Market,
    allow_complimentary,
    buy,
    open_market,
)
from tests.web.support import csrf_of, login


def _username(runtime: Runtime, user_id: int) -> str:
    with runtime.db.read_session() as session:
        return accounts.get_user(session, user_id).username


def _log_in(client: TestClient, runtime: Runtime, user_id: int) -> None:
    login(client, _username(runtime, user_id))


def _invoiced(runtime: Runtime, market: Market) -> int:
    buy(runtime, market.postpaid_member, market.photo)
    with runtime.db.session() as session:
        admin = accounts.get_user(session, market.postpaid_admin)
        owed = invoices.uninvoiced_transactions(session, admin).items
        return invoices.create_invoice(session, admin, [t.id for t in owed]).id


def test_prepaid_group_admin_sees_members_and_balance(client: TestClient, runtime: Runtime) -> None:
    market = open_market(runtime)
    _log_in(client, runtime, market.prepaid_admin)
    html = client.get("/group").text
    assert "<h1>Prepaid Co</h1>" in html
    members = re.findall(r"<tr><td>(\w+)</td><td>(group-admin|member)</td>", html)
    assert sorted(members) == [("max", "member"), ("mia", "group-admin")]
    assert f"<dt>Balance</dt><dd><strong>{PREPAID_FUNDS // 100}.00 USD</strong></dd>" in html


def test_prices_of_the_groups_licenses_are_listed(client: TestClient, runtime: Runtime) -> None:
    market = open_market(runtime)
    _log_in(client, runtime, market.prepaid_admin)
    html = client.get("/group").text
    section = html.split('id="prices"')[1].split("</section>")[0]
    assert "<td>S</td>" in section and "standard" in section


def test_postpaid_admin_sees_the_invoice_and_its_pdf(client: TestClient, runtime: Runtime) -> None:
    market = open_market(runtime)
    invoice_id = _invoiced(runtime, market)
    _log_in(client, runtime, market.postpaid_admin)
    html = client.get("/group").text
    assert f'href="/invoices/{invoice_id}/pdf"' in html
    pdf = client.get(f"/invoices/{invoice_id}/pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


def test_invoicing_the_uninvoiced_licenses(client: TestClient, runtime: Runtime) -> None:
    market = open_market(runtime)
    first = buy(runtime, market.postpaid_member, market.photo)
    second = buy(runtime, market.postpaid_admin, market.music)
    _log_in(client, runtime, market.postpaid_admin)
    assert "Invoice the 2 uninvoiced licenses" in client.get("/group").text
    response = client.post("/group/invoice", data={"csrf_token": csrf_of(client, "/group")})
    assert re.search(r"Invoice ESI-?\S* issued\.", response.text)
    with runtime.db.read_session() as session:
        admin = accounts.get_user(session, market.postpaid_admin)
        listed = invoices.list_invoices(session, admin).items
        view = invoices.get_invoice(session, admin, listed[0].id)
    assert sorted(line.transaction_id or 0 for line in view.lines) == sorted([first, second])


def test_transferred_licenses_and_complimentary_downloads_are_listed(
    client: TestClient, runtime: Runtime
) -> None:
    market = open_market(runtime)
    transaction = buy(
        runtime,
        market.prepaid_member,
        market.photo,
        extended=True,
        ext_options=int(ExtOption.TRANSFER_RIGHTS),
    )
    allow_complimentary(runtime, market.prepaid, 5)
    with runtime.db.session() as session:
        member = accounts.get_user(session, market.prepaid_member)
        transfers.transfer_licenses(
            session, member, [transaction], {"fullName": "Mia"}, {"fullName": "Client <Ltd>"}
        )
        grant_complimentary(session, signer_for(runtime), member, market.photo, "s")
    _log_in(client, runtime, market.prepaid_admin)
    html = client.get("/group").text
    transferred = html.split('id="transferred"')[1].split("</section>")[0]
    assert f"<td>#{transaction}</td>" in transferred
    assert "Client &lt;Ltd&gt;" in transferred
    complimentary = html.split('id="complimentary"')[1].split("</section>")[0]
    assert "/download/complimentary/" in complimentary


def test_a_plain_member_cannot_open_the_group_page(client: TestClient, runtime: Runtime) -> None:
    market = open_market(runtime)
    _log_in(client, runtime, market.prepaid_member)
    assert client.get("/group").status_code == 403


def test_a_site_admin_opens_any_group_by_id(client: TestClient, runtime: Runtime) -> None:
    market = open_market(runtime)
    _log_in(client, runtime, market.admin)
    assert "<h1>Postpaid Co</h1>" in client.get(f"/group?group={market.postpaid}").text
    assert client.get("/group?group=999999").status_code == 404


def test_a_group_admin_cannot_pick_another_group(client: TestClient, runtime: Runtime) -> None:
    market = open_market(runtime)
    _log_in(client, runtime, market.prepaid_admin)
    assert "<h1>Prepaid Co</h1>" in client.get(f"/group?group={market.postpaid}").text


def test_invoicing_needs_the_csrf_token(client: TestClient, runtime: Runtime) -> None:
    market = open_market(runtime)
    buy(runtime, market.postpaid_member, market.photo)
    _log_in(client, runtime, market.postpaid_admin)
    client.get("/group")
    assert client.post("/group/invoice").status_code == 403
