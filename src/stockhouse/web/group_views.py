"""The enterprise group admin's page: members, balance, prices, invoices (with PDFs),
transferred licenses and complimentary downloads; a postpaid group's admin invoices the
licenses not yet invoiced.

Group admins see their own group; site admins may open any group (`?group=<id>`).
Who may list what is commerce's rule (listing.group_to_list and each service).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import Group, PaymentMode, Role, User
from stockhouse.commerce import invoices, ledger, prices, transfers
from stockhouse.commerce.downloads import complimentary_history, signer_for
from stockhouse.commerce.listing import Paging
from stockhouse.commerce.models import AccountKind
from stockhouse.errors import PermissionDenied
from stockhouse.web.pages import Web, page

LISTED = 50


@dataclass(frozen=True)
class PriceLine:
    license_name: str
    size_code: str
    amount_minor: int
    credits: int
    currency: str
    own_list: bool


def _viewer_and_group(session: Session, web: Web, request: Request) -> tuple[User, Group]:
    viewer = accounts.get_user(session, web.require_user().id)
    wanted = request.query_params.get("group", "")
    if viewer.has_role(Role.ADMIN) and wanted.isdigit() and len(wanted) < 10:
        return viewer, accounts.get_group(session, int(wanted))
    if not web.require_user().group_admin:
        raise PermissionDenied("this page is for the admins of an enterprise group")
    membership = accounts.membership_of(session, viewer)
    assert membership is not None
    return viewer, membership.group


def _price_lines(session: Session, group: Group) -> list[PriceLine]:
    lines = []
    for license in prices.licenses_for_group(session, group):
        book = prices.price_book(session, license, group)
        for (size, option), row in sorted(book.rows.items()):
            if option == 0:
                lines.append(
                    PriceLine(
                        license.name,
                        size,
                        row.amount_minor,
                        row.credits,
                        row.currency,
                        row.group_list,
                    )
                )
    return lines


def _balance(session: Session, group: Group) -> int:
    return ledger.balance_of(
        session, AccountKind.GROUP_BALANCE, group_id=group.id, currency=group.currency
    )


@page(login=True)
def group_page(request: Request, web: Web) -> Response:
    paging = Paging(limit=LISTED)
    with web.runtime.db.read_session() as session:
        viewer, group = _viewer_and_group(session, web, request)
        # Site admins name the group; a group admin's own group is implied.
        named = group.id if viewer.has_role(Role.ADMIN) else None
        postpaid = group.payment_mode == PaymentMode.POSTPAID
        uninvoiced = (
            invoices.uninvoiced_transactions(session, viewer, paging=paging)
            if postpaid and named is None
            else None
        )
        return web.render(
            "group/overview.html",
            group=group,
            members=accounts.members_of(session, group),
            postpaid=postpaid,
            balance_minor=None if postpaid else _balance(session, group),
            uninvoiced=uninvoiced,
            price_lines=_price_lines(session, group),
            invoices=invoices.list_invoices(session, viewer, paging=paging, group_id=named),
            transferred=transfers.list_transferred(session, viewer, paging=paging, group_id=named),
            complimentary=complimentary_history(
                session, signer_for(web.runtime), viewer, paging=paging, group_id=named
            ),
        )


@page(login=True)
def create_invoice(request: Request, web: Web) -> Response:
    """Invoice every license of the postpaid group that is not on an invoice yet."""
    with web.runtime.db.session() as session:
        viewer = accounts.get_user(session, web.require_user().id)
        owed = invoices.uninvoiced_transactions(
            session, viewer, paging=Paging(limit=invoices.MAX_LINES)
        )
        made = invoices.create_invoice(session, viewer, [t.id for t in owed.items])
        invoice_id, number = made.id, made.number
    return web.redirect(f"/invoices/{invoice_id}", f"Invoice {number} issued.")


def routes() -> list[BaseRoute]:
    return [
        Route("/group", group_page, methods=["GET"]),
        Route("/group/invoice", create_invoice, methods=["POST"]),
    ]
