"""Contributor inboxes: the folder `DATA_DIR/inbox/<user id>/` that FTP uploads land in.

"Process inbox" (Cliparto's ProcessFilesFromFTP, `POST /v1/inbox/process`) hands every
finished file there to the ingest pipeline as an `Upload` and removes it from the inbox
once that Upload row is committed, so a crash at any point leaves each file either still
in the inbox or safely received, never lost and never half-processed. Files that are
still being written, temporary files, unsafe names and anything that is not a regular
file are reported and left where they are.
"""

from __future__ import annotations

import enum
import logging
import os
import stat
import threading
import time
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from stockhouse.accounts.models import Role, User
from stockhouse.catalog.models import Upload, UploadState
from stockhouse.config import Settings
from stockhouse.errors import DomainError, InvalidParameter, NotFound, PermissionDenied

if TYPE_CHECKING:
    from stockhouse.runtime import Runtime

logger = logging.getLogger("stockhouse.ingest.inbox")

MAX_NAME_BYTES = 255  # the longest name common file systems (and Upload.filename) hold
QUIET_PERIOD_S = 10.0  # a file modified more recently than this may still be arriving
MAX_FILES_PER_RUN = 500  # one request processes at most this many; the rest wait
MAX_SCAN_DEPTH = 8  # sub-folders deeper than this are not looked into
INBOX_DIR_MODE = 0o750

# Names that upload clients, editors and desktops use for scratch or bookkeeping files.
TEMPORARY_PREFIXES = (".", "~$")
TEMPORARY_SUFFIXES = (
    "~",
    ".part",
    ".partial",
    ".filepart",
    ".crdownload",
    ".download",
    ".tmp",
    ".temp",
    ".swp",
)
TEMPORARY_NAMES = frozenset({"thumbs.db", "desktop.ini"})
# Bidirectional overrides let a name display as something else ("gpj.exe" as "exe.jpg").
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


# -- names ------------------------------------------------------------------------------


class UnsafeName(InvalidParameter):
    """A file name that could escape the inbox, hide what it is, or not fit the catalog."""

    def __init__(self, message: str) -> None:
        super().__init__("filename", message)


def is_temporary_name(name: str) -> bool:
    """Whether `name` is a hidden, scratch or partial-upload file rather than media."""
    lowered = name.lower()
    return (
        lowered.startswith(TEMPORARY_PREFIXES)
        or lowered.endswith(TEMPORARY_SUFFIXES)
        or lowered in TEMPORARY_NAMES
    )


def check_name(name: str, *, allow_temporary: bool = False) -> str:
    """`name` unchanged if it is one safe file name, else UnsafeName saying why.

    Refused: empty names, `.` and `..`, anything with a path separator (so `../x` and
    absolute paths), NUL and other control characters, bidirectional overrides, bytes
    that are not UTF-8, names over 255 UTF-8 bytes, and (unless `allow_temporary`)
    hidden and temporary files.
    """
    if not isinstance(name, str) or not name.strip():
        raise UnsafeName("the file name is empty")
    shown = ascii(name[:60])
    if name in (".", ".."):
        raise UnsafeName(f"{shown} is not a file name")
    if "/" in name or "\\" in name:
        raise UnsafeName(f"{shown} is a path, not a file name")
    if "\x00" in name:
        raise UnsafeName(f"{shown} contains a NUL character")
    for char in name:
        category = unicodedata.category(char)
        if category == "Cc" or char in BIDI_CONTROLS:
            raise UnsafeName(f"{shown} contains the control character U+{ord(char):04X}")
        if category == "Cs":
            raise UnsafeName(f"{shown} is not valid UTF-8")
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        raise UnsafeName(f"the file name is longer than {MAX_NAME_BYTES} bytes")
    if not allow_temporary and is_temporary_name(name):
        raise UnsafeName(f"{shown} is a hidden or temporary file")
    return name


def safe_name(name: str) -> str:
    """`name` if it may become an item's original file name, else UnsafeName."""
    return check_name(name, allow_temporary=False)


# -- the inbox folder -------------------------------------------------------------------


def inbox_dir(settings: Settings, user_id: int, *, create: bool = False) -> Path:
    """The inbox folder of user `user_id` (made, with its parents, when `create`)."""
    if isinstance(user_id, bool) or not isinstance(user_id, int) or user_id <= 0:
        raise InvalidParameter("user_id", "a user id is a positive whole number")
    path = settings.inbox_dir / str(user_id)
    if create:
        settings.inbox_dir.mkdir(parents=True, exist_ok=True)
        path.mkdir(mode=INBOX_DIR_MODE, exist_ok=True)
    return path


# Files an FTP session of this process is writing right now (absolute paths). Another
# process (a `stockhouse ingest` run, a second server) relies on QUIET_PERIOD_S instead.
_receiving: set[str] = set()
_receiving_lock = threading.Lock()


def mark_receiving(path: str | Path) -> None:
    """Record that an upload into `path` has started."""
    with _receiving_lock:
        _receiving.add(os.path.abspath(path))


def mark_finished(path: str | Path) -> None:
    """Record that the upload into `path` ended (completed or aborted)."""
    with _receiving_lock:
        _receiving.discard(os.path.abspath(path))


def is_receiving(path: str | Path) -> bool:
    with _receiving_lock:
        return os.path.abspath(path) in _receiving


# Files whose FTP upload completed in this process, with their modification time then: they
# are ready at once, without waiting for QUIET_PERIOD_S, as long as nobody touched them since.
_completed: dict[str, int] = {}
MAX_COMPLETED_REMEMBERED = 10_000


def mark_completed(path: str | Path) -> None:
    """Record that an upload into `path` ended with the whole file received."""
    absolute = os.path.abspath(path)
    try:
        modified_ns = os.stat(absolute, follow_symlinks=False).st_mtime_ns
    except OSError:
        return
    with _receiving_lock:
        if len(_completed) >= MAX_COMPLETED_REMEMBERED:
            _completed.clear()  # only a shortcut: forgotten files wait the quiet period
        _completed[absolute] = modified_ns


def _completed_unchanged(path: Path, info: os.stat_result) -> bool:
    with _receiving_lock:
        return _completed.get(os.path.abspath(path)) == info.st_mtime_ns


class EntryState(enum.StrEnum):
    READY = "ready"  # will be taken by the next "process inbox"
    RECEIVING = "receiving"  # still being uploaded; taken once it has been quiet a while
    IGNORED = "ignored"  # hidden or temporary file; never taken
    REFUSED = "refused"  # unsafe name or not a regular file; rename or delete it


@dataclass(frozen=True)
class InboxEntry:
    """A file (or a thing posing as one) found in an inbox."""

    name: str  # path relative to the inbox, with "/" between folders, printable
    path: Path  # the real path
    size: int
    modified_at: float  # seconds since the epoch
    state: EntryState
    reason: str | None = None


def _printable(name: str) -> str:
    """`name` with bytes that are not UTF-8 shown as U+FFFD (so it can go into JSON)."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _entry(root: Path, entry: os.DirEntry[str], now: float, quiet_s: float) -> InboxEntry:
    path = Path(entry.path)
    relative = _printable(path.relative_to(root).as_posix())
    info = entry.stat(follow_symlinks=False)
    state, reason = EntryState.READY, None
    try:
        check_name(entry.name, allow_temporary=True)
    except UnsafeName as exc:
        state, reason = EntryState.REFUSED, exc.message
    else:
        if not stat.S_ISREG(info.st_mode):
            state, reason = EntryState.REFUSED, "not a regular file (a link, device or pipe)"
        elif is_temporary_name(entry.name):
            state, reason = EntryState.IGNORED, "hidden or temporary file"
        elif is_receiving(path) or (
            now - info.st_mtime < quiet_s and not _completed_unchanged(path, info)
        ):
            state, reason = EntryState.RECEIVING, "still being uploaded"
    return InboxEntry(relative, path, info.st_size, info.st_mtime, state, reason)


def _walk(root: Path, depth: int = 0) -> Iterator[os.DirEntry[str]]:
    """Every non-directory below `root`, in name order, never following links."""
    try:
        entries = sorted(os.scandir(root), key=lambda e: e.name)
    except (FileNotFoundError, NotADirectoryError):
        return
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            if depth < MAX_SCAN_DEPTH and not is_temporary_name(entry.name):
                yield from _walk(Path(entry.path), depth + 1)
        else:
            yield entry


def list_inbox(
    settings: Settings,
    user_id: int,
    *,
    quiet_s: float = QUIET_PERIOD_S,
    now: float | None = None,
) -> list[InboxEntry]:
    """The files waiting in a user's inbox, sub-folders included, ordered by name."""
    root = inbox_dir(settings, user_id)
    moment = time.time() if now is None else now
    found = []
    for entry in _walk(root):
        try:
            found.append(_entry(root, entry, moment, quiet_s))
        except (FileNotFoundError, ValueError):
            continue  # gone since the directory was read
    return found


# -- processing -------------------------------------------------------------------------


class Outcome(enum.StrEnum):
    """What "process inbox" did with one file."""

    QUEUED = "queued"  # received; the ingest job will turn it into an item
    ACCEPTED = "accepted"  # became an `uploaded` item (item_id)
    DUPLICATE = "duplicate"  # the same media is already an item (duplicate_of)
    REJECTED = "rejected"  # the pipeline refused the content (reason)
    SKIPPED = "skipped"  # still being uploaded, or a temporary file: left in the inbox
    REFUSED = "refused"  # unsafe name or not a regular file: left in the inbox
    FAILED = "failed"  # could not be received this time (reason): left in the inbox

    @property
    def removed_from_inbox(self) -> bool:
        return self in (Outcome.QUEUED, Outcome.ACCEPTED, Outcome.DUPLICATE, Outcome.REJECTED)


@dataclass(frozen=True)
class InboxFileResult:
    """One file's fate: its name in the inbox, what happened and the ids involved."""

    name: str
    outcome: Outcome
    reason: str | None = None
    upload_id: int | None = None
    item_id: int | None = None
    duplicate_of: int | None = None


@dataclass(frozen=True)
class InboxReport:
    """The per-file results of one "process inbox", in name order."""

    user_id: int
    files: tuple[InboxFileResult, ...]
    more_waiting: bool = False  # MAX_FILES_PER_RUN was reached; run it again

    def count(self, outcome: Outcome) -> int:
        return sum(1 for f in self.files if f.outcome is outcome)

    @property
    def received(self) -> int:
        return sum(1 for f in self.files if f.outcome.removed_from_inbox)


_STATE_OUTCOMES = {
    UploadState.QUEUED: Outcome.QUEUED,
    UploadState.PROCESSING: Outcome.QUEUED,
    UploadState.DONE: Outcome.ACCEPTED,
    UploadState.DUPLICATE: Outcome.DUPLICATE,
    UploadState.REJECTED: Outcome.REJECTED,
}


def result_of_upload(name: str, upload: Upload) -> InboxFileResult:
    """The report line for a received file, from its Upload row."""
    return InboxFileResult(
        name=name,
        outcome=_STATE_OUTCOMES[UploadState(upload.state)],
        reason=upload.reason,
        upload_id=upload.id,
        item_id=upload.item_id,
        duplicate_of=upload.duplicate_of,
    )


def require_contributor(runtime: Runtime, user_id: int) -> None:
    """NotFound unless the user exists; PermissionDenied unless an active contributor."""
    with runtime.db.read_session() as session:
        user = session.get(User, user_id)
        if user is None:
            raise NotFound(f"user {user_id} does not exist")
        if not user.is_active or not user.has_role(Role.CONTRIBUTOR):
            raise PermissionDenied("only active contributors have an inbox")


def _open_regular_file(path: Path) -> tuple[BinaryIO, os.stat_result]:
    """Open `path` for reading without following a link or blocking on a pipe."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise OSError(f"{path.name} is not a regular file")
        return os.fdopen(fd, "rb"), info
    except BaseException:
        os.close(fd)
        raise


def _unchanged(path: Path, before: os.stat_result) -> bool:
    try:
        now = os.stat(path, follow_symlinks=False)
    except FileNotFoundError:
        return False
    return (now.st_ino, now.st_size, now.st_mtime_ns) == (
        before.st_ino,
        before.st_size,
        before.st_mtime_ns,
    )


def _receive(
    runtime: Runtime, user_id: int, entry: InboxEntry, *, submit: bool, enqueue: bool
) -> Upload:
    """Hand one file to the pipeline, then remove it from the inbox if it did not change."""
    from stockhouse.ingest.pipeline import receive_upload

    stream, before = _open_regular_file(entry.path)
    with stream:
        upload = receive_upload(
            runtime,
            user_id,
            stream,
            entry.path.name,
            source="ftp",
            submit_after=submit,
            enqueue=enqueue,
        )
    # The Upload row is committed now. A file rewritten meanwhile stays for the next run.
    if not _unchanged(entry.path, before):
        logger.warning("inbox file %s changed while it was received; kept", entry.name)
        return upload
    try:
        entry.path.unlink()
    except FileNotFoundError:
        pass
    except OSError:
        # Received all the same; the next run finds it again and reports a duplicate.
        logger.warning("could not remove the received inbox file %s", entry.name)
    return upload


def _ingest_now(runtime: Runtime, upload: Upload) -> Upload:
    """Run the ingest in the caller; if it breaks, queue the job to try again later."""
    from stockhouse.ingest.pipeline import ingest_now, queue_ingest

    try:
        return ingest_now(runtime, upload.id)
    except Exception:
        logger.exception("ingest of upload %s failed; queued for a retry", upload.id)
    queue_ingest(runtime, upload.id)
    return upload


def process_entry(
    runtime: Runtime, user_id: int, entry: InboxEntry, *, submit: bool, wait: bool
) -> InboxFileResult:
    """Receive one inbox file (and ingest it when `wait`); never raises for its content."""
    if entry.state is EntryState.REFUSED:
        return InboxFileResult(entry.name, Outcome.REFUSED, entry.reason)
    if entry.state is not EntryState.READY:
        return InboxFileResult(entry.name, Outcome.SKIPPED, entry.reason)
    try:
        upload = _receive(runtime, user_id, entry, submit=submit, enqueue=not wait)
    except DomainError as exc:
        return InboxFileResult(entry.name, Outcome.FAILED, exc.message)
    except OSError as exc:
        why = exc.strerror or "it is not a regular file"  # never the server's paths
        return InboxFileResult(entry.name, Outcome.FAILED, f"cannot read the file: {why}")
    if wait:
        upload = _ingest_now(runtime, upload)
    return result_of_upload(entry.name, upload)


def process_inbox(
    runtime: Runtime,
    user_id: int,
    submit: bool = False,
    *,
    wait: bool = False,
    quiet_s: float = QUIET_PERIOD_S,
) -> InboxReport:
    """Turn every finished file in a contributor's inbox into an Upload; report each file.

    With `wait` each file is ingested before the next (its item, duplicate or rejection is
    in the report); otherwise the ingest jobs finish them in the background and the report
    says `queued`. `submit` sends the resulting items to review. A file leaves the inbox
    only after its Upload row is committed.
    """
    require_contributor(runtime, user_id)
    entries = list_inbox(runtime.settings, user_id, quiet_s=quiet_s)
    results: list[InboxFileResult] = []
    taken = 0
    more_waiting = False
    for entry in entries:
        if entry.state is EntryState.READY:
            if taken == MAX_FILES_PER_RUN:
                more_waiting = True
                continue
            taken += 1
        results.append(process_entry(runtime, user_id, entry, submit=submit, wait=wait))
    return InboxReport(user_id=user_id, files=tuple(results), more_waiting=more_waiting)
