"""Backups: a consistent copy of a running Stockhouse, and restoring one into an empty data dir.

A backup is a directory:

    manifest.json          what is inside, with the sha256 of the database dump
    database.sqlite3       SQLite: a copy made with SQLite's online backup API
    database.dump          PostgreSQL: `pg_dump --format=custom`
    blobs/ab/cd/<sha256>   every blob, content-addressed like the local blob store
    secret_key             the key that decrypts stored API secrets: the backup is sensitive
    stockhouse.toml        the data dir's configuration file, when it has one

The database is copied first, then the blobs. Blobs are immutable and written before the
rows that name them, so every blob the copied database refers to is in the backup (a few
newer blobs that no copied row names yet may be there too; they are harmless).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import tomllib
from collections.abc import Iterator
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import text
from sqlalchemy.engine import make_url

from stockhouse import __version__
from stockhouse.blobs import BlobNotFound, BlobStore, open_blob_store
from stockhouse.blobs.base import (
    CHUNK_SIZE,
    copy_hashing,
    is_valid_key,
    sharded_name,
    write_file_atomically,
)
from stockhouse.config import CONFIG_FILE_NAME, SECRET_KEY_FILE_NAME, Settings
from stockhouse.db.engine import Database, make_engine, normalize_database_url
from stockhouse.db.migrate import alembic_config, current_revision, upgrade_to_head
from stockhouse.errors import Conflict, DomainError

if TYPE_CHECKING:
    from stockhouse.runtime import Runtime

FORMAT_NAME = "stockhouse-backup"
FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
BLOB_DIR_NAME = "blobs"
DUMP_NAMES = {"sqlite": "database.sqlite3", "postgresql": "database.dump"}
CONFIG_FROM_BACKUP_NAME = CONFIG_FILE_NAME + ".from-backup"
POSTGRES_LIB_DIR = Path("/usr/lib/postgresql")
PRIVATE_FILE_MODE = 0o600


class BackupError(DomainError):
    """A backup cannot be taken, or a backup directory is damaged or unusable here."""

    code = "backup_error"


@dataclass(frozen=True)
class BackupManifest:
    """The contents of `manifest.json`: what a backup holds and how to check it."""

    format: str
    format_version: int
    created_at: str
    stockhouse_version: str
    alembic_revision: str
    engine: str
    database_file: str
    database_sha256: str
    database_bytes: int
    blob_count: int
    blob_bytes: int
    has_secret_key: bool
    has_config: bool

    def to_json(self) -> str:
        """The manifest as indented JSON."""
        return json.dumps(asdict(self), indent=2) + "\n"

    @classmethod
    def from_json(cls, raw: str) -> BackupManifest:
        """Parse and check a manifest; anything unexpected raises BackupError."""
        try:
            data = json.loads(raw)
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
        except ValueError as exc:
            raise BackupError(f"{MANIFEST_NAME} is not valid JSON ({exc})") from None
        if data.get("format") != FORMAT_NAME or data.get("format_version") != FORMAT_VERSION:
            raise BackupError(
                f"{MANIFEST_NAME} is not a {FORMAT_NAME} manifest of version {FORMAT_VERSION}"
            )
        missing = [f.name for f in fields(cls) if f.name not in data]
        if missing:
            raise BackupError(f"{MANIFEST_NAME} lacks {', '.join(missing)}")
        manifest = cls(**{f.name: data[f.name] for f in fields(cls)})
        if DUMP_NAMES.get(manifest.engine) != manifest.database_file:
            raise BackupError(f"{MANIFEST_NAME} names an unknown engine or database file")
        return manifest


def format_size(size: int) -> str:
    """A byte count for people: `512 B`, `3.4 MB`, `1.2 GB`."""
    if size < 1000:
        return f"{size} B"
    amount = float(size)
    for unit in ("kB", "MB", "GB"):
        amount /= 1000
        if amount < 1000:
            return f"{amount:.1f} {unit}"
    return f"{amount / 1000:.1f} TB"


# -- taking a backup --------------------------------------------------------------------


def create_backup(runtime: Runtime, dest: Path) -> BackupManifest:
    """Write a consistent backup of `runtime`'s database, blobs and secret key into `dest`.

    Safe while the server runs. `dest` must not exist or be an empty directory. Everything
    is written into a temp directory beside `dest` (readable by its owner only) and renamed
    at the end, so a failed backup leaves nothing behind.
    """
    dest = Path(dest).absolute()
    _check_destination(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".partial"))
    try:
        manifest = _write_backup(runtime, work)
        if dest.is_dir():
            dest.rmdir()  # it was empty; rmdir fails if something appeared since
        work.rename(dest)
        _fsync_directory(dest.parent)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return manifest


def _check_destination(dest: Path) -> None:
    """Refuse a destination that is a file or a directory with something in it."""
    if dest.is_dir() and any(dest.iterdir()):
        raise Conflict(f"backup destination {dest} is not empty")
    if dest.exists() and not dest.is_dir():
        raise Conflict(f"backup destination {dest} exists and is not a directory")


def _write_backup(runtime: Runtime, work: Path) -> BackupManifest:
    """Fill `work` with the database dump, then the blobs, secret key, config and manifest."""
    revision = _source_revision(runtime)
    dump = _dump_database(runtime, work)
    blob_count, blob_bytes = _copy_blobs(runtime.blobs, work / BLOB_DIR_NAME)
    has_secret_key = _write_secret_key(work, runtime.settings.secret_key)
    has_config = _copy_config(runtime.settings.data_dir, work)
    manifest = BackupManifest(
        format=FORMAT_NAME,
        format_version=FORMAT_VERSION,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        stockhouse_version=__version__,
        alembic_revision=revision,
        engine=runtime.db.dialect,
        database_file=dump.name,
        database_sha256=_sha256_of(dump),
        database_bytes=dump.stat().st_size,
        blob_count=blob_count,
        blob_bytes=blob_bytes,
        has_secret_key=has_secret_key,
        has_config=has_config,
    )
    _write_private_file(work / MANIFEST_NAME, manifest.to_json())
    return manifest


def _source_revision(runtime: Runtime) -> str:
    """The schema revision of the database to back up; refuses one without a schema."""
    url = runtime.settings.database_url
    if runtime.db.dialect == "sqlite" and not _sqlite_path(url).is_file():
        raise BackupError(f"no database at {_sqlite_path(url)}: is --data-dir right?")
    revision = current_revision(runtime.db)
    if revision is None:
        raise BackupError(f"{_display_url(url)} has no Stockhouse schema: is --data-dir right?")
    return revision


def _dump_database(runtime: Runtime, work: Path) -> Path:
    """Copy the database into `work`: SQLite's online backup, or pg_dump for PostgreSQL."""
    dialect = runtime.db.dialect
    if dialect not in DUMP_NAMES:
        raise BackupError(f"cannot back up a {dialect} database")
    target = work / DUMP_NAMES[dialect]
    if dialect == "sqlite":
        _backup_sqlite(runtime.db, target)
    else:
        _run_postgres_tool(
            "pg_dump", ["--format=custom", f"--file={target}"], runtime.settings.database_url
        )
    _fsync_file(target)
    return target


def _backup_sqlite(database: Database, target: Path) -> None:
    """Copy a live SQLite database with the online backup API into one self-contained file."""
    pooled = database.engine.raw_connection()
    try:
        source = cast(sqlite3.Connection, pooled.dbapi_connection)
        copy = sqlite3.connect(target)
        try:
            # One step (pages=-1, the default) copies every page inside one read transaction:
            # a consistent snapshot that WAL lets writers commit past. A stepwise copy restarts
            # whenever another connection writes, and might never finish on a busy server.
            source.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")  # no -wal file beside the copy
        finally:
            copy.close()
    finally:
        pooled.close()


def _copy_blobs(store: BlobStore, target: Path) -> tuple[int, int]:
    """Stream every blob into `target/ab/cd/<key>`, checking its sha256 on the way."""
    count = total = 0
    for key in store.keys():  # noqa: SIM118 (a BlobStore, not a dict)
        path = target / sharded_name(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with store.open(key) as source, path.open("xb") as copy:
                info = copy_hashing(source, copy)
                os.fsync(copy.fileno())
        except BlobNotFound:
            path.unlink(missing_ok=True)  # deleted since it was listed: nothing to keep
            continue
        if info.key != key:
            raise BackupError(f"blob {key} is damaged in the blob store (content hash {info.key})")
        count += 1
        total += info.size
    return count, total


def _write_secret_key(work: Path, secret_key: str) -> bool:
    """Store the key in use (from the data dir, environment or config file), if any."""
    if not secret_key:
        return False
    _write_private_file(work / SECRET_KEY_FILE_NAME, secret_key)
    return True


def _copy_config(data_dir: Path, work: Path) -> bool:
    """Copy the data dir's stockhouse.toml, when there is one."""
    source = data_dir / CONFIG_FILE_NAME
    if not source.is_file():
        return False
    shutil.copyfile(source, work / CONFIG_FILE_NAME)
    _fsync_file(work / CONFIG_FILE_NAME)
    return True


# -- checking a backup ------------------------------------------------------------------


def verify_backup(src: Path) -> BackupManifest:
    """Read `src`'s manifest and check the database dump's checksum and the blob totals."""
    manifest_path = Path(src) / MANIFEST_NAME
    if not manifest_path.is_file():
        raise BackupError(f"{src} is not a Stockhouse backup (no {MANIFEST_NAME})")
    manifest = BackupManifest.from_json(manifest_path.read_text())
    dump = Path(src) / manifest.database_file
    if not dump.is_file():
        raise BackupError(f"the backup lacks its database file {dump}")
    if _sha256_of(dump) != manifest.database_sha256:
        raise BackupError(f"{dump} does not match the checksum in {MANIFEST_NAME}: damaged?")
    count = total = 0
    for _key, path in _backup_blobs(Path(src) / BLOB_DIR_NAME):
        count += 1
        total += path.stat().st_size
    if (count, total) != (manifest.blob_count, manifest.blob_bytes):
        raise BackupError(
            f"the backup holds {count} blobs ({total} bytes), its manifest says "
            f"{manifest.blob_count} ({manifest.blob_bytes} bytes)"
        )
    return manifest


def _backup_blobs(root: Path) -> Iterator[tuple[str, Path]]:
    """(key, file) of every blob in a backup's blobs/ folder; a stray file is an error."""
    if not root.is_dir():
        return
    for path in root.rglob("*"):
        if path.is_dir():
            continue
        relative = path.relative_to(root).as_posix()
        if not is_valid_key(path.name) or relative != sharded_name(path.name):
            raise BackupError(f"unexpected file {path} in the backup's blobs")
        yield path.name, path


# -- restoring --------------------------------------------------------------------------


def restore_backup(src: Path, settings: Settings) -> BackupManifest:
    """Restore the backup in `src` into the empty database and blob store of `settings`.

    Checks everything it can first (manifest, checksum, engine, schema revision, that the
    target is empty), then writes the secret key, the blobs (each checked against its
    sha256 key) and the database, installs the config file and applies migrations, so a
    backup from an older version is upgraded. Blobs put by a restore that fails before
    the database is in place are removed again.
    """
    manifest = verify_backup(src)
    store = open_blob_store(settings.storage_url)
    _check_restore_target(manifest, settings, store)
    backup_key = _backup_secret_key(Path(src), manifest)
    _check_secret_key(settings, backup_key)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if backup_key:
        _write_private_file(settings.data_dir / SECRET_KEY_FILE_NAME, backup_key, atomic=True)
    added = _restore_blobs(Path(src) / BLOB_DIR_NAME, store)
    try:
        _restore_database(Path(src) / manifest.database_file, settings.database_url)
    except BaseException:
        _delete_blobs(store, added)
        raise
    _restore_config(Path(src), settings)
    _migrate(settings.database_url)
    return manifest


def _check_restore_target(manifest: BackupManifest, settings: Settings, store: BlobStore) -> None:
    """Refuse another engine, a newer schema, or a target holding a database or blobs."""
    target_engine = "postgresql" if _is_postgres(settings.database_url) else "sqlite"
    if manifest.engine != target_engine:
        raise BackupError(
            f"the backup holds a {manifest.engine} database; the target is {target_engine}"
        )
    _check_revision_known(manifest.alembic_revision, manifest.stockhouse_version)
    existing = _existing_database(settings.database_url)
    if existing:
        raise Conflict(f"restore needs an empty data dir, but {existing} holds a database")
    if next(iter(store.keys()), None) is not None:
        raise Conflict(f"restore needs an empty blob store, but {settings.storage_url} has blobs")


def _check_revision_known(revision: str, version: str) -> None:
    """Refuse a backup whose schema revision this version's migrations do not know."""
    scripts = ScriptDirectory.from_config(alembic_config("sqlite://"))
    try:
        scripts.get_revision(revision)
    except CommandError:
        raise BackupError(
            f"the backup's schema revision {revision!r} (Stockhouse {version}) is unknown to "
            f"Stockhouse {__version__}: restore it with the same or a newer version"
        ) from None


def _existing_database(database_url: str) -> str | None:
    """Where the target already holds a database (non-empty file or any table), or None."""
    if not _is_postgres(database_url):
        path = _sqlite_path(database_url)
        wal = path.with_name(path.name + "-wal")
        in_use = any(p.is_file() and p.stat().st_size > 0 for p in (path, wal))
        return str(path) if in_use else None
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            tables = conn.scalar(
                text(
                    "SELECT count(*) FROM information_schema.tables"
                    " WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
                )
            )
    finally:
        engine.dispose()
    return _display_url(database_url) if tables else None


def _backup_secret_key(src: Path, manifest: BackupManifest) -> str | None:
    """The secret key stored in the backup, or None when it has none."""
    if not manifest.has_secret_key:
        return None
    path = src / SECRET_KEY_FILE_NAME
    if not path.is_file():
        raise BackupError(f"the backup lacks its {SECRET_KEY_FILE_NAME} file")
    return path.read_text().strip()


def _check_secret_key(settings: Settings, backup_key: str | None) -> None:
    """Refuse when a key set in the environment or config differs from the backup's key.

    A key that only comes from the data dir's `secret_key` file is replaced by the
    backup's; a key set explicitly would win over that file, and then stored API secrets
    would not decrypt.
    """
    key_file = settings.data_dir / SECRET_KEY_FILE_NAME
    file_key = key_file.read_text().strip() if key_file.is_file() else None
    explicit = bool(settings.secret_key) and settings.secret_key != file_key
    if explicit and backup_key and settings.secret_key != backup_key:
        raise Conflict(
            "the configured secret key (STOCKHOUSE_SECRET_KEY or secret_key in "
            "stockhouse.toml) differs from the backup's: unset it or set it to the backup's key"
        )


def _restore_blobs(root: Path, store: BlobStore) -> list[str]:
    """Put every blob of the backup into `store`; on any failure, remove them again."""
    added: list[str] = []
    try:
        for key, path in _backup_blobs(root):
            info = store.put_file(path)
            added.append(info.key)
            if info.key != key:
                raise BackupError(f"blob {key} in the backup is damaged (content hash {info.key})")
    except BaseException:
        _delete_blobs(store, added)
        raise
    return added


def _delete_blobs(store: BlobStore, keys: list[str]) -> None:
    """Remove blobs a failed restore put (the store was empty before it started)."""
    for key in keys:
        store.delete(key)


def _restore_database(dump: Path, database_url: str) -> None:
    """Put the dump in place: the SQLite file (atomically), or pg_restore in one transaction."""
    if not _is_postgres(database_url):
        target = _sqlite_path(database_url)
        target.parent.mkdir(parents=True, exist_ok=True)
        with dump.open("rb") as source:
            write_file_atomically(target, source)
        return
    _run_postgres_tool(
        "pg_restore", ["--no-owner", "--no-acl", "--single-transaction", str(dump)], database_url
    )


def _restore_config(src: Path, settings: Settings) -> None:
    """Install the backup's stockhouse.toml, or keep it aside when it would not fit here.

    It goes to `stockhouse.toml.from-backup` when the data dir has its own config file, or
    when it names another database or blob store than the ones just restored into (the
    next start would otherwise use the old ones).
    """
    source = src / CONFIG_FILE_NAME
    if not source.is_file():
        return
    target = settings.data_dir / CONFIG_FILE_NAME
    if target.exists() or _points_elsewhere(source, settings):
        target = settings.data_dir / CONFIG_FROM_BACKUP_NAME
    shutil.copyfile(source, target)


def _points_elsewhere(config: Path, settings: Settings) -> bool:
    """Whether a config file sets database_url or storage_url unlike `settings`."""
    try:
        values: dict[str, Any] = tomllib.loads(config.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        return True
    return any(
        name in values and str(values[name]).strip() != getattr(settings, name)
        for name in ("database_url", "storage_url")
    )


def _migrate(database_url: str) -> None:
    """Bring the restored database's schema up to this version's head."""
    database = Database(database_url)
    try:
        upgrade_to_head(database)
    finally:
        database.dispose()


# -- helpers ----------------------------------------------------------------------------


def _is_postgres(database_url: str) -> bool:
    """Whether a database URL names PostgreSQL (`postgresql://`, `postgres://`, with driver)."""
    return database_url.startswith("postgres")


def _sqlite_path(database_url: str) -> Path:
    """The file of a SQLite database URL; in-memory databases cannot be backed up."""
    database = make_url(database_url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError(f"{database_url} is not a SQLite database file")
    return Path(database)


def _display_url(database_url: str) -> str:
    """A database URL without its password, for messages."""
    return make_url(database_url).render_as_string(hide_password=True)


def postgres_tool(name: str) -> str:
    """The path of a PostgreSQL client program: on PATH, else the newest installed one."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(
        POSTGRES_LIB_DIR.glob(f"*/bin/{name}"),
        key=lambda path: int(path.parent.parent.name) if path.parent.parent.name.isdigit() else 0,
    )
    if candidates:
        return str(candidates[-1])
    raise BackupError(
        f"{name} is not on PATH nor in {POSTGRES_LIB_DIR}/*/bin: install the PostgreSQL "
        "client programs (Debian: apt-get install postgresql-client)"
    )


def _run_postgres_tool(name: str, args: list[str], database_url: str) -> None:
    """Run pg_dump or pg_restore against a database; the password goes in the environment."""
    url = make_url(normalize_database_url(database_url))
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    dsn = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    command = [postgres_tool(name), "--no-password", f"--dbname={dsn}", *args]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        lines = result.stderr.strip().splitlines() or [f"exit status {result.returncode}"]
        raise BackupError(f"{name} failed: {lines[-1]}")


def _sha256_of(path: Path) -> str:
    """The hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_SIZE):
            digest.update(chunk)
    return digest.hexdigest()


def _write_private_file(path: Path, content: str, *, atomic: bool = False) -> None:
    """Write a file readable by its owner only, fsynced; `atomic` replaces via a temp file."""
    target = path.with_name(f".{path.name}.tmp") if atomic else path
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE_MODE)
    with os.fdopen(fd, "w") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    if atomic:
        os.replace(target, path)


def _fsync_file(path: Path) -> None:
    """Flush a finished file to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_directory(directory: Path) -> None:
    """Persist a rename in `directory` (a no-op where directories cannot be opened)."""
    if os.name == "posix":
        _fsync_file(directory)
