"""`stockhouse license|price|balance|ledger`, run as an administrator would."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import update
from typer.testing import CliRunner

from stockhouse.cli import app
from stockhouse.commerce.models import LedgerEntry
from stockhouse.config import load_settings
from stockhouse.runtime import Runtime

runner = CliRunner()


def run(data_dir: Path, *args: str, code: int = 0) -> str:
    result = runner.invoke(app, [*args, "--data-dir", str(data_dir)], catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


def test_defaults_then_list_shows_the_six_templates(tmp_path: Path) -> None:
    run(tmp_path, "license", "defaults")
    run(tmp_path, "license", "defaults")  # idempotent
    out = run(tmp_path, "license", "list")
    assert out.count("Standard") == 3 and out.count("Extended") == 3


def test_create_a_license_and_price_it(tmp_path: Path) -> None:
    out = run(tmp_path, "license", "create", "Web", "--type", "image", "--sizes", "s,m")
    created = re.search(r"created license (\d+) Web \(image\)", out)
    assert created, out
    out = run(tmp_path, "price", "set", created.group(1), "s", "2.50", "--credits", "3")
    assert "2.50 USD, 3 credits" in out
    assert "2.50 USD" in run(tmp_path, "price", "list")


def test_refill_a_group_then_the_ledger_checks_clean(tmp_path: Path) -> None:
    run(tmp_path, "group", "create", "Acme")
    out = run(tmp_path, "balance", "refill", "--group", "Acme", "--amount", "100.00")
    assert "balance now 100.00 USD" in out
    assert run(tmp_path, "balance", "show", "--group", "Acme").strip() == "100.00 USD"
    assert "ledger OK" in run(tmp_path, "ledger", "check")


def test_ledger_check_fails_on_a_tampered_entry(tmp_path: Path) -> None:
    run(tmp_path, "group", "create", "Acme")
    run(tmp_path, "balance", "refill", "--group", "Acme", "--amount", "1.00")
    runtime = Runtime(load_settings({"data_dir": str(tmp_path)}, environ={}))
    with runtime.db.session() as session:
        session.execute(
            update(LedgerEntry).where(LedgerEntry.amount_minor > 0).values(amount_minor=2)
        )
    runtime.close()
    out = run(tmp_path, "ledger", "check", code=1)
    assert "UNBALANCED" in out and "ledger BROKEN" in out
