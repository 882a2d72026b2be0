"""`stockhouse backup` / `restore`: round trips on both engines, consistency, refusals."""

from __future__ import annotations

import hashlib
import json
import os
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, inspect, select, text
from typer.testing import CliRunner

import stockhouse.backup as stockhouse_backup
from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import ApiKind, Role, User
from stockhouse.backup import (
    BLOB_DIR_NAME,
    MANIFEST_NAME,
    BackupError,
    BackupManifest,
    create_backup,
    restore_backup,
)
from stockhouse.blobs import open_blob_store
from stockhouse.blobs.base import sharded_name
from stockhouse.cli import app
from stockhouse.config import Settings, load_settings
from stockhouse.db.engine import make_engine
from stockhouse.db.migrate import current_revision, head_revision
from stockhouse.errors import Conflict
from stockhouse.runtime import Runtime

runner = CliRunner()
BIG_BLOB = os.urandom(2 * 1024 * 1024 + 17)  # more than one streaming chunk
SMALL_BLOBS = [b"", b"one small blob", b"another small blob" * 100]


@pytest.fixture
def target_flags(
    database_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[dict[str, str]]:
    """Settings flags of an empty data dir, with an empty database of `database_url`'s engine."""
    target_dir = tmp_path / "restored"
    if database_url.startswith("sqlite"):
        yield {"data_dir": str(target_dir)}  # the default SQLite file inside the data dir
        return
    # A brand-new database (CREATE DATABASE ... TEMPLATE template0) rather than a copy of the
    # migrated test template with its tables dropped: that is what an operator restores into
    # (`createdb`), and it makes pg_restore create the whole schema itself.
    templates = request.getfixturevalue("postgres_templates")
    name = f"sh_restore_{uuid.uuid4().hex[:12]}"
    with templates.admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE template0'))
    try:
        yield {"data_dir": str(target_dir), "database_url": templates.url_for(name)}
    finally:
        templates.drop(name)


def target_settings(flags: dict[str, str]) -> Settings:
    return load_settings(flags, environ={})


def populate(runtime: Runtime) -> dict[str, Any]:
    """Two users, an API key with a secret, and some blobs; returns what to look for later."""
    with runtime.db.session() as session:
        alice = accounts.create_user(
            session, username="alice", password="a long password", roles=[Role.CONTRIBUTOR]
        )
        accounts.create_user(session, username="bob", password=None, email="bob@example.com")
        issued = accounts.create_credential(
            session, runtime.secrets, user=alice, api=ApiKind.NATIVE, with_secret=True
        )
    blobs = {runtime.blobs.put_bytes(data).key: data for data in [*SMALL_BLOBS, BIG_BLOB]}
    return {"key": issued.key, "secret": issued.secret, "blobs": blobs}


def assert_untouched(settings: Settings) -> None:
    """The restore target still has no blobs and no database tables."""
    assert list(open_blob_store(settings.storage_url).keys()) == []
    if settings.database_url.startswith("sqlite"):
        assert not (settings.data_dir / "stockhouse.db").exists()
        return
    engine = make_engine(settings.database_url)
    try:
        assert inspect(engine).get_table_names() == []
    finally:
        engine.dispose()


def usernames(runtime: Runtime) -> list[str]:
    with runtime.db.read_session() as session:
        return sorted(session.scalars(select(User.username)))


# -- round trip -------------------------------------------------------------------------


def test_round_trip_restores_users_keys_secrets_and_blobs(
    runtime: Runtime, tmp_path: Path, target_flags: dict[str, str]
) -> None:
    expected = populate(runtime)
    dest = tmp_path / "backups" / "nightly"

    manifest = create_backup(runtime, dest)

    assert manifest.engine == runtime.db.dialect
    assert manifest.alembic_revision == head_revision()
    assert manifest.blob_count == len(expected["blobs"])
    assert manifest.blob_bytes == sum(len(data) for data in expected["blobs"].values())
    assert manifest.has_secret_key
    assert json.loads((dest / MANIFEST_NAME).read_text())["database_sha256"] == (
        manifest.database_sha256
    )
    assert (dest / manifest.database_file).is_file()
    assert [p.name for p in dest.parent.iterdir()] == ["nightly"]  # no temp dir left

    restore_backup(dest, target_settings(target_flags))

    restored = Runtime(target_settings(target_flags))  # reloaded: now with the backup's key
    try:
        assert usernames(restored) == ["alice", "bob"]
        assert current_revision(restored.db) == head_revision()
        with restored.db.session() as session:
            credential = accounts.resolve_credential(session, expected["key"])
            assert credential.user.username == "alice"
            assert accounts.credential_secret(restored.secrets, credential) == expected["secret"]
            accounts.authenticate(session, "alice", "a long password")
        assert sorted(restored.blobs.keys()) == sorted(expected["blobs"])
        for key, data in expected["blobs"].items():
            assert b"".join(restored.blobs.iter_chunks(key)) == data
    finally:
        restored.close()


def test_backup_into_an_existing_empty_directory(runtime: Runtime, tmp_path: Path) -> None:
    populate(runtime)
    dest = tmp_path / "empty"
    dest.mkdir()
    manifest = create_backup(runtime, dest)
    assert (dest / MANIFEST_NAME).is_file()
    assert len(list((dest / BLOB_DIR_NAME).rglob("*/*/*"))) == manifest.blob_count


# -- consistency under writes -----------------------------------------------------------


BATCH = 3  # users per transaction: a torn copy would show a count between two commits


def test_backup_while_another_thread_writes_is_consistent(
    runtime: Runtime,
    tmp_path: Path,
    target_flags: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reached = [0]  # user counts after each commit of the writer
    grew = threading.Condition()
    stop = threading.Event()
    errors: list[BaseException] = []

    def write() -> None:
        try:
            while not stop.is_set():
                with runtime.db.session() as session:
                    for _ in range(BATCH):
                        name = f"w{uuid.uuid4().hex[:12]}"
                        accounts.create_user(session, username=name, password=None)
                with grew:
                    reached.append(reached[-1] + BATCH)
                    grew.notify_all()
        except BaseException as exc:
            errors.append(exc)
            with grew:
                grew.notify_all()

    def more_commits(count: int) -> None:
        with grew:
            goal = len(reached) + count
            assert grew.wait_for(lambda: len(reached) >= goal or bool(errors), timeout=30)

    real_dump = stockhouse_backup._dump_database

    def dump_between_commits(*args: Any) -> Path:
        # The writer commits right before and keeps committing right after the copy: the
        # copy does not block it, and it lands in the middle of the stream of commits.
        more_commits(3)
        dump = real_dump(*args)
        more_commits(3)
        return dump

    monkeypatch.setattr(stockhouse_backup, "_dump_database", dump_between_commits)
    writer = threading.Thread(target=write)
    writer.start()
    try:
        create_backup(runtime, tmp_path / "backup")
    finally:
        stop.set()
        writer.join(30)
    assert not errors, errors

    restore_backup(tmp_path / "backup", target_settings(target_flags))
    restored = Runtime(target_settings(target_flags))
    try:
        with restored.db.read_session() as session:
            count = session.scalar(select(func.count()).select_from(User))
        # One of the writer's commits exactly, taken strictly inside the stream of commits.
        assert count in reached and reached[3] <= count < reached[-1]
    finally:
        restored.close()


# -- refusals ---------------------------------------------------------------------------


def test_restore_refuses_a_data_dir_with_a_database(runtime: Runtime, tmp_path: Path) -> None:
    populate(runtime)
    create_backup(runtime, tmp_path / "backup")
    with pytest.raises(Conflict, match="holds a database"):
        restore_backup(tmp_path / "backup", runtime.settings)
    assert usernames(runtime) == ["alice", "bob"]


def test_restore_refuses_a_blob_store_with_blobs(
    runtime: Runtime, tmp_path: Path, target_flags: dict[str, str]
) -> None:
    populate(runtime)
    create_backup(runtime, tmp_path / "backup")
    settings = target_settings(target_flags)
    open_blob_store(settings.storage_url).put_bytes(b"already here")
    with pytest.raises(Conflict, match="has blobs"):
        restore_backup(tmp_path / "backup", settings)


def test_restore_refuses_a_tampered_dump_and_writes_nothing(
    runtime: Runtime, tmp_path: Path, target_flags: dict[str, str]
) -> None:
    populate(runtime)
    manifest = create_backup(runtime, tmp_path / "backup")
    with (tmp_path / "backup" / manifest.database_file).open("ab") as dump:
        dump.write(b"\0")
    settings = target_settings(target_flags)
    with pytest.raises(BackupError, match="checksum"):
        restore_backup(tmp_path / "backup", settings)
    assert_untouched(settings)


def test_restore_refuses_a_damaged_blob_and_removes_the_blobs_it_put(
    runtime: Runtime, tmp_path: Path, target_flags: dict[str, str]
) -> None:
    populate(runtime)
    create_backup(runtime, tmp_path / "backup")
    big_key = hashlib.sha256(BIG_BLOB).hexdigest()
    damaged = tmp_path / "backup" / BLOB_DIR_NAME / sharded_name(big_key)
    damaged.write_bytes(b"X" * damaged.stat().st_size)  # same size: only the hash tells
    settings = target_settings(target_flags)
    with pytest.raises(BackupError, match="damaged"):
        restore_backup(tmp_path / "backup", settings)
    assert_untouched(settings)


def test_restore_refuses_a_backup_from_a_newer_schema(
    runtime: Runtime, tmp_path: Path, target_flags: dict[str, str]
) -> None:
    populate(runtime)
    create_backup(runtime, tmp_path / "backup")
    manifest_path = tmp_path / "backup" / MANIFEST_NAME
    data = json.loads(manifest_path.read_text())
    data["alembic_revision"] = "9999_from_the_future"
    manifest_path.write_text(json.dumps(data))
    with pytest.raises(BackupError, match="unknown to Stockhouse"):
        restore_backup(tmp_path / "backup", target_settings(target_flags))


def test_manifest_of_another_format_is_refused() -> None:
    with pytest.raises(BackupError, match="not a stockhouse-backup manifest"):
        BackupManifest.from_json('{"format": "tarball", "format_version": 1}')


@pytest.mark.parametrize("occupant", ["file", "dir-with-file"])
def test_backup_refuses_a_destination_that_is_not_empty(
    runtime: Runtime, tmp_path: Path, occupant: str
) -> None:
    dest = tmp_path / "backups" / "dest"
    dest.parent.mkdir()
    if occupant == "file":
        dest.write_text("mine")
    else:
        dest.mkdir()
        (dest / "keep.txt").write_text("mine")
    with pytest.raises(Conflict, match="not"):
        create_backup(runtime, dest)
    assert list(dest.parent.iterdir()) == [dest]
    assert (dest if occupant == "file" else dest / "keep.txt").read_text() == "mine"


def test_a_failed_backup_leaves_nothing_behind(
    runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    populate(runtime)

    def broken_blob_copy(*_args: object) -> tuple[int, int]:
        raise OSError("disk full")

    monkeypatch.setattr("stockhouse.backup._copy_blobs", broken_blob_copy)
    parent = tmp_path / "backups"
    with pytest.raises(OSError, match="disk full"):
        create_backup(runtime, parent / "nightly")
    assert list(parent.iterdir()) == []


# -- command line -----------------------------------------------------------------------


def test_cli_backup_and_restore(
    runtime: Runtime, tmp_path: Path, target_flags: dict[str, str]
) -> None:
    expected = populate(runtime)
    source_env = {"STOCKHOUSE_DATABASE_URL": runtime.settings.database_url}
    dest = tmp_path / "cli-backup"

    result = runner.invoke(
        app,
        ["backup", str(dest), "--data-dir", str(runtime.settings.data_dir)],
        env=source_env,
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert f"{len(expected['blobs'])} blobs" in result.output

    target_env = {"STOCKHOUSE_DATABASE_URL": target_flags.get("database_url")}
    result = runner.invoke(
        app,
        ["restore", str(dest), "--data-dir", target_flags["data_dir"]],
        env=target_env,
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert "restored" in result.output and f"{len(expected['blobs'])} blobs" in result.output

    restored = Runtime(target_settings(target_flags))
    try:
        assert usernames(restored) == ["alice", "bob"]
        with restored.db.session() as session:
            credential = accounts.resolve_credential(session, expected["key"])
            assert accounts.credential_secret(restored.secrets, credential) == expected["secret"]
    finally:
        restored.close()

    again = runner.invoke(
        app, ["restore", str(dest), "--data-dir", target_flags["data_dir"]], env=target_env
    )
    assert again.exit_code != 0 and isinstance(again.exception, Conflict)
