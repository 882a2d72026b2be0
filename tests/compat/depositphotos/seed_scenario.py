"""A Depositphotos session that calls every command of seed 001 once, as a client would.

`Scenario` drives the world of conftest.py through the wire and remembers what earlier
steps made (a licensed transaction, an invoice, a generation job), so each command can
be called with real ids in any order; every step runs at most once per test. Used by
the shape test (test_seed_shapes.py) and the hostile-input sweep (test_hostile_input.py).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from starlette.testclient import TestClient

from stockhouse.accounts import service as accounts
from stockhouse.commerce import invoices
from stockhouse.commerce.models import ProductType
from stockhouse.generation import service as generation
from stockhouse.generation.models import GenerationJob
from stockhouse.runtime import Runtime
from tests.catalog.factories import PASSWORD
from tests.commerce.factories import allow_complimentary
from tests.compat.depositphotos.conftest import World, dp
from tests.compat.depositphotos.dp_support import TRANSFER_RIGHTS, license_id, licensing

PROMPT = "A lighthouse on a rocky coast at sunset"
UNKNOWN_ITEM = 999_999
TRANSFER_FROM = {"company": "Prepaid Co", "address": "1 Quay Street", "fullName": "Mia Admin"}
TRANSFER_TO = {"company": "Client Co", "address": "2 Harbour Road", "fullName": "Jordan Client"}


@dataclass
class Scenario:
    """One world, its sessions and the objects the commands made so far."""

    client: TestClient
    runtime: Runtime
    world: World
    sessions: dict[str, str]

    def call(self, command: str, user: str | None = None, **params: Any) -> dict[str, Any]:
        """The answer of one command (as `user`'s session when given)."""
        if user is not None:
            params["dp_session_id"] = self.sessions[user]
        return dp(self.client, command, **params)

    def after(self, *_made: object) -> Scenario:
        """This scenario, once the steps named in the arguments were made (for chaining)."""
        return self

    def ok(self, command: str, user: str | None = None, **params: Any) -> dict[str, Any]:
        answer = self.call(command, user, **params)
        assert answer["type"] == "success", answer
        return answer

    # -- objects earlier steps make (each made once) ------------------------------------

    @functools.cached_property
    def standard_license(self) -> int:
        return license_id(self.runtime, ProductType.IMAGE)

    @functools.cached_property
    def licensed(self) -> dict[str, Any]:
        """max (prepaid member) licenses the photo with every text field; plus an unknown
        item in the same request (a per-item error)."""
        return self.ok(
            "licenseItem",
            "max",
            dp_licensing=[
                licensing(world_item, self.standard_license, "s-2015")
                for world_item in (self.world.photo, UNKNOWN_ITEM)
            ],
            dp_project="Spring campaign",
            dp_client="Client Co",
            dp_purchase_order="PO-7",
            dp_isbn="978-3-16-148410-0",
            dp_other="web",
        )

    @functools.cached_property
    def transaction(self) -> int:
        result = self.licensed["result"][str(self.world.photo)]
        transaction_id: int = result["transaction"][0]["transactionId"]
        return transaction_id

    @functools.cached_property
    def transferable(self) -> int:
        """A license bought with transfer rights (extended, option 16); its transaction id."""
        extended = license_id(self.runtime, ProductType.IMAGE, extended=True)
        answer = self.ok(
            "licenseItem",
            "max",
            dp_licensing=licensing(self.world.photo, extended, "el0", ext=TRANSFER_RIGHTS),
        )
        result = answer["result"][str(self.world.photo)]
        transaction_id: int = result["transaction"][0]["transactionId"]
        return transaction_id

    @functools.cached_property
    def transfer(self) -> dict[str, Any]:
        """transferEnterpriseLicense's answer for the transferable license."""
        return self.ok(
            "transferEnterpriseLicense",
            "max",
            dp_item_transaction_ids=[self.transferable],
            dp_from=TRANSFER_FROM,
            dp_to=TRANSFER_TO,
        )

    @functools.cached_property
    def transferred(self) -> int:
        """The transferable license after its transfer; its transaction id."""
        assert self.transfer["result"] is True
        return self.transferable

    @functools.cached_property
    def postpaid_transaction(self) -> int:
        answer = self.ok(
            "licenseItem",
            "pia",
            dp_licensing=licensing(self.world.photo, self.standard_license, "s-2015"),
            dp_purchase_order="PO-9",
            dp_project="Catalogue",
        )
        transaction_id: int = answer["result"][str(self.world.photo)]["transaction"][0][
            "transactionId"
        ]
        return transaction_id

    @functools.cached_property
    def invoice_made(self) -> dict[str, Any]:
        """createEnterpriseInvoice's answer: the postpaid group-admin invoices a license."""
        return self.ok(
            "createEnterpriseInvoice",
            "pat",
            dp_item_transaction_ids=[self.postpaid_transaction],
            dp_field_value="Cost centre 12",
        )

    @functools.cached_property
    def invoice(self) -> int:
        """That invoice, marked paid (so every date field is set); its id."""
        invoice_id: int = self.invoice_made["invoiceId"]
        with self.runtime.db.session() as session:
            admin = accounts.get_user(session, self.world.market.admin)
            invoices.mark_paid(session, admin, invoice_id)
        return invoice_id

    @functools.cached_property
    def comp_download(self) -> dict[str, Any]:
        allow_complimentary(self.runtime, self.world.market.prepaid, 5)
        return self.ok(
            "complimentaryDownload", "mia", dp_item_id=self.world.photo, dp_option="s-2015"
        )

    @functools.cached_property
    def job(self) -> dict[str, Any]:
        """imageGenerator.generate's answer (the job is not run yet)."""
        return self.ok(
            "imageGenerator.generate",
            "mia",
            dp_prompt=PROMPT,
            dp_aspect_ratio="1:1",
            dp_medium="photography",
        )

    @functools.cached_property
    def completed_job(self) -> dict[str, Any]:
        """imageGenerator.get's answer once the job ran to the end."""
        job_uuid = self.job["data"]["uuid"]
        with self.runtime.db.read_session() as session:
            job_id = session.scalars(
                select(GenerationJob.id).where(GenerationJob.uuid == job_uuid)
            ).one()
        generation.run_generation(self.runtime, job_id)
        return self.ok("imageGenerator.get", "mia", dp_uuid=job_uuid)


Step = Callable[[Scenario], dict[str, Any]]


def _login(s: Scenario) -> dict[str, Any]:
    return s.call("loginEnterprise", dp_login_user="mia", dp_login_password=PASSWORD)


# Every command of the seed (and the SDK's renewSession), called the way the document shows.
COMMAND_CALLS: dict[str, Step] = {
    "loginEnterprise": _login,
    "logout": lambda s: s.call("logout", "oz"),
    "renewSession": lambda s: s.call("renewSession", "max"),
    "getUserEnterpriseGroup": lambda s: s.call("getUserEnterpriseGroup", "pat"),
    "getEnterpriseUserData": lambda s: s.call(
        "getEnterpriseUserData", "mia", dp_user_id=s.world.user_ids["max"]
    ),
    "search": lambda s: s.call(
        "search", dp_search_user=s.world.market.contributor, dp_search_video=1
    ),
    "getMediaData": lambda s: s.call("getMediaData", dp_media_id=s.world.photo),
    "complimentaryDownload": lambda s: s.comp_download,
    "getGroupCompDownloads": lambda s: s.after(s.comp_download).call(
        "getGroupCompDownloads", "mia"
    ),
    "getLicenseOfGroup": lambda s: s.call("getLicenseOfGroup", "mia"),
    "licenseItem": lambda s: s.licensed,
    "getLicensedItems": lambda s: s.after(s.transaction).call("getLicensedItems", "mia"),
    "getTransactionLicenseInfo": lambda s: s.call(
        "getTransactionLicenseInfo", "max", dp_transaction_id=s.transferred
    ),
    "transferEnterpriseLicense": lambda s: s.transfer,
    "getTransferredLicenses": lambda s: s.after(s.transferred).call(
        "getTransferredLicenses", "mia"
    ),
    "createEnterpriseInvoice": lambda s: s.invoice_made,
    "getEnterpriseInvoice": lambda s: s.call(
        "getEnterpriseInvoice", "pat", dp_invoice_id=s.invoice
    ),
    "getEnterpriseInvoiceCount": lambda s: s.after(s.invoice).call(
        "getEnterpriseInvoiceCount", "pat"
    ),
    "getEnterpriseInvoiceList": lambda s: s.after(s.invoice).call(
        "getEnterpriseInvoiceList", "pat"
    ),
    "imageGenerator.generate": lambda s: s.job,
    "imageGenerator.get": lambda s: s.completed_job,
    "imageGenerator.getMediaData": lambda s: s.call(
        "imageGenerator.getMediaData",
        "mia",
        dp_uuid=s.completed_job["data"]["items"][0]["uuid"],
    ),
}
