"""Buyer pages: an item (license it, add it to the cart or a bin), bins, the cart and its
checkout, the buyer's licenses with downloads and transfers, and the group's invoices.

Every rule lives in the core services (catalog, search, commerce); these views only read
the form, call one service inside a database session, and render or redirect.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import Group, User
from stockhouse.catalog import service as catalog
from stockhouse.catalog.models import MediaItem
from stockhouse.commerce import bins, carts, credits, invoices, ledger, prices, purchases
from stockhouse.commerce import downloads as commerce_downloads
from stockhouse.commerce import transfers as commerce_transfers
from stockhouse.commerce.invoice_pdf import render_invoice_pdf
from stockhouse.commerce.licensing import LicenseRequest, license_item, licensed_items
from stockhouse.commerce.listing import Paging
from stockhouse.commerce.models import AccountKind, ExtOption, License, PaymentMethod
from stockhouse.commerce.money import format_money
from stockhouse.errors import InvalidParameter
from stockhouse.search import similar as similar_items
from stockhouse.search.hydrate import ItemSummary, hydrate
from stockhouse.web.pages import Web, page

RELATED_ITEMS = 8
LICENSES_PER_PAGE = 25
EXT_OPTION_LABELS = {
    ExtOption.UNLIMITED_PRINT: "Unlimited print run",
    ExtOption.MULTI_SEAT: "Multi-seat (team use)",
    ExtOption.EXTRA_LEGAL_WARRANTY: "Extra legal warranty",
    ExtOption.RESALE: "Items for resale",
    ExtOption.TRANSFER_RIGHTS: "Transfer rights (to a client)",
}
PARTY_FIELDS = ("fullName", "company", "email", "address", "city", "zip", "country")
PAYMENT_LABELS = {
    purchases.PurchaseMethod.CASH: "Balance",
    purchases.PurchaseMethod.CREDITS: "Credits",
    purchases.PurchaseMethod.SUBSCRIPTION: "Subscription",
}


# -- helpers ----------------------------------------------------------------------------


def _user(session: Session, web: Web) -> User:
    """The logged-in user as a row of `session`."""
    return accounts.get_user(session, web.require_user().id)


def _group(session: Session, user: User) -> Group | None:
    membership = accounts.membership_of(session, user)
    return membership.group if membership is not None else None


def _item_id(request: Request) -> int:
    value: int = request.path_params["item_id"]
    return value


@dataclass(frozen=True)
class SizeOffer:
    code: str
    width: int | None
    height: int | None
    price_minor: int
    credits: int
    currency: str


@dataclass(frozen=True)
class LicenseOffer:
    """A license the buyer may choose for an item, its sizes with prices, its options."""

    license: License
    sizes: list[SizeOffer]
    ext_options: list[tuple[int, str]]


def _offers(session: Session, item: MediaItem, group: Group | None) -> list[LicenseOffer]:
    product_type = prices.product_type_of(item.kind)
    sizes_by_code = {size.code: size for size in item.sizes}
    offers = []
    for license in prices.licenses_for_group(session, group, product_type=product_type):
        if license.extended and not item.extended_allowed:
            continue
        book = prices.price_book(session, license, group)
        sizes = []
        for code in carts.licensed_sizes(list(sizes_by_code), license):
            try:
                quote = book.quote(code, 0)
            except InvalidParameter:
                continue  # a size this price list does not sell
            size = sizes_by_code.get(code)
            sizes.append(
                SizeOffer(
                    code,
                    size.width if size else None,
                    size.height if size else None,
                    quote.amount_minor,
                    quote.credits,
                    quote.currency,
                )
            )
        options = [
            (int(bit), EXT_OPTION_LABELS[bit])
            for bit in ExtOption
            if license.ext_options_allowed & bit
        ]
        if sizes:
            offers.append(LicenseOffer(license, sizes, options))
    return offers


def _choice(web: Web) -> tuple[int, str]:
    """The "license_id:size" radio value of an item page's form."""
    license_text, _, size_code = web.field("offer").partition(":")
    if not license_text.isdigit() or not size_code:
        raise InvalidParameter("offer", "choose a license and a size")
    return int(license_text), size_code


def _ext_options(web: Web) -> int:
    options = 0
    for value in web.fields("ext"):
        if value.isdigit() and int(value) in {int(bit) for bit in ExtOption}:
            options |= int(value)
    return options


def _translated(item: MediaItem, lang: str) -> tuple[str, str]:
    for translation in item.translations:
        if translation.lang == lang:
            return translation.title or item.title, translation.description or item.description
    return item.title, item.description


def _summaries(session: Session, item_ids: list[int]) -> list[ItemSummary]:
    return hydrate(session, item_ids[:RELATED_ITEMS]) if item_ids else []


# -- item -------------------------------------------------------------------------------


@page()
def item_page(request: Request, web: Web) -> Response:
    item_id = _item_id(request)
    lang = request.query_params.get("lang", "en")[:8]
    with web.runtime.db.session() as session:
        viewer = _user(session, web) if web.user else None
        item = catalog.get_viewable_item(session, viewer, item_id)
        catalog.record_view(session, item.id)
        group = _group(session, viewer) if viewer else None
        title, description = _translated(item, lang)
        tags = item.tag_names(lang) or item.tag_names()
        context: dict[str, Any] = {
            "item": item,
            "kind": item.kind.value,
            "title": title or f"Item {item.id}",
            "description": description,
            "tags": tags,
            "categories": [category.name for category in item.categories],
            "offers": _offers(session, item, group),
            "similar": _summaries(
                session, [s.item_id for s in similar_items.similar(session, item.id)]
            ),
            "series": _summaries(session, similar_items.series_items(session, item.id)),
            "same_model": _summaries(session, similar_items.same_model(session, item.id)),
            "bins": bins.list_bins(session, viewer) if viewer else [],
            "owner": item_owner_name(session, item),
            "purchase_key": secrets.token_hex(12),
        }
        return web.render("item.html", **context)


def item_owner_name(session: Session, item: MediaItem) -> str:
    return accounts.get_user(session, item.owner_id).username


@page(login=True)
def license_now(request: Request, web: Web) -> Response:
    """License the chosen size at once, paid from the balance (or credits)."""
    item_id = _item_id(request)
    license_id, size_code = _choice(web)
    method = PaymentMethod.CREDITS if web.field("method") == "credits" else PaymentMethod.BALANCE
    key = web.field("purchase_key")[:64] or None
    with web.runtime.db.session() as session:
        buyer = _user(session, web)
        result = license_item(
            session,
            LicenseRequest(
                buyer=buyer,
                item_id=item_id,
                license_id=license_id,
                size_code=size_code,
                ext_options=_ext_options(web),
                payment_method=method,
                project=web.field("project")[:200],
                client=web.field("client")[:200],
                buyer_country=buyer.country,
                idempotency_key=f"web-{key}" if key else None,
            ),
        )
        transaction_id = result.transaction.id
    return web.redirect(
        f"/licenses#license-{transaction_id}", "Licensed. Your download is ready below."
    )


@page(login=True)
def add_to_cart(request: Request, web: Web) -> Response:
    item_id = _item_id(request)
    license_id, size_code = _choice(web)
    with web.runtime.db.session() as session:
        carts.add_to_cart(
            session,
            _user(session, web),
            [carts.ItemRef(item_id)],
            license_id=license_id,
            size_code=size_code,
        )
    return web.redirect("/cart", "Added to your cart.")


@page(login=True)
def add_to_bin(request: Request, web: Web) -> Response:
    item_id = _item_id(request)
    new_name = web.field("new_bin").strip()
    with web.runtime.db.session() as session:
        user = _user(session, web)
        if new_name:
            bin_id = bins.create_bin(session, user, new_name).id
        else:
            bin_id = web.int_field("bin_id") or 0
        bins.add_items(session, user, bin_id, [item_id])
    return web.redirect(f"/items/{item_id}", "Saved to your bin.")


# -- bins -------------------------------------------------------------------------------


@page(login=True)
def bin_list(request: Request, web: Web) -> Response:
    if request.method == "POST":
        with web.runtime.db.session() as session:
            made = bins.create_bin(
                session,
                _user(session, web),
                web.field("name"),
                public=web.field("public") == "1",
            )
            bin_id = made.id
        return web.redirect(f"/bins/{bin_id}", "Bin created.")
    with web.runtime.db.read_session() as session:
        found = bins.list_bins(session, _user(session, web))
    return web.render("bins.html", bins=found)


@page()
def bin_page(request: Request, web: Web) -> Response:
    bin_id: int = request.path_params["bin_id"]
    with web.runtime.db.read_session() as session:
        viewer = _user(session, web) if web.user else None
        contents = bins.get_bin(session, viewer, bin_id)
        summaries = hydrate(session, [item.id for item in contents.items])
        mine = viewer is not None and contents.bin.user_id == viewer.id
        return web.render("bin.html", bin=contents.bin, items=summaries, mine=mine)


@page(login=True)
def bin_remove(request: Request, web: Web) -> Response:
    bin_id: int = request.path_params["bin_id"]
    item_id = web.int_field("item_id") or 0
    with web.runtime.db.session() as session:
        bins.remove_items(session, _user(session, web), bin_id, [item_id])
    return web.redirect(f"/bins/{bin_id}", "Removed from the bin.")


@page(login=True)
def bin_delete(request: Request, web: Web) -> Response:
    bin_id: int = request.path_params["bin_id"]
    with web.runtime.db.session() as session:
        bins.delete_bin(session, _user(session, web), bin_id)
    return web.redirect("/bins", "Bin deleted.")


# -- cart and checkout ------------------------------------------------------------------


def _balance_note(session: Session, user: User, group: Group | None, currency: str) -> str:
    """What "Balance" pays from, and how much is there."""
    if group is None:
        cash = ledger.balance_of(session, AccountKind.USER_CASH, user_id=user.id, currency=currency)
        return f"your balance: {format_money(cash, currency)}"
    if group.payment_mode.value == "postpaid":
        return f"{group.name}'s account (invoiced monthly)"
    money = ledger.balance_of(
        session, AccountKind.GROUP_BALANCE, group_id=group.id, currency=group.currency
    )
    return f"{group.name}'s balance: {format_money(money, group.currency)}"


@page(login=True)
def cart_page(request: Request, web: Web) -> Response:
    with web.runtime.db.read_session() as session:
        user = _user(session, web)
        cart = carts.view_cart(session, user)
        group = _group(session, user)
        return web.render(
            "cart.html",
            cart=cart,
            totals=cart.totals,
            balance_note=_balance_note(session, user, group, cart.totals.currency),
            credits_available=credits.credit_balance(session, user),
            methods=PAYMENT_LABELS,
        )


@page(login=True)
def cart_remove(request: Request, web: Web) -> Response:
    ref = carts.parse_item_ref(web.field("ref"))
    with web.runtime.db.session() as session:
        carts.remove_from_cart(session, _user(session, web), [ref])
    return web.redirect("/cart", "Removed from your cart.")


@page(login=True)
def checkout(request: Request, web: Web) -> Response:
    method = web.field("method") or purchases.PurchaseMethod.CASH.value
    try:
        with web.runtime.db.session() as session:
            bought = purchases.purchase_cart(
                session, _user(session, web), method, override=web.field("override") == "1"
            )
            count = len(bought.transactions)
    except purchases.NeedsOverride:
        return web.redirect(
            "/cart?confirm=1",
            "Some items were bought before or are your own: tick 'Buy anyway' to go ahead.",
            "error",
        )
    return web.redirect("/licenses", f"Bought {count} license{'s' if count != 1 else ''}.")


# -- licenses and downloads -------------------------------------------------------------


@dataclass(frozen=True)
class LicenseRow:
    id: int
    item: ItemSummary | None
    license_name: str
    size_code: str
    price_minor: int
    vat_minor: int
    credits: int
    currency: str
    status: str
    created_at: Any
    transferable: bool
    transferred_to: str | None


def _license_rows(session: Session, user: User, page_number: int) -> tuple[list[LicenseRow], int]:
    found = licensed_items(
        session,
        user,
        limit=LICENSES_PER_PAGE,
        offset=(page_number - 1) * LICENSES_PER_PAGE,
    )
    items = {s.id: s for s in hydrate(session, sorted({t.item_id for t in found.items}))}
    rows = []
    for transaction in found.items:
        transfer = commerce_transfers.transfer_of(session, transaction.id)
        license = prices.get_license(session, transaction.license_id)
        rows.append(
            LicenseRow(
                id=transaction.id,
                item=items.get(transaction.item_id),
                license_name=license.name,
                size_code=transaction.size_code,
                price_minor=transaction.price_minor,
                vat_minor=transaction.vat_minor,
                credits=transaction.credits,
                currency=transaction.currency,
                status=transaction.status.value,
                created_at=transaction.created_at,
                transferable=bool(transaction.ext_options & ExtOption.TRANSFER_RIGHTS)
                and transfer is None,
                transferred_to=_party_name(transfer.to_party) if transfer else None,
            )
        )
    return rows, found.total


def _party_name(party: Any) -> str:
    return str(party.get("fullName") or party.get("company") or "a third party")


@page(login=True)
def license_list(request: Request, web: Web) -> Response:
    text = request.query_params.get("page", "1")
    page_number = int(text) if text.isdigit() and len(text) < 6 else 1
    with web.runtime.db.read_session() as session:
        rows, total = _license_rows(session, _user(session, web), max(page_number, 1))
    last = max(1, -(-total // LICENSES_PER_PAGE))
    return web.render(
        "licenses.html",
        rows=rows,
        total=total,
        page_number=page_number,
        last_page=last,
        page_numbers=list(range(1, last + 1)),
    )


@page(login=True)
def download(request: Request, web: Web) -> Response:
    """A fresh signed link to the licensed file, followed at once."""
    transaction_id: int = request.path_params["transaction_id"]
    with web.runtime.db.read_session() as session:
        viewer = _user(session, web)
    link = commerce_downloads.download_link(web.runtime, viewer, transaction_id)
    return RedirectResponse(link.path, status_code=303)


@page(login=True)
def transfer(request: Request, web: Web) -> Response:
    transaction_id: int = request.path_params["transaction_id"]
    if request.method == "GET":
        return web.render("transfer.html", transaction_id=transaction_id, fields=PARTY_FIELDS)
    to_party = {name: web.field(name).strip() for name in PARTY_FIELDS if web.field(name).strip()}
    with web.runtime.db.session() as session:
        user = _user(session, web)
        from_party = {"fullName": f"{user.first_name} {user.last_name}".strip() or user.username}
        commerce_transfers.transfer_licenses(session, user, [transaction_id], from_party, to_party)
    return web.redirect(f"/licenses#license-{transaction_id}", "License transferred.")


# -- invoices ---------------------------------------------------------------------------


@page(login=True)
def invoice_list(request: Request, web: Web) -> Response:
    with web.runtime.db.read_session() as session:
        found = invoices.list_invoices(session, _user(session, web), paging=Paging(limit=100))
    return web.render("invoices.html", invoices=found.items, total=found.total)


@page(login=True)
def invoice_page(request: Request, web: Web) -> Response:
    invoice_id: int = request.path_params["invoice_id"]
    with web.runtime.db.read_session() as session:
        view = invoices.get_invoice(session, _user(session, web), invoice_id)
    return web.render("invoice.html", invoice=view)


@page(login=True)
def invoice_pdf(request: Request, web: Web) -> Response:
    invoice_id: int = request.path_params["invoice_id"]
    with web.runtime.db.read_session() as session:
        view = invoices.get_invoice(session, _user(session, web), invoice_id)
    return Response(
        render_invoice_pdf(view),
        media_type="application/pdf",
        headers={"content-disposition": f'inline; filename="{view.number}.pdf"'},
    )


def routes() -> list[BaseRoute]:
    post = ["POST"]
    return [
        Route("/items/{item_id:int}", item_page, methods=["GET"]),
        Route("/items/{item_id:int}/license", license_now, methods=post),
        Route("/items/{item_id:int}/cart", add_to_cart, methods=post),
        Route("/items/{item_id:int}/bin", add_to_bin, methods=post),
        Route("/bins", bin_list, methods=["GET", "POST"]),
        Route("/bins/{bin_id:int}", bin_page, methods=["GET"]),
        Route("/bins/{bin_id:int}/remove", bin_remove, methods=post),
        Route("/bins/{bin_id:int}/delete", bin_delete, methods=post),
        Route("/cart", cart_page, methods=["GET"]),
        Route("/cart/remove", cart_remove, methods=post),
        Route("/cart/checkout", checkout, methods=post),
        Route("/licenses", license_list, methods=["GET"]),
        Route("/licenses/{transaction_id:int}/download", download, methods=["GET"]),
        Route("/licenses/{transaction_id:int}/transfer", transfer, methods=["GET", "POST"]),
        Route("/invoices", invoice_list, methods=["GET"]),
        Route("/invoices/{invoice_id:int}", invoice_page, methods=["GET"]),
        Route("/invoices/{invoice_id:int}/pdf", invoice_pdf, methods=["GET"]),
    ]
