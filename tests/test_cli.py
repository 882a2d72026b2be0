"""The `stockhouse` command's administration subcommands, run as a user would."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import ApiKind, GroupRole, Role
from stockhouse.cli import app
from stockhouse.config import load_settings
from stockhouse.runtime import Runtime

runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def run(data_dir: Path, *args: str, stdin: str | None = None) -> str:
    result = runner.invoke(
        app, [*args, "--data-dir", str(data_dir)], input=stdin, catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return result.output


def open_runtime(data_dir: Path) -> Runtime:
    return Runtime(load_settings({"data_dir": str(data_dir)}, environ={}))


def test_user_create_makes_a_user_who_can_log_in(data_dir: Path) -> None:
    out = run(
        data_dir,
        "user",
        "create",
        "carol",
        "--password-stdin",
        "--role",
        "contributor",
        "--role",
        "reviewer",
        stdin="a long password\n",
    )
    assert "created user carol" in out
    runtime = open_runtime(data_dir)
    with runtime.db.session() as session:
        user = accounts.authenticate(session, "carol", "a long password")
        assert user.role_names == {Role.CONTRIBUTOR, Role.REVIEWER}
    runtime.close()


def test_group_commands_build_a_group_with_members(data_dir: Path) -> None:
    run(data_dir, "user", "create", "dan")
    run(data_dir, "group", "create", "Initech", "--payment-mode", "postpaid")
    run(data_dir, "group", "add-member", "Initech", "dan", "--role", "group-admin")
    out = run(data_dir, "group", "list")
    assert "Initech" in out and "dan (group-admin)" in out
    runtime = open_runtime(data_dir)
    with runtime.db.session() as session:
        member = accounts.membership_of(session, accounts.get_user_by_username(session, "dan"))
        assert member is not None and member.role is GroupRole.ADMIN
    runtime.close()


def test_apikey_create_prints_key_and_secret_once(data_dir: Path) -> None:
    run(data_dir, "user", "create", "erin")
    out = run(data_dir, "apikey", "create", "erin", "--api", "pond5", "--with-secret")
    key = re.search(r"key:\s+(\S+)", out)
    secret = re.search(r"secret:\s+(\S+)", out)
    assert key and secret
    listing = run(data_dir, "apikey", "list")
    assert key.group(1) not in listing and secret.group(1) not in listing
    runtime = open_runtime(data_dir)
    with runtime.db.session() as session:
        credential = accounts.resolve_credential(session, key.group(1), ApiKind.POND5)
        assert accounts.credential_secret(runtime.secrets, credential) == secret.group(1)
    runtime.close()


def test_apikey_disable_stops_the_key(data_dir: Path) -> None:
    run(data_dir, "user", "create", "finn")
    key = re.search(r"key:\s+(\S+)", run(data_dir, "apikey", "create", "finn"))
    assert key
    run(data_dir, "apikey", "disable", "1")
    runtime = open_runtime(data_dir)
    with runtime.db.session() as session, pytest.raises(Exception, match="disabled"):
        accounts.resolve_credential(session, key.group(1))
    runtime.close()


def test_apikey_rotate_issues_a_new_key_and_secret_and_disables_the_old(data_dir: Path) -> None:
    run(data_dir, "user", "create", "gail")
    first = run(data_dir, "apikey", "create", "gail", "--api", "cliparto", "--with-secret")
    out = run(data_dir, "apikey", "rotate", "1")
    old_key = re.search(r"key:\s+(\S+)", first)
    new_key, new_secret = re.search(r"key:\s+(\S+)", out), re.search(r"secret:\s+(\S+)", out)
    assert old_key and new_key and new_secret and "replaced by 2" in out
    runtime = open_runtime(data_dir)
    with runtime.db.session() as session:
        fresh = accounts.resolve_credential(session, new_key.group(1), ApiKind.CLIPARTO)
        assert accounts.credential_secret(runtime.secrets, fresh) == new_secret.group(1)
        with pytest.raises(Exception, match="disabled"):
            accounts.resolve_credential(session, old_key.group(1))
    runtime.close()


def test_unknown_user_is_reported_not_raised(data_dir: Path) -> None:
    result = runner.invoke(app, ["apikey", "create", "nobody", "--data-dir", str(data_dir)])
    assert result.exit_code != 0
    assert "does not exist" in str(result.exception)


def test_demo_writes_credentials_for_every_api(data_dir: Path) -> None:
    run(data_dir, "demo", "--items", "0")
    document = json.loads((data_dir / "demo-credentials.json").read_text())
    assert set(document) >= {
        "base_url",
        "admin",
        "contributor",
        "cliparto",
        "depositphotos",
        "pond5",
        "photolist",
        "images_v2",
    }
    assert document["cliparto"]["id"] == "176050"
    assert [u["group"] for u in document["depositphotos"]["users"]] == [
        "prepaid",
        "prepaid",
        "postpaid",
    ]
    assert (data_dir / "inbox" / "176050").is_dir()
    runtime = open_runtime(data_dir)
    with runtime.db.session() as session:
        admin = accounts.authenticate(session, "admin", document["admin"]["password"])
        assert admin.has_role(Role.ADMIN)
        pond5 = accounts.resolve_credential(session, document["pond5"]["api_key"], ApiKind.POND5)
        assert accounts.credential_secret(runtime.secrets, pond5) == document["pond5"]["api_secret"]
    runtime.close()


def test_demo_rerun_keeps_existing_credentials(data_dir: Path) -> None:
    run(data_dir, "demo", "--items", "0")
    first = (data_dir / "demo-credentials.json").read_text()
    run(data_dir, "demo", "--items", "0")
    assert (data_dir / "demo-credentials.json").read_text() == first
