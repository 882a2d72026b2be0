"""Pond5 commands of the cart: get_cart, get_cart_formatted, modify_active_cart,
get_cart_total, promo_redeem, get_exchange_ratios.

Prices and sums are USD texts in major units ("20", "20.50"); credits are whole numbers.
The colon-separated get_cart lines hold id, an unused value (always 0), price, ar, ox, oy,
vs, aq, sub_offs, name, and with artistinfo=1 the artist's name as an eleventh field
(names lose their colons and line breaks in this form only).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import User
from stockhouse.commerce import billing, carts, currency, promo
from stockhouse.commerce.carts import CartLine, CartTotals
from stockhouse.compat.pond5 import facts
from stockhouse.compat.pond5.wire import (
    Call,
    Code,
    Pond5Error,
    command,
    flv_base,
    flv_base_encr,
    icon_base,
    price_text,
    storable,
)
from stockhouse.errors import Conflict, InvalidParameter, NotFound

UNUSED_VALUE = "0"
MAX_REF_LIST_CHARS = 10_000


def _usernames(session: Session, lines: list[CartLine]) -> dict[int, str]:
    owners = {line.item.owner_id for line in lines}
    return {owner: accounts.get_user(session, owner).username for owner in owners}


def _line_fields(line: CartLine) -> dict[str, Any]:
    return {
        **facts.shape(line.item),
        "pr": price_text(line.price_minor),
        "so": line.sub_offset,
    }


def cart_line(line: CartLine, artist: str | None) -> str:
    shape = facts.shape(line.item)
    fields = [
        shape["id"],
        UNUSED_VALUE,
        price_text(line.price_minor),
        shape["ar"],
        shape["ox"],
        shape["oy"],
        shape["vs"],
        shape["aq"],
        line.sub_offset,
        facts.colon_field(line.item.title),
    ]
    if artist is not None:
        fields.append(facts.colon_field(artist))
    return ":".join(str(value) for value in fields)


@command("get_cart", login=True)
def get_cart(call: Call) -> dict[str, Any]:
    artistinfo = call.args.flag("artistinfo")
    with call.runtime.db.read_session() as session:
        user = accounts.get_user(session, call.require_user())
        cart = carts.view_cart(session, user)
        names = _usernames(session, cart.lines) if artistinfo else {}
        lines = [
            cart_line(line, names[line.item.owner_id] if artistinfo else None)
            for line in cart.lines
        ]
        return {"cart": "\n".join(lines), "icon_base": icon_base(call)}


@command("get_cart_formatted", login=True)
def get_cart_formatted(call: Call) -> dict[str, Any]:
    artistinfo = call.args.flag("artistinfo")
    with call.runtime.db.read_session() as session:
        user = accounts.get_user(session, call.require_user())
        cart = carts.view_cart(session, user)
        names = _usernames(session, cart.lines) if artistinfo else {}
        items = []
        for line in cart.lines:
            fields = _line_fields(line)
            if artistinfo:
                fields["artistname"] = names[line.item.owner_id]
            items.append(fields)
        return {
            "items": items,
            "icon_base": icon_base(call),
            "flv_base": flv_base(call),
            "flv_base_encr": flv_base_encr(call),
        }


def _refs(call: Call, name: str) -> list[carts.ItemRef]:
    """`addid`/`rmid`: "123:0,653,234:1", or a JSON array / XML `<item>` list of refs."""
    value = call.args.raw(name)
    if isinstance(value, list):
        value = ",".join(str(v) for v in value)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if value is None or value == "":
        return []
    if not isinstance(value, str) or len(value) > MAX_REF_LIST_CHARS or not storable(value):
        raise Pond5Error(Code.GENERAL, f"Invalid value for {name}")
    try:
        return carts.parse_item_refs(value)
    except InvalidParameter as exc:
        raise Pond5Error(Code.GENERAL, f"Invalid value for {name}: {exc}") from exc


@command("modify_active_cart", login=True)
def modify_active_cart(call: Call) -> dict[str, Any]:
    """Remove `rmid`, then add `addid`; all or nothing."""
    add, remove = _refs(call, "addid"), _refs(call, "rmid")
    if not add and not remove:
        raise Pond5Error(Code.MISSING_ARGUMENTS, "Arguments are missing: addid or rmid")
    with call.runtime.db.session() as session:
        user = accounts.get_user(session, call.require_user())
        try:
            change = carts.modify_cart(session, user, add=add, remove=remove)
        except NotFound as exc:
            raise Pond5Error(Code.NO_SUCH_ITEM, exc.message) from exc
        except (Conflict, InvalidParameter) as exc:
            raise Pond5Error(Code.GENERAL, exc.message) from exc
        answer: dict[str, Any] = {"nbr_added": change.added, "nbr_removed": change.removed}
        if change.added:
            answer["bought_before"] = change.bought_before
            answer["ownclips"] = change.own_clips
        return answer


def _credits_data(totals: CartTotals, use_credits: bool) -> dict[str, Any]:
    covered = use_credits and 0 < totals.credits_total <= totals.credits_available
    used = totals.credits_total if covered else 0
    return {
        "usedCredits": used,
        "usedSum": price_text(totals.before_vat_minor if covered else 0),
        "availableSum": totals.credits_available,
        "remainingSum": totals.credits_available - used,
    }


def total_object(totals: CartTotals, use_credits: bool) -> dict[str, Any]:
    """get_cart_total's object; paid fully by credits, the final amount is 0."""
    credits_data = _credits_data(totals, use_credits)
    paid_by_credits = credits_data["usedCredits"] > 0
    vat = totals.vat
    return {
        "subtotals": {
            "beforeDiscounts": price_text(totals.before_discounts_minor),
            "afterDiscounts": price_text(totals.after_discounts_minor),
            "beforeVat": price_text(totals.before_vat_minor),
            "afterVat": price_text(totals.after_vat_minor),
            "final": price_text(0 if paid_by_credits else totals.final_minor),
        },
        "discounts": {
            "discountAmount": price_text(totals.discount_minor),
            "discountPercentage": float(totals.discount_percentage),
        },
        "creditsData": credits_data,
        "vatData": {
            "percentage": None if vat.percentage is None else float(vat.percentage),
            "display": vat.applies,
            "amount": price_text(totals.vat_minor) if vat.applies else None,
        },
    }


def _check_address(session: Session, user: User, address_id: int | None) -> None:
    if address_id is None:
        return
    try:
        billing.get_address(session, user, address_id)
    except NotFound as exc:
        raise Pond5Error(Code.MISSING_ARGUMENTS, "Invalid addressid") from exc


@command("get_cart_total", login=True)
def get_cart_total(call: Call) -> dict[str, Any]:
    address_id = call.args.integer("addressid", minimum=1)
    use_credits = call.args.flag("use_credits")
    with call.runtime.db.read_session() as session:
        user = accounts.get_user(session, call.require_user())
        _check_address(session, user, address_id)
        return total_object(carts.cart_totals(session, user), use_credits)


@command("promo_redeem", login=True)
def promo_redeem(call: Call) -> dict[str, Any]:
    code = call.args.required_text("promocode")
    with call.runtime.db.session() as session:
        user = accounts.get_user(session, call.require_user())
        try:
            redemption = promo.redeem(session, user, code)
        except promo.PromoCodeRejected as exc:
            raise Pond5Error(Code.NO_VALID_PROMO, exc.message) from exc
        return {"sum": price_text(redemption.amount_minor), "currency": redemption.currency}


@command("get_exchange_ratios", login=True)
def get_exchange_ratios(call: Call) -> dict[str, Any]:
    """Every configured currency by code; 107 when there is none."""
    with call.runtime.db.read_session() as session:
        rates = currency.list_exchange_rates(session)
        if not rates:
            raise Pond5Error(Code.NO_CURRENCIES)
        return {
            rate.currency: {
                "exchange_ratio": float(rate.ratio),
                "rounding_style": int(rate.rounding_style),
                "price_modifier": float(rate.price_modifier),
                "decimal_points": int(rate.decimal_points),
            }
            for rate in rates
        }
