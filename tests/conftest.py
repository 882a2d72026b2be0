"""Shared fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL and Redis tests run when STOCKHOUSE_TEST_POSTGRES_URL / STOCKHOUSE_TEST_REDIS_URL
are set and are skipped with the reason otherwise; under CI=true a missing server is a
failure, not a skip (`.ci/run` relies on that).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from starlette.testclient import TestClient

from stockhouse.app import create_app
from stockhouse.config import Settings, load_settings
from stockhouse.db.engine import Database, normalize_database_url
from stockhouse.db.migrate import upgrade_to_head
from stockhouse.runtime import Runtime

POSTGRES_ENV = "STOCKHOUSE_TEST_POSTGRES_URL"
REDIS_ENV = "STOCKHOUSE_TEST_REDIS_URL"


def require_service(env_name: str, what: str) -> str:
    """The URL of a test server, or skip (fail under CI) when it is not configured."""
    url = os.environ.get(env_name)
    if url:
        return url
    message = f"{what} tests need {env_name} (e.g. {env_name}=... make test)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI must run {what} tests: {message}")
    pytest.skip(message)


# -- databases --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file that each test copies (faster than migrating every time)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    database = Database(f"sqlite:///{path}")
    upgrade_to_head(database)
    database.dispose()
    return path


TABLES_SQL = (
    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
    "AND tablename <> 'alembic_version' ORDER BY tablename"
)
TERMINATE_OTHERS_SQL = (
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
)


class PostgresTemplates:
    """A migrated template database, copies of it, and one shared database for most tests.

    Copying a database costs a checkpoint (hundreds of milliseconds); emptying the shared
    one with TRUNCATE costs a few. Tests get the shared database, emptied after each test;
    tests that need a database of their own (backups, say) call `new_database()`.
    """

    def __init__(self, server_url: str) -> None:
        self.server_url = make_url(normalize_database_url(server_url))
        self.admin = create_engine(self.server_url, isolation_level="AUTOCOMMIT")
        self.template = f"sh_tpl_{uuid.uuid4().hex[:10]}"
        self.created: list[str] = []
        self._shared: str | None = None
        self._tables: list[str] = []
        self._execute(f'CREATE DATABASE "{self.template}"')
        template_db = Database(self.url_for(self.template))
        upgrade_to_head(template_db)
        template_db.dispose()

    def _execute(self, sql: str) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(sql))

    def url_for(self, name: str) -> str:
        return self.server_url.set(database=name).render_as_string(hide_password=False)

    def shared_database(self) -> str:
        if self._shared is None:
            self._shared = self.new_database()
            with create_engine(self._shared).connect() as conn:
                self._tables = list(conn.execute(text(TABLES_SQL)).scalars())
        return self._shared

    def empty_shared_database(self) -> None:
        """TRUNCATE every table; sessions a test left open are ended first if they block."""
        if self._shared is None or not self._tables:
            return
        names = ", ".join(f'"{name}"' for name in self._tables)
        engine = create_engine(self._shared, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(text(TERMINATE_OTHERS_SQL))
                conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        finally:
            engine.dispose()

    def new_database(self) -> str:
        name = f"sh_t_{uuid.uuid4().hex[:12]}"
        self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        self.created.append(name)
        return self.url_for(name)

    def drop(self, name_or_url: str) -> None:
        name = make_url(name_or_url).database if "://" in name_or_url else name_or_url
        self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def close(self) -> None:
        for name in [*self.created, self.template]:
            self.drop(name)
        self.admin.dispose()


@pytest.fixture(scope="session")
def postgres_templates() -> Iterator[PostgresTemplates]:
    templates = PostgresTemplates(require_service(POSTGRES_ENV, "PostgreSQL"))
    yield templates
    templates.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> Iterator[str]:
    """A migrated, empty database of each engine."""
    if request.param == "sqlite":
        path = tmp_path / "stockhouse.db"
        shutil.copyfile(sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    templates: PostgresTemplates = request.getfixturevalue("postgres_templates")
    yield templates.shared_database()
    templates.empty_shared_database()


@pytest.fixture
def redis_url() -> str:
    return require_service(REDIS_ENV, "Redis")


# -- the product ------------------------------------------------------------------------


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    return path


@pytest.fixture
def settings(data_dir: Path, database_url: str) -> Settings:
    return load_settings({"data_dir": str(data_dir), "database_url": database_url}, environ={})


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    rt = Runtime(settings)
    yield rt
    rt.close()


@pytest.fixture
def db(runtime: Runtime) -> Database:
    return runtime.db


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    """An HTTP client for the whole application (no job workers)."""
    with TestClient(create_app(runtime), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture(autouse=True, scope="session")
def cheap_password_hashing() -> Iterator[None]:
    """argon2 with its smallest cost: the same code path, a hundredth of the time."""
    from argon2 import PasswordHasher

    from stockhouse.accounts import passwords

    original = passwords._hasher
    passwords._hasher = PasswordHasher(time_cost=1, memory_cost=256, parallelism=1)
    yield
    passwords._hasher = original
