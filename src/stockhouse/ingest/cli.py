"""`stockhouse ingest PATH... --contributor USER [--submit]`: bulk ingest from local disk.

Every file (folders are walked; hidden and temporary files in them are skipped) goes
through the same pipeline as an API or FTP upload, one after the other, under a progress
bar; a summary table then lists what was accepted (item ids), what was a duplicate (of
which item) and what was rejected (and why).

Exit status: 0 when at least one file became an item, or when every file was a
duplicate of an existing item (so re-running the same ingest is harmless); 1 when
nothing was accepted and at least one file was rejected or failed, or when the paths hold
no files; 2 for usage and configuration errors. A path that does not exist stops the
command before anything is ingested.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from sqlalchemy import select

from stockhouse.accounts.models import Role, User
from stockhouse.errors import DomainError, NotFound, PermissionDenied
from stockhouse.ingest.inbox import (
    InboxFileResult,
    Outcome,
    is_temporary_name,
    result_of_upload,
    safe_name,
)

if TYPE_CHECKING:
    from stockhouse.runtime import Runtime

logger = logging.getLogger("stockhouse.ingest.cli")

EXIT_NOTHING_ACCEPTED = 1

_OUTCOME_STYLES = {
    Outcome.ACCEPTED: "green",
    Outcome.DUPLICATE: "yellow",
    Outcome.QUEUED: "cyan",
    Outcome.REJECTED: "red",
    Outcome.FAILED: "red",
}


def find_files(paths: Iterable[Path]) -> list[Path]:
    """The files named, and those inside the folders named (hidden ones skipped), in order.

    Raises FileNotFoundError naming the first path that does not exist.
    """
    found: dict[Path, None] = {}
    for path in paths:
        if path.is_dir():
            found.update(dict.fromkeys(_walk_folder(path)))
        elif path.exists():
            found[path] = None
        else:
            raise FileNotFoundError(f"no such file or folder: {path}")
    return list(found)


def _walk_folder(folder: Path) -> Iterator[Path]:
    for parent, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not is_temporary_name(d))
        for name in sorted(files):
            if not is_temporary_name(name):
                yield Path(parent) / name


def resolve_contributor(runtime: Runtime, who: str) -> User:
    """The active contributor with this username (or, failing that, this numeric id)."""
    with runtime.db.read_session() as session:
        user = session.scalar(select(User).where(User.username == who))
        if user is None and who.isdigit():
            user = session.get(User, int(who))
        if user is None:
            raise NotFound(f"user {who!r} does not exist")
        if not user.is_active or not user.has_role(Role.CONTRIBUTOR):
            raise PermissionDenied(f"{user.username} is not an active contributor")
        return user


def ingest_file(runtime: Runtime, owner_id: int, path: Path, submit: bool) -> InboxFileResult:
    """Receive and ingest one file now; every failure becomes a result, not an exception."""
    from stockhouse.ingest.pipeline import ingest_now, receive_upload

    name = str(path)
    try:
        upload = receive_upload(
            runtime,
            owner_id,
            path,
            safe_name(path.name),
            source="cli",
            submit_after=submit,
            enqueue=False,
        )
        upload = ingest_now(runtime, upload.id)
    except DomainError as exc:
        return InboxFileResult(name, Outcome.REJECTED, exc.message)
    except OSError as exc:
        return InboxFileResult(name, Outcome.FAILED, f"cannot read the file ({exc.strerror})")
    except Exception as exc:  # one broken file must not end a bulk run
        logger.exception("ingest of %s failed", path)
        return InboxFileResult(name, Outcome.FAILED, f"internal error: {type(exc).__name__}")
    return result_of_upload(name, upload)


def _details(result: InboxFileResult) -> str:
    if result.outcome is Outcome.ACCEPTED:
        return f"item {result.item_id}"
    if result.outcome is Outcome.DUPLICATE:
        return f"duplicate of item {result.duplicate_of}"
    if result.outcome is Outcome.QUEUED:
        return f"upload {result.upload_id} queued; a job worker will finish it"
    return result.reason or ""


def summary_table(results: list[InboxFileResult]) -> Table:
    table = Table("file", "result", "details", title="Ingest summary", title_justify="left")
    for result in results:
        style = _OUTCOME_STYLES.get(result.outcome, "")
        table.add_row(result.name, f"[{style}]{result.outcome.value}[/]", _details(result))
    return table


def totals_line(results: list[InboxFileResult]) -> str:
    counts = {o: sum(1 for r in results if r.outcome is o) for o in Outcome}
    parts = [
        f"{counts[Outcome.ACCEPTED]} accepted",
        f"{counts[Outcome.DUPLICATE]} duplicates",
        f"{counts[Outcome.REJECTED] + counts[Outcome.FAILED]} rejected",
    ]
    if counts[Outcome.QUEUED]:
        parts.append(f"{counts[Outcome.QUEUED]} queued")
    return ", ".join(parts)


def exit_code(results: list[InboxFileResult]) -> int:
    """0 if something was accepted or all were duplicates, else EXIT_NOTHING_ACCEPTED."""
    outcomes = {r.outcome for r in results}
    if Outcome.ACCEPTED in outcomes or Outcome.QUEUED in outcomes:
        return 0
    if outcomes == {Outcome.DUPLICATE}:
        return 0
    return EXIT_NOTHING_ACCEPTED


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("[bold]ingest[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        console=console,
    )


def ingest_command(
    paths: Annotated[
        list[Path],
        typer.Argument(metavar="PATH", help="Files and folders to ingest.", show_default=False),
    ],
    contributor: Annotated[
        str, typer.Option("--contributor", help="Username (or id) of the owning contributor.")
    ],
    submit: Annotated[
        bool, typer.Option("--submit", help="Send the new items to review (pending).")
    ] = False,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir", help="Data directory (env STOCKHOUSE_DATA_DIR).", show_default=False
        ),
    ] = None,
) -> None:
    """Bulk-ingest files or folders for a contributor, with a progress bar and a summary."""
    from stockhouse.cli import CliError, open_runtime

    try:
        files = find_files(paths)
    except FileNotFoundError as exc:
        raise CliError(str(exc)) from None
    console, err_console = Console(), Console(stderr=True)
    if not files:
        err_console.print("no files to ingest (hidden and temporary files are skipped)")
        raise typer.Exit(EXIT_NOTHING_ACCEPTED)
    with open_runtime(data_dir) as runtime:
        owner = resolve_contributor(runtime, contributor)
        with _progress(err_console) as progress:
            task = progress.add_task("", total=len(files))
            results = []
            for path in files:
                progress.update(task, description=path.name)
                results.append(ingest_file(runtime, owner.id, path, submit))
                progress.advance(task)
            progress.update(task, description="done")
    console.print(summary_table(results))
    console.print(totals_line(results))
    code = exit_code(results)
    if code:
        raise typer.Exit(code)
