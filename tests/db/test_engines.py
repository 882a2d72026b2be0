"""The two engines behave as the rest of the code assumes."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text

from stockhouse.accounts.models import User
from stockhouse.db.engine import Database
from stockhouse.db.migrate import (
    current_revision,
    head_revision,
    include_object,
    upgrade_to_head,
)


def test_fixture_database_is_migrated_to_head(db: Database) -> None:
    assert current_revision(db) == head_revision()


def test_upgrade_to_head_is_idempotent(db: Database) -> None:
    upgrade_to_head(db)
    assert current_revision(db) == head_revision()


def test_datetimes_come_back_aware_and_in_utc(db: Database) -> None:
    moment = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)
    with db.session() as session:
        session.add(User(username="tz", created_at=moment))
    with db.read_session() as session:
        user = session.query(User).filter_by(username="tz").one()
        assert user.created_at == moment
        assert user.created_at.tzinfo is not None


def test_sqlite_runs_with_wal_and_foreign_keys(db: Database) -> None:
    if db.dialect != "sqlite":
        return
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 10_000


def test_the_migrations_create_exactly_the_models(db: Database) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from stockhouse.db.models import Base

    with db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_object": include_object}
        )
        assert compare_metadata(context, Base.metadata) == []
