"""Contributor inboxes: safe names, what waits there, and "process inbox"."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import Role
from stockhouse.catalog.models import ItemStatus, MediaItem, Upload, UploadState
from stockhouse.config import Settings
from stockhouse.errors import InvalidParameter, NotFound, PermissionDenied
from stockhouse.ingest import inbox as inbox_module
from stockhouse.ingest import pipeline
from stockhouse.ingest.inbox import (
    EntryState,
    Outcome,
    UnsafeName,
    check_name,
    inbox_dir,
    list_inbox,
    mark_finished,
    mark_receiving,
    process_inbox,
    safe_name,
)
from stockhouse.ingest.types import IngestRejected
from stockhouse.runtime import Runtime
from tests.ingest.image_factory import make_image

SETTLED_S = 60  # files in these tests were "uploaded" this long ago unless said otherwise


@pytest.fixture
def cora(runtime: Runtime) -> int:
    """A contributor's user id."""
    with runtime.db.session() as session:
        user = accounts.create_user(
            session, username="cora", password="a long password", roles=[Role.CONTRIBUTOR]
        )
        return user.id


@pytest.fixture
def inbox(runtime: Runtime, cora: int) -> Path:
    return inbox_dir(runtime.settings, cora, create=True)


def settle(path: Path, age_s: float = SETTLED_S) -> Path:
    """Make `path` look last written `age_s` seconds ago."""
    moment = time.time() - age_s
    os.utime(path, (moment, moment), follow_symlinks=False)
    return path


def drop(inbox: Path, name: str, data: bytes, age_s: float = SETTLED_S) -> Path:
    """Put a file into the inbox as an FTP upload would have, `age_s` seconds ago."""
    path = inbox / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return settle(path, age_s)


def drop_jpeg(inbox: Path, name: str, seed: int = 1) -> Path:
    path = inbox / name
    path.parent.mkdir(parents=True, exist_ok=True)
    return settle(make_image(path, seed=seed))


def uploads(runtime: Runtime) -> list[Upload]:
    with runtime.db.read_session() as session:
        return list(session.scalars(select(Upload).order_by(Upload.id)))


def item(runtime: Runtime, item_id: int | None) -> MediaItem:
    assert item_id is not None
    with runtime.db.read_session() as session:
        found = session.get(MediaItem, item_id)
        assert found is not None
        return found


# -- names ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["photo.jpg", "Über café 2024.JPG", "日本の夏.png", "a" * 251 + ".jpg", "ftpd.x1y2"],
)
def test_safe_name_accepts_ordinary_names(name: str) -> None:
    assert safe_name(name) == name


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("", "empty"),
        ("   ", "empty"),
        (".", "not a file name"),
        ("..", "not a file name"),
        ("../secret_key", "is a path"),
        ("../../etc/passwd", "is a path"),
        ("/etc/passwd", "is a path"),
        ("C:\\Windows\\win.ini", "is a path"),
        ("photo\x00.jpg", "NUL"),
        ("photo\n.jpg", "U+000A"),
        ("photo\x1b[31m.jpg", "U+001B"),
        ("photo\x7f.jpg", "U+007F"),
        ("\u202egpj.exe", "U+202E"),
        ("photo\udcff.jpg", "UTF-8"),
        ("a" * 252 + ".jpg", "255 bytes"),
        ("é" * 128, "255 bytes"),
        (".hidden.jpg", "hidden or temporary"),
        (".DS_Store", "hidden or temporary"),
        ("photo.jpg.part", "hidden or temporary"),
        ("photo.jpg.filepart", "hidden or temporary"),
        ("photo.jpg~", "hidden or temporary"),
        ("~$draft.docx", "hidden or temporary"),
        ("Thumbs.db", "hidden or temporary"),
    ],
)
def test_safe_name_refuses_tricks_and_temporary_files(name: str, why: str) -> None:
    with pytest.raises(UnsafeName, match=re.escape(why)):
        safe_name(name)


def test_a_refused_name_is_an_invalid_filename_parameter() -> None:
    with pytest.raises(InvalidParameter) as caught:
        safe_name("../x.jpg")
    assert caught.value.name == "filename"


def test_temporary_names_pass_the_check_made_while_uploading() -> None:
    assert check_name("photo.jpg.filepart", allow_temporary=True) == "photo.jpg.filepart"
    with pytest.raises(UnsafeName):
        check_name("../photo.jpg.filepart", allow_temporary=True)


# -- the inbox folder -------------------------------------------------------------------


def test_inbox_dir_is_the_user_id_under_data_dir_inbox(settings: Settings) -> None:
    path = inbox_dir(settings, 176050)
    assert path == settings.data_dir / "inbox" / "176050"
    assert not path.exists()
    assert inbox_dir(settings, 176050, create=True).is_dir()


@pytest.mark.parametrize("user_id", [0, -1, True])
def test_inbox_dir_refuses_ids_that_are_not_positive_integers(
    settings: Settings, user_id: int
) -> None:
    with pytest.raises(InvalidParameter):
        inbox_dir(settings, user_id)


def test_listing_an_inbox_that_was_never_made_is_empty(settings: Settings) -> None:
    assert list_inbox(settings, 42) == []


def test_listing_says_which_files_are_ready_and_why_others_are_not(
    settings: Settings, inbox: Path, cora: int, tmp_path: Path
) -> None:
    drop(inbox, "ready.jpg", b"x" * 10)
    drop(inbox, "shoot/nested.jpg", b"x")
    drop(inbox, "arriving.jpg", b"x", age_s=1)
    drop(inbox, "photo.jpg.part", b"x")
    drop(inbox, "bad\x01name.jpg", b"x")
    os.symlink(tmp_path, inbox / "door")
    os.mkfifo(inbox / "pipe.jpg")

    states = {e.name: (e.state, e.reason) for e in list_inbox(settings, cora)}

    assert states == {
        "arriving.jpg": (EntryState.RECEIVING, "still being uploaded"),
        "bad\x01name.jpg": (EntryState.REFUSED, states["bad\x01name.jpg"][1]),
        "door": (EntryState.REFUSED, "not a regular file (a link, device or pipe)"),
        "photo.jpg.part": (EntryState.IGNORED, "hidden or temporary file"),
        "pipe.jpg": (EntryState.REFUSED, "not a regular file (a link, device or pipe)"),
        "ready.jpg": (EntryState.READY, None),
        "shoot/nested.jpg": (EntryState.READY, None),
    }
    assert "U+0001" in (states["bad\x01name.jpg"][1] or "")


def test_a_name_that_is_not_utf8_is_refused_and_listed_printably(
    settings: Settings, inbox: Path, cora: int
) -> None:
    with open(os.fsencode(inbox) + b"/photo\xff.jpg", "wb") as handle:
        handle.write(b"x")
    settle(inbox / os.fsdecode(b"photo\xff.jpg"))

    [entry] = list_inbox(settings, cora)

    assert (entry.name, entry.state) == ("photo\ufffd.jpg", EntryState.REFUSED)
    assert entry.path.exists()


def test_listing_is_ordered_by_name_and_gives_sizes(
    settings: Settings, inbox: Path, cora: int
) -> None:
    drop(inbox, "b.jpg", b"bb")
    drop(inbox, "a.jpg", b"a")
    assert [(e.name, e.size) for e in list_inbox(settings, cora)] == [("a.jpg", 1), ("b.jpg", 2)]


def test_a_file_an_ftp_session_is_writing_is_not_ready_however_old(
    settings: Settings, inbox: Path, cora: int
) -> None:
    path = drop(inbox, "slow.mov", b"x")
    mark_receiving(path)
    try:
        assert [e.state for e in list_inbox(settings, cora)] == [EntryState.RECEIVING]
    finally:
        mark_finished(path)
    assert [e.state for e in list_inbox(settings, cora)] == [EntryState.READY]


# -- processing -------------------------------------------------------------------------


def test_processing_needs_an_active_contributor(runtime: Runtime) -> None:
    with runtime.db.session() as session:
        buyer = accounts.create_user(session, username="bea", password=None).id
    with pytest.raises(PermissionDenied):
        process_inbox(runtime, buyer)
    with pytest.raises(NotFound):
        process_inbox(runtime, 999)


def test_processing_an_empty_inbox_reports_nothing(runtime: Runtime, cora: int) -> None:
    report = process_inbox(runtime, cora)
    assert report.files == () and report.received == 0 and not report.more_waiting


def test_a_picture_becomes_a_queued_ftp_upload_and_leaves_the_inbox(
    runtime: Runtime, inbox: Path, cora: int
) -> None:
    data = drop_jpeg(inbox, "sunset.jpg").read_bytes()

    report = process_inbox(runtime, cora)

    [result] = report.files
    assert (result.name, result.outcome) == ("sunset.jpg", Outcome.QUEUED)
    [upload] = uploads(runtime)
    assert result.upload_id == upload.id
    assert (upload.owner_id, upload.filename, upload.source) == (cora, "sunset.jpg", "ftp")
    assert upload.state is UploadState.QUEUED and upload.file_size == len(data)
    assert runtime.blobs.open(upload.blob).read() == data
    assert list(inbox.iterdir()) == []
    assert runtime.jobs.pending_count() == 1


def test_with_wait_each_picture_becomes_an_uploaded_item(
    runtime: Runtime, inbox: Path, cora: int
) -> None:
    drop_jpeg(inbox, "sunset.jpg")

    [result] = process_inbox(runtime, cora, wait=True).files

    assert result.outcome is Outcome.ACCEPTED
    made = item(runtime, result.item_id)
    assert (made.owner_id, made.status, made.original_filename) == (
        cora,
        ItemStatus.UPLOADED,
        "sunset.jpg",
    )
    assert (made.width, made.height) == (64, 48)
    assert runtime.jobs.pending_count() == 0


def test_submit_sends_the_new_items_to_review(runtime: Runtime, inbox: Path, cora: int) -> None:
    drop_jpeg(inbox, "sunset.jpg")
    [result] = process_inbox(runtime, cora, submit=True, wait=True).files
    assert item(runtime, result.item_id).status is ItemStatus.PENDING


def test_the_same_picture_again_is_reported_as_a_duplicate(
    runtime: Runtime, inbox: Path, cora: int
) -> None:
    drop_jpeg(inbox, "first.jpg", seed=3)
    [first] = process_inbox(runtime, cora, wait=True).files
    drop_jpeg(inbox, "again.jpg", seed=3)

    [again] = process_inbox(runtime, cora, wait=True).files

    assert again.outcome is Outcome.DUPLICATE
    assert again.duplicate_of == first.item_id
    assert list(inbox.iterdir()) == []


def test_a_file_that_is_not_media_is_rejected_with_its_reason_and_removed(
    runtime: Runtime, inbox: Path, cora: int
) -> None:
    drop(inbox, "notes.jpg", b"these are not pixels\n" * 10)

    [result] = process_inbox(runtime, cora, wait=True).files

    [upload] = uploads(runtime)
    assert result.outcome is Outcome.REJECTED
    assert upload.state is UploadState.REJECTED
    assert result.reason and result.reason == upload.reason
    assert list(inbox.iterdir()) == []


def test_every_file_gets_its_own_line_in_name_order(
    runtime: Runtime, inbox: Path, cora: int
) -> None:
    drop_jpeg(inbox, "b.jpg", seed=1)
    drop_jpeg(inbox, "shoot/a.png", seed=2)
    drop(inbox, "a-empty.jpg", b"")

    report = process_inbox(runtime, cora, wait=True)

    assert [(f.name, f.outcome) for f in report.files] == [
        ("a-empty.jpg", Outcome.REJECTED),
        ("b.jpg", Outcome.ACCEPTED),
        ("shoot/a.png", Outcome.ACCEPTED),
    ]
    assert report.count(Outcome.ACCEPTED) == 2 and report.received == 3
    assert [p.name for p in inbox.iterdir()] == ["shoot"]


def test_unfinished_temporary_and_unsafe_files_stay_in_the_inbox(
    runtime: Runtime, inbox: Path, cora: int, tmp_path: Path
) -> None:
    drop(inbox, "arriving.jpg", b"x", age_s=1)
    drop(inbox, ".hidden.jpg", b"x")
    os.symlink(tmp_path, inbox / "door.jpg")
    before = sorted(p.name for p in inbox.iterdir())

    report = process_inbox(runtime, cora)

    assert [(f.name, f.outcome) for f in report.files] == [
        (".hidden.jpg", Outcome.SKIPPED),
        ("arriving.jpg", Outcome.SKIPPED),
        ("door.jpg", Outcome.REFUSED),
    ]
    assert sorted(p.name for p in inbox.iterdir()) == before
    assert uploads(runtime) == []


def test_a_file_that_cannot_be_received_stays_with_the_reason(
    runtime: Runtime, inbox: Path, cora: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    drop_jpeg(inbox, "sunset.jpg")

    def refuse(*_: Any, **__: Any) -> Upload:
        raise IngestRejected("storage is full")

    monkeypatch.setattr(pipeline, "receive_upload", refuse)
    [result] = process_inbox(runtime, cora).files

    assert (result.outcome, result.reason) == (Outcome.FAILED, "storage is full")
    assert (inbox / "sunset.jpg").is_file()


def test_a_crash_while_receiving_leaves_the_file_and_no_upload(
    runtime: Runtime, inbox: Path, cora: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    drop_jpeg(inbox, "sunset.jpg")
    real = pipeline.receive_upload

    def crash_after_storing(*args: Any, **kwargs: Any) -> Upload:
        runtime.blobs.put_stream(args[2])
        raise RuntimeError("power cut")

    monkeypatch.setattr(pipeline, "receive_upload", crash_after_storing)
    with pytest.raises(RuntimeError):
        process_inbox(runtime, cora)
    assert (inbox / "sunset.jpg").is_file()
    assert uploads(runtime) == []

    monkeypatch.setattr(pipeline, "receive_upload", real)
    [result] = process_inbox(runtime, cora).files
    assert result.outcome is Outcome.QUEUED
    assert list(inbox.iterdir()) == []


def test_a_file_rewritten_while_it_was_received_stays_for_the_next_run(
    runtime: Runtime, inbox: Path, cora: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = drop_jpeg(inbox, "sunset.jpg", seed=1)
    real = pipeline.receive_upload

    def receive_while_rewritten(*args: Any, **kwargs: Any) -> Upload:
        upload = real(*args, **kwargs)
        make_image(path, seed=2)  # the contributor uploads a new version meanwhile
        return upload

    monkeypatch.setattr(pipeline, "receive_upload", receive_while_rewritten)
    [first] = process_inbox(runtime, cora).files
    assert first.outcome is Outcome.QUEUED
    assert path.is_file()

    monkeypatch.setattr(pipeline, "receive_upload", real)
    settle(path)
    [second] = process_inbox(runtime, cora).files
    assert second.outcome is Outcome.QUEUED
    first_blob, second_blob = (u.blob for u in uploads(runtime))
    assert first_blob != second_blob
    assert list(inbox.iterdir()) == []


def test_a_run_takes_at_most_the_cap_and_says_more_is_waiting(
    runtime: Runtime, inbox: Path, cora: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inbox_module, "MAX_FILES_PER_RUN", 2)
    for seed in range(3):
        drop_jpeg(inbox, f"{seed}.jpg", seed=seed)

    report = process_inbox(runtime, cora)

    assert [f.name for f in report.files] == ["0.jpg", "1.jpg"]
    assert report.more_waiting
    assert [p.name for p in inbox.iterdir()] == ["2.jpg"]


def test_an_ingest_that_breaks_in_wait_mode_is_queued_for_a_retry(
    runtime: Runtime, inbox: Path, cora: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    drop_jpeg(inbox, "sunset.jpg")

    def broken(*_: Any) -> Upload:
        raise RuntimeError("database went away")

    monkeypatch.setattr(pipeline, "ingest_now", broken)
    [result] = process_inbox(runtime, cora, wait=True).files

    assert result.outcome is Outcome.QUEUED
    assert list(inbox.iterdir()) == []
    assert runtime.jobs.pending_count() == 1
    with runtime.db.read_session() as session:
        assert session.scalar(select(func.count()).select_from(Upload)) == 1
