"""An invoice as a PDF: the document opens, and shows the number, parties, lines and totals."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from pypdf import PdfReader

from stockhouse.commerce.invoice_pdf import pdf_text, render_invoice_pdf
from stockhouse.commerce.invoices import InvoiceLineView, InvoiceView, LicenseField, create_invoice
from stockhouse.commerce.models import InvoiceState
from stockhouse.runtime import Runtime
from tests.commerce.factories import buy, open_market, user

ISSUED = datetime(2026, 3, 5, 10, 0, tzinfo=UTC)


def line(number: int, description: str = "Standard license, size s: #7 Harbour") -> InvoiceLineView:
    return InvoiceLineView(
        line_id=number,
        transaction_id=number,
        description=description,
        amount_minor=1000,
        vat_minor=190,
        item_id=7,
        item_kind=None,
        item_width=600,
        item_height=400,
        editorial=False,
        nudity=False,
        license_id=1,
        license_name="Standard",
        size_code="xl",
        license_fields=[LicenseField("Project", "Spring")],
    )


def view(lines: list[InvoiceLineView], **changes: object) -> InvoiceView:
    subtotal = sum(item.amount_minor for item in lines)
    vat = sum(item.vat_minor for item in lines)
    fields: dict[str, object] = {
        "id": 1,
        "number": "ESI-2026-000042",
        "kind": "postpaid",
        "group_id": 1,
        "user_id": 1,
        "state": InvoiceState.UNPAID,
        "currency": "USD",
        "subtotal_minor": subtotal,
        "vat_rate": Decimal("0.1900"),
        "vat_minor": vat,
        "total_minor": subtotal + vat,
        "from_party": {"company": "Stockhouse Media Agency", "address": "1 Market Street"},
        "to_party": {"company": "Postpaid Co", "city": "Hamburg", "vatNumber": "DE123"},
        "overrides": {},
        "issued_at": ISSUED,
        "due_at": datetime(2026, 4, 4, 10, 0, tzinfo=UTC),
        "paid_at": None,
        "cancelled_at": None,
        "lines": lines,
        **changes,
    }
    return InvoiceView(**fields)  # type: ignore[arg-type]


def text_of(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_the_pdf_opens_and_shows_the_totals() -> None:
    data = render_invoice_pdf(view([line(1), line(2)]))

    text = text_of(data)
    assert data.startswith(b"%PDF-")
    assert "Subtotal" in text and "20.00 USD" in text
    assert "VAT (19%)" in text and "3.80 USD" in text
    assert "Total" in text and "23.80 USD" in text


def test_the_pdf_shows_the_number_dates_and_parties() -> None:
    text = text_of(render_invoice_pdf(view([line(1)])))

    for expected in (
        "ESI-2026-000042",
        "Issued: 2026-03-05",
        "Due: 2026-04-04",
        "Stockhouse Media Agency",
        "Postpaid Co",
        "Hamburg",
        "vatNumber: DE123",
    ):
        assert expected in text


def test_the_pdf_lists_every_line() -> None:
    text = text_of(render_invoice_pdf(view([line(1), line(2, "Extended license, size el0")])))

    assert "Standard license, size s: #7 Harbour" in text
    assert "Extended license, size el0" in text
    assert text.count("11.90 USD") == 2


def test_a_long_invoice_runs_over_several_pages() -> None:
    data = render_invoice_pdf(view([line(n) for n in range(1, 80)]))

    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) > 1
    assert "Total" in reader.pages[-1].extract_text()


def test_a_paid_invoice_shows_when_it_was_paid() -> None:
    paid = view([line(1)], state=InvoiceState.PAID, paid_at=datetime(2026, 3, 9, tzinfo=UTC))

    text = text_of(render_invoice_pdf(paid))

    assert "State: paid" in text and "Paid: 2026-03-09" in text


@pytest.mark.parametrize(
    ("raw", "drawn"),
    [("Bühler", "Bühler"), ("Zoë ﬁne", "Zoë fine"), ("東京", "??"), ("a\x00b\nc", "a b c")],
)
def test_text_outside_latin_1_is_folded_not_fatal(raw: str, drawn: str) -> None:
    assert pdf_text(raw) == drawn


def test_hostile_party_text_still_renders() -> None:
    hostile = view([line(1, "\u202e東京 \x07 " * 40)], to_party={"company": "\U0001d54f" * 500})

    assert text_of(render_invoice_pdf(hostile))


def test_a_created_invoice_renders_with_its_total(runtime: Runtime) -> None:
    market = open_market(runtime)
    tx = buy(runtime, market.postpaid_admin, market.photo, "xl")
    with runtime.db.session() as session:
        invoice = create_invoice(session, user(runtime, market.postpaid_admin), [tx])

    text = text_of(render_invoice_pdf(invoice))

    assert invoice.number in text
    assert "11.90 USD" in text
