"""Generator tests: small pictures (fast ingest), fast callback backoff, 127.0.0.1 allowlisted."""

from __future__ import annotations

from pathlib import Path

import pytest

from stockhouse.config import Settings, load_settings

TEST_LONG_EDGE = 640  # big enough for an "s" size (500 px), small enough to be quick


@pytest.fixture
def settings(data_dir: Path, database_url: str) -> Settings:
    flags = {
        "data_dir": str(data_dir),
        "database_url": database_url,
        "generation_long_edge": TEST_LONG_EDGE,
        "generation_callback_backoff_s": 0.05,
        "fetch_allowlist": ["127.0.0.1/32"],
    }
    return load_settings(flags, environ={})
