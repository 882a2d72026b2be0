"""Applying and inspecting Alembic migrations from code (`stockhouse migrate`, `serve`)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from stockhouse.db.engine import Database, normalize_database_url

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def include_object(obj: object, name: str | None, kind: str, reflected: bool, _: object) -> bool:
    """What autogenerate compares: modelled tables only. Engine-specific tables created by
    migrations without a model (PostgreSQL's search_document, search_text) are left alone."""
    from stockhouse.db.models import Base

    table = obj if kind == "table" else getattr(obj, "table", None)
    return getattr(table, "name", name) in Base.metadata.tables


def alembic_config(database_url: str) -> Config:
    """An Alembic Config pointing at the packaged migrations, without an alembic.ini."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", normalize_database_url(database_url))
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def current_revision(database: Database) -> str | None:
    with database.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade_to_head(database: Database) -> None:
    """Apply every pending migration; a no-op when the schema is current."""
    config = alembic_config(database.url)
    with database.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
