"""Invoices of postpaid groups (Depositphotos createEnterpriseInvoice, getEnterpriseInvoice*).

A postpaid group licenses on account: each license is an UNINVOICED transaction that runs
up the group's receivable by its price plus VAT (licensing.py). A group-admin invoices a
chosen set of those transactions: one line per transaction, the subtotal of their prices,
the VAT recorded on them (each computed at the group's rate when VAT is enabled, rounded
half up per line) and the total; the transactions become INVOICED. Invoicing moves no
money. `mark_paid` (an admin, when the money arrives) posts EXTERNAL -> GROUP_RECEIVABLE
for the total, which clears exactly what the invoiced licenses added to the receivable;
`cancel` (unpaid invoices only) returns the transactions to UNINVOICED.

Numbers are "ESI-<year>-<sequence>", the sequence counting per UTC year from 000001 and
padded to six digits. They are allocated under a lock (PostgreSQL: a transaction-scoped
advisory lock; SQLite: the write lock every writing transaction holds), so concurrent
invoices never share or skip a number.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import ColumnElement, func, select, text
from sqlalchemy.orm import Session

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import Group, GroupRole, PaymentMode, Role, User
from stockhouse.catalog.models import MediaItem, MediaKind
from stockhouse.commerce import ledger
from stockhouse.commerce.listing import Page, Paging, Period, group_to_list
from stockhouse.commerce.models import (
    AccountKind,
    Invoice,
    InvoiceLine,
    InvoiceState,
    License,
    LicenseTransaction,
    TransactionStatus,
)
from stockhouse.commerce.transactions import checked_transaction_ids, locked_transactions
from stockhouse.db.base import utcnow
from stockhouse.errors import Conflict, InvalidParameter, NotFound, PermissionDenied

NUMBER_PREFIX = "ESI"
SEQUENCE_DIGITS = 6
INVOICE_KIND = "postpaid"
PAYMENT_LEDGER_KIND = "invoice_payment"
PAYMENT_TERMS = timedelta(days=30)
MAX_LINES = 500
MAX_OVERRIDES = 20
MAX_OVERRIDE_VALUE = 300
MAX_DESCRIPTION = 300
OVERRIDE_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,39}$")
# Serialises number allocation on PostgreSQL; any constant unique to this purpose will do.
NUMBER_LOCK_KEY = 0x5348_494E_564E  # "SHINVN"

# The agency on every invoice (the "from" party); deployments edit these constants.
AGENCY_PARTY: dict[str, str] = {
    "company": "Stockhouse Media Agency",
    "address": "1 Market Street",
    "city": "Springfield",
    "country": "US",
    "email": "billing@stockhouse.example",
}


# -- what an invoice looks like ---------------------------------------------------------


def describe_invoice(number: str, line_count: int) -> str:
    """An invoice's one-line description, as its view and its summary both show it."""
    return f"Invoice {number}: {line_count} license{'s' if line_count != 1 else ''}"


@dataclass(frozen=True)
class LicenseField:
    """One of the buyer's license fields, as an invoice line shows it."""

    key: str
    value: str


@dataclass(frozen=True)
class InvoiceLineView:
    """One invoice line: the licensed transaction and what it cost."""

    line_id: int
    transaction_id: int | None
    description: str
    amount_minor: int
    vat_minor: int
    item_id: int | None
    item_kind: MediaKind | None
    item_width: int | None
    item_height: int | None
    editorial: bool
    nudity: bool
    license_id: int | None
    license_name: str
    size_code: str
    license_fields: Sequence[LicenseField]

    @property
    def gross_minor(self) -> int:
        return self.amount_minor + self.vat_minor


@dataclass(frozen=True)
class InvoiceView:
    """An invoice with its parties and lines; amounts in minor units of `currency`."""

    id: int
    number: str
    kind: str
    group_id: int | None
    user_id: int | None
    state: InvoiceState
    currency: str
    subtotal_minor: int
    vat_rate: Decimal
    vat_minor: int
    total_minor: int
    from_party: Mapping[str, str]
    to_party: Mapping[str, str]
    overrides: Mapping[str, str]
    issued_at: datetime
    due_at: datetime | None
    paid_at: datetime | None
    cancelled_at: datetime | None
    lines: Sequence[InvoiceLineView]

    @property
    def description(self) -> str:
        return describe_invoice(self.number, len(self.lines))


@dataclass(frozen=True)
class InvoiceSummary:
    """An invoice as a list shows it (Depositphotos getEnterpriseInvoiceList)."""

    id: int
    number: str
    kind: str
    group_id: int | None
    state: InvoiceState
    currency: str
    subtotal_minor: int
    vat_minor: int
    total_minor: int
    line_count: int
    issued_at: datetime
    due_at: datetime | None
    paid_at: datetime | None
    cancelled_at: datetime | None

    @property
    def description(self) -> str:
        return describe_invoice(self.number, self.line_count)


# -- access -----------------------------------------------------------------------------


def _group_admin_of(session: Session, actor: User) -> Group:
    """The postpaid group the actor administers; PermissionDenied or Conflict otherwise."""
    member = accounts.membership_of(session, actor)
    if member is None or member.role != GroupRole.ADMIN:
        raise PermissionDenied("invoicing needs the group-admin role of an enterprise group")
    if member.group.payment_mode != PaymentMode.POSTPAID:
        raise Conflict("a prepaid group pays as it licenses; there is nothing to invoice")
    return member.group


def _may_read(session: Session, viewer: User, invoice: Invoice) -> bool:
    if viewer.has_role(Role.ADMIN):
        return True
    member = accounts.membership_of(session, viewer)
    return member is not None and member.group_id == invoice.group_id


def _invoice(session: Session, invoice_id: int, *, lock: bool = False) -> Invoice:
    query = select(Invoice).where(Invoice.id == invoice_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    invoice = session.scalar(query)
    if invoice is None:
        raise NotFound(f"invoice {invoice_id} does not exist")
    return invoice


def _readable(session: Session, viewer: User, invoice_id: int, *, lock: bool = False) -> Invoice:
    """The invoice if the viewer may see it; NotFound as if it did not exist otherwise."""
    invoice = _invoice(session, invoice_id, lock=lock)
    if not _may_read(session, viewer, invoice):
        raise NotFound(f"invoice {invoice_id} does not exist")
    return invoice


# -- validation -------------------------------------------------------------------------


def _transaction_ids(transaction_ids: Sequence[int]) -> list[int]:
    """The distinct ids in ascending order (the order rows are locked and lines listed)."""
    return checked_transaction_ids(
        transaction_ids,
        purpose="invoice",
        most=MAX_LINES,
        too_many=f"an invoice holds at most {MAX_LINES} lines",
    )


def _overrides(overrides: Mapping[str, str] | None) -> dict[str, str]:
    """Fields that replace or add to the "to" party as the invoice shows it."""
    if not overrides:
        return {}
    if not isinstance(overrides, Mapping) or len(overrides) > MAX_OVERRIDES:
        raise InvalidParameter("overrides", f"overrides is an object of at most {MAX_OVERRIDES}")
    clean: dict[str, str] = {}
    for key, value in overrides.items():
        if not isinstance(key, str) or not OVERRIDE_KEY.fullmatch(key):
            raise InvalidParameter("overrides", "override names are 1-40 letters, digits or _")
        if not isinstance(value, str) or len(value) > MAX_OVERRIDE_VALUE:
            raise InvalidParameter(
                "overrides", f"override {key!r} must be text of at most {MAX_OVERRIDE_VALUE}"
            )
        clean[key] = value.strip()
    return clean


def billing_party(group: Group) -> dict[str, str]:
    """The group as the "to" party: its billing profile (a JSON object of text fields, or
    free text taken as the address), its name as the company, and its VAT number."""
    party: dict[str, str] = {"company": group.name}
    profile = group.billing_profile.strip()
    parsed: object = None
    if profile.startswith("{"):
        try:
            parsed = json.loads(profile)
        except ValueError:
            parsed = None
    if isinstance(parsed, dict):
        party.update({str(k): str(v) for k, v in parsed.items() if isinstance(v, str | int)})
    elif profile:
        party["address"] = profile
    if group.vat_number:
        party.setdefault("vatNumber", group.vat_number)
    return party


# -- numbers ----------------------------------------------------------------------------


def format_number(year: int, sequence: int) -> str:
    return f"{NUMBER_PREFIX}-{year}-{sequence:0{SEQUENCE_DIGITS}d}"


def next_number(session: Session, year: int) -> str:
    """The next free number of `year`; call with the number lock held (see _lock_numbers)."""
    prefix = f"{NUMBER_PREFIX}-{year}-"
    latest = session.scalar(
        select(Invoice.number)
        .where(Invoice.number.startswith(prefix, autoescape=True))
        .order_by(func.length(Invoice.number).desc(), Invoice.number.desc())
        .limit(1)
    )
    sequence = int(latest[len(prefix) :]) + 1 if latest else 1
    return format_number(year, sequence)


def _lock_numbers(session: Session) -> None:
    """Hold the number lock until the transaction ends (SQLite's write lock already does)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": NUMBER_LOCK_KEY})


# -- creating ---------------------------------------------------------------------------


def _locked_transactions(
    session: Session, group: Group, ids: list[int]
) -> list[LicenseTransaction]:
    """The transactions, locked in id order; each must be this group's and uninvoiced."""
    rows = locked_transactions(session, ids)
    for row in rows:
        if row.group_id != group.id:
            raise PermissionDenied(f"license transaction {row.id} is not your group's")
        if row.status == TransactionStatus.INVOICED:
            raise Conflict(f"license transaction {row.id} is already invoiced")
        if row.status != TransactionStatus.UNINVOICED:
            raise Conflict(f"license transaction {row.id} was paid when licensed")
    if len({row.currency for row in rows}) > 1:
        raise InvalidParameter("transaction_ids", "one invoice holds transactions of one currency")
    return rows


def _describe(
    transaction: LicenseTransaction, item: MediaItem | None, license: License | None
) -> str:
    title = (item.title or item.original_filename) if item is not None else "item"
    name = license.name if license is not None else "license"
    text_ = f"{name} license, size {transaction.size_code}: #{transaction.item_id} {title}"
    return text_[:MAX_DESCRIPTION]


def create_invoice(
    session: Session,
    actor: User,
    transaction_ids: Sequence[int],
    overrides: Mapping[str, str] | None = None,
    *,
    now: datetime | None = None,
) -> InvoiceView:
    """Invoice some of the actor's postpaid group's uninvoiced transactions.

    The actor must be a group-admin of a postpaid group (PermissionDenied, or Conflict for
    a prepaid group). Each transaction must exist (NotFound), be the group's
    (PermissionDenied) and be uninvoiced (Conflict), all in one currency. `overrides`
    replace or add fields of the "to" party as printed. Runs in the caller's transaction.
    """
    ids = _transaction_ids(transaction_ids)
    extra = _overrides(overrides)
    group = _group_admin_of(session, actor)
    rows = _locked_transactions(session, group, ids)
    issued_at = now or utcnow()
    _lock_numbers(session)
    subtotal = sum(row.price_minor for row in rows)
    vat = sum(row.vat_minor for row in rows)
    invoice = Invoice(
        number=next_number(session, issued_at.year),
        kind=INVOICE_KIND,
        group_id=group.id,
        user_id=actor.id,
        state=InvoiceState.UNPAID,
        currency=rows[0].currency,
        subtotal_minor=subtotal,
        vat_rate=group.vat_rate if group.vat_enabled else Decimal(0),
        vat_minor=vat,
        total_minor=subtotal + vat,
        from_party=json.dumps(AGENCY_PARTY),
        to_party=json.dumps({**billing_party(group), **extra}),
        overrides=json.dumps(extra),
        issued_at=issued_at,
        due_at=issued_at + PAYMENT_TERMS,
    )
    items = _items(session, {row.item_id for row in rows})
    licenses = _licenses(session, {row.license_id for row in rows})
    invoice.lines = [
        InvoiceLine(
            transaction_id=row.id,
            description=_describe(row, items.get(row.item_id), licenses.get(row.license_id)),
            amount_minor=row.price_minor,
        )
        for row in rows
    ]
    session.add(invoice)
    session.flush()
    for row in rows:
        row.status = TransactionStatus.INVOICED
        row.invoice_id = invoice.id
    session.flush()
    return invoice_view(session, invoice)


def _items(session: Session, ids: set[int]) -> dict[int, MediaItem]:
    if not ids:
        return {}
    return {row.id: row for row in session.scalars(select(MediaItem).where(MediaItem.id.in_(ids)))}


def _licenses(session: Session, ids: set[int]) -> dict[int, License]:
    if not ids:
        return {}
    return {row.id: row for row in session.scalars(select(License).where(License.id.in_(ids)))}


# -- paying and cancelling --------------------------------------------------------------


def mark_paid(
    session: Session, actor: User, invoice_id: int, *, now: datetime | None = None
) -> InvoiceView:
    """Record that an unpaid invoice was paid (admins): EXTERNAL -> GROUP_RECEIVABLE."""
    if not actor.has_role(Role.ADMIN):
        raise PermissionDenied("marking an invoice paid needs the admin role")
    invoice = _invoice(session, invoice_id, lock=True)
    if invoice.state != InvoiceState.UNPAID:
        raise Conflict(f"invoice {invoice.number} is {invoice.state.value}, not unpaid")
    if invoice.total_minor and invoice.group_id is not None:
        source = ledger.account_for(session, AccountKind.EXTERNAL, currency=invoice.currency)
        receivable = ledger.account_for(
            session,
            AccountKind.GROUP_RECEIVABLE,
            group_id=invoice.group_id,
            currency=invoice.currency,
        )
        ledger.transfer(
            session,
            PAYMENT_LEDGER_KIND,
            f"invoice {invoice.number} paid",
            source=source,
            target=receivable,
            amount_minor=invoice.total_minor,
        )
    invoice.state = InvoiceState.PAID
    invoice.paid_at = now or utcnow()
    session.flush()
    return invoice_view(session, invoice)


def cancel_invoice(
    session: Session, actor: User, invoice_id: int, *, now: datetime | None = None
) -> InvoiceView:
    """Cancel an unpaid invoice (its group's admin, or an admin); its transactions become
    uninvoiced again and may be invoiced anew."""
    invoice = _readable(session, actor, invoice_id, lock=True)
    if not actor.has_role(Role.ADMIN):
        member = accounts.membership_of(session, actor)
        if member is None or member.role != GroupRole.ADMIN:
            raise PermissionDenied("cancelling an invoice needs the group-admin role")
    if invoice.state != InvoiceState.UNPAID:
        raise Conflict(f"invoice {invoice.number} is {invoice.state.value}; only unpaid cancel")
    rows = session.scalars(
        select(LicenseTransaction)
        .where(LicenseTransaction.invoice_id == invoice.id)
        .order_by(LicenseTransaction.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    for row in rows:
        row.status = TransactionStatus.UNINVOICED
        row.invoice_id = None
    invoice.state = InvoiceState.CANCELLED
    invoice.cancelled_at = now or utcnow()
    session.flush()
    return invoice_view(session, invoice)


# -- reading ----------------------------------------------------------------------------


def parse_party(raw: str) -> dict[str, str]:
    """A party stored as a JSON object, as text fields (empty when unreadable)."""
    try:
        parsed = json.loads(raw or "{}")
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in parsed.items()} if isinstance(parsed, dict) else {}


def license_fields(transaction: LicenseTransaction) -> list[LicenseField]:
    fields = (
        ("Project", transaction.project),
        ("Client", transaction.client),
        ("Purchase Order", transaction.purchase_order),
        ("ISBN", transaction.isbn),
        ("Other", transaction.other),
    )
    return [LicenseField(key, value) for key, value in fields if value]


def _line_view(
    line: InvoiceLine,
    transaction: LicenseTransaction | None,
    item: MediaItem | None,
    license: License | None,
) -> InvoiceLineView:
    return InvoiceLineView(
        line_id=line.id,
        transaction_id=line.transaction_id,
        description=line.description,
        amount_minor=line.amount_minor,
        vat_minor=transaction.vat_minor if transaction is not None else 0,
        item_id=item.id if item is not None else None,
        item_kind=item.kind if item is not None else None,
        item_width=item.width if item is not None else None,
        item_height=item.height if item is not None else None,
        editorial=bool(item.editorial) if item is not None else False,
        nudity=bool(item.nudity) if item is not None else False,
        license_id=license.id if license is not None else None,
        license_name=license.name if license is not None else "",
        size_code=transaction.size_code if transaction is not None else "",
        license_fields=license_fields(transaction) if transaction is not None else [],
    )


def invoice_view(session: Session, invoice: Invoice) -> InvoiceView:
    """The invoice with its lines joined to their transactions, items and licenses."""
    ids = [line.transaction_id for line in invoice.lines if line.transaction_id is not None]
    transactions = {
        row.id: row
        for row in session.scalars(select(LicenseTransaction).where(LicenseTransaction.id.in_(ids)))
    }
    items = _items(session, {t.item_id for t in transactions.values()})
    licenses = _licenses(session, {t.license_id for t in transactions.values()})
    lines = []
    for line in invoice.lines:
        transaction = transactions.get(line.transaction_id or 0)
        item = items.get(transaction.item_id) if transaction is not None else None
        license = licenses.get(transaction.license_id) if transaction is not None else None
        lines.append(_line_view(line, transaction, item, license))
    return InvoiceView(
        id=invoice.id,
        number=invoice.number,
        kind=invoice.kind,
        group_id=invoice.group_id,
        user_id=invoice.user_id,
        state=invoice.state,
        currency=invoice.currency,
        subtotal_minor=invoice.subtotal_minor,
        vat_rate=Decimal(invoice.vat_rate),
        vat_minor=invoice.vat_minor,
        total_minor=invoice.total_minor,
        from_party=parse_party(invoice.from_party),
        to_party=parse_party(invoice.to_party),
        overrides=parse_party(invoice.overrides),
        issued_at=invoice.issued_at,
        due_at=invoice.due_at,
        paid_at=invoice.paid_at,
        cancelled_at=invoice.cancelled_at,
        lines=lines,
    )


def get_invoice(session: Session, viewer: User, invoice_id: int) -> InvoiceView:
    """One invoice, for members of its group and admins (NotFound for anyone else)."""
    return invoice_view(session, _readable(session, viewer, invoice_id))


def list_invoices(
    session: Session,
    viewer: User,
    *,
    state: InvoiceState | None = None,
    period: Period | None = None,
    group_id: int | None = None,
    paging: Paging | None = None,
) -> Page[InvoiceSummary]:
    """The viewer's group's invoices (admins: any group's, or all), newest first; `period`
    filters on the issue date, `state` on unpaid/paid/cancelled."""
    period, paging = period or Period(), paging or Paging()
    all_groups = viewer.has_role(Role.ADMIN) and group_id is None
    listed = None if all_groups else group_to_list(session, viewer, group_id, what="invoices")
    filters: list[ColumnElement[bool]] = []
    if listed is not None:
        filters.append(Invoice.group_id == listed)
    if state is not None:
        filters.append(Invoice.state == InvoiceState(state))
    filters += period.filters(Invoice.issued_at)
    total = session.scalar(select(func.count(Invoice.id)).where(*filters)) or 0
    invoices = session.scalars(
        select(Invoice)
        .where(*filters)
        .order_by(Invoice.issued_at.desc(), Invoice.id.desc())
        .limit(paging.limit)
        .offset(paging.offset)
    ).all()
    return Page([_summary(i) for i in invoices], total, paging.limit, paging.offset)


def _summary(invoice: Invoice) -> InvoiceSummary:
    return InvoiceSummary(
        id=invoice.id,
        number=invoice.number,
        kind=invoice.kind,
        group_id=invoice.group_id,
        state=invoice.state,
        currency=invoice.currency,
        subtotal_minor=invoice.subtotal_minor,
        vat_minor=invoice.vat_minor,
        total_minor=invoice.total_minor,
        line_count=len(invoice.lines),
        issued_at=invoice.issued_at,
        due_at=invoice.due_at,
        paid_at=invoice.paid_at,
        cancelled_at=invoice.cancelled_at,
    )


def uninvoiced_transactions(
    session: Session, actor: User, *, paging: Paging | None = None
) -> Page[LicenseTransaction]:
    """The actor's group's transactions waiting to be invoiced, oldest first."""
    paging = paging or Paging()
    member = accounts.membership_of(session, actor)
    if member is None:
        raise PermissionDenied("only members of an enterprise group have uninvoiced licenses")
    filters = [
        LicenseTransaction.group_id == member.group_id,
        LicenseTransaction.status == TransactionStatus.UNINVOICED,
    ]
    total = session.scalar(select(func.count(LicenseTransaction.id)).where(*filters)) or 0
    rows = session.scalars(
        select(LicenseTransaction)
        .where(*filters)
        .order_by(LicenseTransaction.id)
        .limit(paging.limit)
        .offset(paging.offset)
    ).all()
    return Page(rows, total, paging.limit, paging.offset)
