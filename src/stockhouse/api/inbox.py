"""Native API: a contributor's FTP inbox: how to reach it, what waits there, process it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import urlparse

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from stockhouse.accounts.models import Role
from stockhouse.api.deps import RuntimeDep, get_principal
from stockhouse.api.schemas import from_view
from stockhouse.errors import PermissionDenied
from stockhouse.ingest.inbox import (
    EntryState,
    InboxReport,
    Outcome,
    list_inbox,
    process_inbox,
)
from stockhouse.runtime import Runtime

router = APIRouter(prefix="/inbox", tags=["inbox"])


@dataclass(frozen=True)
class Contributor:
    user_id: int
    username: str


def get_contributor(request: Request, runtime: RuntimeDep) -> Contributor:
    """The calling contributor, read in a transaction that ends before the work starts.

    Processing writes each Upload in its own transaction; a request transaction held open
    meanwhile would hold SQLite's write lock and make those wait.
    """
    with runtime.db.session() as session:
        user = get_principal(request, session).user
        if not user.has_role(Role.CONTRIBUTOR):
            raise PermissionDenied("this needs the contributor role")
        return Contributor(user_id=user.id, username=user.username)


ContributorDep = Annotated[Contributor, Depends(get_contributor)]


class FtpAccessOut(BaseModel):
    enabled: bool
    host: str
    port: int | None
    username: str
    passive_ports: str


class InboxFileOut(BaseModel):
    name: str
    size: int
    modified_at: datetime
    state: EntryState
    reason: str | None


class InboxOut(BaseModel):
    ftp: FtpAccessOut
    files: list[InboxFileOut]


class ProcessInboxIn(BaseModel):
    submit: bool = False


class ProcessedFileOut(BaseModel):
    name: str
    outcome: Outcome
    reason: str | None
    upload_id: int | None
    item_id: int | None
    duplicate_of: int | None


class InboxReportOut(BaseModel):
    received: int
    more_waiting: bool
    files: list[ProcessedFileOut]

    @classmethod
    def of(cls, report: InboxReport) -> InboxReportOut:
        return from_view(cls, report)


def _ftp_access(runtime: Runtime, username: str) -> FtpAccessOut:
    from stockhouse.ingest.ftp import PASSIVE_PORTS  # pyftpdlib only when asked

    settings = runtime.settings
    return FtpAccessOut(
        enabled=settings.ftp_port != 0,
        host=urlparse(settings.public_base_url).hostname or settings.host,
        port=settings.ftp_port or None,
        username=username,
        passive_ports=f"{PASSIVE_PORTS.start}-{PASSIVE_PORTS.stop - 1}",
    )


@router.get("", response_model=InboxOut)
def get_inbox(contributor: ContributorDep, runtime: RuntimeDep) -> InboxOut:
    """Where to upload by FTP (log in with your own password), and the files waiting."""
    entries = list_inbox(runtime.settings, contributor.user_id)
    return InboxOut(
        ftp=_ftp_access(runtime, contributor.username),
        files=[
            from_view(InboxFileOut, e, modified_at=datetime.fromtimestamp(e.modified_at, UTC))
            for e in entries
        ],
    )


@router.post("/process", response_model=InboxReportOut)
def process_my_inbox(
    contributor: ContributorDep, runtime: RuntimeDep, body: ProcessInboxIn | None = None
) -> InboxReportOut:
    """Receive every finished inbox file as an upload; the ingest jobs make the items."""
    report = process_inbox(
        runtime, contributor.user_id, submit=body.submit if body else False, wait=False
    )
    return InboxReportOut.of(report)
