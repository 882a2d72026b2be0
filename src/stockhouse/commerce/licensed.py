"""The licensed items a buyer or an enterprise group may list (Depositphotos getLicensedItems).

Members of a group see every license of their group, whoever of them bought it, and never
another group's; `user_id` narrows the list to one buyer. A buyer without a group sees
their own licenses. Admins may name any group. Each row carries what a listing shows: the
item, the buyer ("actor"), the contributor ("seller"), the license fields and, when the
license was transferred, the transfer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import Role, User
from stockhouse.catalog.access import is_public
from stockhouse.catalog.models import MediaItem, MediaKind
from stockhouse.commerce.listing import (
    Page,
    Paging,
    Period,
    Person,
    group_to_list,
    transaction_filters,
    usernames,
)
from stockhouse.commerce.models import LicenseTransaction, TransactionStatus
from stockhouse.commerce.transfers import TransferView, transfers_of
from stockhouse.errors import PermissionDenied


@dataclass(frozen=True)
class LicensedRow:
    """One license transaction as a listing shows it."""

    transaction_id: int
    license_id: int
    licensed_at: datetime
    status: TransactionStatus
    size_code: str
    ext_options: int
    currency: str
    price_minor: int
    vat_minor: int
    group_id: int | None
    invoice_id: int | None
    project: str
    client: str
    purchase_order: str
    isbn: str
    other: str
    item_id: int
    item_kind: MediaKind
    filename: str
    width: int | None
    height: int | None
    editorial: bool
    visible: bool
    buyer: Person
    seller: Person
    transfer: TransferView | None


def _scope(
    session: Session, viewer: User, group_id: int | None, user_id: int | None
) -> ColumnElement[bool]:
    """Whose licenses the viewer may list: their group's (admins: a named group's), or
    their own when they belong to no group."""
    named_by_admin = group_id is not None and viewer.has_role(Role.ADMIN)
    if accounts.membership_of(session, viewer) is None and not named_by_admin:
        if group_id is not None:
            raise PermissionDenied("licensed items are listed for your own group")
        if user_id not in (None, viewer.id):
            raise PermissionDenied("without a group you see only your own licenses")
        return LicenseTransaction.buyer_id == viewer.id
    group = group_to_list(session, viewer, group_id, what="licensed items")
    return LicenseTransaction.group_id == group


def list_licensed(
    session: Session,
    viewer: User,
    *,
    period: Period | None = None,
    user_id: int | None = None,
    status: TransactionStatus | None = None,
    paging: Paging | None = None,
    group_id: int | None = None,
) -> Page[LicensedRow]:
    """The licenses the viewer may see, newest first. `period` filters on when the item was
    licensed, `user_id` on the buyer, `status` on paid/uninvoiced/invoiced."""
    period, paging = period or Period(), paging or Paging()
    filters = [_scope(session, viewer, group_id, user_id)]
    filters += transaction_filters(period, user_id, status)
    total = session.scalar(select(func.count(LicenseTransaction.id)).where(*filters)) or 0
    rows = session.execute(
        select(LicenseTransaction, MediaItem)
        .join(MediaItem, MediaItem.id == LicenseTransaction.item_id)
        .where(*filters)
        .order_by(LicenseTransaction.created_at.desc(), LicenseTransaction.id.desc())
        .limit(paging.limit)
        .offset(paging.offset)
    ).all()
    people = {t.buyer_id for t, _ in rows} | {item.owner_id for _, item in rows}
    names = usernames(session, people)
    moved = transfers_of(session, [t.id for t, _ in rows])
    items = [_row(t, item, names, moved.get(t.id)) for t, item in rows]
    return Page(items, total, paging.limit, paging.offset)


def _row(
    transaction: LicenseTransaction,
    item: MediaItem,
    names: dict[int, str],
    transfer: TransferView | None,
) -> LicensedRow:
    return LicensedRow(
        transaction_id=transaction.id,
        license_id=transaction.license_id,
        licensed_at=transaction.created_at,
        status=transaction.status,
        size_code=transaction.size_code,
        ext_options=transaction.ext_options,
        currency=transaction.currency,
        price_minor=transaction.price_minor,
        vat_minor=transaction.vat_minor,
        group_id=transaction.group_id,
        invoice_id=transaction.invoice_id,
        project=transaction.project,
        client=transaction.client,
        purchase_order=transaction.purchase_order,
        isbn=transaction.isbn,
        other=transaction.other,
        item_id=item.id,
        item_kind=item.kind,
        filename=item.original_filename,
        width=item.width,
        height=item.height,
        editorial=bool(item.editorial),
        visible=is_public(item),
        buyer=Person(transaction.buyer_id, names.get(transaction.buyer_id, "")),
        seller=Person(item.owner_id, names.get(item.owner_id, "")),
        transfer=transfer,
    )
