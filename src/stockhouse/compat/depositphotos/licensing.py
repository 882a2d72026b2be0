"""Depositphotos commands: licensing (see the package docstring for the layout).

getLicenseOfGroup, licenseItem, getLicensedItems, getTransactionLicenseInfo,
complimentaryDownload and getGroupCompDownloads, translated to `commerce` (licensing,
prices, licensed, transfers, downloads). The helpers at the top (sizes, dates, paging,
money, links) are shared with `transfers` and `invoices`.

Translation decisions (docs/compat/depositphotos.md, "Licensing, transfers and invoices"):
`dp_option` "s-2015" and "s" are the same size; `sizes` of a licensed transaction and
`netId` of getLicenseOfGroup are the size's 1-based position in the license; `marker` is
1 paid, 2 uninvoiced, 3 invoiced; `currencyId` comes from CURRENCY_IDS; money is a number
in major units; item-level refusals of licenseItem are per-item `result: error` entries
inside an overall success, request-level ones (parameters, session) the failure envelope.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import Group, User
from stockhouse.api.media import rendition_path
from stockhouse.catalog.models import MediaKind
from stockhouse.commerce import downloads, licensed, prices, transfers
from stockhouse.commerce.licensing import FIELD_LIMITS, LicenseRequest, LicenseResult, license_item
from stockhouse.commerce.listing import MAX_LIMIT, Paging, Period
from stockhouse.commerce.models import License, TransactionStatus
from stockhouse.commerce.money import to_decimal
from stockhouse.compat.depositphotos.wire import (
    Call,
    Params,
    command,
    from_domain,
    invalid_param,
)
from stockhouse.errors import DomainError

DEFAULT_LIMIT = 50
MAX_LICENSE_WISHES = 100
MAX_EXT_OPTIONS = prices.ALL_EXT_OPTIONS
MAX_IDEMPOTENCY_KEY = 60  # leaves room for the per-item suffix within the core's 100
IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,60}$")
SIZE_SUFFIX = "-2015"  # the document's names of the main collection's image sizes
SUFFIXED_SIZES = frozenset({"s", "m", "l", "xl"})
SIZE_LABELS = {
    "s": "Small",
    "m": "Medium",
    "l": "Large",
    "xl": "Extra Large",
    "vect": "Vector",
    "el0": "Extended",
    "original": "Original",
    "4k": "4K",
}
# Depositphotos numbers currencies; 0 is USD in the official SDK's fixtures.
CURRENCY_IDS = {"USD": 0, "EUR": 1, "GBP": 2, "CAD": 3, "AUD": 4, "JPY": 5, "CHF": 6}
UNKNOWN_CURRENCY_ID = 99
STATUS_NAMES = {
    TransactionStatus.PAID: "Paid",
    TransactionStatus.UNINVOICED: "Uninvoiced",
    TransactionStatus.INVOICED: "Invoiced",
}
STATUS_MARKERS = {
    TransactionStatus.PAID: 1,
    TransactionStatus.UNINVOICED: 2,
    TransactionStatus.INVOICED: 3,
}
DP_TYPES = {
    "image": (MediaKind.PHOTO, MediaKind.ILLUSTRATION),
    "photo": (MediaKind.PHOTO,),
    "vector": (MediaKind.VECTOR,),
    "video": (MediaKind.VIDEO,),
    "audio": (MediaKind.MUSIC, MediaKind.SFX),
}
# The document's item types (image|vector|video) and the small preview of each kind.
ITEM_TYPES = {
    MediaKind.PHOTO: "image",
    MediaKind.VECTOR: "vector",
    MediaKind.ILLUSTRATION: "vector",
    MediaKind.VIDEO: "video",
    MediaKind.MUSIC: "audio",
    MediaKind.SFX: "audio",
}
PREVIEW_RENDITIONS = {
    MediaKind.VIDEO: "icon",
    MediaKind.MUSIC: "waveform",
    MediaKind.SFX: "waveform",
}
DEFAULT_PREVIEW = "thumb110"
TEXT_FIELDS = ("project", "client", "purchase_order", "isbn", "other")
DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d")


# -- shared translation helpers ---------------------------------------------------------


def core_size(option: str) -> str:
    """The core size code of a `dp_option`: "s-2015" and "s" are both "s"."""
    code = option.strip().lower()
    return code.removesuffix(SIZE_SUFFIX) if code.endswith(SIZE_SUFFIX) else code


def dp_size(code: str) -> str:
    """The document's name of a size: "s-2015" for the main image sizes, else the code."""
    return f"{code}{SIZE_SUFFIX}" if code in SUFFIXED_SIZES else code


def size_number(license: License | None, code: str) -> int:
    """A size's number (1-based position in its license; 0 when the license lacks it)."""
    sizes = license.sizes if license is not None else []
    return sizes.index(code) + 1 if code in sizes else 0


def currency_id(currency: str) -> int:
    return CURRENCY_IDS.get(currency, UNKNOWN_CURRENCY_ID)


def money(amount_minor: int, currency: str) -> float:
    """A JSON number in major units (two decimals for USD: exact as text)."""
    return float(to_decimal(amount_minor, currency))


def unix(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp())


def viewer_of(session: Session, call: Call) -> User:
    return accounts.get_user(session, call.require_user())


def group_of(session: Session, user: User) -> Group | None:
    member = accounts.membership_of(session, user)
    return None if member is None else member.group


def item_type(kind: MediaKind) -> str:
    return ITEM_TYPES[MediaKind(kind)]


def preview_url(call: Call, item_id: int, kind: MediaKind) -> str:
    """The item's small preview (110 px thumbnail, video icon or audio waveform)."""
    name = PREVIEW_RENDITIONS.get(MediaKind(kind), DEFAULT_PREVIEW)
    return call.base_url + rendition_path(item_id, name)


def item_link(call: Call, item_id: int) -> str:
    return f"{call.base_url}/v1/items/{item_id}"


def person(who: transfers.Person | downloads.Party) -> dict[str, Any]:
    return {"id": who.id, "username": who.username}


def _moment(params: Params, name: str) -> tuple[datetime, timedelta] | None:
    """A date parameter and the step that makes it an inclusive end (a day or a second)."""
    raw = params.raw(name)
    if raw is None or raw == "":
        return None
    text = params.text(name, max_chars=40) or ""
    if text.strip().isdigit() and len(text.strip()) <= 12:
        return datetime.fromtimestamp(int(text.strip()), UTC), timedelta(seconds=1)
    for pattern in DATE_FORMATS:
        try:
            moment = datetime.strptime(text.strip(), pattern).replace(tzinfo=UTC)
        except ValueError:
            continue
        step = timedelta(days=1) if pattern == "%Y-%m-%d" else timedelta(seconds=1)
        return moment, step
    raise invalid_param(name, f"{name} must be a date like 2024-01-31 or 2024-01-31 23:59:59")


def period_of(params: Params) -> Period:
    """dp_date_start (inclusive) and dp_date_end (inclusive: the whole day or second), UTC."""
    start = _moment(params, "dp_date_start")
    end = _moment(params, "dp_date_end")
    since = start[0] if start is not None else None
    until = end[0] + end[1] if end is not None else None
    if since is not None and until is not None and until <= since:
        raise invalid_param("dp_date_end", "dp_date_end must not be before dp_date_start")
    return Period(since, until)


def paging_of(params: Params) -> Paging:
    limit = params.integer("dp_limit", DEFAULT_LIMIT, minimum=1, maximum=MAX_LIMIT)
    offset = params.integer("dp_offset", 0, minimum=0)
    assert limit is not None and offset is not None
    return Paging(limit, offset)


def status_of(params: Params) -> TransactionStatus | None:
    """dp_type of the license listings: paid, uninvoiced or invoiced (any case); all if unset."""
    value = params.text("dp_type", max_chars=20)
    if not value:
        return None
    try:
        return TransactionStatus(value.strip().lower())
    except ValueError as exc:
        raise invalid_param("dp_type", "dp_type must be paid, uninvoiced or invoiced") from exc


def optional_id(params: Params, name: str) -> int | None:
    return params.integer(name, minimum=1)


def listing_filters(params: Params) -> dict[str, Any]:
    """The filters getLicensedItems and getTransferredLicenses share, as the core's listing
    functions take them: date range, paging, status, member and group."""
    return {
        "period": period_of(params),
        "paging": paging_of(params),
        "status": status_of(params),
        "user_id": optional_id(params, "dp_user_id"),
        "group_id": optional_id(params, "dp_group_id"),
    }


# -- getLicenseOfGroup ------------------------------------------------------------------


def _license_entry(session: Session, license: License, group: Group | None) -> dict[str, Any]:
    book = prices.price_book(session, license, group)
    sizes = []
    for number, code in enumerate(license.sizes, start=1):
        row = book.rows.get((code, 0))
        sizes.append(
            {
                "id": dp_size(code),
                "label": SIZE_LABELS.get(code, code.upper() if code.isalpha() else f"{code}p"),
                "price": money(row.amount_minor, row.currency) if row is not None else None,
                "enabled": row is not None,
                "order": number,
                "netId": number,
            }
        )
    options = []
    for flag in prices.ext_bits(license.ext_options_allowed):
        row = book.rows.get(("*", int(flag)))
        if row is not None:
            options.append({"option": int(flag), "price": money(row.amount_minor, row.currency)})
    return {
        "licenseId": license.id,
        "licenseID": license.id,  # the official SDK reads this spelling
        "licenseName": license.name,
        "templateId": license.template_id,
        "productType": license.product_type.value,
        "sizes": sizes,
        "enabledSizesCount": sum(1 for size in sizes if size["enabled"]),
        "extOptions": options,
    }


@command("getLicenseOfGroup")
def get_license_of_group(call: Call) -> dict[str, Any]:
    """The licenses the caller's group may buy, each size with the group's price."""
    with call.runtime.db.read_session() as session:
        group = group_of(session, viewer_of(session, call))
        licenses = prices.licenses_for_group(session, group)
        data = [_license_entry(session, license, group) for license in licenses]
    return {"data": data, "count": len(data)}


# -- licenseItem ------------------------------------------------------------------------


@dataclass(frozen=True)
class Wish:
    """One item to license under one license, size and options."""

    index: int
    item_id: int
    license_id: int
    size_code: str
    ext_options: int


def _wishes(params: Params) -> list[Wish]:
    """dp_licensing as one object or a list, each with one dp_item_id or a list of them."""
    if "dp_licensing" not in params:
        raise invalid_param("dp_licensing")
    wishes: list[Wish] = []
    for entry in params.nested("dp_licensing"):
        sub = params.sub(entry)
        item_ids = sub.integer_list("dp_item_id")
        if not item_ids:
            raise invalid_param("dp_item_id")
        license_id = sub.required_integer("dp_license_id", minimum=1)
        option = core_size(sub.required_text("dp_option"))
        ext = sub.integer("dp_ext_options", 0, minimum=0, maximum=MAX_EXT_OPTIONS)
        assert ext is not None
        for item_id in item_ids:
            wishes.append(Wish(len(wishes), item_id, license_id, option, ext))
    if not wishes:
        raise invalid_param("dp_licensing")
    if len(wishes) > MAX_LICENSE_WISHES:
        raise invalid_param("dp_licensing", f"license at most {MAX_LICENSE_WISHES} items at once")
    return wishes


def _texts(params: Params) -> dict[str, str]:
    """dp_project, dp_client, dp_purchase_order, dp_isbn, dp_other within the core's lengths."""
    return {
        name: (params.text(f"dp_{name}", "", max_chars=FIELD_LIMITS[name]) or "")
        for name in TEXT_FIELDS
    }


def _idempotency_key(params: Params) -> str | None:
    """dp_idempotency_key (a Stockhouse extension): a retry with it licenses nothing twice."""
    key = params.text("dp_idempotency_key", max_chars=MAX_IDEMPOTENCY_KEY)
    if key is None or key == "":
        return None
    if not IDEMPOTENCY_KEY.fullmatch(key):
        raise invalid_param(
            "dp_idempotency_key", "dp_idempotency_key must be 1-60 visible ASCII characters"
        )
    return key


def _transaction_entry(result: LicenseResult, license: License | None) -> dict[str, Any]:
    transaction = result.transaction
    return {
        "transactionId": transaction.id,
        "license": transaction.license_id,
        "sizes": size_number(license, transaction.size_code),
    }


def _success(
    results: dict[str, dict[str, Any]], wish: Wish, entry: dict[str, Any], link: str
) -> None:
    key = str(wish.item_id)
    found = results.get(key)
    if found is None or found["result"] != "success":
        found = {"result": "success", "transaction": [], "transactions": {key: []}}
        results[key] = found
    found["transaction"].append(entry)
    found["transactions"][key].append(entry)
    found["fileId"] = wish.item_id
    found["downloadLink"] = link


def _error(results: dict[str, dict[str, Any]], wish: Wish, exc: DomainError) -> None:
    key = str(wish.item_id)
    if key in results and results[key]["result"] == "success":
        return  # another size of the item was licensed; the item's answer stays a success
    error = from_domain(exc)
    found = results.setdefault(key, {"result": "error", "errors": []})
    found["errors"].append(
        {
            "error_message": error.errormsg,
            "error_code": error.errorcode,
            "exception": error.exception,
        }
    )


def _request(buyer: User, wish: Wish, texts: Mapping[str, str], key: str | None) -> LicenseRequest:
    return LicenseRequest(
        buyer=buyer,
        item_id=wish.item_id,
        license_id=wish.license_id,
        size_code=wish.size_code,
        ext_options=wish.ext_options,
        idempotency_key=None if key is None else f"dp:{key}:{wish.index}",
        project=texts["project"],
        client=texts["client"],
        purchase_order=texts["purchase_order"],
        isbn=texts["isbn"],
        other=texts["other"],
    )


@command("licenseItem")
def license_items(call: Call) -> dict[str, Any]:
    """License every wished item; each item succeeds or fails on its own (per-item result)."""
    wishes = _wishes(call.params)
    texts = _texts(call.params)
    key = _idempotency_key(call.params)
    results: dict[str, dict[str, Any]] = {}
    signer = downloads.signer_for(call.runtime)
    with call.runtime.db.session() as session:
        buyer = viewer_of(session, call)
        for wish in wishes:
            try:
                result = license_item(session, _request(buyer, wish, texts, key))
                link = downloads.link_for_transaction(session, signer, buyer, result.transaction.id)
            except DomainError as exc:
                _error(results, wish, exc)
                continue
            license = session.get(License, result.transaction.license_id)
            _success(results, wish, _transaction_entry(result, license), call.base_url + link.path)
    return {"status": "success", "result": results}


# -- getLicensedItems -------------------------------------------------------------------


def licensed_entry(call: Call, row: licensed.LicensedRow) -> dict[str, Any]:
    """One licensed transaction in the getLicensedItems (and getTransferredLicenses) form."""
    return {
        "itemTransactionId": row.transaction_id,
        "licenseId": row.license_id,
        "datetime": unix(row.licensed_at),
        "filename": row.filename,
        "itemId": row.item_id,
        "itemType": item_type(row.item_kind),
        "itemLink": item_link(call, row.item_id),
        "preview": preview_url(call, row.item_id, row.item_kind),
        "width": row.width,
        "height": row.height,
        "userId": row.buyer.id,
        "actor": person(row.buyer),
        "seller": person(row.seller),
        "licenseTransferId": row.transfer.id if row.transfer is not None else None,
        "status": STATUS_NAMES[row.status],
        "size": dp_size(row.size_code),
        "price": money(row.price_minor, row.currency),
        "project": row.project,
        "client": row.client,
        "purchaseOrder": row.purchase_order,
        "isbn": row.isbn,
        "other": row.other,
        "invoice_id": row.invoice_id,
        "marker": STATUS_MARKERS[row.status],
        "currencyId": currency_id(row.currency),
        "groupId": row.group_id,
        "editorial": row.editorial,
        "visible": row.visible,
    }


@command("getLicensedItems")
def get_licensed_items(call: Call) -> dict[str, Any]:
    """The caller's group's licensed items (a buyer without a group: their own)."""
    filters = listing_filters(call.params)
    with call.runtime.db.read_session() as session:
        page = licensed.list_licensed(session, viewer_of(session, call), **filters)
    return {"downloads": [licensed_entry(call, row) for row in page.items], "count": page.total}


# -- getTransactionLicenseInfo ----------------------------------------------------------


def _license_fields(info: transfers.LicenseInfo) -> list[dict[str, Any]]:
    return [
        {
            "name": field.key.lower().replace(" ", "_"),
            "placeholder": field.key,
            "order": str(order),
            "enabled": True,
            "type": "text",
            "transaction_id": str(info.transaction_id),
            "value": field.value,
        }
        for order, field in enumerate(info.license_fields, start=1)
    ]


@command("getTransactionLicenseInfo")
def get_transaction_license_info(call: Call) -> dict[str, Any]:
    """What a license grants, to whom, for which item, and to whom it was transferred."""
    transaction_id = call.params.required_integer("dp_transaction_id", minimum=1)
    with call.runtime.db.read_session() as session:
        info = transfers.license_info(session, viewer_of(session, call), transaction_id)
    size = dp_size(info.size_code)
    return {
        "license": {
            "id": info.license_id,
            "name": info.license_name,
            "link": f"{call.base_url}/v1/licenses",
            "fields": _license_fields(info),
            "transferId": info.transfer_id,
            "size": size,
            "extOptions": info.ext_options,
        },
        "transaction": {
            "id": info.transaction_id,
            "price": money(info.price_minor, info.currency),
            "size": size,
            "timestamp": unix(info.licensed_at),
            "currencyId": currency_id(info.currency),
        },
        "item": {
            "id": info.item_id,
            "filename": info.filename,
            "type": item_type(info.item_kind),
            "isEditorial": info.editorial,
            "isNudity": info.nudity,
            "preview": preview_url(call, info.item_id, info.item_kind),
            "link": item_link(call, info.item_id),
            "width": info.width,
            "height": info.height,
        },
        "from": dict(info.from_party),
        "to": dict(info.to_party),
        "transferredTo": dict(info.transferred_to) if info.transferred_to is not None else None,
    }


# -- complimentary downloads ------------------------------------------------------------


@command("complimentaryDownload")
def complimentary_download(call: Call) -> dict[str, Any]:
    """A free download of one item at one size, counted against the group's allowance."""
    item_id = call.params.required_integer("dp_item_id", minimum=1)
    size = core_size(call.params.required_text("dp_option"))
    with call.runtime.db.session() as session:
        grant = downloads.grant_complimentary(
            session, downloads.signer_for(call.runtime), viewer_of(session, call), item_id, size
        )
    return {"apiKey": call.api_key, "downloadLink": call.base_url + grant.link.path}


def _kinds(params: Params) -> list[MediaKind] | None:
    """dp_type of getGroupCompDownloads: image/vector/video, one or a list."""
    raw = params.raw("dp_type")
    if raw is None or raw == "":
        return None
    values = list(raw.values()) if isinstance(raw, dict) else raw
    values = values if isinstance(values, list) else str(raw).split(",")
    kinds: list[MediaKind] = []
    for value in values:
        name = value.strip().lower() if isinstance(value, str) else ""
        if name not in DP_TYPES:
            raise invalid_param("dp_type", "dp_type must be image, vector or video")
        kinds += DP_TYPES[name]
    return kinds


@command("getGroupCompDownloads")
def get_group_comp_downloads(call: Call) -> dict[str, Any]:
    """The caller's group's complimentary downloads, each with a fresh link for the caller."""
    params = call.params
    period, paging, kinds = period_of(params), paging_of(params), _kinds(params)
    user_id, group_id = optional_id(params, "dp_user_id"), optional_id(params, "dp_group_id")
    with call.runtime.db.read_session() as session:
        page = downloads.complimentary_history(
            session,
            downloads.signer_for(call.runtime),
            viewer_of(session, call),
            period=period,
            user_id=user_id,
            kinds=kinds,
            paging=paging,
            group_id=group_id,
        )
    rows = [
        {
            "datetime": unix(row.created_at),
            "filename": row.filename,
            "groupId": row.group_id,
            "itemId": row.item_id,
            "marker": 0,
            "itemType": item_type(row.item_kind),
            "itemLink": item_link(call, row.item_id),
            "preview": preview_url(call, row.item_id, row.item_kind),
            "width": row.width,
            "height": row.height,
            "size": dp_size(row.size_code),
            "userId": row.user.id,
            "actor": person(row.user),
            "seler": person(row.seller),  # the document's spelling
            "seller": person(row.seller),  # the official SDK's spelling
            "download": call.base_url + row.link.path,
            "visible": row.visible,
        }
        for row in page.items
    ]
    return {"downloads": rows, "count": page.total}
