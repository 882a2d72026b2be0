"""`stockhouse demo`: a demo marketplace built by the program itself.

Accounts and a credential for every API (accounts.py), then a catalog of real media made
here (images.py, and the synthesisers of stockhouse.ingest.synth) pushed through the real
ingest pipeline (catalog.py). Writes DATA_DIR/demo-credentials.json in the shape of
contract.md. Re-running keeps what exists: the accounts are made when the credentials file
is missing, and items only up to the requested number.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from stockhouse.demo.accounts import CREDENTIALS_FILE_NAME, create_demo_accounts, reset_data_dir
from stockhouse.runtime import Runtime

__all__ = ["build_demo", "reset_data_dir"]

Progress = Callable[[int, int], None]


def _write_credentials(path: Path, document: dict[str, object]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(document, indent=2) + "\n")
    tmp.chmod(0o600)
    tmp.replace(path)


def build_demo(runtime: Runtime, *, items: int = 300, progress: Progress | None = None) -> Path:
    """Make the demo accounts (once) and catalog; return the credentials file's path."""
    path = runtime.settings.data_dir / CREDENTIALS_FILE_NAME
    if not path.exists():
        with runtime.db.session() as session:
            document = create_demo_accounts(
                session, runtime.secrets, runtime.settings.public_base_url
            )
        runtime.settings.inbox_dir.joinpath(document["cliparto"]["id"]).mkdir(
            parents=True, exist_ok=True
        )
        _write_credentials(path, document)
    if items > 0:
        from stockhouse.demo.catalog import build_demo_catalog

        build_demo_catalog(runtime, items=items, progress=progress)
        from stockhouse.demo.commerce import build_demo_commerce

        build_demo_commerce(runtime)
        # Index now, so that the first search after `stockhouse serve` finds everything
        # (the queued per-item index jobs only run once a server's workers start).
        runtime.search.rebuild()
    return path
