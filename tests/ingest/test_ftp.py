"""The contributors' FTP server, spoken to over loopback with Python's ftplib."""

from __future__ import annotations

import ftplib
import io
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import Role
from stockhouse.catalog.models import ItemStatus, MediaItem
from stockhouse.ingest.ftp import FtpServerHandle, start_ftp_server
from stockhouse.ingest.inbox import EntryState, Outcome, inbox_dir, list_inbox, process_inbox
from stockhouse.runtime import Runtime
from tests.ingest.image_factory import make_image

PASSWORD = "correct horse battery"
SMALL_LIMIT = 4096


@pytest.fixture
def user_ids(runtime: Runtime) -> dict[str, int]:
    """cora and carl (contributors), bea (a buyer), dora (a disabled contributor)."""
    with runtime.db.session() as session:
        made = {
            name: accounts.create_user(session, username=name, password=PASSWORD, roles=roles)
            for name, roles in [
                ("cora", [Role.CONTRIBUTOR]),
                ("carl", [Role.CONTRIBUTOR, Role.BUYER]),
                ("bea", [Role.BUYER]),
                ("dora", [Role.CONTRIBUTOR]),
            ]
        }
        accounts.set_active(session, made["dora"], False)
        return {name: user.id for name, user in made.items()}


@pytest.fixture
def ftp_server(runtime: Runtime, user_ids: dict[str, int]) -> Iterator[FtpServerHandle]:
    handle = start_ftp_server(
        runtime,
        "127.0.0.1",
        0,
        passive_ports=None,
        max_upload_bytes=SMALL_LIMIT,
        auth_failed_delay_s=0.01,
    )
    yield handle
    handle.stop()


@pytest.fixture
def connect(ftp_server: FtpServerHandle) -> Iterator[Callable[..., ftplib.FTP]]:
    """Open FTP sessions (logged in unless `password` is None); all are closed after."""
    sessions: list[ftplib.FTP] = []

    def open_session(username: str = "cora", password: str | None = PASSWORD) -> ftplib.FTP:
        ftp = ftp_client()
        ftp.connect("127.0.0.1", ftp_server.port, timeout=10)
        sessions.append(ftp)
        if password is not None:
            ftp.login(username, password)
        return ftp

    yield open_session
    for ftp in sessions:
        ftp.close()


def ftp_client() -> ftplib.FTP:
    return ftplib.FTP()  # noqa: S321 (plain FTP is the protocol under test)


def upload(ftp: ftplib.FTP, name: str, data: bytes) -> str:
    return ftp.storbinary(f"STOR {name}", io.BytesIO(data))


def inbox_of(runtime: Runtime, user_ids: dict[str, int], username: str = "cora") -> Path:
    return inbox_dir(runtime.settings, user_ids[username])


# -- logging in -------------------------------------------------------------------------


def test_contributor_logs_in_to_an_empty_inbox_made_at_login(
    connect: Callable[..., ftplib.FTP], runtime: Runtime, user_ids: dict[str, int]
) -> None:
    assert not inbox_of(runtime, user_ids).exists()
    ftp = connect("cora")
    assert ftp.pwd() == "/"
    assert ftp.nlst() == []
    assert inbox_of(runtime, user_ids).is_dir()


def test_wrong_password_is_refused(connect: Callable[..., ftplib.FTP]) -> None:
    ftp = connect(password=None)
    with pytest.raises(ftplib.error_perm, match=r"^530 Wrong username or password"):
        ftp.login("cora", "not the password")


def test_unknown_user_gets_the_same_answer_as_a_wrong_password(
    connect: Callable[..., ftplib.FTP],
) -> None:
    ftp = connect(password=None)
    with pytest.raises(ftplib.error_perm, match=r"^530 Wrong username or password"):
        ftp.login("nobody", PASSWORD)


def test_buyer_without_contributor_role_is_refused(connect: Callable[..., ftplib.FTP]) -> None:
    ftp = connect(password=None)
    with pytest.raises(ftplib.error_perm, match=r"^530 This account is not a contributor"):
        ftp.login("bea", PASSWORD)


def test_disabled_contributor_is_refused(connect: Callable[..., ftplib.FTP]) -> None:
    ftp = connect(password=None)
    with pytest.raises(ftplib.error_perm, match=r"^530"):
        ftp.login("dora", PASSWORD)


def test_commands_before_login_are_refused(connect: Callable[..., ftplib.FTP]) -> None:
    ftp = connect(password=None)
    with pytest.raises(ftplib.error_perm, match=r"^530"):
        ftp.nlst()


def test_third_failed_login_closes_the_connection(connect: Callable[..., ftplib.FTP]) -> None:
    ftp = connect(password=None)
    for _ in range(2):
        with pytest.raises(ftplib.error_perm):
            ftp.login("cora", "wrong")
    with pytest.raises(ftplib.error_perm, match="Disconnecting"):
        ftp.login("cora", "wrong")


# -- working in the inbox ---------------------------------------------------------------


def test_upload_lands_in_the_contributors_inbox_byte_for_byte(
    connect: Callable[..., ftplib.FTP], runtime: Runtime, user_ids: dict[str, int]
) -> None:
    data = bytes(range(256)) * 8
    reply = upload(connect(), "photo.jpg", data)
    assert reply.startswith("226")
    assert (inbox_of(runtime, user_ids) / "photo.jpg").read_bytes() == data


def test_contributors_see_only_their_own_inbox(
    connect: Callable[..., ftplib.FTP], runtime: Runtime, user_ids: dict[str, int]
) -> None:
    upload(connect("cora"), "mine.jpg", b"cora's")
    carl = connect("carl")
    assert carl.nlst() == []
    upload(carl, "mine.jpg", b"carl's")
    assert (inbox_of(runtime, user_ids, "cora") / "mine.jpg").read_bytes() == b"cora's"
    assert (inbox_of(runtime, user_ids, "carl") / "mine.jpg").read_bytes() == b"carl's"


def test_folders_can_be_made_renamed_and_removed(
    connect: Callable[..., ftplib.FTP], runtime: Runtime, user_ids: dict[str, int]
) -> None:
    ftp = connect()
    ftp.mkd("shoot")
    ftp.cwd("shoot")
    upload(ftp, "a.jpg", b"a")
    ftp.rename("a.jpg", "b.jpg")
    assert ftp.nlst() == ["b.jpg"]
    ftp.delete("b.jpg")
    ftp.cwd("/")
    ftp.rmd("shoot")
    assert list(inbox_of(runtime, user_ids).iterdir()) == []


def test_download_is_not_permitted(connect: Callable[..., ftplib.FTP]) -> None:
    ftp = connect()
    upload(ftp, "photo.jpg", b"data")
    with pytest.raises(ftplib.error_perm, match=r"^550"):
        ftp.retrbinary("RETR photo.jpg", lambda _: None)


def test_upload_over_the_size_limit_is_aborted_and_removed(
    connect: Callable[..., ftplib.FTP], runtime: Runtime, user_ids: dict[str, int]
) -> None:
    ftp = connect()
    with pytest.raises(ftplib.error_temp, match=r"^426"):
        upload(ftp, "huge.mov", b"x" * (SMALL_LIMIT * 4))
    assert not (inbox_of(runtime, user_ids) / "huge.mov").exists()
    assert upload(ftp, "fits.jpg", b"x" * SMALL_LIMIT).startswith("226")


def test_store_with_unique_name_is_not_supported(connect: Callable[..., ftplib.FTP]) -> None:
    with pytest.raises(ftplib.error_perm, match=r"^502 STOU is not supported"):
        connect().storbinary("STOU", io.BytesIO(b"data"))


# -- path tricks ------------------------------------------------------------------------


def test_cwd_above_the_inbox_stays_in_the_inbox(connect: Callable[..., ftplib.FTP]) -> None:
    ftp = connect()
    upload(ftp, "here.jpg", b"x")
    ftp.cwd("..")
    ftp.cwd("../../..")
    assert ftp.pwd() == "/"
    assert ftp.nlst() == ["here.jpg"]


def test_retr_of_the_secret_key_above_the_inbox_is_refused(
    connect: Callable[..., ftplib.FTP], runtime: Runtime
) -> None:
    assert (runtime.settings.data_dir / "secret_key").is_file()
    received: list[bytes] = []
    ftp = connect()
    for path in ("../../secret_key", "/../../secret_key", str(runtime.settings.data_dir)):
        with pytest.raises(ftplib.error_perm, match=r"^550"):
            ftp.retrbinary(f"RETR {path}", received.append)
    assert received == []


def test_absolute_paths_are_taken_inside_the_inbox(
    connect: Callable[..., ftplib.FTP], runtime: Runtime, user_ids: dict[str, int]
) -> None:
    ftp = connect()
    upload(ftp, "/top.jpg", b"x")
    assert (inbox_of(runtime, user_ids) / "top.jpg").is_file()
    with pytest.raises(ftplib.error_perm, match=r"^550"):
        ftp.cwd("/etc")
    with pytest.raises(ftplib.error_perm, match=r"^550"):
        upload(ftp, "/tmp/evil.jpg", b"x")
    assert not Path("/tmp/evil.jpg").exists() or Path("/tmp/evil.jpg").read_bytes() != b"x"


def test_upload_named_with_dot_dot_stays_in_the_inbox(
    connect: Callable[..., ftplib.FTP], runtime: Runtime, user_ids: dict[str, int]
) -> None:
    upload(connect(), "../../escaped.jpg", b"x")
    assert (inbox_of(runtime, user_ids) / "escaped.jpg").read_bytes() == b"x"
    assert not (runtime.settings.data_dir / "escaped.jpg").exists()
    assert not (runtime.settings.inbox_dir / "escaped.jpg").exists()


def test_symlinks_planted_in_the_inbox_are_not_followed(
    connect: Callable[..., ftplib.FTP], runtime: Runtime, user_ids: dict[str, int], tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_bytes(b"secret")
    ftp = connect()  # makes the inbox
    inbox = inbox_of(runtime, user_ids)
    os.symlink(outside, inbox / "door")
    os.symlink(outside / "secret.txt", inbox / "secret.jpg")

    with pytest.raises(ftplib.error_perm, match=r"^550"):
        ftp.cwd("door")
    with pytest.raises(ftplib.error_perm, match=r"^550"):
        upload(ftp, "door/planted.jpg", b"x")
    with pytest.raises(ftplib.error_perm, match=r"^550"):
        ftp.size("secret.jpg")
    with pytest.raises(ftplib.error_perm, match=r"^550"):
        ftp.nlst("door")
    with pytest.raises(ftplib.error_perm, match=r"^550"):
        upload(ftp, "secret.jpg", b"overwritten")
    with pytest.raises(ftplib.error_perm, match=r"^550"):
        ftp.rename("secret.jpg", "mine.jpg")
    assert sorted(p.name for p in outside.iterdir()) == ["secret.txt"]
    assert (outside / "secret.txt").read_bytes() == b"secret"


@pytest.mark.parametrize(
    "command",
    ["MKD bad\x00name", "MKD bad\x01name", "CWD \x1b[31m", "USER cora\x00"],
    ids=["nul", "control", "escape", "nul-in-user"],
)
def test_control_characters_in_names_are_refused(
    connect: Callable[..., ftplib.FTP], command: str
) -> None:
    with pytest.raises(ftplib.error_perm, match=r"^501"):
        connect().sendcmd(command)


def test_names_longer_than_255_bytes_are_refused(
    connect: Callable[..., ftplib.FTP], runtime: Runtime, user_ids: dict[str, int]
) -> None:
    ftp = connect()
    with pytest.raises(ftplib.error_perm, match=r"^550.*255 bytes"):
        ftp.mkd("é" * 128)
    with pytest.raises(ftplib.error_perm, match=r"^550.*255 bytes"):
        upload(ftp, "a" * 252 + ".jpeg", b"x")
    assert list(inbox_of(runtime, user_ids).iterdir()) == []


def test_temporary_names_are_allowed_while_uploading(
    connect: Callable[..., ftplib.FTP], runtime: Runtime, user_ids: dict[str, int]
) -> None:
    ftp = connect()
    upload(ftp, "photo.jpg.filepart", b"x")
    ftp.rename("photo.jpg.filepart", "photo.jpg")
    assert [p.name for p in inbox_of(runtime, user_ids).iterdir()] == ["photo.jpg"]


# -- from upload to item ----------------------------------------------------------------


def test_an_uploaded_picture_becomes_an_item_when_the_inbox_is_processed(
    connect: Callable[..., ftplib.FTP], runtime: Runtime, user_ids: dict[str, int], tmp_path: Path
) -> None:
    picture = make_image(tmp_path / "local.jpg")
    with picture.open("rb") as source:
        connect().storbinary("STOR sunset.jpg", source)

    [result] = process_inbox(runtime, user_ids["cora"], wait=True, quiet_s=0).files

    assert (result.name, result.outcome) == ("sunset.jpg", Outcome.ACCEPTED)
    with runtime.db.read_session() as session:
        item = session.get(MediaItem, result.item_id)
        assert item is not None
        assert (item.owner_id, item.original_filename, item.status) == (
            user_ids["cora"],
            "sunset.jpg",
            ItemStatus.UPLOADED,
        )
        assert item.file_size == picture.stat().st_size
    assert list(inbox_of(runtime, user_ids).iterdir()) == []


def test_a_file_placed_in_the_inbox_by_other_means_waits_out_the_quiet_period(
    connect: Callable[..., ftplib.FTP], runtime: Runtime, user_ids: dict[str, int]
) -> None:
    connect()  # makes the inbox
    (inbox_of(runtime, user_ids) / "sunset.jpg").write_bytes(b"x")
    [result] = process_inbox(runtime, user_ids["cora"]).files
    assert result.outcome is Outcome.SKIPPED
    assert (inbox_of(runtime, user_ids) / "sunset.jpg").is_file()


def test_a_completed_ftp_upload_is_ready_at_once(
    connect: Callable[..., ftplib.FTP], runtime: Runtime, user_ids: dict[str, int]
) -> None:
    upload(connect(), "sunset.jpg", b"x")
    [entry] = list_inbox(runtime.settings, user_ids["cora"])
    assert entry.state is EntryState.READY


def test_a_file_changed_after_its_ftp_upload_waits_out_the_quiet_period(
    connect: Callable[..., ftplib.FTP], runtime: Runtime, user_ids: dict[str, int]
) -> None:
    upload(connect(), "sunset.jpg", b"x")
    path = inbox_of(runtime, user_ids) / "sunset.jpg"
    later = path.stat().st_mtime_ns + 1_000_000
    os.utime(path, ns=(later, later))
    [entry] = list_inbox(runtime.settings, user_ids["cora"])
    assert entry.state is EntryState.RECEIVING


def test_a_file_still_arriving_is_not_taken_until_its_upload_ends(
    connect: Callable[..., ftplib.FTP], runtime: Runtime, user_ids: dict[str, int]
) -> None:
    def states() -> list[EntryState]:
        entries = list_inbox(runtime.settings, user_ids["cora"], quiet_s=0)
        return [e.state for e in entries]

    ftp = connect()
    data = ftp.transfercmd("STOR clip.mov")
    data.sendall(b"x" * 100)
    deadline = time.monotonic() + 5
    while states() != [EntryState.RECEIVING] and time.monotonic() < deadline:
        time.sleep(0.02)
    assert states() == [EntryState.RECEIVING]

    data.close()
    assert ftp.voidresp().startswith("226")
    assert states() == [EntryState.READY]


# -- the server -------------------------------------------------------------------------


def test_stop_closes_the_port(runtime: Runtime, user_ids: dict[str, int]) -> None:
    handle = start_ftp_server(runtime, "127.0.0.1", 0, passive_ports=None)
    port = handle.port
    ftp_client().connect("127.0.0.1", port, timeout=5)
    handle.stop()
    assert not handle.running
    with pytest.raises(OSError):
        ftp_client().connect("127.0.0.1", port, timeout=5)


def test_stop_ends_open_sessions(
    ftp_server: FtpServerHandle, connect: Callable[..., ftplib.FTP]
) -> None:
    ftp = connect()
    ftp_server.stop()
    with pytest.raises((EOFError, OSError, ftplib.Error)):
        ftp.nlst()
