"""Pond5 commands of buying and downloading: purchase_using_cash, purchase_using_credits,
purchase_using_subscription, download, get_downloads_formatted.

Purchases buy the whole cart through `commerce.purchases.purchase_cart` (all lines or
none). Codes: 101 empty cart, 102 not enough credits (1 for not enough cash: the document
lists 102 for credits only), 103 bought before / own
clips with the `bought_before` and `ownClips` arrays, 106 credits would cover a cash
purchase that asked to use them. `override` is the array of culprit ids to buy anyway.

Downloads: `tr` is a license transaction, `v` a version of the video format it bought
(buying one version lets the buyer download every version of its format), `bid` the
version that was bought. An item without versions (audio, images) is its own only
version: `bid` and `v` are the item id. The answer's `url` is a signed link on this server
that works for the buyer only, for an hour.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import User
from stockhouse.catalog.models import MediaItem, MediaKind
from stockhouse.commerce import billing, carts, downloads, purchases, subscriptions
from stockhouse.commerce.downloads import DownloadGrant, VersionInfo
from stockhouse.commerce.listing import MAX_LIMIT, Paging
from stockhouse.commerce.models import LicenseTransaction
from stockhouse.compat.pond5 import facts
from stockhouse.compat.pond5.wire import (
    MAX_TEXT_CHARS,
    Call,
    Code,
    Pond5Error,
    command,
    flv_base,
    flv_base_encr,
    icon_base,
    price_text,
)
from stockhouse.errors import Conflict, DomainError, InsufficientFunds, NotFound, PermissionDenied

NO_EXPIRY = "never"
MAX_USERDATA_CHARS = MAX_TEXT_CHARS


# -- purchases --------------------------------------------------------------------------


def _purchase(call: Call, method: purchases.PurchaseMethod, *, one_item: bool = False) -> None:
    override = call.args.id_list("override")
    call.args.text("userdata", max_chars=MAX_USERDATA_CHARS)  # accepted, checked, not kept
    with call.runtime.db.session() as session:
        user = accounts.get_user(session, call.require_user())
        if one_item:
            _check_one_item(session, user)
        try:
            purchases.purchase_cart(session, user, method, override=override)
        except purchases.EmptyCart as exc:
            raise Pond5Error(Code.EMPTY) from exc
        except purchases.NeedsOverride as exc:
            extra = {"bought_before": exc.bought_before, "ownClips": exc.own_clips}
            raise Pond5Error(Code.BOUGHT_BEFORE, extra=extra) from exc
        except subscriptions.SubscriptionUnavailable as exc:
            raise Pond5Error(Code.GENERAL, exc.message) from exc
        except InsufficientFunds as exc:
            raise _short_of(method, exc) from exc
        except Conflict as exc:
            raise Pond5Error(Code.GENERAL, exc.message) from exc


def _short_of(method: purchases.PurchaseMethod, exc: InsufficientFunds) -> Pond5Error:
    """102 is "not enough credits": the document lists it for purchase_using_credits
    only. purchase_using_cash does not list it (Pond5 charged a card), so a cash balance
    that is short is the general code 1, with a message that says so."""
    if method == purchases.PurchaseMethod.CASH:
        return Pond5Error(Code.GENERAL, f"Not enough cash to pay for the cart: {exc.message}")
    return Pond5Error(Code.NOT_ENOUGH_CREDITS, exc.message)


def _check_one_item(session: Session, user: User) -> None:
    count = len(carts.cart_rows(session, user))
    if count == 0:
        raise Pond5Error(Code.EMPTY)
    if count > 1:
        raise Pond5Error(
            Code.GENERAL, "Exactly one item must be in the cart to purchase using subscription"
        )


@command("purchase_using_credits", login=True)
def purchase_using_credits(call: Call) -> dict[str, Any]:
    _purchase(call, purchases.PurchaseMethod.CREDITS)
    return {"completed": 1}


@command("purchase_using_subscription", login=True)
def purchase_using_subscription(call: Call) -> dict[str, Any]:
    _purchase(call, purchases.PurchaseMethod.SUBSCRIPTION, one_item=True)
    return {"completed": 1}


def _credits_would_cover(call: Call) -> bool:
    with call.runtime.db.read_session() as session:
        user = accounts.get_user(session, call.require_user())
        totals = carts.cart_totals(session, user)
        return 0 < totals.credits_total <= totals.credits_available


@command("purchase_using_cash", login=True)
def purchase_using_cash(call: Call) -> dict[str, Any]:
    """Pay the cart from the buyer's cash balance (106 when use_credits=1 and credits
    would pay it: purchase_using_credits is the call for that)."""
    address_id = call.args.integer("addressid", minimum=1)
    if call.args.flag("use_credits") and _credits_would_cover(call):
        raise Pond5Error(Code.CREDITS_SUFFICE)
    if address_id is not None:
        with call.runtime.db.read_session() as session:
            user = accounts.get_user(session, call.require_user())
            try:
                billing.get_address(session, user, address_id)
            except NotFound as exc:
                raise Pond5Error(Code.MISSING_ARGUMENTS, "Invalid addressid") from exc
    _purchase(call, purchases.PurchaseMethod.CASH)
    return {"completed": 1}


# -- download ---------------------------------------------------------------------------


def not_allowed(message: str | None = None) -> Pond5Error:
    return Pond5Error(Code.DOWNLOAD_NOT_ALLOWED, message)


def _allowed_versions(
    session: Session, transaction: LicenseTransaction, item: MediaItem
) -> set[int]:
    """The `v` (and `bid`) values a transaction lets its buyer name."""
    if item.kind != MediaKind.VIDEO:
        return {item.id}
    bought = downloads.bought_format(session, transaction)
    return {version.id for version in bought.versions} if bought is not None else set()


def _link(call: Call, session: Session, user: User, bid: int, tr: int, v: int) -> str:
    transaction = session.get(LicenseTransaction, tr)
    if transaction is None or not downloads.may_download(session, user, transaction):
        raise not_allowed()
    item = session.get(MediaItem, transaction.item_id)
    if item is None:
        raise not_allowed()
    allowed = _allowed_versions(session, transaction, item)
    if not allowed:
        raise Pond5Error(Code.DOWNLOAD_LINK_FAILED, "This purchase has no file version to deliver")
    if v not in allowed or bid not in allowed:
        raise not_allowed("This version is not part of the purchase")
    version_id = v if item.kind == MediaKind.VIDEO else None
    try:
        link = downloads.link_for_transaction(
            session, downloads.signer_for(call.runtime), user, tr, version_id=version_id
        )
    except (NotFound, PermissionDenied) as exc:
        raise not_allowed(exc.message) from exc
    except DomainError as exc:
        raise Pond5Error(Code.DOWNLOAD_LINK_FAILED, exc.message) from exc
    base = call.base_url
    if call.https and base.startswith("http://"):
        base = "https://" + base[len("http://") :]
    return base + link.path


@command("download", login=True)
def download(call: Call) -> dict[str, Any]:
    bid = call.args.required_integer("bid", minimum=0)
    tr = call.args.required_integer("tr", minimum=0)
    v = call.args.required_integer("v", minimum=0)
    with call.runtime.db.read_session() as session:
        user = accounts.get_user(session, call.require_user())
        url = _link(call, session, user, bid, tr, v)
    return {"url": url, "bid": str(bid), "tr": str(tr), "v": str(v)}


# -- get_downloads_formatted ------------------------------------------------------------


def _version_object(grant: DownloadGrant, item: MediaItem, info: VersionInfo) -> dict[str, Any]:
    return {
        "vm": grant.item_id,
        "vs": info.video_standard,
        "ox": info.width,
        "oy": info.height,
        "ar": info.aspect_ratio,
        "aq": facts.aspect_quotient(info.aspect_quotient, info.width, info.height),
        "n": grant.title,
        "pr": price_text(grant.price_minor),
        "tr": str(grant.transaction_id),
        "v": str(info.version_id),
        "exp": NO_EXPIRY,
        "codg": info.video_codec,
        "coda": info.audio_codec or facts.SILENT,
        "ext": info.extension,
        "artistname": grant.artist.username,
    }


def _item_as_version(grant: DownloadGrant, item: MediaItem) -> dict[str, Any]:
    """An item without versions, shown as its own only version (v = the item id)."""
    shape = facts.shape(item)
    return {
        "vm": grant.item_id,
        "vs": shape["vs"],
        "ox": shape["ox"],
        "oy": shape["oy"],
        "ar": shape["ar"],
        "aq": shape["aq"],
        "n": grant.title,
        "pr": price_text(grant.price_minor),
        "tr": str(grant.transaction_id),
        "v": str(item.id),
        "exp": NO_EXPIRY,
        **facts.codecs(item),
        "ext": item.extension,
        "artistname": grant.artist.username,
    }


def _container(grant: DownloadGrant, item: MediaItem) -> dict[str, Any]:
    versions: Sequence[dict[str, Any]]
    if grant.versions:
        versions = [_version_object(grant, item, info) for info in grant.versions]
        bought = grant.bought_version_id
    else:
        versions = [_item_as_version(grant, item)]
        bought = item.id
    return {"bid": str(bought), "sub_offs": str(grant.sub_offset), "versions": list(versions)}


@command("get_downloads_formatted", login=True)
def get_downloads_formatted(call: Call) -> dict[str, Any]:
    """Everything the user bought, newest first, with every version each purchase covers."""
    with call.runtime.db.read_session() as session:
        user = accounts.get_user(session, call.require_user())
        page = downloads.download_grants(session, user, paging=Paging(limit=MAX_LIMIT))
        items = []
        for grant in page.items:
            item = session.get(MediaItem, grant.item_id)
            assert item is not None  # a licensed item is never deleted (RESTRICT)
            items.append(_container(grant, item))
        return {
            "items": items,
            "icon_base": icon_base(call),
            "flv_base": flv_base(call),
            "flv_base_encr": flv_base_encr(call),
        }
