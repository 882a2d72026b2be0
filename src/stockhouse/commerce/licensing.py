"""Licensing an item: the checks, the price, the payment, the royalty, all in one transaction.

`license_item` is the one way a buyer acquires a license; the native API, carts and
purchases (B) and the compatible APIs call it, and downloads (C) read the
`LicenseTransaction` rows it writes. The buyer's payment, the contributor's royalty and the
platform's share are one balanced ledger transaction written in the caller's database
transaction together with the `LicenseTransaction` row, so a license is never recorded
without its money moving, nor the other way round.

Who pays: a member of a prepaid group pays from the group's balance (InsufficientFunds when
short); a member of a postpaid group runs up the group's receivable and the transaction
stays "uninvoiced" until C's invoicing picks it up; a buyer without a group pays from their
own cash; with `PaymentMethod.CREDITS` the buyer's own credits pay the credits price.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import cast

from sqlalchemy import Table, bindparam, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, make_transient_to_detached

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import Group, GroupMember, PaymentMode, Role, User
from stockhouse.catalog.models import ItemStatus, MediaItem, MediaKind, SizeOption, VideoFormat
from stockhouse.commerce import ledger
from stockhouse.commerce.models import (
    CREDITS_CURRENCY,
    AccountKind,
    License,
    LicenseTransaction,
    PaymentMethod,
    ProductType,
    RoyaltyRate,
    TransactionStatus,
)
from stockhouse.commerce.money import apply_vat, share
from stockhouse.commerce.prices import (
    AUDIO_SIZE,
    PriceQuote,
    price_book,
    product_type_of,
    royalty_rate,
)
from stockhouse.db.base import utcnow
from stockhouse.errors import Conflict, InsufficientFunds, InvalidParameter, NotFound

DOWNLOAD_PATH = "/v1/downloads/{transaction_id}"
_LICENSES = cast(Table, LicenseTransaction.__table__)
_LICENSE_COLUMNS = [c.key for c in _LICENSES.columns if c.key != "id"]
_IDEMPOTENCY_COLUMNS = ["buyer_id", "idempotency_key"]
# A plain INSERT that yields no id, instead of failing the transaction, when the buyer's
# idempotency key is already taken (a concurrent request with the same key won the race).
_INSERT_LICENSE = {
    "postgresql": postgresql.insert(_LICENSES)
    .on_conflict_do_nothing(index_elements=_IDEMPOTENCY_COLUMNS)
    .returning(_LICENSES.c.id),
    "sqlite": sqlite.insert(_LICENSES)
    .on_conflict_do_nothing(index_elements=_IDEMPOTENCY_COLUMNS)
    .returning(_LICENSES.c.id),
}
_DELETE_LICENSE = delete(_LICENSES).where(_LICENSES.c.id == bindparam("transaction_id"))
_ITEMS = cast(Table, MediaItem.__table__)
# A licensed download counted without touching the item's updated_at (not an edit).
_COUNT_DOWNLOAD = (
    update(_ITEMS)
    .where(_ITEMS.c.id == bindparam("item_id"))
    .values(downloads=_ITEMS.c.downloads + 1, updated_at=_ITEMS.c.updated_at)
)
LEDGER_KIND = "license"
MAX_IDEMPOTENCY_KEY = 100
IDEMPOTENCY_KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,100}$")  # printable ASCII, no spaces
SIZE_PATTERN = re.compile(r"^[a-z0-9]{1,16}$")
COUNTRY_PATTERN = re.compile(r"^[A-Z]{2}$")
MAX_LIST_LIMIT = 500
FIELD_LIMITS = {"project": 200, "client": 200, "purchase_order": 200, "isbn": 64, "other": 500}
MAX_SEARCH_QUERY = 500
PAYABLE_METHODS = frozenset(
    {
        PaymentMethod.BALANCE,
        PaymentMethod.POSTPAID,
        PaymentMethod.CREDITS,
        PaymentMethod.SUBSCRIPTION,
    }
)


@dataclass(frozen=True)
class LicenseRequest:
    """A buyer's wish to license one size of one item under one license.

    `payment_method`: BALANCE (the group's balance or receivable when the buyer is in a
    group, else the buyer's cash; POSTPAID is accepted as a synonym), CREDITS (the buyer's
    credits, at the credits price), or SUBSCRIPTION (the caller has already consumed a
    subscription download in this session; nothing is charged, the platform pays the
    royalty). `quote` is a price the caller has settled (a cart's discounted or converted
    price) to charge instead of the price list's. `sub_offset` picks a video's format.
    """

    buyer: User
    item_id: int
    license_id: int
    size_code: str
    ext_options: int = 0
    payment_method: PaymentMethod = PaymentMethod.BALANCE
    project: str = ""
    client: str = ""
    purchase_order: str = ""
    isbn: str = ""
    other: str = ""
    buyer_country: str | None = None
    search_query: str | None = None
    idempotency_key: str | None = None
    sub_offset: int | None = None
    quote: PriceQuote | None = None


@dataclass(frozen=True)
class LicenseResult:
    """The license transaction, where to download the file, and whether this was a replay."""

    transaction: LicenseTransaction
    download_path: str
    replayed: bool = False


@dataclass(frozen=True)
class Payment:
    """How one license is paid: the account debited, the status, the amounts."""

    method: PaymentMethod
    status: TransactionStatus
    account_kind: AccountKind | None  # None: nothing charged to the buyer (subscription)
    owner_user_id: int | None
    owner_group_id: int | None
    currency: str  # of the money price and the royalty
    price_minor: int
    vat_minor: int
    credits: int


@dataclass(frozen=True)
class LicensedPage:
    """One page of licensed items and how many there are in all."""

    items: list[LicenseTransaction]
    total: int


def download_path(transaction_id: int) -> str:
    """Where the licensed file of a transaction is downloaded (served by downloads, C)."""
    return DOWNLOAD_PATH.format(transaction_id=transaction_id)


# -- validation -------------------------------------------------------------------------


def _validated(request: LicenseRequest) -> LicenseRequest:
    """The request with text fields trimmed; InvalidParameter for anything malformed."""
    if not isinstance(request.size_code, str) or not SIZE_PATTERN.fullmatch(request.size_code):
        raise InvalidParameter("size", "size must be a size code like s, xl, 1080 or original")
    options = request.ext_options
    if isinstance(options, bool) or not isinstance(options, int) or options < 0:
        raise InvalidParameter("ext_options", "ext_options must be a non-negative bitmask")
    try:
        method = PaymentMethod(request.payment_method)
    except ValueError as exc:
        raise InvalidParameter("payment_method", "unknown payment method") from exc
    if method not in PAYABLE_METHODS:
        raise InvalidParameter("payment_method", f"{method.value} cannot license an item")
    key = request.idempotency_key
    if key is not None and not IDEMPOTENCY_KEY_PATTERN.fullmatch(key):
        raise InvalidParameter(
            "idempotency_key", f"idempotency key must be 1-{MAX_IDEMPOTENCY_KEY} visible characters"
        )
    country = request.buyer_country or request.buyer.country
    if country is not None and not COUNTRY_PATTERN.fullmatch(country):
        raise InvalidParameter("buyer_country", "country must be a two-letter code like US")
    texts = {name: str(getattr(request, name)).strip() for name in FIELD_LIMITS}
    for name, value in texts.items():
        if len(value) > FIELD_LIMITS[name]:
            raise InvalidParameter(name, f"{name} must be at most {FIELD_LIMITS[name]} characters")
    query = request.search_query
    if query is not None and len(query) > MAX_SEARCH_QUERY:
        query = query[:MAX_SEARCH_QUERY]  # a long query is context, not worth a refusal
    return replace(
        request,
        payment_method=method,
        buyer_country=country,
        search_query=query,
        project=texts["project"],
        client=texts["client"],
        purchase_order=texts["purchase_order"],
        isbn=texts["isbn"],
        other=texts["other"],
    )


@dataclass(frozen=True)
class ItemFacts:
    """What licensing needs of an item and its contributor, read in one query."""

    id: int
    kind: MediaKind
    owner_id: int
    extended_allowed: bool
    has_size: bool  # a SizeOption with the requested code
    contributor_level: str
    royalty_rate: Decimal | None  # of the contributor's level, None when the level has none


# An active, visible item with whether it has a size, its contributor's level and royalty
# rate, and whether the buyer already used the idempotency key: one query, compiled once.
_ITEM_FACTS = (
    select(
        MediaItem.id,
        MediaItem.kind,
        MediaItem.owner_id,
        MediaItem.extended_allowed,
        select(SizeOption.code)
        .where(SizeOption.item_id == MediaItem.id, SizeOption.code == bindparam("size_code"))
        .exists(),
        User.contributor_level,
        RoyaltyRate.rate,
        select(LicenseTransaction.id)
        .where(
            LicenseTransaction.buyer_id == bindparam("buyer_id"),
            LicenseTransaction.idempotency_key == bindparam("key"),
        )
        .exists(),
    )
    .join(User, User.id == MediaItem.owner_id)
    .outerjoin(RoyaltyRate, RoyaltyRate.level == User.contributor_level)
    .where(
        MediaItem.id == bindparam("item_id"),
        MediaItem.status == ItemStatus.ACTIVE,
        MediaItem.visible.is_(True),
    )
)


def _item_facts(session: Session, request: LicenseRequest) -> tuple[ItemFacts | None, bool]:
    """The item if it is active and visible, with its contributor's royalty rate, and
    whether the request's idempotency key may have been used (always when no item)."""
    params = {
        "item_id": request.item_id,
        "size_code": request.size_code,
        "buyer_id": request.buyer.id,
        "key": request.idempotency_key,
    }
    # A Core statement on the session's connection: no ORM work for plain columns.
    row = session.connection().execute(_ITEM_FACTS, params).one_or_none()
    if row is None:
        return None, request.idempotency_key is not None
    item_id, kind, owner_id, extended_allowed, size_found, level, rate, key_used = row
    facts = ItemFacts(
        item_id, MediaKind(kind), owner_id, bool(extended_allowed), bool(size_found), level, rate
    )
    return facts, bool(key_used)


def _check_license_fits(item: ItemFacts, license: License, request: LicenseRequest) -> None:
    """Refuse a license that does not fit the item, the size or the options."""
    if product_type_of(item.kind) != license.product_type:
        raise InvalidParameter(
            "license_id",
            f"license {license.id} is for {license.product_type.value}, "
            f"item {item.id} is {item.kind.value}",
        )
    if request.size_code not in license.sizes:
        raise InvalidParameter(
            "size", f"license {license.id} does not cover size {request.size_code!r}"
        )
    audio_original = license.product_type == ProductType.AUDIO and request.size_code == AUDIO_SIZE
    if not audio_original and not item.has_size:
        raise InvalidParameter("size", f"item {item.id} has no size {request.size_code!r}")
    if request.ext_options & ~license.ext_options_allowed:
        raise InvalidParameter(
            "ext_options",
            f"license {license.id} does not allow extended options {request.ext_options}",
        )
    if license.extended and not item.extended_allowed:
        raise InvalidParameter(
            "license_id", f"item {item.id} may not be licensed under extended terms"
        )


def _video_format_id(session: Session, item: ItemFacts, sub_offset: int | None) -> int | None:
    """The chosen video format (by sub_offset; the first when not given), None for non-video."""
    if product_type_of(item.kind) != ProductType.VIDEO:
        if sub_offset not in (None, 0):
            raise InvalidParameter("sub_offset", "only video items have formats")
        return None
    query = select(VideoFormat.id).where(VideoFormat.item_id == item.id)
    if sub_offset is not None:
        query = query.where(VideoFormat.sub_offset == sub_offset)
    format_id = session.scalars(query.order_by(VideoFormat.sub_offset, VideoFormat.id)).first()
    if format_id is None and sub_offset is not None:
        raise InvalidParameter("sub_offset", f"item {item.id} has no format {sub_offset}")
    return format_id


_BUYER_GROUP = (
    select(Group)
    .join(GroupMember, GroupMember.group_id == Group.id)
    .where(GroupMember.user_id == bindparam("user_id"))
)


def _buyer_group(session: Session, buyer: User) -> Group | None:
    """The buyer's enterprise group, if any (one query)."""
    return session.scalar(_BUYER_GROUP, {"user_id": buyer.id})


# -- payment ----------------------------------------------------------------------------


def _payment(request: LicenseRequest, group: Group | None, quote: PriceQuote) -> Payment:
    """Who pays how much from which account, and the resulting transaction status."""
    buyer_id = request.buyer.id
    method = request.payment_method
    if method == PaymentMethod.CREDITS:
        return Payment(
            method, TransactionStatus.PAID, AccountKind.USER_CREDITS, buyer_id, None,
            quote.currency, quote.amount_minor, 0, quote.credits,
        )  # fmt: skip
    if method == PaymentMethod.SUBSCRIPTION:
        return Payment(
            method, TransactionStatus.PAID, None, None, None, quote.currency, 0, 0, 0
        )  # fmt: skip
    vat = apply_vat(
        quote.amount_minor,
        group.vat_rate if group is not None else Decimal(0),
        enabled=group is not None and group.vat_enabled,
    )
    if group is not None and group.payment_mode == PaymentMode.POSTPAID:
        return Payment(
            PaymentMethod.POSTPAID, TransactionStatus.UNINVOICED, AccountKind.GROUP_RECEIVABLE,
            None, group.id, quote.currency, quote.amount_minor, vat.vat_minor, 0,
        )  # fmt: skip
    if method == PaymentMethod.POSTPAID:
        raise InvalidParameter("payment_method", "only members of postpaid groups pay later")
    if group is not None:
        return Payment(
            PaymentMethod.BALANCE, TransactionStatus.PAID, AccountKind.GROUP_BALANCE,
            None, group.id, quote.currency, quote.amount_minor, vat.vat_minor, 0,
        )  # fmt: skip
    return Payment(
        PaymentMethod.BALANCE, TransactionStatus.PAID, AccountKind.USER_CASH,
        buyer_id, None, quote.currency, quote.amount_minor, 0, 0,
    )  # fmt: skip


def _ledger_entries(
    session: Session, payment: Payment, contributor_id: int, royalty: int, list_price: int
) -> list[ledger.Entry]:
    """The balanced entries of one license: buyer pays, contributor earns, platform keeps.

    The accounts are looked up together in one query.
    """
    currency = payment.currency
    keys = [
        ledger.AccountKey(AccountKind.CONTRIBUTOR_EARNINGS, currency, user_id=contributor_id),
        ledger.AccountKey(AccountKind.PLATFORM_REVENUE, currency),
    ]
    if payment.account_kind == AccountKind.USER_CREDITS:
        keys += [
            ledger.AccountKey(
                AccountKind.USER_CREDITS, CREDITS_CURRENCY, user_id=payment.owner_user_id
            ),
            ledger.AccountKey(AccountKind.PLATFORM_REVENUE, CREDITS_CURRENCY),
        ]
    elif payment.account_kind is not None:
        keys.append(
            ledger.AccountKey(
                payment.account_kind,
                currency,
                user_id=payment.owner_user_id,
                group_id=payment.owner_group_id,
            )
        )
    if payment.vat_minor:
        keys.append(ledger.AccountKey(AccountKind.EXTERNAL, currency))
    earnings, platform, *others = ledger.accounts_for(session, keys)
    if payment.account_kind is None:  # subscription: the platform pays the royalty
        return [(platform, -royalty), (earnings, royalty)]
    if payment.account_kind == AccountKind.USER_CREDITS:
        credits, platform_credits = others
        return [
            (credits, -payment.credits),
            (platform_credits, payment.credits),
            (platform, -royalty),
            (earnings, royalty),
        ]
    payer = others[0]
    entries = [
        (payer, -(payment.price_minor + payment.vat_minor)),
        (earnings, royalty),
        (platform, list_price - royalty),
    ]
    if payment.vat_minor:  # VAT leaves the system for the tax authority
        entries.append((others[1], payment.vat_minor))
    return entries


# -- licensing --------------------------------------------------------------------------


_BY_IDEMPOTENCY_KEY = select(LicenseTransaction).where(
    LicenseTransaction.buyer_id == bindparam("buyer_id"),
    LicenseTransaction.idempotency_key == bindparam("key"),
)


def existing_license(session: Session, buyer_id: int, key: str) -> LicenseTransaction | None:
    """The buyer's license transaction recorded under this idempotency key, if any."""
    return session.scalar(_BY_IDEMPOTENCY_KEY, {"buyer_id": buyer_id, "key": key})


def replay(existing: LicenseTransaction, request: LicenseRequest) -> LicenseResult:
    """The first result of an idempotent retry; Conflict if the key was used for another wish."""
    same = (
        existing.item_id == request.item_id
        and existing.license_id == request.license_id
        and existing.size_code == request.size_code
        and existing.ext_options == request.ext_options
    )
    if not same:
        raise Conflict("this idempotency key was used for a different license request")
    return LicenseResult(existing, download_path(existing.id), replayed=True)


@dataclass(frozen=True)
class _Checked:
    """A request that passed every check, with what recording it needs."""

    request: LicenseRequest
    item: ItemFacts
    license: License
    group: Group | None
    quote: PriceQuote
    format_id: int | None


def _check(session: Session, request: LicenseRequest, item: ItemFacts) -> _Checked:
    """Every refusal that does not depend on money, and the price."""
    license = session.get(License, request.license_id)
    if license is None or not license.active:
        raise NotFound(f"license {request.license_id} is not available")
    _check_license_fits(item, license, request)
    group = _buyer_group(session, request.buyer)
    book = price_book(session, license, group)
    if not book.offered:
        raise NotFound(f"license {license.id} is not available")
    quote = request.quote or book.quote(request.size_code, request.ext_options)
    format_id = _video_format_id(session, item, request.sub_offset)
    return _Checked(request, item, license, group, quote, format_id)


@dataclass(frozen=True)
class PreparedLicense:
    """A license that passed every check but money: its ledger entries and its row.

    `row` holds the license transaction's columns but `ledger_transaction_id` and
    `created_at`, which recording fills in. Nothing of it is written yet.
    """

    request: LicenseRequest
    entries: list[ledger.Entry]
    memo: str
    row: dict[str, object]

    @property
    def item_id(self) -> int:
        return self.request.item_id


def _license_row(checked: _Checked, payment: Payment, royalty: int) -> dict[str, object]:
    """The columns of the license transaction row, but its ledger transaction and time."""
    request, item = checked.request, checked.item
    return {
        "item_id": item.id,
        "contributor_id": item.owner_id,
        "license_id": checked.license.id,
        "size_code": request.size_code,
        "ext_options": request.ext_options,
        "video_format_id": checked.format_id,
        "buyer_id": request.buyer.id,
        "group_id": checked.group.id if checked.group is not None else None,
        "payment_method": payment.method,
        "status": payment.status,
        "currency": payment.currency,
        "price_minor": payment.price_minor,
        "vat_minor": payment.vat_minor,
        "credits": payment.credits,
        "royalty_minor": royalty,
        "project": request.project,
        "client": request.client,
        "purchase_order": request.purchase_order,
        "isbn": request.isbn,
        "other": request.other,
        "buyer_country": request.buyer_country,
        "search_query": request.search_query,
        "idempotency_key": request.idempotency_key,
        "invoice_id": None,
    }


def prepare_license(session: Session, request: LicenseRequest) -> LicenseResult | PreparedLicense:
    """Every check of `license_item` but money, and what recording the license will write.

    Answers the first result instead when the request is an idempotent retry. Reads only,
    but may create the ledger accounts the license will use. Raises what `license_item`
    raises, but InsufficientFunds, which only recording can tell.
    """
    request = _validated(request)
    key = request.idempotency_key
    item, key_used = _item_facts(session, request)
    if key is not None and key_used:
        existing = existing_license(session, request.buyer.id, key)
        if existing is not None:  # a retry: answered even if the item is gone since
            return replay(existing, request)
    if item is None:
        raise NotFound(f"item {request.item_id} is not available for licensing")
    checked = _check(session, request, item)
    payment = _payment(request, checked.group, checked.quote)
    rate = item.royalty_rate
    if rate is None:
        rate = royalty_rate(session, item.contributor_level)
    amount = checked.quote.amount_minor
    royalty = share(amount, rate)
    entries = _ledger_entries(session, payment, item.owner_id, royalty, amount)
    memo = f"item {item.id} {checked.license.name} {request.size_code}"
    return PreparedLicense(request, entries, memo, _license_row(checked, payment, royalty))


def detached_transaction(transaction_id: int, row: dict[str, object]) -> LicenseTransaction:
    """A LicenseTransaction object for a row written with plain SQL (no second INSERT)."""
    transaction = LicenseTransaction(id=transaction_id, **row)
    make_transient_to_detached(transaction)
    return transaction


def _record(session: Session, prepared: PreparedLicense) -> LicenseTransaction | None:
    """Charge, pay the royalty, write the transaction row and count the download.

    None, with nothing written, when the buyer's idempotency key was taken meanwhile by a
    concurrent request. A refusal (InsufficientFunds) takes back everything it wrote.
    """
    posting = ledger.prepare(session, LEDGER_KIND, prepared.memo, prepared.entries)
    row = {
        **prepared.row,
        "ledger_transaction_id": posting.transaction.id,
        "created_at": utcnow(),
    }
    # Plain Core statements rather than the unit of work: this is the hot path of every sale.
    conn = session.connection()
    transaction_id = conn.execute(_INSERT_LICENSE[conn.dialect.name], row).scalar_one_or_none()
    if transaction_id is None:
        ledger.undo(session, posting)
        return None
    moved: list[int] = []
    try:
        # The balances come last: their row locks are what concurrent buyers wait for.
        ledger.settle(session, posting, moved)
    except InsufficientFunds:
        conn.execute(_DELETE_LICENSE, {"transaction_id": transaction_id})
        ledger.undo(session, posting, moved)
        raise
    conn.execute(_COUNT_DOWNLOAD, {"item_id": prepared.item_id})
    transaction = detached_transaction(transaction_id, row)
    session.add(transaction)
    return transaction


def license_item(session: Session, request: LicenseRequest) -> LicenseResult:
    """License one size of an item for a buyer, charging them and paying the contributor.

    Runs in the caller's transaction (commit it to keep the license). Refusals: NotFound
    (item missing, not active or hidden; license unknown, inactive or outside the buyer's
    group scope), InvalidParameter (size, options, product type, extended terms, input),
    InsufficientFunds (balance or credits short), Conflict (idempotency key reused for a
    different request). A refusal leaves nothing of this license in the transaction. The
    same buyer and idempotency key return the first result without charging again, also
    when two such requests race.
    """
    prepared = prepare_license(session, request)
    if isinstance(prepared, LicenseResult):
        return prepared
    transaction = _record(session, prepared)
    if transaction is None:
        # A concurrent request with the same key won: its charge stands, ours was undone.
        request = prepared.request
        key = request.idempotency_key
        existing = None if key is None else existing_license(session, request.buyer.id, key)
        if existing is None:
            raise Conflict("the license could not be recorded; try again")
        return replay(existing, request)
    return LicenseResult(transaction, download_path(transaction.id))


# -- reading ----------------------------------------------------------------------------


def licensed_items(
    session: Session,
    owner: Group | User,
    *,
    status: TransactionStatus | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> LicensedPage:
    """A group's (all members') or a user's license transactions, newest first.

    `since` is inclusive and `until` exclusive; `status` filters paid/uninvoiced/invoiced.
    """
    if not 1 <= limit <= MAX_LIST_LIMIT:
        raise InvalidParameter("limit", f"limit must be 1-{MAX_LIST_LIMIT}")
    if offset < 0:
        raise InvalidParameter("offset", "offset must not be negative")
    if since is not None and until is not None and since >= until:
        raise InvalidParameter("date", "the start of the interval must be before its end")
    if isinstance(owner, Group):
        condition = LicenseTransaction.group_id == owner.id
    else:
        condition = LicenseTransaction.buyer_id == owner.id
    conditions = [condition]
    if status is not None:
        conditions.append(LicenseTransaction.status == TransactionStatus(status))
    if since is not None:
        conditions.append(LicenseTransaction.created_at >= since)
    if until is not None:
        conditions.append(LicenseTransaction.created_at < until)
    total = session.scalar(select(func.count()).select_from(LicenseTransaction).where(*conditions))
    rows = session.scalars(
        select(LicenseTransaction)
        .where(*conditions)
        .order_by(LicenseTransaction.created_at.desc(), LicenseTransaction.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return LicensedPage(items=list(rows), total=int(total or 0))


def transaction_info(session: Session, viewer: User, transaction_id: int) -> LicenseTransaction:
    """One license transaction, if the viewer bought it, shares its group, or is an admin.

    Anyone else gets NotFound, as if it did not exist (its existence is nobody else's business).
    """
    query = select(LicenseTransaction).where(LicenseTransaction.id == transaction_id)
    if not viewer.has_role(Role.ADMIN):
        membership = accounts.membership_of(session, viewer)
        visible = [LicenseTransaction.buyer_id == viewer.id]
        if membership is not None:
            visible.append(LicenseTransaction.group_id == membership.group_id)
        query = query.where(or_(*visible))
    transaction = session.scalar(query)
    if transaction is None:
        raise NotFound(f"license transaction {transaction_id} does not exist")
    return transaction
