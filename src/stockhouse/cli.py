"""The `stockhouse` command: serve, worker, migrate, demo, accounts administration, backups.

Every failure the user can fix (bad configuration, unreachable database, a taken
username...) ends the command with one line on stderr and a non-zero exit code.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import ApiKind, GroupRole, PaymentMode, Role
from stockhouse.commerce.cli import register as register_commerce
from stockhouse.config import RUN_JOB_WORKERS_ENV, ConfigError, Settings, load_settings
from stockhouse.errors import DomainError
from stockhouse.ingest.cli import ingest_command
from stockhouse.runtime import Runtime
from stockhouse.search.cli import reindex_command

app = typer.Typer(
    help="Stockhouse: a self-hosted stock-media marketplace.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
user_app = typer.Typer(help="Create and manage users.", no_args_is_help=True)
group_app = typer.Typer(help="Create and manage enterprise groups.", no_args_is_help=True)
apikey_app = typer.Typer(help="Issue, list, rotate and disable API keys.", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(group_app, name="group")
app.add_typer(apikey_app, name="apikey")
register_commerce(app)

console = Console()
err_console = Console(stderr=True)

DataDirOption = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", help="Data directory (env STOCKHOUSE_DATA_DIR).", show_default=False
    ),
]


class CliError(Exception):
    """A failure reported to the user as one line."""


def settings_from(data_dir: Path | None, **flags: Any) -> Settings:
    return load_settings({"data_dir": str(data_dir) if data_dir else None, **flags})


@contextmanager
def open_runtime(data_dir: Path | None, *, migrate: bool = True, **flags: Any) -> Iterator[Runtime]:
    """A Runtime for a command, with the schema and reference data brought up to date."""
    from stockhouse.catalog.categories import ensure_default_categories
    from stockhouse.commerce.prices import ensure_default_licenses_and_prices
    from stockhouse.db.migrate import upgrade_to_head

    runtime = Runtime(settings_from(data_dir, **flags))
    try:
        if migrate:
            upgrade_to_head(runtime.db)
            with runtime.db.session() as session:
                ensure_default_categories(session)
                ensure_default_licenses_and_prices(session)
            # Opening the search backend hooks the sessions: catalog changes get indexed.
            _ = runtime.search
        yield runtime
    finally:
        runtime.close()


@contextmanager
def transaction(data_dir: Path | None) -> Iterator[tuple[Runtime, Session]]:
    with open_runtime(data_dir) as runtime, runtime.db.session() as session:
        yield runtime, session


# -- server and workers -----------------------------------------------------------------


@app.command()
def serve(
    data_dir: DataDirOption = None,
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    no_worker: Annotated[
        bool, typer.Option("--no-worker", help="Run no job workers here.")
    ] = False,
    no_ftp: Annotated[bool, typer.Option("--no-ftp", help="Run no FTP inbox server here.")] = False,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Server processes.")] = 1,
    api: Annotated[
        str | None,
        typer.Option(
            "--api", help="Also answer this compatible API at / (depositphotos or pond5)."
        ),
    ] = None,
) -> None:
    """Serve the web UI, the native API and the compatible APIs (migrates first)."""
    import uvicorn

    from stockhouse.app import create_app, freeze_startup_objects
    from stockhouse.observability import configure_logging

    with open_runtime(data_dir, host=host, port=port, root_api=api) as runtime:
        settings = runtime.settings
        configure_logging(settings.log_level, settings.log_format)
        application = create_app(runtime, run_workers=not no_worker)
        err_console.print(
            f"Stockhouse on http://{settings.host}:{settings.port} (data in {settings.data_dir})"
        )
        ftp = None
        if not no_ftp and settings.ftp_port:
            from stockhouse.ingest.ftp import start_ftp_server

            try:
                ftp = start_ftp_server(runtime, settings.host, settings.ftp_port)
            except OSError as exc:
                raise CliError(
                    f"FTP port {settings.ftp_port}: {exc.strerror} (use --no-ftp or "
                    "STOCKHOUSE_FTP_PORT)"
                ) from None
            err_console.print(f"FTP inbox on {settings.host}:{ftp.port}")
        try:
            if workers == 1:
                freeze_startup_objects()
                uvicorn.run(application, **_uvicorn_options(settings))
            else:
                # Each process builds its own app from the environment (see app.py).
                _export_settings(settings, run_workers=not no_worker)
                uvicorn.run(
                    APP_FACTORY, factory=True, workers=workers, **_uvicorn_options(settings)
                )
        finally:
            if ftp is not None:
                ftp.stop()


APP_FACTORY = "stockhouse.app:create_app_from_environment"


def _uvicorn_options(settings: Settings) -> dict[str, Any]:
    return {
        "host": settings.host,
        "port": settings.port,
        "log_config": None,
        "access_log": False,
        "server_header": False,
    }


def _export_settings(settings: Settings, *, run_workers: bool) -> None:
    """Hand the resolved settings to server processes started by uvicorn."""
    os.environ["STOCKHOUSE_DATA_DIR"] = str(settings.data_dir)
    os.environ["STOCKHOUSE_HOST"] = settings.host
    os.environ["STOCKHOUSE_PORT"] = str(settings.port)
    os.environ["STOCKHOUSE_ROOT_API"] = settings.root_api
    os.environ[RUN_JOB_WORKERS_ENV] = "1" if run_workers else "0"


@app.command()
def worker(
    data_dir: DataDirOption = None,
    concurrency: Annotated[int, typer.Option(help="Worker threads.")] = 2,
) -> None:
    """Run a standalone job worker (for scale-out with STOCKHOUSE_REDIS_URL)."""
    from stockhouse.ingest.pipeline import resume_uploads
    from stockhouse.observability import configure_logging

    with open_runtime(data_dir) as runtime:
        configure_logging(runtime.settings.log_level, runtime.settings.log_format)
        resume_uploads(runtime)
        runtime.jobs.run_worker(concurrency)


@app.command()
def migrate(data_dir: DataDirOption = None) -> None:
    """Apply pending database migrations."""
    from stockhouse.db.migrate import current_revision

    with open_runtime(data_dir) as runtime:
        console.print(f"database at revision {current_revision(runtime.db)}")


@app.command()
def demo(
    data_dir: DataDirOption = None,
    items: Annotated[int, typer.Option(help="How many media items to make.")] = 300,
    reset: Annotated[bool, typer.Option("--reset", help="Start from an empty data dir.")] = False,
) -> None:
    """Build a demo marketplace and write DATA_DIR/demo-credentials.json."""
    from rich.progress import Progress

    from stockhouse.demo import build_demo, reset_data_dir

    if reset:
        reset_data_dir(settings_from(data_dir).data_dir)
    with open_runtime(data_dir) as runtime, Progress(console=err_console) as bar:
        task = bar.add_task("making demo media", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        path = build_demo(runtime, items=items, progress=advance)
    console.print(f"demo marketplace ready; credentials in {path}")


app.command("ingest")(ingest_command)
app.command("reindex")(reindex_command)


# -- users ------------------------------------------------------------------------------


def _read_password(password: str | None, password_stdin: bool) -> str | None:
    if password_stdin:
        return sys.stdin.readline().rstrip("\n")
    return password


@user_app.command("create")
def user_create(
    username: str,
    password: Annotated[
        str | None, typer.Option(help="Password (prefer --password-stdin).")
    ] = None,
    password_stdin: Annotated[bool, typer.Option("--password-stdin")] = False,
    email: Annotated[str | None, typer.Option()] = None,
    role: Annotated[list[Role] | None, typer.Option(help="Repeat for several roles.")] = None,
    data_dir: DataDirOption = None,
) -> None:
    """Create a user (role buyer unless --role is given)."""
    secret = _read_password(password, password_stdin)
    with transaction(data_dir) as (_, session):
        user = accounts.create_user(
            session, username=username, password=secret, email=email, roles=role or [Role.BUYER]
        )
        console.print(
            f"created user {user.username} (id {user.id}, roles "
            f"{', '.join(sorted(r.value for r in user.role_names))})"
        )


@user_app.command("list")
def user_list(data_dir: DataDirOption = None) -> None:
    """List users."""
    table = Table("id", "username", "email", "roles", "active")
    with transaction(data_dir) as (_, session):
        for user in accounts.list_users(session, limit=10_000):
            table.add_row(
                str(user.id),
                user.username,
                user.email or "",
                ",".join(sorted(r.value for r in user.role_names)),
                str(user.is_active),
            )
    console.print(table)


@user_app.command("set-password")
def user_set_password(
    username: str,
    password: Annotated[str | None, typer.Option()] = None,
    password_stdin: Annotated[bool, typer.Option("--password-stdin")] = False,
    data_dir: DataDirOption = None,
) -> None:
    """Set a user's password."""
    secret = _read_password(password, password_stdin) or typer.prompt(
        "New password", hide_input=True, confirmation_prompt=True
    )
    with transaction(data_dir) as (_, session):
        accounts.set_password(session, accounts.get_user_by_username(session, username), secret)
        console.print(f"password of {username} changed")


@user_app.command("set-roles")
def user_set_roles(
    username: str,
    role: Annotated[list[Role], typer.Option(help="Repeat for several roles.")],
    data_dir: DataDirOption = None,
) -> None:
    """Replace a user's roles."""
    with transaction(data_dir) as (_, session):
        user = accounts.get_user_by_username(session, username)
        accounts.set_roles(session, user, role)
        console.print(f"{username}: {', '.join(sorted(r.value for r in user.role_names))}")


@user_app.command("disable")
def user_disable(username: str, data_dir: DataDirOption = None) -> None:
    """Disable a user: their sessions and keys stop working."""
    with transaction(data_dir) as (_, session):
        accounts.set_active(session, accounts.get_user_by_username(session, username), False)
        console.print(f"user {username} disabled")


# -- groups -----------------------------------------------------------------------------


@group_app.command("create")
def group_create(
    name: str,
    payment_mode: Annotated[PaymentMode, typer.Option()] = PaymentMode.PREPAID,
    currency: Annotated[str, typer.Option()] = "USD",
    data_dir: DataDirOption = None,
) -> None:
    """Create an enterprise group."""
    with transaction(data_dir) as (_, session):
        group = accounts.create_group(
            session, name=name, payment_mode=payment_mode, currency=currency
        )
        console.print(f"created group {group.name} (id {group.id}, {group.payment_mode.value})")


@group_app.command("list")
def group_list(data_dir: DataDirOption = None) -> None:
    """List groups and their members."""
    table = Table("id", "name", "payment", "members")
    with transaction(data_dir) as (_, session):
        for group in accounts.list_groups(session):
            members = ", ".join(
                f"{m.user.username} ({m.role.value})" for m in accounts.members_of(session, group)
            )
            table.add_row(str(group.id), group.name, group.payment_mode.value, members)
    console.print(table)


@group_app.command("add-member")
def group_add_member(
    group: str,
    username: str,
    role: Annotated[GroupRole, typer.Option()] = GroupRole.MEMBER,
    data_dir: DataDirOption = None,
) -> None:
    """Add a user to a group (or change their role in it)."""
    with transaction(data_dir) as (_, session):
        accounts.add_member(
            session,
            accounts.get_group_by_name(session, group),
            accounts.get_user_by_username(session, username),
            role,
        )
        console.print(f"{username} is {role.value} of {group}")


@group_app.command("remove-member")
def group_remove_member(group: str, username: str, data_dir: DataDirOption = None) -> None:
    """Remove a user from a group."""
    with transaction(data_dir) as (_, session):
        accounts.remove_member(
            session,
            accounts.get_group_by_name(session, group),
            accounts.get_user_by_username(session, username),
        )
        console.print(f"{username} left {group}")


# -- API keys ---------------------------------------------------------------------------


@apikey_app.command("create")
def apikey_create(
    username: str,
    api: Annotated[ApiKind, typer.Option(help="Protocol the key is for.")] = ApiKind.NATIVE,
    name: Annotated[str, typer.Option()] = "",
    grant: Annotated[list[str] | None, typer.Option(help="read, write, admin")] = None,
    with_secret: Annotated[bool, typer.Option("--with-secret")] = False,
    data_dir: DataDirOption = None,
) -> None:
    """Issue an API key; the key and secret are printed once, never stored in clear."""
    with transaction(data_dir) as (runtime, session):
        issued = accounts.create_credential(
            session,
            runtime.secrets,
            user=accounts.get_user_by_username(session, username),
            api=api,
            name=name,
            grants=grant or ["read"],
            with_secret=with_secret,
        )
        console.print(f"API key {issued.credential.id} for {username} ({api.value})")
        console.print(f"key:    {issued.key}", soft_wrap=True)
        if issued.secret:
            console.print(f"secret: {issued.secret}", soft_wrap=True)
        err_console.print("Store them now: they cannot be shown again.")


@apikey_app.command("list")
def apikey_list(
    username: Annotated[str | None, typer.Option("--user")] = None,
    data_dir: DataDirOption = None,
) -> None:
    """List API keys (prefixes only)."""
    table = Table("id", "user", "api", "name", "prefix", "grants", "enabled", "last used")
    with transaction(data_dir) as (_, session):
        owner = accounts.get_user_by_username(session, username) if username else None
        for key in accounts.list_credentials(session, owner):
            table.add_row(
                str(key.id),
                key.user.username,
                key.api.value,
                key.name,
                key.key_prefix + "…",
                key.grants,
                str(key.enabled),
                key.last_used_at.isoformat() if key.last_used_at else "never",
            )
    console.print(table)


@apikey_app.command("disable")
def apikey_disable(key_id: int, data_dir: DataDirOption = None) -> None:
    """Disable an API key for good."""
    with transaction(data_dir) as (_, session):
        accounts.disable_credential(session, accounts.get_credential(session, key_id))
        console.print(f"API key {key_id} disabled")


@apikey_app.command("rotate")
def apikey_rotate(key_id: int, data_dir: DataDirOption = None) -> None:
    """Replace an API key (and its secret) with new ones; the old key stops working."""
    with transaction(data_dir) as (runtime, session):
        old = accounts.get_credential(session, key_id)
        issued = accounts.rotate_credential(session, runtime.secrets, old)
        console.print(f"API key {key_id} replaced by {issued.credential.id}")
        console.print(f"key:    {issued.key}", soft_wrap=True)
        if issued.secret:
            console.print(f"secret: {issued.secret}", soft_wrap=True)
        err_console.print("Store them now: they cannot be shown again.")


# -- backups ----------------------------------------------------------------------------


@app.command()
def backup(
    dest: Annotated[Path, typer.Argument(help="New or empty directory to write the backup to.")],
    data_dir: DataDirOption = None,
) -> None:
    """Back up the database, blobs and secret key; safe while the server runs."""
    from stockhouse.backup import create_backup, format_size

    with open_runtime(data_dir, migrate=False) as runtime:
        manifest = create_backup(runtime, dest)
    console.print(
        f"backup in {dest}: {manifest.engine} database ({format_size(manifest.database_bytes)}), "
        f"{manifest.blob_count} blobs ({format_size(manifest.blob_bytes)})",
        soft_wrap=True,
    )
    err_console.print("The backup holds the secret key: keep it as safe as the server.")


@app.command()
def restore(
    src: Annotated[Path, typer.Argument(help="Backup directory made by `stockhouse backup`.")],
    data_dir: DataDirOption = None,
) -> None:
    """Restore a backup into an empty data dir (its database and blob store must be empty)."""
    from stockhouse.backup import format_size, restore_backup

    # No new secret key here: the restore installs the backup's.
    settings = load_settings({"data_dir": str(data_dir) if data_dir else None}, create_secret=False)
    manifest = restore_backup(src, settings)
    console.print(
        f"restored {src} into {settings.data_dir}: {manifest.engine} database "
        f"({format_size(manifest.database_bytes)}), {manifest.blob_count} blobs "
        f"({format_size(manifest.blob_bytes)})",
        soft_wrap=True,
    )


# -- entry point ------------------------------------------------------------------------


def _one_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _fail(message: str, exit_code: int) -> None:
    sys.stderr.write(f"stockhouse: {message}\n")
    sys.exit(exit_code)


def main() -> None:
    """Run the CLI, turning expected failures into one line on stderr."""
    try:
        app()
    except ConfigError as exc:
        _fail(str(exc), 2)
    except (OperationalError, ProgrammingError) as exc:
        _fail(f"database error: {_one_line(exc)}", 2)
    except (DomainError, CliError) as exc:
        _fail(str(exc), 1)


if __name__ == "__main__":
    main()
