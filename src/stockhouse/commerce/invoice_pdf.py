"""An invoice as a PDF document, made with fpdf2.

One A4 page (more when the lines need them): number, state and dates; the agency ("from")
and the buyer ("to"); a table of lines with net, VAT and gross; subtotal, VAT and total.
The built-in PDF fonts know only Latin-1, so other characters are folded to their closest
ASCII letters (or "?") rather than breaking the document.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from stockhouse.commerce.invoices import InvoiceView
from stockhouse.commerce.money import format_money

FONT = "Helvetica"
TITLE_SIZE = 18
BODY_SIZE = 10
SMALL_SIZE = 8
LINE_HEIGHT = 5
PARTY_WIDTH = 90
LINE_COLUMNS = (10, 90, 15, 25, 20, 30)  # #, description, size, net, VAT, gross (mm)
TOTALS_LABEL_WIDTH = 160
LATIN_1_LIMIT = 256
PARTY_ORDER = ("company", "fullName", "address", "city", "state", "zip", "country")


def pdf_text(value: object) -> str:
    """`value` as text the built-in fonts can draw: Latin-1, no control characters."""
    out = []
    for char in str(value):
        if unicodedata.category(char).startswith("C"):
            out.append(" ")
        elif ord(char) < LATIN_1_LIMIT:
            out.append(char)
        else:
            folded = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
            out.append(folded or "?")
    return "".join(out)


def _date(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d") if moment is not None else "-"


def _percent(rate: Decimal) -> str:
    value = (rate * 100).quantize(Decimal("0.01")).normalize()
    return f"{value:f}%"


def _party_lines(party: Mapping[str, str]) -> list[str]:
    """The party's fields, the usual ones first, each as "value" or "key: value"."""
    known = [party[key] for key in PARTY_ORDER if party.get(key)]
    rest = [f"{key}: {value}" for key, value in party.items() if key not in PARTY_ORDER and value]
    return known + rest


class _InvoiceDocument(FPDF):
    """The page layout: a footer with the invoice number and page count."""

    def __init__(self, number: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.number = number

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font(FONT, size=SMALL_SIZE)
        self.cell(0, LINE_HEIGHT, pdf_text(f"{self.number} - page {self.page_no()}"), align="C")


def _header(pdf: FPDF, invoice: InvoiceView) -> None:
    pdf.set_font(FONT, style="B", size=TITLE_SIZE)
    pdf.cell(0, 10, "INVOICE", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, size=BODY_SIZE)
    facts = [
        f"Number: {invoice.number}",
        f"State: {invoice.state.value}",
        f"Issued: {_date(invoice.issued_at)}",
        f"Due: {_date(invoice.due_at)}",
    ]
    if invoice.paid_at is not None:
        facts.append(f"Paid: {_date(invoice.paid_at)}")
    if invoice.cancelled_at is not None:
        facts.append(f"Cancelled: {_date(invoice.cancelled_at)}")
    for fact in facts:
        pdf.cell(0, LINE_HEIGHT, pdf_text(fact), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(LINE_HEIGHT)


def _parties(pdf: FPDF, invoice: InvoiceView) -> None:
    top = pdf.get_y()
    for column, (title, party) in enumerate(
        (("From", invoice.from_party), ("To", invoice.to_party))
    ):
        x = pdf.l_margin + column * PARTY_WIDTH
        pdf.set_xy(x, top)
        pdf.set_font(FONT, style="B", size=BODY_SIZE)
        pdf.cell(PARTY_WIDTH, LINE_HEIGHT, title, new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.set_font(FONT, size=BODY_SIZE)
        for line in _party_lines(party):
            pdf.multi_cell(PARTY_WIDTH - 5, LINE_HEIGHT, pdf_text(line), new_x=XPos.LEFT)
    pdf.set_xy(pdf.l_margin, max(pdf.get_y(), top) + LINE_HEIGHT)


def _lines(pdf: FPDF, invoice: InvoiceView) -> None:
    currency = invoice.currency
    pdf.set_font(FONT, size=SMALL_SIZE)
    with pdf.table(col_widths=LINE_COLUMNS, text_align="LEFT", line_height=LINE_HEIGHT) as table:
        table.row(["#", "Description", "Size", "Net", "VAT", "Gross"])
        for number, line in enumerate(invoice.lines, start=1):
            table.row(
                [
                    str(number),
                    pdf_text(line.description),
                    pdf_text(line.size_code),
                    format_money(line.amount_minor, currency),
                    format_money(line.vat_minor, currency),
                    format_money(line.gross_minor, currency),
                ]
            )
    pdf.ln(LINE_HEIGHT)


def _totals(pdf: FPDF, invoice: InvoiceView) -> None:
    currency = invoice.currency
    rows = (
        ("Subtotal", format_money(invoice.subtotal_minor, currency)),
        (f"VAT ({_percent(invoice.vat_rate)})", format_money(invoice.vat_minor, currency)),
        ("Total", format_money(invoice.total_minor, currency)),
    )
    for label, amount in rows:
        pdf.set_font(FONT, style="B" if label == "Total" else "", size=BODY_SIZE)
        pdf.cell(TOTALS_LABEL_WIDTH, LINE_HEIGHT + 1, label, align="R")
        pdf.cell(0, LINE_HEIGHT + 1, amount, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def render_invoice_pdf(invoice: InvoiceView) -> bytes:
    """The invoice as the bytes of a PDF file."""
    pdf = _InvoiceDocument(pdf_text(invoice.number))
    pdf.set_title(pdf_text(f"Invoice {invoice.number}"))
    pdf.set_author(pdf_text(invoice.from_party.get("company", "")))
    pdf.set_creation_date(invoice.issued_at)
    pdf.add_page()
    _header(pdf, invoice)
    _parties(pdf, invoice)
    _lines(pdf, invoice)
    _totals(pdf, invoice)
    return bytes(pdf.output())
