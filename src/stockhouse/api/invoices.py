"""Native API: invoices of postpaid groups, as JSON and as PDF."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from stockhouse.api.deps import AdminDep, PrincipalDep, SessionDep
from stockhouse.api.schemas import from_view
from stockhouse.commerce import invoices
from stockhouse.commerce.invoice_pdf import render_invoice_pdf
from stockhouse.commerce.listing import MAX_LIMIT, Paging, Period
from stockhouse.commerce.models import InvoiceState
from stockhouse.commerce.money import to_decimal

router = APIRouter(prefix="/invoices", tags=["invoices"])


class InvoiceIn(BaseModel):
    transaction_ids: list[int] = Field(min_length=1, max_length=invoices.MAX_LINES)
    overrides: dict[str, str] = Field(default_factory=dict, max_length=invoices.MAX_OVERRIDES)


class LicenseFieldOut(BaseModel):
    key: str
    value: str


class LineOut(BaseModel):
    transaction_id: int | None
    description: str
    amount_minor: int
    vat_minor: int
    gross_minor: int
    amount: Decimal
    vat: Decimal
    gross: Decimal
    item_id: int | None
    item_kind: str | None
    item_width: int | None
    item_height: int | None
    editorial: bool
    nudity: bool
    license_id: int | None
    license_name: str
    size: str
    license_fields: list[LicenseFieldOut]


class InvoiceHeadOut(BaseModel):
    """What an invoice and its summary both show first, in this order."""

    id: int
    number: str
    kind: str
    description: str
    group_id: int | None
    state: str
    currency: str
    subtotal_minor: int
    vat_minor: int
    total_minor: int


class InvoiceOut(InvoiceHeadOut):
    subtotal: Decimal
    vat: Decimal
    total: Decimal
    vat_rate: Decimal
    from_party: dict[str, str]
    to_party: dict[str, str]
    overrides: dict[str, str]
    issued_at: datetime
    due_at: datetime | None
    paid_at: datetime | None
    cancelled_at: datetime | None
    lines: list[LineOut]


class InvoiceSummaryOut(InvoiceHeadOut):
    total: Decimal
    line_count: int
    issued_at: datetime
    due_at: datetime | None
    paid_at: datetime | None
    cancelled_at: datetime | None


class InvoicePage(BaseModel):
    items: list[InvoiceSummaryOut]
    total: int
    limit: int
    offset: int


def _line_out(line: invoices.InvoiceLineView, currency: str) -> LineOut:
    return from_view(
        LineOut,
        line,
        amount=to_decimal(line.amount_minor, currency),
        vat=to_decimal(line.vat_minor, currency),
        gross=to_decimal(line.gross_minor, currency),
        size=line.size_code,
    )


def _invoice_out(view: invoices.InvoiceView) -> InvoiceOut:
    currency = view.currency
    return from_view(
        InvoiceOut,
        view,
        subtotal=to_decimal(view.subtotal_minor, currency),
        vat=to_decimal(view.vat_minor, currency),
        total=to_decimal(view.total_minor, currency),
        lines=[_line_out(line, currency) for line in view.lines],
    )


def _summary_out(summary: invoices.InvoiceSummary) -> InvoiceSummaryOut:
    return from_view(
        InvoiceSummaryOut, summary, total=to_decimal(summary.total_minor, summary.currency)
    )


@router.post("", status_code=201, response_model=InvoiceOut)
def create_invoice(body: InvoiceIn, principal: PrincipalDep, session: SessionDep) -> InvoiceOut:
    """Invoice chosen uninvoiced transactions of your postpaid group (group-admins)."""
    view = invoices.create_invoice(session, principal.user, body.transaction_ids, body.overrides)
    return _invoice_out(view)


@router.get("", response_model=InvoicePage)
def list_invoices(
    principal: PrincipalDep,
    session: SessionDep,
    state: InvoiceState | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    group_id: int | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> InvoicePage:
    """Your group's invoices, newest first (admins: any `group_id`, or all)."""
    page = invoices.list_invoices(
        session,
        principal.user,
        state=state,
        period=Period(since, until),
        group_id=group_id,
        paging=Paging(limit, offset),
    )
    return from_view(InvoicePage, page, items=[_summary_out(s) for s in page.items])


@router.get("/{invoice_id}", response_model=InvoiceOut)
def get_invoice(invoice_id: int, principal: PrincipalDep, session: SessionDep) -> InvoiceOut:
    """One invoice with its lines and parties."""
    return _invoice_out(invoices.get_invoice(session, principal.user, invoice_id))


@router.get("/{invoice_id}/pdf", response_class=Response)
def invoice_pdf(invoice_id: int, principal: PrincipalDep, session: SessionDep) -> Response:
    """The invoice as a PDF document."""
    view = invoices.get_invoice(session, principal.user, invoice_id)
    return Response(
        render_invoice_pdf(view),
        media_type="application/pdf",
        headers={
            "content-disposition": f'inline; filename="{view.number}.pdf"',
            "cache-control": "private, no-store",
        },
    )


@router.post("/{invoice_id}/pay", response_model=InvoiceOut)
def pay_invoice(invoice_id: int, principal: AdminDep, session: SessionDep) -> InvoiceOut:
    """Record the payment of an unpaid invoice (admins)."""
    return _invoice_out(invoices.mark_paid(session, principal.user, invoice_id))


@router.post("/{invoice_id}/cancel", response_model=InvoiceOut)
def cancel_invoice(invoice_id: int, principal: PrincipalDep, session: SessionDep) -> InvoiceOut:
    """Cancel an unpaid invoice; its transactions may be invoiced again."""
    return _invoice_out(invoices.cancel_invoice(session, principal.user, invoice_id))
