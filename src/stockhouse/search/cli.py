"""`stockhouse reindex`: rebuild the search index from the database.

Safe while the server runs: searches keep answering from the old index until the new one
commits, and indexing jobs that find the index busy try again afterwards.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer


def reindex_command(
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir", help="Data directory (env STOCKHOUSE_DATA_DIR).", show_default=False
        ),
    ] = None,
) -> None:
    """Rebuild the search index from the database (the server may keep running)."""
    # Imported here: stockhouse.cli imports this module to register the command.
    from stockhouse.cli import CliError, console, err_console, open_runtime
    from stockhouse.search.service import open_backend
    from stockhouse.search.tantivy_backend import IndexBusy

    with open_runtime(data_dir) as runtime:
        backend_name = runtime.settings.search
        err_console.print(f"rebuilding the {backend_name} search index...")
        started = time.monotonic()
        try:
            count = open_backend(runtime, maintain=False).rebuild()
        except IndexBusy as exc:
            raise CliError(f"{exc}; try again when it has finished") from None
        elapsed = time.monotonic() - started
        console.print(f"search index rebuilt: {count} items in {elapsed:.1f}s ({backend_name})")
