"""The demo's money side: licenses and prices, balances, credits, a subscription, a
licensing and download history, bins, a transfer and an invoice, so that every list of the
APIs has something in it. Made once: a marker in the ledger says it is done.
"""

from __future__ import annotations

import random

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import Group, User
from stockhouse.catalog.models import ItemStatus, MediaItem, MediaKind
from stockhouse.commerce import bins, credits, invoices, ledger, prices, subscriptions, transfers
from stockhouse.commerce.downloads import grant_complimentary, set_allowance, signer_for
from stockhouse.commerce.licensing import LicenseRequest, license_item
from stockhouse.commerce.models import (
    AccountKind,
    ExtOption,
    License,
    LicenseTransaction,
    PaymentMethod,
)
from stockhouse.runtime import Runtime

PREPAID_BALANCE_MINOR = 200_000  # $2,000: at least 50 licenses at demo prices (contract.md)
POND5_CREDITS = 500  # at least 10 clips
POND5_CASH_MINOR = 50_000
COMPLIMENTARY_PER_MONTH = 20
SEARCHES = ("sunset", "mountain lake", "business meeting", "coffee", "", "city night")
BUYERS = ("dp-admin", "dp-member", "dp-postpaid", "pond5-buyer")


def _users(session: Session) -> dict[str, User]:
    return {name: accounts.get_user_by_username(session, name) for name in (*BUYERS, "admin")}


def _group(session: Session, user: User) -> Group:
    member = accounts.membership_of(session, user)
    assert member is not None, f"demo user {user.username} has no group"
    return member.group


def _already_made(session: Session) -> bool:
    return bool(session.scalar(select(func.count()).select_from(LicenseTransaction)))


def _licensable(session: Session) -> list[tuple[MediaItem, str]]:
    """Active items with the smallest size they sell (s for images, 240... for video)."""
    rows = []
    items = session.scalars(
        select(MediaItem)
        .where(MediaItem.status == ItemStatus.ACTIVE, MediaItem.visible.is_(True))
        .order_by(MediaItem.id)
    )
    for item in items:
        codes = [size.code for size in item.sizes]
        if item.kind in (MediaKind.MUSIC, MediaKind.SFX):
            rows.append((item, "original"))
        elif codes:
            rows.append((item, codes[0]))
    return rows


def _standard_license(licenses: list[License], item: MediaItem, extended: bool = False) -> License:
    wanted = prices.product_type_of(item.kind)
    return next(lic for lic in licenses if lic.product_type == wanted and lic.extended == extended)


def _fund(session: Session, users: dict[str, User]) -> None:
    prepaid = _group(session, users["dp-admin"])
    balance = ledger.account_for(
        session, AccountKind.GROUP_BALANCE, group_id=prepaid.id, currency=prepaid.currency
    )
    ledger.refill(session, balance, PREPAID_BALANCE_MINOR, "demo: prepaid balance")
    buyer = users["pond5-buyer"]
    credits.grant_credits(session, buyer, POND5_CREDITS, memo="demo: welcome credits")
    credits.deposit_cash(session, buyer, POND5_CASH_MINOR, "USD")
    subscriptions.create_subscription(
        session, buyer, plan="Demo 10 downloads", downloads_allowed=10, period_days=30
    )


def _license_some(session: Session, users: dict[str, User], licenses: list[License]) -> None:
    """A licensing history: the prepaid group, the postpaid group and the Pond5 buyer. The
    prepaid group's first two photos are extended licenses with transfer rights."""
    rng = random.Random(7)
    candidates = _licensable(session)
    plan = [("dp-admin", 14), ("dp-member", 10), ("dp-postpaid", 8), ("pond5-buyer", 6)]
    for name, count in plan:
        buyer = users[name]
        transferable = 2 if name == "dp-admin" else 0
        for item, size in rng.sample(candidates, min(count, len(candidates))):
            if item.owner_id == buyer.id:
                continue
            extended = transferable > 0 and item.kind == MediaKind.PHOTO
            transferable -= extended
            license_item(
                session,
                LicenseRequest(
                    buyer=buyer,
                    item_id=item.id,
                    license_id=_standard_license(licenses, item, extended).id,
                    size_code="el0" if extended else size,
                    ext_options=int(ExtOption.TRANSFER_RIGHTS) if extended else 0,
                    payment_method=(
                        PaymentMethod.CREDITS if name == "pond5-buyer" else PaymentMethod.BALANCE
                    ),
                    project="Spring campaign" if name.startswith("dp") else "",
                    search_query=rng.choice(SEARCHES) or None,
                    idempotency_key=f"demo-{name}-{item.id}",
                ),
            )


def _extras(runtime: Runtime, session: Session, users: dict[str, User]) -> None:
    """Bins, a transfer, complimentary downloads and an invoice."""
    active = [item.id for item, _ in _licensable(session)]
    for name, bin_name in (("pond5-buyer", "Mood board"), ("dp-member", "Campaign picks")):
        made = bins.create_bin(session, users[name], bin_name, public=name == "dp-member")
        bins.add_items(session, users[name], made.id, active[:8])
    dp_admin = users["dp-admin"]
    transferable = session.scalars(
        select(LicenseTransaction.id)
        .where(
            LicenseTransaction.buyer_id == dp_admin.id,
            LicenseTransaction.ext_options.op("&")(int(ExtOption.TRANSFER_RIGHTS)) != 0,
        )
        .order_by(LicenseTransaction.id)
    ).all()
    if transferable:
        transfers.transfer_licenses(
            session,
            dp_admin,
            list(transferable),
            {"fullName": "Acme Media Ltd", "company": "Acme Media"},
            {"fullName": "Jordan Client", "company": "Client & Co", "email": "jordan@client.test"},
        )
    prepaid = _group(session, dp_admin)
    set_allowance(session, users["admin"], prepaid.id, COMPLIMENTARY_PER_MONTH)
    photos = [(item, size) for item, size in _licensable(session) if item.kind.is_image]
    for item, size in photos[:2]:
        grant_complimentary(session, signer_for(runtime), dp_admin, item.id, size)
    postpaid_admin = users["dp-postpaid"]
    owed = invoices.uninvoiced_transactions(session, postpaid_admin).items
    if owed:
        invoices.create_invoice(session, postpaid_admin, [t.id for t in owed][:3])


def build_demo_commerce(runtime: Runtime) -> bool:
    """Make the demo's commerce data once; False when it was already there."""
    with runtime.db.session() as session:
        licenses = prices.ensure_default_licenses_and_prices(session)
        if _already_made(session):
            return False
        users = _users(session)
        _fund(session, users)
        _license_some(session, users, licenses)
        _extras(runtime, session, users)
    return True
