"""Native API: license an item, list what was licensed, and the licenses one may buy."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import Group, User
from stockhouse.api.deps import PrincipalDep, RuntimeDep, SessionDep
from stockhouse.commerce import prices
from stockhouse.commerce.combiner import combiner_for
from stockhouse.commerce.licensing import (
    MAX_LIST_LIMIT,
    LicenseRequest,
    download_path,
    licensed_items,
    transaction_info,
)
from stockhouse.commerce.models import (
    License,
    LicenseTransaction,
    PaymentMethod,
    TransactionStatus,
)
from stockhouse.commerce.money import format_amount
from stockhouse.errors import InvalidParameter, PermissionDenied

router = APIRouter(tags=["licensing"])


class LicenseIn(BaseModel):
    item_id: int
    license_id: int
    size: str = Field(max_length=16)
    ext_options: int = Field(default=0, ge=0, le=2**31 - 1)
    payment_method: Literal["balance", "credits"] = "balance"
    sub_offset: int | None = Field(default=None, ge=0, le=1000)
    project: str = Field(default="", max_length=200)
    client: str = Field(default="", max_length=200)
    purchase_order: str = Field(default="", max_length=200)
    isbn: str = Field(default="", max_length=64)
    other: str = Field(default="", max_length=500)
    buyer_country: str | None = Field(default=None, max_length=2)
    search_query: str | None = Field(default=None, max_length=2000)


class LicenseOut(BaseModel):
    transaction_id: int
    item_id: int
    license_id: int
    size: str
    ext_options: int
    video_format_id: int | None
    buyer_id: int
    group_id: int | None
    payment_method: str
    status: str
    currency: str
    price: str
    price_minor: int
    vat: str
    vat_minor: int
    credits: int
    project: str
    client: str
    purchase_order: str
    isbn: str
    other: str
    buyer_country: str | None
    search_query: str | None
    invoice_id: int | None
    created_at: datetime
    download_url: str
    replayed: bool = False

    @classmethod
    def of(cls, transaction: LicenseTransaction, *, replayed: bool = False) -> LicenseOut:
        return cls(
            transaction_id=transaction.id,
            item_id=transaction.item_id,
            license_id=transaction.license_id,
            size=transaction.size_code,
            ext_options=transaction.ext_options,
            video_format_id=transaction.video_format_id,
            buyer_id=transaction.buyer_id,
            group_id=transaction.group_id,
            payment_method=transaction.payment_method.value,
            status=transaction.status.value,
            currency=transaction.currency,
            price=format_amount(transaction.price_minor, transaction.currency),
            price_minor=transaction.price_minor,
            vat=format_amount(transaction.vat_minor, transaction.currency),
            vat_minor=transaction.vat_minor,
            credits=transaction.credits,
            project=transaction.project,
            client=transaction.client,
            purchase_order=transaction.purchase_order,
            isbn=transaction.isbn,
            other=transaction.other,
            buyer_country=transaction.buyer_country,
            search_query=transaction.search_query,
            invoice_id=transaction.invoice_id,
            created_at=transaction.created_at,
            download_url=download_path(transaction.id),
            replayed=replayed,
        )


class LicensePage(BaseModel):
    total: int
    offset: int
    limit: int
    items: list[LicenseOut]


class SizePriceOut(BaseModel):
    size: str
    currency: str
    price: str
    price_minor: int
    credits: int


class OptionPriceOut(BaseModel):
    option: int
    name: str
    currency: str
    price: str
    price_minor: int
    credits: int


class TemplateOut(BaseModel):
    id: int
    name: str
    product_type: str
    template_id: int
    extended: bool
    ext_options_allowed: int
    sizes: list[SizePriceOut]
    ext_options: list[OptionPriceOut]


def _group_of(session: Session, user: User) -> Group | None:
    membership = accounts.membership_of(session, user)
    return membership.group if membership is not None else None


def template_out(session: Session, license: License, group: Group | None) -> TemplateOut:
    """A license with the price of each of its sizes and options for a buyer's group."""
    book = prices.price_book(session, license, group)
    sizes: list[SizePriceOut] = []
    for code in license.sizes:
        try:
            quote = book.quote(code, 0)
        except InvalidParameter:
            continue  # a size without a price is not on offer
        sizes.append(
            SizePriceOut(
                size=code,
                currency=quote.currency,
                price=format_amount(quote.amount_minor, quote.currency),
                price_minor=quote.amount_minor,
                credits=quote.credits,
            )
        )
    options: list[OptionPriceOut] = []
    if sizes:
        base_size = sizes[0].size
        base = book.quote(base_size, 0)
        for flag in prices.ext_bits(license.ext_options_allowed):
            try:
                with_option = book.quote(base_size, int(flag))
            except InvalidParameter:
                continue
            amount = with_option.amount_minor - base.amount_minor
            options.append(
                OptionPriceOut(
                    option=int(flag),
                    name=(flag.name or "").lower(),
                    currency=with_option.currency,
                    price=format_amount(amount, with_option.currency),
                    price_minor=amount,
                    credits=with_option.credits - base.credits,
                )
            )
    return TemplateOut(
        id=license.id,
        name=license.name,
        product_type=license.product_type.value,
        template_id=license.template_id,
        extended=license.extended,
        ext_options_allowed=license.ext_options_allowed,
        sizes=sizes,
        ext_options=options,
    )


@router.post("/licenses", status_code=201, response_model=LicenseOut)
def create_license(
    body: LicenseIn,
    principal: PrincipalDep,
    session: SessionDep,
    runtime: RuntimeDep,
    response: Response,
    idempotency_key: Annotated[str | None, Header(max_length=100)] = None,
) -> LicenseOut:
    """License an item; a retry with the same `Idempotency-Key` answers the first result.

    The purchase goes through the process's licensing combiner, which records purchases
    arriving together in one database transaction (commerce/combiner.py); the request's
    own transaction ends first, so that it holds no lock the combiner would wait for.
    """
    buyer = principal.user
    session.expunge(buyer)  # stays usable (id, country) once the session is committed
    session.commit()
    result = combiner_for(runtime.db).license(
        LicenseRequest(
            buyer=buyer,
            item_id=body.item_id,
            license_id=body.license_id,
            size_code=body.size,
            ext_options=body.ext_options,
            payment_method=PaymentMethod(body.payment_method),
            project=body.project,
            client=body.client,
            purchase_order=body.purchase_order,
            isbn=body.isbn,
            other=body.other,
            buyer_country=body.buyer_country,
            search_query=body.search_query,
            idempotency_key=idempotency_key,
            sub_offset=body.sub_offset,
        )
    )
    if result.replayed:
        response.status_code = 200
    return LicenseOut.of(result.transaction, replayed=result.replayed)


@router.get("/licenses/templates", response_model=list[TemplateOut])
def list_templates(principal: PrincipalDep, session: SessionDep) -> list[TemplateOut]:
    """The licenses the caller (and their group) may buy, with sizes and prices."""
    group = _group_of(session, principal.user)
    return [template_out(session, lic, group) for lic in prices.licenses_for_group(session, group)]


@router.get("/licenses", response_model=LicensePage)
def list_licenses(
    principal: PrincipalDep,
    session: SessionDep,
    scope: Literal["group", "mine"] | None = None,
    status: TransactionStatus | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIST_LIMIT)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> LicensePage:
    """Licensed items of the caller's group (default for members) or of the caller alone."""
    for name, moment in (("since", since), ("until", until)):
        if moment is not None and moment.tzinfo is None:
            raise InvalidParameter(name, f"{name} needs a time zone, e.g. 2026-01-31T00:00:00Z")
    group = _group_of(session, principal.user)
    if scope == "group" and group is None:
        raise PermissionDenied("you are not in an enterprise group")
    owner: Group | User = group if group is not None and scope != "mine" else principal.user
    page = licensed_items(
        session, owner, status=status, since=since, until=until, limit=limit, offset=offset
    )
    return LicensePage(
        total=page.total,
        offset=offset,
        limit=limit,
        items=[LicenseOut.of(transaction) for transaction in page.items],
    )


@router.get("/licenses/{transaction_id}", response_model=LicenseOut)
def get_license(transaction_id: int, principal: PrincipalDep, session: SessionDep) -> LicenseOut:
    return LicenseOut.of(transaction_info(session, principal.user, transaction_id))
