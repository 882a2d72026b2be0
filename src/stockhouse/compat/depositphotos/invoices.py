"""Depositphotos commands: invoices (see the package docstring for the layout).

createEnterpriseInvoice, getEnterpriseInvoice, getEnterpriseInvoiceCount and
getEnterpriseInvoiceList, translated to `commerce.invoices`. A postpaid group's
group-admin invoices uninvoiced transactions; every member of the group reads the
group's invoices. `dp_field_value` is printed on the invoice as the "to" party's
`fieldValue`; money is a number in major units; `vatRate` is a percentage.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from stockhouse.commerce import invoices
from stockhouse.commerce.listing import Paging
from stockhouse.commerce.models import InvoiceState
from stockhouse.compat.depositphotos.licensing import (
    currency_id,
    dp_size,
    item_type,
    money,
    optional_id,
    paging_of,
    preview_url,
    unix,
    viewer_of,
)
from stockhouse.compat.depositphotos.wire import Call, Params, command, invalid_param

INVOICE_TYPES = {invoices.INVOICE_KIND: "file_invoice"}
INVOICE_TITLES = {"file_invoice": "File Invoice"}
FIELD_VALUE_KEY = "fieldValue"
PERCENT = Decimal(100)


def _type(kind: str) -> str:
    return INVOICE_TYPES.get(kind, kind)


def _state(params: Params) -> InvoiceState | None:
    value = params.text("dp_state", max_chars=20)
    if not value:
        return None
    try:
        return InvoiceState(value.strip().lower())
    except ValueError as exc:
        raise invalid_param("dp_state", "dp_state must be unpaid, paid or cancelled") from exc


def _percent(rate: Decimal) -> float:
    return float((rate * PERCENT).normalize())


@command("createEnterpriseInvoice")
def create_enterprise_invoice(call: Call) -> dict[str, Any]:
    """Invoice some of the postpaid group's uninvoiced transactions (group-admins)."""
    ids = call.params.integer_list("dp_item_transaction_ids")
    if not ids:
        raise invalid_param("dp_item_transaction_ids")
    if any(i < 1 for i in ids):
        raise invalid_param("dp_item_transaction_ids", "transaction ids are positive integers")
    value = call.params.text("dp_field_value", max_chars=invoices.MAX_OVERRIDE_VALUE)
    overrides = {FIELD_VALUE_KEY: value} if value else None
    with call.runtime.db.session() as session:
        view = invoices.create_invoice(session, viewer_of(session, call), ids, overrides)
    return {"result": True, "invoiceId": view.id}


def _line(call: Call, line: invoices.InvoiceLineView, view: invoices.InvoiceView) -> dict[str, Any]:
    currency = view.currency
    return {
        "itemId": line.item_id,
        "transactionId": line.transaction_id,
        "description": line.description,
        "thumbUrl": (
            preview_url(call, line.item_id, line.item_kind)
            if line.item_id is not None and line.item_kind is not None
            else None
        ),
        "licenseInfo": [{"key": f.key, "value": f.value} for f in line.license_fields],
        "licenseId": line.license_id,
        "licenseName": line.license_name,
        "size": dp_size(line.size_code),
        "itemOriginalSize": {"height": line.item_height, "width": line.item_width},
        "type": item_type(line.item_kind) if line.item_kind is not None else None,
        "qty": 1,
        "price": money(line.amount_minor, currency),
        "currencyId": currency_id(currency),
        "vatPrice": money(line.gross_minor, currency),
        "vatRate": _percent(view.vat_rate),
        "isEditorial": line.editorial,
        "isNudity": line.nudity,
    }


@command("getEnterpriseInvoice")
def get_enterprise_invoice(call: Call) -> dict[str, Any]:
    """One invoice of the caller's group, with its lines and parties."""
    invoice_id = call.params.required_integer("dp_invoice_id", minimum=1)
    with call.runtime.db.read_session() as session:
        view = invoices.get_invoice(session, viewer_of(session, call), invoice_id)
    kind = _type(view.kind)
    return {
        "invoice": {
            "items": [_line(call, line, view) for line in view.lines],
            "state": view.state.value,
            "total": money(view.total_minor, view.currency),
            "vat": money(view.vat_minor, view.currency),
            "subTotal": money(view.subtotal_minor, view.currency),
            "vatRate": _percent(view.vat_rate),
            "id": view.id,
            "number": view.number,
            "type": kind,
            "title": INVOICE_TITLES.get(kind, kind),
            "isProforma": False,
            "date": unix(view.issued_at),
            "dueDate": unix(view.due_at),
            "currencyId": currency_id(view.currency),
            "from": dict(view.from_party),
            "to": dict(view.to_party),
            "paid": unix(view.paid_at),
        }
    }


@command("getEnterpriseInvoiceCount")
def get_enterprise_invoice_count(call: Call) -> dict[str, Any]:
    """How many invoices the caller's group has (in one state, or all)."""
    state = _state(call.params)
    group_id = optional_id(call.params, "dp_group_id")
    with call.runtime.db.read_session() as session:
        page = invoices.list_invoices(
            session, viewer_of(session, call), state=state, group_id=group_id, paging=Paging(1, 0)
        )
    return {"count": page.total}


@command("getEnterpriseInvoiceList")
def get_enterprise_invoice_list(call: Call) -> dict[str, Any]:
    """The caller's group's invoices, newest first."""
    state, paging = _state(call.params), paging_of(call.params)
    with call.runtime.db.read_session() as session:
        page = invoices.list_invoices(session, viewer_of(session, call), state=state, paging=paging)
    data = []
    for summary in page.items:
        kind = _type(summary.kind)
        data.append(
            {
                "id": summary.id,
                "date": unix(summary.issued_at),
                "description": summary.description,
                "title": INVOICE_TITLES.get(kind, kind),
                "number": summary.number,
                "type": kind,
                "state": summary.state.value,
                "price": money(summary.subtotal_minor, summary.currency),
                "amount": money(summary.total_minor, summary.currency),
                "paymentDate": unix(summary.paid_at),
                "currencyId": currency_id(summary.currency),
                "isProforma": False,
            }
        )
    return {"count": page.total, "data": data}
