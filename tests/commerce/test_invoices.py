"""Invoices of postpaid groups: chosen uninvoiced transactions, numbers, lines, subtotal,
VAT and total, parties, states, and the ledger when an invoice is paid."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from stockhouse.commerce import ledger
from stockhouse.commerce.invoices import (
    AGENCY_PARTY,
    cancel_invoice,
    create_invoice,
    format_number,
    get_invoice,
    list_invoices,
    mark_paid,
)
from stockhouse.commerce.listing import Paging
from stockhouse.commerce.models import (
    AccountKind,
    Invoice,
    InvoiceState,
    LedgerTransaction,
    TransactionStatus,
)
from stockhouse.errors import Conflict, InvalidParameter, NotFound, PermissionDenied
from stockhouse.runtime import Runtime
from tests.catalog.factories import bearer
from tests.commerce.factories import Market, buy, open_market, transaction, user

# Standard image prices: s 1.00, xl 10.00; the postpaid group's VAT is 19%.
S_PRICE, XL_PRICE = 100, 1000
S_VAT, XL_VAT = 19, 190


@pytest.fixture
def market(runtime: Runtime) -> Market:
    return open_market(runtime)


@pytest.fixture
def two_licenses(runtime: Runtime, market: Market) -> list[int]:
    """Two uninvoiced licenses of the postpaid group, by its admin and a member."""
    return [
        buy(runtime, market.postpaid_admin, market.photo, "s", purchase_order="PO-7"),
        buy(runtime, market.postpaid_member, market.photo, "xl"),
    ]


def invoice(runtime: Runtime, actor_id: int, ids: list[int], **kwargs: object):  # type: ignore[no-untyped-def]
    with runtime.db.session() as session:
        return create_invoice(session, user(runtime, actor_id), ids, **kwargs)  # type: ignore[arg-type]


def receivable(runtime: Runtime, group_id: int) -> int:
    with runtime.db.read_session() as session:
        return ledger.balance_of(
            session, AccountKind.GROUP_RECEIVABLE, group_id=group_id, currency="USD"
        )


# -- creating ---------------------------------------------------------------------------


def test_an_invoice_has_a_line_per_transaction_and_sums_them(
    runtime: Runtime, market: Market, two_licenses: list[int]
) -> None:
    view = invoice(runtime, market.postpaid_admin, two_licenses)

    assert [(line.transaction_id, line.amount_minor, line.vat_minor) for line in view.lines] == [
        (two_licenses[0], S_PRICE, S_VAT),
        (two_licenses[1], XL_PRICE, XL_VAT),
    ]
    assert (view.subtotal_minor, view.vat_minor, view.total_minor) == (
        S_PRICE + XL_PRICE,
        S_VAT + XL_VAT,
        S_PRICE + XL_PRICE + S_VAT + XL_VAT,
    )
    assert str(view.vat_rate) == "0.1900"
    assert (view.state, view.currency, view.kind) == (InvoiceState.UNPAID, "USD", "postpaid")


def test_vat_is_rounded_half_up_per_line(runtime: Runtime, market: Market) -> None:
    # 19% of 3.00 (size m) is 0.57; of 1.00 it is 0.19: a line never loses a cent.
    ids = [buy(runtime, market.postpaid_admin, market.photo, "s") for _ in range(3)]

    view = invoice(runtime, market.postpaid_admin, ids)

    assert view.vat_minor == 3 * S_VAT
    assert view.total_minor == 3 * (S_PRICE + S_VAT)


def test_a_group_without_vat_is_invoiced_without_vat(runtime: Runtime, market: Market) -> None:
    with runtime.db.session() as session:
        from stockhouse.accounts.service import get_group

        get_group(session, market.postpaid).vat_enabled = False
    tx = buy(runtime, market.postpaid_admin, market.photo, "xl")

    view = invoice(runtime, market.postpaid_admin, [tx])

    assert (view.vat_minor, view.total_minor, str(view.vat_rate)) == (0, XL_PRICE, "0")


def test_invoicing_marks_the_transactions_invoiced(
    runtime: Runtime, market: Market, two_licenses: list[int]
) -> None:
    view = invoice(runtime, market.postpaid_admin, two_licenses)

    for tx in two_licenses:
        row = transaction(runtime, tx)
        assert (row.status, row.invoice_id) == (TransactionStatus.INVOICED, view.id)


def test_the_lines_show_the_licensed_item_and_its_fields(
    runtime: Runtime, market: Market, two_licenses: list[int]
) -> None:
    view = invoice(runtime, market.postpaid_admin, two_licenses)

    first = view.lines[0]
    assert first.description == f"Standard license, size s: #{market.photo} Harbour at dawn"
    assert (first.item_id, first.size_code, first.license_name) == (market.photo, "s", "Standard")
    assert (first.item_width, first.item_height) == (600, 400)
    assert [(f.key, f.value) for f in first.license_fields] == [("Purchase Order", "PO-7")]


def test_the_parties_are_the_agency_and_the_groups_billing_profile(
    runtime: Runtime, market: Market, two_licenses: list[int]
) -> None:
    view = invoice(
        runtime, market.postpaid_admin, two_licenses, overrides={"attention": "Accounts payable"}
    )

    assert view.from_party == AGENCY_PARTY
    assert view.to_party == {
        "company": "Postpaid Co",
        "address": "Hafenstrasse 1",
        "city": "Hamburg",
        "vatNumber": "DE123456789",
        "attention": "Accounts payable",
    }
    assert view.overrides == {"attention": "Accounts payable"}


def test_invoicing_moves_no_money(
    runtime: Runtime, market: Market, two_licenses: list[int]
) -> None:
    owed = receivable(runtime, market.postpaid)

    invoice(runtime, market.postpaid_admin, two_licenses)

    assert owed == -(S_PRICE + XL_PRICE + S_VAT + XL_VAT)
    assert receivable(runtime, market.postpaid) == owed


# -- numbers ----------------------------------------------------------------------------


def test_numbers_count_per_year_with_six_digits(runtime: Runtime, market: Market) -> None:
    ids = [buy(runtime, market.postpaid_admin, market.photo, "s") for _ in range(3)]
    when = [datetime(2026, 12, 31, 23, 0, tzinfo=UTC), datetime(2027, 1, 1, 0, 0, tzinfo=UTC)]

    numbers = [
        invoice(runtime, market.postpaid_admin, [ids[0]], now=when[0]).number,
        invoice(runtime, market.postpaid_admin, [ids[1]], now=when[0]).number,
        invoice(runtime, market.postpaid_admin, [ids[2]], now=when[1]).number,
    ]

    assert numbers == ["ESI-2026-000001", "ESI-2026-000002", "ESI-2027-000001"]


def test_numbers_go_on_past_six_digits() -> None:
    assert format_number(2026, 1_000_000) == "ESI-2026-1000000"


def test_the_sequence_continues_after_a_seven_digit_number(
    runtime: Runtime, market: Market
) -> None:
    from stockhouse.commerce.invoices import next_number

    with runtime.db.session() as session:
        for number in ("ESI-2026-999999", "ESI-2026-1000000"):
            session.add(
                Invoice(
                    number=number,
                    kind="postpaid",
                    currency="USD",
                    subtotal_minor=0,
                    vat_minor=0,
                    total_minor=0,
                    from_party="{}",
                    to_party="{}",
                )
            )
        session.flush()

        assert next_number(session, 2026) == "ESI-2026-1000001"


def test_concurrent_invoices_get_distinct_consecutive_numbers(
    runtime: Runtime, market: Market
) -> None:
    ids = [buy(runtime, market.postpaid_admin, market.photo, "s") for _ in range(6)]
    numbers: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def make(tx: int) -> None:
        try:
            number = invoice(runtime, market.postpaid_admin, [tx]).number
        except BaseException as exc:  # collected and asserted below
            with lock:
                errors.append(exc)
            return
        with lock:
            numbers.append(number)

    threads = [threading.Thread(target=make, args=(tx,)) for tx in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    year = datetime.now(UTC).year
    assert sorted(numbers) == [format_number(year, n) for n in range(1, 7)]


def test_two_concurrent_invoices_of_one_transaction_cannot_both_succeed(
    runtime: Runtime, market: Market
) -> None:
    tx = buy(runtime, market.postpaid_admin, market.photo, "s")
    outcomes: list[str] = []
    lock = threading.Lock()

    def make() -> None:
        try:
            invoice(runtime, market.postpaid_admin, [tx])
            result = "invoiced"
        except Conflict:
            result = "conflict"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=make) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["conflict"] * 3 + ["invoiced"]


# -- refusals ---------------------------------------------------------------------------


def test_another_groups_transaction_is_refused(runtime: Runtime, market: Market) -> None:
    mine = buy(runtime, market.postpaid_admin, market.photo, "s")
    foreign = buy(runtime, market.prepaid_member, market.photo, "s")

    with pytest.raises(PermissionDenied):
        invoice(runtime, market.postpaid_admin, [mine, foreign])
    assert transaction(runtime, mine).status == TransactionStatus.UNINVOICED


def test_an_invoiced_transaction_is_refused(
    runtime: Runtime, market: Market, two_licenses: list[int]
) -> None:
    invoice(runtime, market.postpaid_admin, two_licenses[:1])

    with pytest.raises(Conflict, match="already invoiced"):
        invoice(runtime, market.postpaid_admin, two_licenses)


def test_an_unknown_transaction_is_refused(runtime: Runtime, market: Market) -> None:
    with pytest.raises(NotFound):
        invoice(runtime, market.postpaid_admin, [999_999])


@pytest.mark.parametrize("ids", [[], [0], [-3], [True]])
def test_malformed_transaction_ids_are_refused(
    runtime: Runtime, market: Market, ids: list[int]
) -> None:
    with pytest.raises(InvalidParameter) as caught:
        invoice(runtime, market.postpaid_admin, ids)
    assert caught.value.name == "transaction_ids"


def test_only_a_group_admin_invoices(
    runtime: Runtime, market: Market, two_licenses: list[int]
) -> None:
    with pytest.raises(PermissionDenied):
        invoice(runtime, market.postpaid_member, two_licenses)


def test_a_prepaid_group_has_nothing_to_invoice(runtime: Runtime, market: Market) -> None:
    tx = buy(runtime, market.prepaid_member, market.photo, "s")

    with pytest.raises(Conflict):
        invoice(runtime, market.prepaid_admin, [tx])


@pytest.mark.parametrize(
    "overrides",
    [{"bad key": "x"}, {"note": "x" * 301}, {f"k{i}": "v" for i in range(21)}, {"n": 5}],
)
def test_malformed_overrides_are_refused(
    runtime: Runtime, market: Market, two_licenses: list[int], overrides: dict[str, object]
) -> None:
    with pytest.raises(InvalidParameter) as caught:
        invoice(runtime, market.postpaid_admin, two_licenses, overrides=overrides)
    assert caught.value.name == "overrides"


# -- paying and cancelling --------------------------------------------------------------


def test_paying_posts_the_total_from_external_to_the_receivable(
    runtime: Runtime, market: Market, two_licenses: list[int]
) -> None:
    view = invoice(runtime, market.postpaid_admin, two_licenses)

    with runtime.db.session() as session:
        paid = mark_paid(session, user(runtime, market.admin), view.id)

    assert paid.state == InvoiceState.PAID and paid.paid_at is not None
    assert receivable(runtime, market.postpaid) == 0
    with runtime.db.read_session() as session:
        posted = session.scalars(
            select(LedgerTransaction).where(LedgerTransaction.kind == "invoice_payment")
        ).one()
        assert sorted(e.amount_minor for e in posted.entries) == [
            -view.total_minor,
            view.total_minor,
        ]
        assert ledger.check(session).ok


def test_only_admins_mark_invoices_paid(
    runtime: Runtime, market: Market, two_licenses: list[int]
) -> None:
    view = invoice(runtime, market.postpaid_admin, two_licenses)

    with pytest.raises(PermissionDenied), runtime.db.session() as session:
        mark_paid(session, user(runtime, market.postpaid_admin), view.id)


def test_an_invoice_is_paid_once(runtime: Runtime, market: Market, two_licenses: list[int]) -> None:
    view = invoice(runtime, market.postpaid_admin, two_licenses)
    with runtime.db.session() as session:
        mark_paid(session, user(runtime, market.admin), view.id)

    with pytest.raises(Conflict), runtime.db.session() as session:
        mark_paid(session, user(runtime, market.admin), view.id)
    assert receivable(runtime, market.postpaid) == 0


def test_cancelling_returns_the_transactions_to_uninvoiced(
    runtime: Runtime, market: Market, two_licenses: list[int]
) -> None:
    view = invoice(runtime, market.postpaid_admin, two_licenses)

    with runtime.db.session() as session:
        cancelled = cancel_invoice(session, user(runtime, market.postpaid_admin), view.id)
    again = invoice(runtime, market.postpaid_admin, two_licenses)

    assert cancelled.state == InvoiceState.CANCELLED and cancelled.cancelled_at is not None
    assert [line.transaction_id for line in cancelled.lines] == two_licenses
    assert again.number != view.number
    assert transaction(runtime, two_licenses[0]).invoice_id == again.id


def test_a_paid_invoice_cannot_be_cancelled(
    runtime: Runtime, market: Market, two_licenses: list[int]
) -> None:
    view = invoice(runtime, market.postpaid_admin, two_licenses)
    with runtime.db.session() as session:
        mark_paid(session, user(runtime, market.admin), view.id)

    with pytest.raises(Conflict), runtime.db.session() as session:
        cancel_invoice(session, user(runtime, market.postpaid_admin), view.id)


def test_a_member_cannot_cancel(runtime: Runtime, market: Market, two_licenses: list[int]) -> None:
    view = invoice(runtime, market.postpaid_admin, two_licenses)

    with pytest.raises(PermissionDenied), runtime.db.session() as session:
        cancel_invoice(session, user(runtime, market.postpaid_member), view.id)


# -- reading ----------------------------------------------------------------------------


def test_members_read_their_groups_invoice_and_others_do_not_see_it(
    runtime: Runtime, market: Market, two_licenses: list[int]
) -> None:
    view = invoice(runtime, market.postpaid_admin, two_licenses)

    with runtime.db.read_session() as session:
        assert get_invoice(session, user(runtime, market.postpaid_member), view.id) == view
        assert get_invoice(session, user(runtime, market.admin), view.id).number == view.number
        with pytest.raises(NotFound):
            get_invoice(session, user(runtime, market.outsider), view.id)


def test_the_list_pages_newest_first_and_filters_by_state(runtime: Runtime, market: Market) -> None:
    ids = [buy(runtime, market.postpaid_admin, market.photo, "s") for _ in range(3)]
    views = [invoice(runtime, market.postpaid_admin, [tx]) for tx in ids]
    with runtime.db.session() as session:
        mark_paid(session, user(runtime, market.admin), views[0].id)

    with runtime.db.read_session() as session:
        pia = user(runtime, market.postpaid_member)
        page = list_invoices(session, pia, paging=Paging(2, 0))
        unpaid = list_invoices(session, pia, state=InvoiceState.UNPAID)
        theirs = list_invoices(session, user(runtime, market.outsider))

    assert page.total == 3
    assert [s.number for s in page.items] == [views[2].number, views[1].number]
    assert [s.id for s in unpaid.items] == [views[2].id, views[1].id]
    assert page.items[0].line_count == 1 and page.items[0].total_minor == S_PRICE + S_VAT
    assert theirs.total == 0


def test_an_admin_lists_any_groups_invoices(
    runtime: Runtime, market: Market, two_licenses: list[int]
) -> None:
    invoice(runtime, market.postpaid_admin, two_licenses)

    with runtime.db.read_session() as session:
        root = user(runtime, market.admin)
        assert list_invoices(session, root, group_id=market.postpaid).total == 1
        assert list_invoices(session, root, group_id=market.prepaid).total == 0
        with pytest.raises(PermissionDenied):
            list_invoices(session, user(runtime, market.outsider), group_id=market.postpaid)


# -- the native API ---------------------------------------------------------------------


@pytest.fixture
def pat(client: TestClient, market: Market) -> Iterator[dict[str, str]]:
    yield bearer(client, "pat")


def test_the_api_creates_reads_pays_and_renders_an_invoice(
    client: TestClient, market: Market, two_licenses: list[int], pat: dict[str, str]
) -> None:
    created = client.post("/v1/invoices", json={"transaction_ids": two_licenses}, headers=pat)
    assert created.status_code == 201, created.text
    body = created.json()
    invoice_id = body["id"]

    read = client.get(f"/v1/invoices/{invoice_id}", headers=bearer(client, "pia")).json()
    pdf = client.get(f"/v1/invoices/{invoice_id}/pdf", headers=pat)
    paid = client.post(f"/v1/invoices/{invoice_id}/pay", headers=bearer(client, "root"))

    assert (body["subtotal"], body["vat"], body["total"]) == ("11.00", "2.09", "13.09")
    assert [line["gross"] for line in read["lines"]] == ["1.19", "11.90"]
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert paid.json()["state"] == "paid"


def test_the_api_refuses_foreign_transactions_and_members(
    client: TestClient, runtime: Runtime, market: Market, pat: dict[str, str]
) -> None:
    foreign = buy(runtime, market.prepaid_member, market.photo, "s")
    mine = buy(runtime, market.postpaid_admin, market.photo, "s")

    refused = client.post("/v1/invoices", json={"transaction_ids": [foreign]}, headers=pat)
    member = client.post(
        "/v1/invoices", json={"transaction_ids": [mine]}, headers=bearer(client, "pia")
    )

    assert refused.status_code == 403
    assert member.status_code == 403


def test_the_api_lists_and_cancels(
    client: TestClient, market: Market, two_licenses: list[int], pat: dict[str, str]
) -> None:
    invoice_id = client.post(
        "/v1/invoices", json={"transaction_ids": two_licenses}, headers=pat
    ).json()["id"]

    cancelled = client.post(f"/v1/invoices/{invoice_id}/cancel", headers=pat)
    listed = client.get("/v1/invoices?state=cancelled", headers=pat).json()
    unpaid = client.get("/v1/invoices?state=unpaid", headers=pat).json()

    assert cancelled.json()["state"] == "cancelled"
    assert [item["id"] for item in listed["items"]] == [invoice_id]
    assert unpaid["total"] == 0
