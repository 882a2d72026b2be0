"""Commerce administration on the command line: licenses, prices, balances, the ledger check.

`stockhouse license list|create|update|defaults`, `stockhouse price list|set|delete`,
`stockhouse balance refill|show`, `stockhouse ledger check`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy.orm import Session

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import Group
from stockhouse.commerce import ledger, prices
from stockhouse.commerce.models import CREDITS_CURRENCY, AccountKind, ExtOption, ProductType
from stockhouse.commerce.money import format_money, to_minor, validate_currency

license_app = typer.Typer(help="License templates.", no_args_is_help=True)
price_app = typer.Typer(help="Prices of the default and group price lists.", no_args_is_help=True)
balance_app = typer.Typer(help="Group and user balances.", no_args_is_help=True)
ledger_app = typer.Typer(help="The double-entry ledger.", no_args_is_help=True)

DataDirOption = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", help="Data directory (env STOCKHOUSE_DATA_DIR).", show_default=False
    ),
]
GroupOption = Annotated[str | None, typer.Option("--group", help="Group name.")]


def register(app: typer.Typer) -> None:
    """Add the commerce command groups to the `stockhouse` command."""
    app.add_typer(license_app, name="license")
    app.add_typer(price_app, name="price")
    app.add_typer(balance_app, name="balance")
    app.add_typer(ledger_app, name="ledger")


def _group(session: Session, name: str | None) -> Group | None:
    return None if name is None else accounts.get_group_by_name(session, name)


def _options_text(bits: int) -> str:
    return ",".join((flag.name or "").lower() for flag in prices.ext_bits(bits)) or "-"


# -- licenses ---------------------------------------------------------------------------


@license_app.command("list")
def license_list(group: GroupOption = None, data_dir: DataDirOption = None) -> None:
    """List license templates (with --group: those the group may buy)."""
    from stockhouse.cli import console, transaction

    table = Table("id", "name", "type", "sizes", "extended", "options allowed", "active")
    with transaction(data_dir) as (_, session):
        chosen = _group(session, group)
        rows = (
            prices.licenses_for_group(session, chosen)
            if group is not None
            else prices.list_licenses(session)
        )
        for lic in rows:
            table.add_row(
                str(lic.id),
                lic.name,
                lic.product_type.value,
                ",".join(lic.sizes),
                "yes" if lic.extended else "no",
                _options_text(lic.ext_options_allowed),
                "yes" if lic.active else "no",
            )
    console.print(table)


@license_app.command("defaults")
def license_defaults(data_dir: DataDirOption = None) -> None:
    """Create what is missing of the default licenses, prices and royalty rates."""
    from stockhouse.cli import console, transaction

    with transaction(data_dir) as (_, session):
        licenses = prices.ensure_default_licenses_and_prices(session)
    console.print(f"{len(licenses)} default licenses in place")


@license_app.command("create")
def license_create(
    name: str,
    product_type: Annotated[ProductType, typer.Option("--type")],
    sizes: Annotated[str, typer.Option(help="Comma list, e.g. s,m,l,xl or 720,1080.")],
    ext_options: Annotated[int, typer.Option(help="Allowed ExtOption bits (0-31).")] = 0,
    extended: Annotated[bool, typer.Option("--extended")] = False,
    data_dir: DataDirOption = None,
) -> None:
    """Create a license template (then price it with `stockhouse price set`)."""
    from stockhouse.cli import console, transaction

    with transaction(data_dir) as (_, session):
        lic = prices.create_license(
            session,
            name=name,
            product_type=product_type,
            size_codes=sizes.split(","),
            ext_options_allowed=ext_options,
            extended=extended,
        )
        console.print(f"created license {lic.id} {lic.name} ({lic.product_type.value})")


@license_app.command("update")
def license_update(
    license_id: int,
    name: Annotated[str | None, typer.Option()] = None,
    sizes: Annotated[str | None, typer.Option(help="Comma list of size codes.")] = None,
    ext_options: Annotated[int | None, typer.Option(help="Allowed ExtOption bits.")] = None,
    active: Annotated[bool | None, typer.Option("--active/--inactive")] = None,
    data_dir: DataDirOption = None,
) -> None:
    """Change a license template."""
    from stockhouse.cli import console, transaction

    with transaction(data_dir) as (_, session):
        lic = prices.update_license(
            session,
            license_id,
            name=name,
            size_codes=sizes.split(",") if sizes is not None else None,
            ext_options_allowed=ext_options,
            active=active,
        )
        console.print(f"updated license {lic.id} {lic.name}")


# -- prices -----------------------------------------------------------------------------


@price_app.command("list")
def price_list(group: GroupOption = None, data_dir: DataDirOption = None) -> None:
    """List the default price list (with --group: the group's own rows)."""
    from stockhouse.cli import console, transaction

    table = Table("license", "size", "option", "price", "credits")
    with transaction(data_dir) as (_, session):
        chosen = _group(session, group)
        own = prices.group_price_list(session, chosen) if chosen is not None else None
        currency = (own or prices.default_price_list(session)).currency
        for row in prices.list_prices(session, chosen):
            option = ExtOption(row.ext_option).name if row.ext_option else "base"
            table.add_row(
                str(row.license_id),
                row.size_code,
                (option or "").lower(),
                format_money(row.amount_minor, currency),
                str(row.credits),
            )
    console.print(table)


@price_app.command("set")
def price_set(
    license_id: int,
    size: Annotated[str, typer.Argument(help="Size code, or * for a surcharge on every size.")],
    amount: Annotated[str, typer.Argument(help="Price in major units, e.g. 12.50.")],
    credits: Annotated[int, typer.Option(help="Price in credits.")],
    ext_option: Annotated[int, typer.Option(help="One ExtOption bit: a surcharge.")] = 0,
    group: GroupOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Set a price in the default list or a group's list."""
    from stockhouse.cli import console, transaction

    with transaction(data_dir) as (_, session):
        chosen = _group(session, group)
        own = prices.group_price_list(session, chosen) if chosen is not None else None
        currency = (
            own.currency
            if own is not None
            else chosen.currency
            if chosen is not None
            else prices.default_price_list(session).currency
        )
        row = prices.set_price(
            session,
            license_id,
            size,
            amount_minor=to_minor(amount, currency),
            credits=credits,
            ext_option=ext_option,
            group=chosen,
        )
        console.print(
            f"license {row.license_id} size {row.size_code} option {row.ext_option}: "
            f"{format_money(row.amount_minor, currency)}, {row.credits} credits"
        )


@price_app.command("delete")
def price_delete(
    license_id: int,
    size: str,
    ext_option: Annotated[int, typer.Option()] = 0,
    group: GroupOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Delete a price row (a group's row falls back to the default)."""
    from stockhouse.cli import console, transaction

    with transaction(data_dir) as (_, session):
        prices.delete_price(
            session, license_id, size, ext_option=ext_option, group=_group(session, group)
        )
    console.print("price deleted")


# -- balances ---------------------------------------------------------------------------


def _owner(
    session: Session, group: str | None, user: str | None, currency: str
) -> tuple[AccountKind, int | None, int | None]:
    """The account kind, user id and group id named by --group or --user."""
    from stockhouse.cli import CliError

    if (group is None) == (user is None):
        raise CliError("name exactly one of --group and --user")
    if group is not None:
        return AccountKind.GROUP_BALANCE, None, accounts.get_group_by_name(session, group).id
    kind = AccountKind.USER_CREDITS if currency == CREDITS_CURRENCY else AccountKind.USER_CASH
    return kind, accounts.get_user_by_username(session, user or "").id, None


@balance_app.command("refill")
def balance_refill(
    amount: Annotated[str, typer.Option(help="Amount in major units, e.g. 100.00.")],
    group: GroupOption = None,
    user: Annotated[str | None, typer.Option("--user", help="Username.")] = None,
    currency: Annotated[str, typer.Option(help="USD, EUR... or CRD for credits.")] = "USD",
    memo: Annotated[str, typer.Option()] = "",
    data_dir: DataDirOption = None,
) -> None:
    """Record money received into a group's balance or a user's cash (or credits)."""
    from stockhouse.cli import CliError, console, transaction

    currency = validate_currency(currency.upper())
    with transaction(data_dir) as (_, session):
        kind, user_id, group_id = _owner(session, group, user, currency)
        target = ledger.account_for(
            session, kind, user_id=user_id, group_id=group_id, currency=currency
        )
        minor = to_minor(amount, currency)
        if minor <= 0:
            raise CliError("the amount must be positive")
        posted = ledger.refill(session, target, minor, memo)
        console.print(
            f"ledger transaction {posted.id}: balance now "
            f"{format_money(ledger.balance(session, target), currency)}"
        )


@balance_app.command("show")
def balance_show(
    group: GroupOption = None,
    user: Annotated[str | None, typer.Option("--user", help="Username.")] = None,
    currency: Annotated[str, typer.Option()] = "USD",
    data_dir: DataDirOption = None,
) -> None:
    """Show a group's balance or a user's cash (CRD: credits)."""
    from stockhouse.cli import console, transaction

    currency = validate_currency(currency.upper())
    with transaction(data_dir) as (_, session):
        kind, user_id, group_id = _owner(session, group, user, currency)
        amount = ledger.balance_of(
            session, kind, user_id=user_id, group_id=group_id, currency=currency
        )
        console.print(format_money(amount, currency))


# -- the ledger -------------------------------------------------------------------------


@ledger_app.command("check")
def ledger_check(data_dir: DataDirOption = None) -> None:
    """Prove the ledger: zero sums, cached balances equal to entries, no overdraft.

    Exits 1 when anything is wrong.
    """
    from stockhouse.cli import console, open_runtime

    with open_runtime(data_dir) as runtime, runtime.db.read_session() as session:
        report = ledger.check(session)
    for line in report.lines():
        console.print(line, markup=False, highlight=False)
    if not report.ok:
        raise typer.Exit(1)
