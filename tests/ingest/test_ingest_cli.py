"""`stockhouse ingest PATH... --contributor USER [--submit]`, run as an operator would."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner, Result

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import Role
from stockhouse.catalog.models import ItemStatus, MediaItem, Upload, UploadState
from stockhouse.cli import CliError, app
from stockhouse.config import Settings
from stockhouse.errors import NotFound, PermissionDenied
from stockhouse.ingest.cli import exit_code, find_files
from stockhouse.ingest.inbox import InboxFileResult, Outcome
from stockhouse.runtime import Runtime
from tests.ingest.image_factory import make_image

runner = CliRunner()
WIDE = {"COLUMNS": "250"}  # one table row per line, whatever the terminal


@pytest.fixture
def cora(runtime: Runtime) -> int:
    with runtime.db.session() as session:
        return accounts.create_user(
            session, username="cora", password=None, roles=[Role.CONTRIBUTOR]
        ).id


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """The command finds the test's database through the environment, as in production."""
    monkeypatch.setenv("STOCKHOUSE_DATABASE_URL", settings.database_url)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Two pictures, one in a sub-folder, and a hidden file that must be skipped."""
    root = tmp_path / "shoot"
    (root / "day2").mkdir(parents=True)
    make_image(root / "a.jpg", seed=1)
    make_image(root / "day2" / "b.png", seed=2)
    make_image(root / ".hidden.jpg", seed=3)
    return root


def ingest(settings: Settings, *args: str | Path) -> Result:
    argv = ["ingest", *map(str, args), "--data-dir", str(settings.data_dir)]
    return runner.invoke(app, argv, env=WIDE)


def items(runtime: Runtime) -> list[MediaItem]:
    with runtime.db.read_session() as session:
        return list(session.scalars(select(MediaItem).order_by(MediaItem.id)))


def uploads(runtime: Runtime) -> list[Upload]:
    with runtime.db.read_session() as session:
        return list(session.scalars(select(Upload).order_by(Upload.id)))


# -- finding files ----------------------------------------------------------------------


def test_folders_are_walked_in_name_order_skipping_hidden_files(folder: Path) -> None:
    (folder / ".cache").mkdir()
    make_image(folder / ".cache" / "x.jpg")
    (folder / "a.jpg.part").write_bytes(b"x")
    assert find_files([folder]) == [folder / "a.jpg", folder / "day2" / "b.png"]


def test_files_named_twice_are_ingested_once(folder: Path) -> None:
    assert find_files([folder / "a.jpg", folder]) == [folder / "a.jpg", folder / "day2" / "b.png"]


def test_a_missing_path_is_named(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"missing\.jpg"):
        find_files([tmp_path / "missing.jpg"])


@pytest.mark.parametrize(
    ("outcomes", "code"),
    [
        ([Outcome.ACCEPTED, Outcome.REJECTED], 0),
        ([Outcome.DUPLICATE, Outcome.DUPLICATE], 0),
        ([Outcome.DUPLICATE, Outcome.REJECTED], 1),
        ([Outcome.REJECTED], 1),
        ([Outcome.FAILED], 1),
        ([], 1),
    ],
)
def test_exit_code_is_0_when_something_was_accepted_or_all_were_duplicates(
    outcomes: list[Outcome], code: int
) -> None:
    assert exit_code([InboxFileResult(f"{i}.jpg", o) for i, o in enumerate(outcomes)]) == code


# -- the command ------------------------------------------------------------------------


def test_ingest_of_a_folder_makes_an_item_per_picture_and_lists_their_ids(
    settings: Settings, runtime: Runtime, cora: int, cli_env: None, folder: Path
) -> None:
    result = ingest(settings, folder, "--contributor", "cora")

    assert result.exit_code == 0, result.output
    made = items(runtime)
    assert [(i.original_filename, i.owner_id, i.status) for i in made] == [
        ("a.jpg", cora, ItemStatus.UPLOADED),
        ("b.png", cora, ItemStatus.UPLOADED),
    ]
    assert {u.source for u in uploads(runtime)} == {"cli"}
    for made_item in made:
        assert f"item {made_item.id}" in result.output
    assert "2 accepted, 0 duplicates, 0 rejected" in result.output


def test_running_the_same_ingest_again_reports_duplicates_and_succeeds(
    settings: Settings, runtime: Runtime, cora: int, cli_env: None, folder: Path
) -> None:
    ingest(settings, folder, "--contributor", "cora")
    first, second = items(runtime)

    result = ingest(settings, folder, "--contributor", "cora")

    assert result.exit_code == 0, result.output
    assert len(items(runtime)) == 2
    assert f"duplicate of item {first.id}" in result.output
    assert f"duplicate of item {second.id}" in result.output
    assert "0 accepted, 2 duplicates, 0 rejected" in result.output


def test_rejected_files_are_listed_with_their_reason(
    settings: Settings, runtime: Runtime, cora: int, cli_env: None, tmp_path: Path
) -> None:
    good = make_image(tmp_path / "good.jpg")
    bad = tmp_path / "notes.jpg"
    bad.write_text("not a picture\n" * 5)

    result = ingest(settings, good, bad, "--contributor", "cora")

    assert result.exit_code == 0, result.output
    rejected = next(u for u in uploads(runtime) if u.state is UploadState.REJECTED)
    assert rejected.filename == "notes.jpg" and rejected.reason
    assert rejected.reason[:40] in result.output
    assert "1 accepted, 0 duplicates, 1 rejected" in result.output


def test_nothing_accepted_exits_1(
    settings: Settings, runtime: Runtime, cora: int, cli_env: None, tmp_path: Path
) -> None:
    bad = tmp_path / "notes.jpg"
    bad.write_text("not a picture\n")
    result = ingest(settings, bad, "--contributor", "cora")
    assert result.exit_code == 1
    assert "0 accepted, 0 duplicates, 1 rejected" in result.output


def test_submit_sends_the_new_items_to_review(
    settings: Settings, runtime: Runtime, cora: int, cli_env: None, folder: Path
) -> None:
    result = ingest(settings, folder / "a.jpg", "--contributor", "cora", "--submit")
    assert result.exit_code == 0, result.output
    assert [i.status for i in items(runtime)] == [ItemStatus.PENDING]


def test_the_contributor_may_be_given_by_user_id(
    settings: Settings, runtime: Runtime, cora: int, cli_env: None, folder: Path
) -> None:
    result = ingest(settings, folder / "a.jpg", "--contributor", str(cora))
    assert result.exit_code == 0, result.output
    assert [i.owner_id for i in items(runtime)] == [cora]


def test_an_unknown_contributor_is_refused(
    settings: Settings, runtime: Runtime, cli_env: None, folder: Path
) -> None:
    result = ingest(settings, folder, "--contributor", "nobody")
    assert isinstance(result.exception, NotFound)
    assert uploads(runtime) == []


def test_a_buyer_cannot_own_ingested_media(
    settings: Settings, runtime: Runtime, cli_env: None, folder: Path
) -> None:
    with runtime.db.session() as session:
        accounts.create_user(session, username="bea", password=None, roles=[Role.BUYER])
    result = ingest(settings, folder, "--contributor", "bea")
    assert isinstance(result.exception, PermissionDenied)
    assert uploads(runtime) == []


def test_a_missing_path_stops_the_command_before_anything_is_ingested(
    settings: Settings, runtime: Runtime, cora: int, cli_env: None, folder: Path
) -> None:
    result = ingest(settings, folder, folder / "missing.jpg", "--contributor", "cora")
    assert isinstance(result.exception, CliError)
    assert "missing.jpg" in str(result.exception)
    assert uploads(runtime) == []


def test_a_folder_without_files_exits_1_and_says_so(
    settings: Settings, runtime: Runtime, cora: int, cli_env: None, tmp_path: Path
) -> None:
    (tmp_path / "empty").mkdir()
    result = ingest(settings, tmp_path / "empty", "--contributor", "cora")
    assert result.exit_code == 1
    assert "no files to ingest" in result.output
