"""License transfers to a third party (Depositphotos transferEnterpriseLicense,
getTransferredLicenses) and the license information of a transaction
(getTransactionLicenseInfo), which shows the transfer.

Policy: a license may be transferred when it was bought with the TRANSFER_RIGHTS extended
option (bit 16); by its buyer, or by a group-admin of the buyer's group; at most once per
transaction (the transfer table's unique transaction id). Both parties are objects of the
Depositphotos keys (company, fullName, address, city, state, zip, email, phone, country,
website, and the SDK's ein, vat, taxId, countryName); each needs a name (`fullName` or
`company`), every value is text within its length, and an email must look like one. A
batch of transactions transfers all or none.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import Group, GroupRole, User
from stockhouse.catalog.access import is_public
from stockhouse.catalog.models import MediaItem, MediaKind
from stockhouse.commerce.invoices import (
    AGENCY_PARTY,
    LicenseField,
    billing_party,
    license_fields,
    parse_party,
)
from stockhouse.commerce.licensing import transaction_info
from stockhouse.commerce.listing import (
    Page,
    Paging,
    Period,
    group_to_list,
    transaction_filters,
    usernames,
)
from stockhouse.commerce.listing import Person as Person  # adapters name it transfers.Person
from stockhouse.commerce.models import (
    ExtOption,
    License,
    LicenseTransaction,
    LicenseTransfer,
    TransactionStatus,
)
from stockhouse.commerce.transactions import checked_transaction_ids, locked_transactions
from stockhouse.db.base import utcnow
from stockhouse.errors import Conflict, InvalidParameter, NotFound, PermissionDenied

PARTY_FIELD_LIMITS: dict[str, int] = {
    "company": 200,
    "fullName": 200,
    "address": 300,
    "city": 100,
    "state": 100,
    "zip": 20,
    "email": 254,
    "phone": 40,
    "country": 100,
    "website": 300,
    # Legal identifiers the official Depositphotos SDK sends with a party (LegalInfo).
    "ein": 40,
    "vat": 40,
    "taxId": 40,
    "countryName": 100,
}
NAME_FIELDS = ("fullName", "company")
EMAIL_PATTERN = re.compile(r"^[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+$")
MAX_BATCH = 100


# -- validation -------------------------------------------------------------------------


def validate_party(name: str, party: Mapping[str, object] | None) -> dict[str, str]:
    """A party's fields trimmed; InvalidParameter(name) for anything else than the known
    keys with text values within their lengths, a missing name, or a malformed email."""
    if not isinstance(party, Mapping):
        raise InvalidParameter(name, f"{name} must be an object with a fullName or company")
    clean: dict[str, str] = {}
    for key, value in party.items():
        limit = PARTY_FIELD_LIMITS.get(key) if isinstance(key, str) else None
        if limit is None:
            known = ", ".join(PARTY_FIELD_LIMITS)
            raise InvalidParameter(name, f"{name} has an unknown field {str(key)[:40]!r} ({known})")
        if value is None:
            continue
        if not isinstance(value, str):
            raise InvalidParameter(name, f"{name}.{key} must be text")
        text = " ".join(value.split())
        if len(text) > limit:
            raise InvalidParameter(name, f"{name}.{key} must be at most {limit} characters")
        if text:
            clean[key] = text
    if not any(clean.get(field) for field in NAME_FIELDS):
        raise InvalidParameter(name, f"{name} needs a name: fullName or company")
    email = clean.get("email")
    if email is not None and not EMAIL_PATTERN.fullmatch(email):
        raise InvalidParameter(name, f"{name}.email must be an address like name@example.com")
    return clean


def _transaction_ids(transaction_ids: Sequence[int]) -> list[int]:
    return checked_transaction_ids(
        transaction_ids,
        purpose="transfer",
        most=MAX_BATCH,
        too_many=f"transfer at most {MAX_BATCH} at once",
    )


# -- transferring -----------------------------------------------------------------------


@dataclass(frozen=True)
class TransferView:
    """A transfer: which transaction, who made it, from whom to whom, when."""

    id: int
    transaction_id: int
    by_user_id: int
    from_party: Mapping[str, str]
    to_party: Mapping[str, str]
    created_at: datetime


def _view(transfer: LicenseTransfer) -> TransferView:
    return TransferView(
        id=transfer.id,
        transaction_id=transfer.transaction_id,
        by_user_id=transfer.by_user_id,
        from_party=parse_party(transfer.from_party),
        to_party=parse_party(transfer.to_party),
        created_at=transfer.created_at,
    )


def _may_transfer(session: Session, actor: User, transaction: LicenseTransaction) -> bool:
    """The buyer, or a group-admin of the buyer's group."""
    if transaction.buyer_id == actor.id:
        return True
    member = accounts.membership_of(session, actor)
    return (
        member is not None
        and member.role == GroupRole.ADMIN
        and transaction.group_id is not None
        and member.group_id == transaction.group_id
    )


def _check_transferable(
    session: Session, actor: User, transaction: LicenseTransaction, transferred: set[int]
) -> None:
    if not _may_transfer(session, actor, transaction):
        raise PermissionDenied(
            f"license transaction {transaction.id} is not yours or your group's to transfer"
        )
    if not transaction.ext_options & ExtOption.TRANSFER_RIGHTS:
        raise PermissionDenied(
            f"license transaction {transaction.id} was not bought with transfer rights "
            f"(extended option {int(ExtOption.TRANSFER_RIGHTS)})"
        )
    if transaction.id in transferred:
        raise Conflict(f"license transaction {transaction.id} was already transferred")


def transfer_licenses(
    session: Session,
    actor: User,
    transaction_ids: Sequence[int],
    from_party: Mapping[str, object] | None,
    to_party: Mapping[str, object] | None,
    *,
    now: datetime | None = None,
) -> list[TransferView]:
    """Transfer licenses to a third party, all or none, in the caller's transaction.

    NotFound for an unknown transaction; PermissionDenied when the actor may not transfer
    it or it lacks transfer rights; Conflict when it was transferred before;
    InvalidParameter for malformed parties. Transactions are locked in id order, so two
    concurrent transfers of one license cannot both succeed.
    """
    ids = _transaction_ids(transaction_ids)
    source = validate_party("from", from_party)
    target = validate_party("to", to_party)
    rows = locked_transactions(session, ids)
    transferred = set(
        session.scalars(
            select(LicenseTransfer.transaction_id).where(LicenseTransfer.transaction_id.in_(ids))
        )
    )
    for row in rows:
        _check_transferable(session, actor, row, transferred)
    moment = now or utcnow()
    transfers = [
        LicenseTransfer(
            transaction_id=row.id,
            by_user_id=actor.id,
            from_party=json.dumps(source),
            to_party=json.dumps(target),
            created_at=moment,
        )
        for row in rows
    ]
    session.add_all(transfers)
    session.flush()
    return [_view(t) for t in transfers]


def transfer_of(session: Session, transaction_id: int) -> TransferView | None:
    """The transfer of a transaction, if it was transferred."""
    transfer = session.scalar(
        select(LicenseTransfer).where(LicenseTransfer.transaction_id == transaction_id)
    )
    return _view(transfer) if transfer is not None else None


def transfers_of(session: Session, transaction_ids: Sequence[int]) -> dict[int, TransferView]:
    """The transfers of those of the transactions that were transferred, by transaction id."""
    if not transaction_ids:
        return {}
    rows = session.scalars(
        select(LicenseTransfer).where(LicenseTransfer.transaction_id.in_(list(transaction_ids)))
    )
    return {row.transaction_id: _view(row) for row in rows}


# -- listing ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TransferredLicense:
    """A transferred license of a group (Depositphotos getTransferredLicenses row)."""

    transaction_id: int
    license_id: int
    licensed_at: datetime
    status: TransactionStatus
    purchase_order: str
    currency: str
    group_id: int | None
    invoice_id: int | None
    item_id: int
    item_kind: MediaKind
    filename: str
    width: int | None
    height: int | None
    visible: bool
    buyer: Person
    seller: Person
    transfer: TransferView


def list_transferred(
    session: Session,
    viewer: User,
    *,
    period: Period | None = None,
    user_id: int | None = None,
    status: TransactionStatus | None = None,
    paging: Paging | None = None,
    group_id: int | None = None,
) -> Page[TransferredLicense]:
    """The viewer's group's transferred licenses, newest license first. `period` filters on
    when the item was licensed, `user_id` on the buyer, `status` on the transaction."""
    period, paging = period or Period(), paging or Paging()
    group = group_to_list(session, viewer, group_id, what="transferred licenses")
    filters = [LicenseTransaction.group_id == group]
    filters += transaction_filters(period, user_id, status)
    joined = (
        select(func.count(LicenseTransfer.id))
        .join(LicenseTransaction, LicenseTransaction.id == LicenseTransfer.transaction_id)
        .where(*filters)
    )
    total = session.scalar(joined) or 0
    rows = session.execute(
        select(LicenseTransfer, LicenseTransaction, MediaItem)
        .join(LicenseTransaction, LicenseTransaction.id == LicenseTransfer.transaction_id)
        .join(MediaItem, MediaItem.id == LicenseTransaction.item_id)
        .where(*filters)
        .order_by(LicenseTransaction.created_at.desc(), LicenseTransaction.id.desc())
        .limit(paging.limit)
        .offset(paging.offset)
    ).all()
    names = usernames(session, {t.buyer_id for _, t, _ in rows} | {i.owner_id for *_, i in rows})
    items = [_row(transfer, t, item, names) for transfer, t, item in rows]
    return Page(items, total, paging.limit, paging.offset)


def _row(
    transfer: LicenseTransfer,
    transaction: LicenseTransaction,
    item: MediaItem,
    names: dict[int, str],
) -> TransferredLicense:
    return TransferredLicense(
        transaction_id=transaction.id,
        license_id=transaction.license_id,
        licensed_at=transaction.created_at,
        status=transaction.status,
        purchase_order=transaction.purchase_order,
        currency=transaction.currency,
        group_id=transaction.group_id,
        invoice_id=transaction.invoice_id,
        item_id=item.id,
        item_kind=item.kind,
        filename=item.original_filename,
        width=item.width,
        height=item.height,
        visible=is_public(item),
        buyer=Person(transaction.buyer_id, names.get(transaction.buyer_id, "")),
        seller=Person(item.owner_id, names.get(item.owner_id, "")),
        transfer=_view(transfer),
    )


# -- license information ----------------------------------------------------------------


@dataclass(frozen=True)
class LicenseInfo:
    """What a license grants and to whom (Depositphotos getTransactionLicenseInfo)."""

    license_id: int
    license_name: str
    license_fields: Sequence[LicenseField]
    transaction_id: int
    price_minor: int
    vat_minor: int
    currency: str
    size_code: str
    ext_options: int
    status: TransactionStatus
    licensed_at: datetime
    item_id: int
    item_kind: MediaKind
    filename: str
    editorial: bool
    nudity: bool
    width: int | None
    height: int | None
    from_party: Mapping[str, str]
    to_party: Mapping[str, str]
    transfer: TransferView | None

    @property
    def transfer_id(self) -> int | None:
        return self.transfer.id if self.transfer is not None else None

    @property
    def transferred_to(self) -> Mapping[str, str] | None:
        return self.transfer.to_party if self.transfer is not None else None


def _licensee(session: Session, transaction: LicenseTransaction) -> dict[str, str]:
    """Who holds the license: the buyer's group as billed, or the buyer."""
    if transaction.group_id is not None:
        group = session.get(Group, transaction.group_id)
        if group is not None:
            return billing_party(group)
    buyer = accounts.get_user(session, transaction.buyer_id)
    name = " ".join(part for part in (buyer.first_name, buyer.last_name) if part)
    party = {"fullName": name or buyer.username}
    if buyer.business_name:
        party["company"] = buyer.business_name
    if buyer.country:
        party["country"] = buyer.country
    return party


def license_info(session: Session, viewer: User, transaction_id: int) -> LicenseInfo:
    """A transaction's license, item, licensor, licensee and transfer, for its buyer, the
    buyer's group and admins (NotFound for anyone else)."""
    transaction = transaction_info(session, viewer, transaction_id)
    item = session.get(MediaItem, transaction.item_id)
    license = session.get(License, transaction.license_id)
    if item is None or license is None:
        raise NotFound(f"license transaction {transaction_id} does not exist")
    return LicenseInfo(
        license_id=license.id,
        license_name=license.name,
        license_fields=license_fields(transaction),
        transaction_id=transaction.id,
        price_minor=transaction.price_minor,
        vat_minor=transaction.vat_minor,
        currency=transaction.currency,
        size_code=transaction.size_code,
        ext_options=transaction.ext_options,
        status=transaction.status,
        licensed_at=transaction.created_at,
        item_id=item.id,
        item_kind=item.kind,
        filename=item.original_filename,
        editorial=item.editorial,
        nudity=item.nudity,
        width=item.width,
        height=item.height,
        from_party=dict(AGENCY_PARTY),
        to_party=_licensee(session, transaction),
        transfer=transfer_of(session, transaction.id),
    )
