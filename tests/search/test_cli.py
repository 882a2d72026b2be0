"""`stockhouse reindex`: rebuild the search index from the database."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import delete
from typer.testing import CliRunner

from stockhouse.catalog.models import ItemTag, MediaItem
from stockhouse.cli import CliError, app
from stockhouse.config import Settings
from stockhouse.runtime import Runtime
from stockhouse.search.query import SearchQuery
from stockhouse.search.tantivy_backend import TantivySearchBackend
from tests.search.conftest import build_catalog

runner = CliRunner()


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The test database is the one `stockhouse` opens; the data dir is passed as a flag."""
    monkeypatch.setenv("STOCKHOUSE_DATABASE_URL", settings.database_url)
    return settings.data_dir


def reindex(data_dir: Path) -> str:
    result = runner.invoke(app, ["reindex", "--data-dir", str(data_dir)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_reindex_builds_the_index_from_the_database(runtime: Runtime, cli_env: Path) -> None:
    build_catalog(runtime)
    out = reindex(cli_env)
    assert "search index rebuilt: 22 items" in out
    backend = TantivySearchBackend(runtime)
    assert backend.is_complete
    assert backend.search(SearchQuery(text="dog")).total == 2


def test_reindex_drops_what_the_database_no_longer_has(runtime: Runtime, cli_env: Path) -> None:
    catalog = build_catalog(runtime)
    reindex(cli_env)
    with runtime.db.session() as session:  # behind the index's back: no job is queued
        piano = catalog.id("piano")
        session.execute(delete(ItemTag).where(ItemTag.item_id == piano))
        session.execute(delete(MediaItem).where(MediaItem.id == piano))
    assert TantivySearchBackend(runtime).search(SearchQuery(text="piano")).total == 1
    assert "21 items" in reindex(cli_env)
    assert TantivySearchBackend(runtime).search(SearchQuery(text="piano")).total == 0


def test_reindex_says_when_another_process_is_writing(runtime: Runtime, cli_env: Path) -> None:
    build_catalog(runtime)
    holder = TantivySearchBackend(runtime).index.writer(15_000_000, 1)
    try:
        result = runner.invoke(app, ["reindex", "--data-dir", str(cli_env)])
    finally:
        holder.rollback()
        holder.wait_merging_threads()
    assert isinstance(result.exception, CliError)
    assert "another process is writing the search index" in str(result.exception)
