"""Every command answers exactly the seed's fields with the seed's JSON types.

One test id per command (and per variant of a command whose answer changes form: a
video, a list of ids, dp_full_info, ...). Each shape is written from seed 001's sample
answer: `Obj(seed, extra)` holds the sample's fields and, separately, the documented
additions (the official SDK's spellings and Stockhouse's extras, listed in
docs/compat/depositphotos.md); nothing else may appear and nothing may be missing, so a
renamed, dropped or retyped field fails here. Where the seed contradicts itself, the
shape follows the choice recorded in the doc (for example the search sample's numeric
`id` against getMediaData's textual one).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from stockhouse.config import Settings, load_settings
from stockhouse.runtime import Runtime
from tests.compat.depositphotos.conftest import World
from tests.compat.depositphotos.seed_scenario import COMMAND_CALLS, Scenario
from tests.compat.depositphotos.shapes import NUMBER, Keyed, Nullable, Obj, Pattern, problems

TIMESTAMP = Pattern(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", "YYYY-MM-DD HH:MM:SS")
ITEM_DATETIME = Pattern(
    r"[A-Z][a-z]{2}\.\d{2}, \d{4} \d{2}:\d{2}:\d{2}", "like Jan.31, 2013 15:29:17"
)
DIGITS = Pattern(r"\d+", "an integer as text")
DECIMAL = Pattern(r"\d+(\.\d+)?", "a decimal as text")
URL = Pattern(r"https?://\S+", "a URL")
URL_OR_EMPTY = Pattern(r"(https?://\S+)?", "a URL or empty")
SIZE_ID = r"s|m|l|xl|el0|vect|240|480|720|1080|4k|original"


def envelope(**fields: Any) -> Obj:
    """A success answer: the envelope's three fields and the command's."""
    seed = {
        "timestamp": TIMESTAMP,
        "version": Pattern(r"1\.3", '"1.3"'),
        "type": Pattern("success", '"success"'),
    }
    return Obj({**seed, **fields})


PERSON = Obj({"id": int, "username": str})
PARTY = Keyed(str)  # from/to: company, address, ... ("someAnotherKey": anotherValue)

# -- items: the search sample and the getMediaData sample --------------------------------

PICTURES = {
    name: URL_OR_EMPTY
    for name in (
        "thumbnail",
        "medium_thumbnail",
        "url",
        "url2",
        "url_big",
        "url_max_qa",
    )
}
SEARCH_SAMPLE = Obj(
    {
        "id": int,
        **PICTURES,
        "itemurl": URL,
        "mp4": URL_OR_EMPTY,
        "webm": URL_OR_EMPTY,
        "published": ITEM_DATETIME,
        "updated": ITEM_DATETIME,
        "itype": Pattern("image|vector|video", "image, vector or video"),
        "iseditorial": bool,
        "title": str,
        "description": str,
        "userid": int,
        "username": str,
        "avatar": str,
        "status": str,
        "width": int,
        "height": int,
        "mp": NUMBER,
        "original_filesize": int,
        "original_extension": str,
        "exclusive": Pattern("yes|no", "yes or no"),
        "editorial": Pattern("yes|no", "yes or no"),
        "deposit_item_id": int,
        "views": int,
        "downloads": int,
        "level": str,
        "similar": [int],
        "series": [int],
        "same_model": [int],
    },
    # getMediaData's scalar fields the search sample lacks, and the SDK fixture's `type`
    extra={
        "upload_timestamp": DIGITS,
        "user_id": int,
        "blocked": bool,
        "isextended": bool,
        "isexclusive": bool,
        "nudity": bool,
        "is_editorial": Pattern("yes|no", "yes or no"),
        "isFreeItem": bool,
        "is_mobile": Pattern("yes|no", "yes or no"),
        "type": Pattern("image|vector|video", "image, vector or video"),
        "lightfield": bool,
        "aiGenerated": bool,
        **{
            name: URL_OR_EMPTY
            for name in (
                "thumb",
                "thumb_large",
                "thumb_huge",
                "thumb_max",
                "large_thumb",
                "thumb_170",
                "huge_thumb",
            )
        },
    },
)
SIZE = Obj(
    {
        "width": int,
        "height": int,
        "credits": int,
        "subscription": int,
        "imagepack": int,
        "ondemand": int,
    },
    optional={"mp": NUMBER},  # the sample's el0 has none
)
DETAIL = {
    "categories": Keyed(str, key=r"\d+"),
    "sizes": Keyed(SIZE, key=SIZE_ID),
    "available_sizes": Keyed(int, key=SIZE_ID),
    "tags": [str],
}
SEARCH_FULL = SEARCH_SAMPLE.plus(**DETAIL)
MEDIA_SAMPLE = Obj(
    {
        "timestamp": TIMESTAMP,
        "version": Pattern(r"1\.3", '"1.3"'),
        "type": Pattern("success", '"success"'),
        "title": str,
        "description": str,
        "width": DIGITS,
        "height": DIGITS,
        "mp": DECIMAL,
        "status": str,
        "views": int,
        "downloads": int,
        "published": ITEM_DATETIME,
        "username": str,
        "level": str,
        "upload_timestamp": DIGITS,
        "id": DIGITS,
        "userid": int,
        "user_id": int,
        "blocked": bool,
        "updated": ITEM_DATETIME,
        "isextended": bool,
        "isexclusive": bool,
        "nudity": bool,
        "iseditorial": bool,
        "is_editorial": Pattern("yes|no", "yes or no"),
        "isFreeItem": bool,
        "is_mobile": Pattern("yes|no", "yes or no"),
        "itype": Pattern("image|vector|video", "image, vector or video"),
        "original_filesize": DIGITS,
        "original_extension": str,
        **{
            name: URL_OR_EMPTY
            for name in (
                "thumbnail",
                "thumb",
                "thumb_large",
                "thumb_huge",
                "thumb_max",
                "medium_thumbnail",
                "large_thumb",
                "url_big",
                "url_max_qa",
                "thumb_170",
                "huge_thumb",
                "url",
                "url2",
            )
        },
        "itemurl": URL,
        "lightfield": bool,
        "avatar": str,
        "similar": [int],
        "same_model": [int],
        "series": [int],
        **DETAIL,
    },
    extra={"aiGenerated": bool, "mp4": URL_OR_EMPTY, "webm": URL_OR_EMPTY},
)
# dp_full_similar: {id, thumbnail} per the document, and the SDK fixture's other fields
RELATED = Obj(
    {"id": int, "thumbnail": URL_OR_EMPTY},
    extra={
        "large_thumb": URL_OR_EMPTY,
        "huge_thumb": URL_OR_EMPTY,
        "thumb_neutral_wm": URL_OR_EMPTY,
        "url_max_qa": URL_OR_EMPTY,
        "itemurl": URL,
        "title": str,
        "description": str,
        "original_title": str,
        "original_description": str,
        "width": int,
        "height": int,
        "isFreeItem": bool,
        "type": str,
    },
)

# -- groups and sessions -----------------------------------------------------------------

GROUP = Obj(
    {
        "groupId": int,
        "money": NUMBER,
        "profileId": int,
        "isPostpayment": bool,
        "balance": NUMBER,
        "vatNumber": str,
        "vatRate": DECIMAL,
        "vatEnabled": bool,
    }
)
USER_DATA = Obj(
    {
        **{
            name: str
            for name in (
                "username",
                "firstName",
                "lastName",
                "city",
                "avatarBig",
                "avatarSmall",
                "occupation",
                "avatar",
                "address",
                "email",
                "phone",
                "state",
                "zip",
                "country",
                "businessName",
                "timezone",
                "website",
                "industry",
                "biography",
            )
        },
        "userId": DIGITS,
        "registered": DIGITS,
        "enterpriseLite": Obj({"groupId": int}),
        "vatNumber": Nullable(str),
    }
)

# -- licensing ---------------------------------------------------------------------------

LICENSE = Obj(
    {
        "licenseId": int,
        "licenseName": str,
        "templateId": int,
        "productType": str,
        "sizes": [
            Obj(
                {"id": str, "label": str, "price": Nullable(NUMBER)},
                extra={"enabled": bool, "order": int, "netId": int},
            )
        ],
    },
    extra={
        "licenseID": int,
        "enabledSizesCount": int,
        "extOptions": [Obj({"option": int, "price": NUMBER})],
    },
)
TRANSACTION = Obj({"sizes": int, "license": int, "transactionId": int})
LICENSED_ITEM = Obj(
    {
        "result": Pattern("success", '"success"'),
        "transactions": Keyed([TRANSACTION], key=r"\d+"),
        "transaction": [TRANSACTION],
        "fileId": int,
        "downloadLink": URL,
    }
)
# the official SDK fixture's per-item failure (wire-notes section 2), plus the catalogue entry
ITEM_ERROR = Obj(
    {
        "result": Pattern("error", '"error"'),
        "errors": [Obj({"error_message": str, "error_code": int}, extra={"exception": str})],
    }
)
LICENSED_ROW = Obj(
    {
        "itemTransactionId": int,
        "licenseId": int,
        "datetime": int,
        "filename": str,
        "itemId": int,
        "itemLink": URL,
        "preview": URL,
        "width": int,
        "height": int,
        "userId": int,
        "actor": PERSON,
        "seller": PERSON,
        "licenseTransferId": Nullable(int),
        "status": Pattern("Paid|Uninvoiced|Invoiced", "Paid, Uninvoiced or Invoiced"),
        "purchaseOrder": str,
        "invoice_id": Nullable(int),
        "marker": int,
        "currencyId": int,
        "groupId": int,
        "visible": bool,
    },
    extra={
        "itemType": str,
        "size": str,
        "price": NUMBER,
        "project": str,
        "client": str,
        "isbn": str,
        "other": str,
        "editorial": bool,
    },
)
TRANSFERRED_ROW = LICENSED_ROW.without(
    "size", "price", "project", "client", "isbn", "other", "editorial"
).plus(licenseTransferId=int, transferredAt=int, transferredTo=PARTY)
COMP_DOWNLOAD = Obj(
    {
        "datetime": int,
        "filename": str,
        "groupId": int,
        "itemId": int,
        "marker": int,
        "itemType": str,
        "itemLink": URL,
        "preview": URL,
        "width": int,
        "height": int,
        "userId": int,
        "actor": PERSON,
        "seler": PERSON,
        "download": URL,
        "visible": bool,
    },
    extra={"seller": PERSON, "size": str},
)
# the document shows `fields => []`; Stockhouse fills it in the SDK fixture's form
LICENSE_FIELD = Obj(
    {},
    extra={
        "name": str,
        "placeholder": str,
        "order": DIGITS,
        "enabled": bool,
        "type": str,
        "transaction_id": DIGITS,
        "value": str,
    },
)
LICENSE_INFO = envelope(
    license=Obj(
        {
            "id": int,
            "name": str,
            "link": URL,
            "fields": [LICENSE_FIELD],
            "transferId": Nullable(int),
        },
        extra={"size": str, "extOptions": int},
    ),
    transaction=Obj({"id": int, "price": NUMBER, "size": str, "timestamp": int, "currencyId": int}),
    item=Obj(
        {
            "id": int,
            "filename": str,
            "type": Pattern("image|vector|video", "image, vector or video"),
            "isEditorial": bool,
            "isNudity": bool,
            "preview": URL,
            "link": URL,
            "width": int,
            "height": int,
        }
    ),
    **{"from": PARTY, "to": PARTY, "transferredTo": Nullable(PARTY)},
)

# -- invoices ----------------------------------------------------------------------------

INVOICE_LINE = Obj(
    {
        # the sample's file line; `description`/`qty` come from its balance-refill line
        "itemId": int,
        "thumbUrl": URL,
        "licenseInfo": [Obj({"key": str, "value": str})],
        "licenseId": int,
        "size": str,
        "itemOriginalSize": Obj({"height": int, "width": int}),
        "type": str,
        "price": NUMBER,
        "vatPrice": NUMBER,
        "vatRate": NUMBER,
        "isEditorial": bool,
        "isNudity": bool,
        "description": str,
        "qty": int,
    },
    extra={"transactionId": int, "licenseName": str, "currencyId": int},
)
INVOICE = Obj(
    {
        "items": [INVOICE_LINE],
        "state": Pattern("unpaid|paid|cancelled", "unpaid, paid or cancelled"),
        "total": NUMBER,
        "vat": NUMBER,
        "subTotal": NUMBER,
        "id": int,
        "number": str,
        "type": Pattern("file_invoice", '"file_invoice"'),
        "date": int,
        "currencyId": int,
        "from": PARTY,
        "to": PARTY,
        "paid": Nullable(int),
    },
    extra={"vatRate": NUMBER, "title": str, "isProforma": bool, "dueDate": Nullable(int)},
)
INVOICE_SUMMARY = Obj(
    {
        "id": int,
        "date": int,
        "description": str,
        "number": str,
        "type": str,
        "price": NUMBER,
        "amount": NUMBER,
        "paymentDate": Nullable(int),
        "currencyId": int,
    },
    extra={"title": str, "state": str, "isProforma": bool},
)

# -- the generator -----------------------------------------------------------------------

UUID = Pattern(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "a uuid")


def job(item: Obj, status: str, purchase: str) -> Obj:
    return envelope(
        data=Obj(
            {
                "uuid": UUID,
                "prompt": str,
                "status": Pattern(status, status),
                "purchaseStatus": Pattern(purchase, purchase),
                "items": [item],
            }
        )
    )


NEW_PICTURE = Obj({"uuid": UUID, "dpItemId": Nullable(int), "previewUrl": Nullable(URL)})
DONE_PICTURE = Obj({"uuid": UUID, "dpItemId": int, "previewUrl": URL})
GENERATED_MEDIA = SEARCH_FULL.plus(type=Pattern("i", '"i"'))

# -- the table ---------------------------------------------------------------------------

Call = Callable[[Scenario], dict[str, Any]]


def _command(name: str) -> Call:
    return COMMAND_CALLS[name]


CASES: dict[str, tuple[Call, Obj]] = {
    "loginEnterprise": (
        _command("loginEnterprise"),
        envelope(apiKey=str, sessionid=str, userid=DIGITS),
    ),
    "logout": (_command("logout"), envelope(apiKey=str)),
    "renewSession": (
        _command("renewSession"),
        envelope(data=Obj({"sessionid": str, "userid": int})),
    ),
    "getUserEnterpriseGroup": (
        _command("getUserEnterpriseGroup"),
        envelope(group=GROUP).plus(data=GROUP),  # the SDK reads `data`
    ),
    "getEnterpriseUserData": (_command("getEnterpriseUserData"), envelope(data=USER_DATA)),
    "search": (_command("search"), envelope(result=[SEARCH_SAMPLE], count=int, hash=str)),
    "search dp_full_info": (
        lambda s: s.call("search", dp_search_user=s.world.market.contributor, dp_full_info=1),
        envelope(result=[SEARCH_FULL], count=int, hash=str),
    ),
    "getMediaData of a photo": (_command("getMediaData"), MEDIA_SAMPLE),
    "getMediaData of a video": (
        lambda s: s.call("getMediaData", dp_media_id=s.world.video),
        MEDIA_SAMPLE,
    ),
    "getMediaData of a vector": (
        lambda s: s.call("getMediaData", dp_media_id=s.world.vector),
        MEDIA_SAMPLE,
    ),
    "getMediaData of a list (search layout)": (
        lambda s: s.call("getMediaData", dp_media_id=[s.world.photo, s.world.video]),
        envelope(count=int, result=[SEARCH_FULL]),
    ),
    "getMediaData dp_search_layout=1": (
        lambda s: s.call("getMediaData", dp_media_id=s.world.photo, dp_search_layout=1),
        envelope(count=int, result=[SEARCH_FULL]),
    ),
    "getMediaData dp_full_similar=1": (
        lambda s: s.call("getMediaData", dp_media_id=s.world.photo, dp_full_similar=1),
        MEDIA_SAMPLE.without("similar", "same_model", "series").plus(
            similar=[RELATED], same_model=[RELATED], series=[RELATED]
        ),
    ),
    "complimentaryDownload": (
        _command("complimentaryDownload"),
        envelope(apiKey=str, downloadLink=URL),
    ),
    "getGroupCompDownloads": (
        _command("getGroupCompDownloads"),
        envelope(downloads=[COMP_DOWNLOAD], count=int),
    ),
    "getLicenseOfGroup": (_command("getLicenseOfGroup"), envelope(data=[LICENSE], count=int)),
    "licenseItem": (
        lambda s: {
            **s.licensed,
            "result": {str(s.world.photo): s.licensed["result"][str(s.world.photo)]},
        },
        envelope(status=Pattern("success", '"success"'), result=Keyed(LICENSED_ITEM, key=r"\d+")),
    ),
    "licenseItem with an unknown item": (
        lambda s: {**s.licensed, "result": {"999999": s.licensed["result"]["999999"]}},
        envelope(status=Pattern("success", '"success"'), result=Keyed(ITEM_ERROR, key=r"\d+")),
    ),
    "getLicensedItems": (
        _command("getLicensedItems"),
        envelope(downloads=[LICENSED_ROW], count=int),
    ),
    "getTransactionLicenseInfo": (_command("getTransactionLicenseInfo"), LICENSE_INFO),
    "transferEnterpriseLicense": (_command("transferEnterpriseLicense"), envelope(result=bool)),
    "getTransferredLicenses": (
        _command("getTransferredLicenses"),
        envelope(downloads=[TRANSFERRED_ROW], count=int),
    ),
    "createEnterpriseInvoice": (
        _command("createEnterpriseInvoice"),
        envelope(result=bool).plus(invoiceId=int),  # the SDK reads the new invoice's id
    ),
    "getEnterpriseInvoice": (_command("getEnterpriseInvoice"), envelope(invoice=INVOICE)),
    "getEnterpriseInvoiceCount": (_command("getEnterpriseInvoiceCount"), envelope(count=int)),
    "getEnterpriseInvoiceList": (
        _command("getEnterpriseInvoiceList"),
        envelope(count=int, data=[INVOICE_SUMMARY]),
    ),
    "imageGenerator.generate": (
        _command("imageGenerator.generate"),
        job(NEW_PICTURE, "new", "deferred"),
    ),
    "imageGenerator.get": (_command("imageGenerator.get"), job(DONE_PICTURE, "completed", "paid")),
    "imageGenerator.getMediaData": (
        _command("imageGenerator.getMediaData"),
        envelope(data=GENERATED_MEDIA),
    ),
}


@pytest.fixture
def settings(data_dir: Path, database_url: str) -> Settings:
    """Small generated pictures, so the generator's cases stay quick."""
    flags = {"data_dir": str(data_dir), "database_url": database_url, "generation_long_edge": 640}
    return load_settings(flags, environ={})


@pytest.fixture
def scenario(
    client: TestClient, runtime: Runtime, world: World, sessions: dict[str, str]
) -> Scenario:
    return Scenario(client, runtime, world, sessions)


def test_every_seed_command_has_a_shape_case() -> None:
    covered = {name.split(" ")[0] for name in CASES}
    assert covered == set(COMMAND_CALLS)


@pytest.mark.parametrize("case", list(CASES))
def test_answer_has_the_seed_fields_and_types(scenario: Scenario, case: str) -> None:
    call, shape = CASES[case]

    answer = call(scenario)

    assert problems(answer, shape) == [], answer


def test_lists_in_the_answers_under_test_are_not_empty(scenario: Scenario) -> None:
    """The shapes above check list elements, so every list they check must hold some."""
    answers = {name: call(scenario) for name, call in COMMAND_CALLS.items()}

    assert answers["search"]["result"]
    assert answers["getGroupCompDownloads"]["downloads"]
    assert answers["getLicenseOfGroup"]["data"]
    assert answers["getLicensedItems"]["downloads"]
    assert answers["getTransferredLicenses"]["downloads"]
    assert answers["getEnterpriseInvoice"]["invoice"]["items"]
    assert answers["getEnterpriseInvoiceList"]["data"]
    assert answers["getTransactionLicenseInfo"]["transferredTo"]
    assert answers["getEnterpriseInvoice"]["invoice"]["paid"] is not None
