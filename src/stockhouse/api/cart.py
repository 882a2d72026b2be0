"""Native API: the caller's cart (lines, totals, warnings) and buying it."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from stockhouse.api.deps import PrincipalDep, SessionDep
from stockhouse.api.errors import error_response
from stockhouse.api.wallet import MoneyOut, money_out
from stockhouse.commerce import carts, purchases
from stockhouse.commerce.licensing import download_path
from stockhouse.commerce.models import LicenseTransaction
from stockhouse.commerce.purchases import NeedsOverride

router = APIRouter(tags=["cart"])

ItemRefIn = str | int


class LineOut(BaseModel):
    ref: str  # "id" or "id:sub_offs"
    item_id: int
    sub_offset: int
    title: str
    kind: str
    license_id: int | None
    license_name: str | None
    size: str | None
    chosen: bool
    price: MoneyOut
    credits: int
    vat: MoneyOut
    problem: str | None


class VatOut(BaseModel):
    percentage: str | None
    display: bool
    amount: MoneyOut | None


class TotalsOut(BaseModel):
    before_discounts: MoneyOut
    discount: MoneyOut
    discount_percentage: str
    after_discounts: MoneyOut
    before_vat: MoneyOut
    vat: VatOut
    after_vat: MoneyOut
    final: MoneyOut
    credits_total: int
    credits_available: int
    credits_remaining: int


class CartOut(BaseModel):
    lines: list[LineOut]
    totals: TotalsOut
    bought_before: list[int]
    own_clips: list[int]


class CartChangeOut(BaseModel):
    added: int
    removed: int
    bought_before: list[int]
    own_clips: list[int]


class AddIn(BaseModel):
    items: list[ItemRefIn] = Field(min_length=1, max_length=carts.MAX_REFS_PER_CHANGE)
    license_id: int | None = None
    size: str | None = Field(default=None, max_length=16)


class PurchaseIn(BaseModel):
    method: Literal["cash", "credits", "subscription"]
    override: bool | list[int] = False
    search_query: str | None = Field(default=None, max_length=500)


class BoughtOut(BaseModel):
    transaction_id: int
    item_id: int
    license_id: int
    size: str
    video_format_id: int | None
    payment_method: str
    price: MoneyOut
    vat: MoneyOut
    credits: int
    download_url: str


class PurchaseOut(BaseModel):
    method: str
    amount: MoneyOut
    vat: MoneyOut
    credits: int
    transactions: list[BoughtOut]


def _line_out(line: carts.CartLine) -> LineOut:
    ref = f"{line.item_id}:{line.sub_offset}" if line.sub_offset else str(line.item_id)
    return LineOut(
        ref=ref,
        item_id=line.item_id,
        sub_offset=line.sub_offset,
        title=line.item.title,
        kind=line.item.kind.value,
        license_id=line.license.id if line.license is not None else None,
        license_name=line.license.name if line.license is not None else None,
        size=line.size_code,
        chosen=line.chosen,
        price=money_out(line.price_minor, line.currency),
        credits=line.credits,
        vat=money_out(line.vat_minor, line.currency),
        problem=line.problem,
    )


def _totals_out(totals: carts.CartTotals) -> TotalsOut:
    code = totals.currency
    percentage = totals.vat.percentage
    return TotalsOut(
        before_discounts=money_out(totals.before_discounts_minor, code),
        discount=money_out(totals.discount_minor, code),
        discount_percentage=str(totals.discount_percentage),
        after_discounts=money_out(totals.after_discounts_minor, code),
        before_vat=money_out(totals.before_vat_minor, code),
        vat=VatOut(
            percentage=None if percentage is None else format(percentage, "f"),
            display=totals.vat.applies,
            amount=money_out(totals.vat_minor, code) if totals.vat.applies else None,
        ),
        after_vat=money_out(totals.after_vat_minor, code),
        final=money_out(totals.final_minor, code),
        credits_total=totals.credits_total,
        credits_available=totals.credits_available,
        credits_remaining=totals.credits_remaining,
    )


def _change_out(change: carts.CartChange) -> CartChangeOut:
    return CartChangeOut(
        added=change.added,
        removed=change.removed,
        bought_before=change.bought_before,
        own_clips=change.own_clips,
    )


def _bought_out(transaction: LicenseTransaction) -> BoughtOut:
    return BoughtOut(
        transaction_id=transaction.id,
        item_id=transaction.item_id,
        license_id=transaction.license_id,
        size=transaction.size_code,
        video_format_id=transaction.video_format_id,
        payment_method=transaction.payment_method.value,
        price=money_out(transaction.price_minor, transaction.currency),
        vat=money_out(transaction.vat_minor, transaction.currency),
        credits=transaction.credits,
        download_url=download_path(transaction.id),
    )


@router.get("/cart", response_model=CartOut)
def get_cart(principal: PrincipalDep, session: SessionDep) -> CartOut:
    """The caller's cart: priced lines, totals, and items bought before or owned."""
    cart = carts.view_cart(session, principal.user)
    return CartOut(
        lines=[_line_out(line) for line in cart.lines],
        totals=_totals_out(cart.totals),
        bought_before=cart.bought_before,
        own_clips=cart.own_clips,
    )


@router.post("/cart/items", response_model=CartChangeOut)
def add_to_cart(body: AddIn, principal: PrincipalDep, session: SessionDep) -> CartChangeOut:
    """Add items (`123` or `123:1` for a video's format), with an optional license and size."""
    refs = [carts.parse_item_ref(ref) for ref in body.items]
    change = carts.add_to_cart(
        session, principal.user, refs, license_id=body.license_id, size_code=body.size
    )
    return _change_out(change)


@router.delete("/cart/items/{ref}", response_model=CartChangeOut)
def remove_from_cart(ref: str, principal: PrincipalDep, session: SessionDep) -> CartChangeOut:
    """Remove `123:1` (one format's line) or `123` (every line of the item)."""
    change = carts.remove_from_cart(session, principal.user, [carts.parse_item_ref(ref)])
    return _change_out(change)


@router.delete("/cart", status_code=204)
def clear_cart(principal: PrincipalDep, session: SessionDep) -> None:
    carts.clear_cart(session, principal.user)


@router.post("/cart/purchase", status_code=201, response_model=PurchaseOut)
def purchase_cart(
    body: PurchaseIn, principal: PrincipalDep, session: SessionDep
) -> PurchaseOut | Response:
    """Buy the whole cart by cash, credits or subscription; all lines or none."""
    try:
        purchase = purchases.purchase_cart(
            session,
            principal.user,
            body.method,
            override=body.override,
            search_query=body.search_query,
        )
    except NeedsOverride as refusal:
        return _needs_override(refusal)
    return PurchaseOut(
        method=purchase.method.value,
        amount=money_out(purchase.amount_minor, purchase.currency),
        vat=money_out(purchase.vat_minor, purchase.currency),
        credits=purchase.credits,
        transactions=[_bought_out(t) for t in purchase.transactions],
    )


def _needs_override(refusal: NeedsOverride) -> JSONResponse:
    # The 409 names the culprits so the client can ask the buyer and retry with override.
    return error_response(
        refusal.http_status,
        refusal.code,
        refusal.message,
        bought_before=refusal.bought_before,
        own_clips=refusal.own_clips,
    )
