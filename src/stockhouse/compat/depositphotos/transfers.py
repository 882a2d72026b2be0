"""Depositphotos commands: transfers (see the package docstring for the layout).

transferEnterpriseLicense and getTransferredLicenses, translated to `commerce.transfers`.
The parties arrive as the document's camelCase objects or as the official SDK's snake_case
ones (`full_name`, `country_name`, `tax_id`); empty and null fields are left out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stockhouse.commerce import transfers
from stockhouse.compat.depositphotos.licensing import (
    STATUS_MARKERS,
    STATUS_NAMES,
    currency_id,
    item_link,
    item_type,
    listing_filters,
    person,
    preview_url,
    unix,
    viewer_of,
)
from stockhouse.compat.depositphotos.wire import (
    MAX_LIST_ITEMS,
    Call,
    Params,
    command,
    invalid_param,
)

SDK_PARTY_KEYS = {"full_name": "fullName", "country_name": "countryName", "tax_id": "taxId"}
MAX_PARTY_FIELDS = 20


def _party(params: Params, name: str) -> dict[str, object]:
    """dp_from / dp_to as the core's party object (the core checks the fields)."""
    raw = params.raw(name)
    if not isinstance(raw, Mapping) or not raw:
        raise invalid_param(name, f"{name} must be an object with a fullName or company")
    if len(raw) > MAX_PARTY_FIELDS:
        raise invalid_param(name, f"{name} has too many fields")
    party: dict[str, object] = {}
    for key, value in raw.items():
        if value is None or value == "":
            continue
        party[SDK_PARTY_KEYS.get(str(key), str(key))] = value
    return party


def _transaction_ids(params: Params) -> list[int]:
    """dp_item_transaction_id (one) and/or dp_item_transaction_ids (a list)."""
    ids = params.integer_list("dp_item_transaction_ids")
    one = params.integer("dp_item_transaction_id", minimum=1)
    if one is not None:
        ids.append(one)
    if not ids:
        raise invalid_param(
            "dp_item_transaction_id",
            "dp_item_transaction_id or dp_item_transaction_ids is required",
        )
    if len(ids) > MAX_LIST_ITEMS or any(i < 1 for i in ids):
        raise invalid_param("dp_item_transaction_ids", "transaction ids are positive integers")
    return ids


@command("transferEnterpriseLicense")
def transfer_enterprise_license(call: Call) -> dict[str, Any]:
    """Transfer licenses to a third party, all or none."""
    ids = _transaction_ids(call.params)
    source, target = _party(call.params, "dp_from"), _party(call.params, "dp_to")
    with call.runtime.db.session() as session:
        transfers.transfer_licenses(session, viewer_of(session, call), ids, source, target)
    return {"result": True}


def _entry(call: Call, row: transfers.TransferredLicense) -> dict[str, Any]:
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
        "licenseTransferId": row.transfer.id,
        "transferredAt": unix(row.transfer.created_at),
        "transferredTo": dict(row.transfer.to_party),
        "status": STATUS_NAMES[row.status],
        "purchaseOrder": row.purchase_order,
        "invoice_id": row.invoice_id,
        "marker": STATUS_MARKERS[row.status],
        "currencyId": currency_id(row.currency),
        "groupId": row.group_id,
        "visible": row.visible,
    }


@command("getTransferredLicenses")
def get_transferred_licenses(call: Call) -> dict[str, Any]:
    """The caller's group's transferred licenses, newest license first."""
    filters = listing_filters(call.params)
    with call.runtime.db.read_session() as session:
        page = transfers.list_transferred(session, viewer_of(session, call), **filters)
    return {"downloads": [_entry(call, row) for row in page.items], "count": page.total}
