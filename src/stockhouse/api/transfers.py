"""Native API: license transfers to third parties, and a license's full information."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from stockhouse.api.deps import PrincipalDep, SessionDep
from stockhouse.commerce import transfers
from stockhouse.commerce.listing import MAX_LIMIT, Paging, Period
from stockhouse.commerce.models import TransactionStatus
from stockhouse.commerce.money import to_decimal

router = APIRouter(tags=["license transfers"])


class TransferIn(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    transaction_ids: list[int] = Field(min_length=1, max_length=transfers.MAX_BATCH)
    from_party: dict[str, object] = Field(alias="from")
    to_party: dict[str, object] = Field(alias="to")


class TransferOut(BaseModel):
    id: int
    transaction_id: int
    by_user_id: int
    from_party: dict[str, str]
    to_party: dict[str, str]
    created_at: datetime


class PersonOut(BaseModel):
    id: int
    username: str


class TransferredOut(BaseModel):
    transaction_id: int
    license_id: int
    licensed_at: datetime
    status: str
    purchase_order: str
    currency: str
    group_id: int | None
    invoice_id: int | None
    item_id: int
    item_kind: str
    filename: str
    width: int | None
    height: int | None
    visible: bool
    buyer: PersonOut
    seller: PersonOut
    transfer: TransferOut


class TransferredPage(BaseModel):
    items: list[TransferredOut]
    total: int
    limit: int
    offset: int


class LicenseFieldOut(BaseModel):
    key: str
    value: str


class LicenseInfoOut(BaseModel):
    license_id: int
    license_name: str
    license_fields: list[LicenseFieldOut]
    transaction_id: int
    price_minor: int
    price: Decimal
    vat_minor: int
    currency: str
    size: str
    ext_options: int
    status: str
    licensed_at: datetime
    item_id: int
    item_kind: str
    filename: str
    editorial: bool
    nudity: bool
    width: int | None
    height: int | None
    from_party: dict[str, str]
    to_party: dict[str, str]
    transfer_id: int | None
    transferred_to: dict[str, str] | None
    transfer: TransferOut | None


def _transfer_out(view: transfers.TransferView) -> TransferOut:
    return TransferOut(
        id=view.id,
        transaction_id=view.transaction_id,
        by_user_id=view.by_user_id,
        from_party=dict(view.from_party),
        to_party=dict(view.to_party),
        created_at=view.created_at,
    )


def _transferred_out(row: transfers.TransferredLicense) -> TransferredOut:
    return TransferredOut(
        transaction_id=row.transaction_id,
        license_id=row.license_id,
        licensed_at=row.licensed_at,
        status=row.status.value,
        purchase_order=row.purchase_order,
        currency=row.currency,
        group_id=row.group_id,
        invoice_id=row.invoice_id,
        item_id=row.item_id,
        item_kind=row.item_kind.value,
        filename=row.filename,
        width=row.width,
        height=row.height,
        visible=row.visible,
        buyer=PersonOut(id=row.buyer.id, username=row.buyer.username),
        seller=PersonOut(id=row.seller.id, username=row.seller.username),
        transfer=_transfer_out(row.transfer),
    )


@router.post("/license-transfers", status_code=201, response_model=list[TransferOut])
def transfer_licenses(
    body: TransferIn, principal: PrincipalDep, session: SessionDep
) -> list[TransferOut]:
    """Transfer licenses bought with transfer rights to a third party (all or none)."""
    views = transfers.transfer_licenses(
        session, principal.user, body.transaction_ids, body.from_party, body.to_party
    )
    return [_transfer_out(v) for v in views]


@router.get("/license-transfers", response_model=TransferredPage)
def list_transferred(
    principal: PrincipalDep,
    session: SessionDep,
    since: datetime | None = None,
    until: datetime | None = None,
    user_id: int | None = None,
    status: TransactionStatus | None = None,
    group_id: int | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> TransferredPage:
    """Your group's transferred licenses, newest license first."""
    page = transfers.list_transferred(
        session,
        principal.user,
        period=Period(since, until),
        user_id=user_id,
        status=status,
        paging=Paging(limit, offset),
        group_id=group_id,
    )
    return TransferredPage(
        items=[_transferred_out(r) for r in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/licenses/{transaction_id}/license-info", response_model=LicenseInfoOut)
def license_info(
    transaction_id: int, principal: PrincipalDep, session: SessionDep
) -> LicenseInfoOut:
    """What a license grants, to whom, and to whom it was transferred."""
    info = transfers.license_info(session, principal.user, transaction_id)
    return LicenseInfoOut(
        license_id=info.license_id,
        license_name=info.license_name,
        license_fields=[LicenseFieldOut(key=f.key, value=f.value) for f in info.license_fields],
        transaction_id=info.transaction_id,
        price_minor=info.price_minor,
        price=to_decimal(info.price_minor, info.currency),
        vat_minor=info.vat_minor,
        currency=info.currency,
        size=info.size_code,
        ext_options=info.ext_options,
        status=info.status.value,
        licensed_at=info.licensed_at,
        item_id=info.item_id,
        item_kind=info.item_kind.value,
        filename=info.filename,
        editorial=info.editorial,
        nudity=info.nudity,
        width=info.width,
        height=info.height,
        from_party=dict(info.from_party),
        to_party=dict(info.to_party),
        transfer_id=info.transfer_id,
        transferred_to=dict(info.transferred_to) if info.transferred_to is not None else None,
        transfer=_transfer_out(info.transfer) if info.transfer is not None else None,
    )
