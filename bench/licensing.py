"""Licensing throughput: 16 concurrent buyers licensing on one group balance, both engines.

    .venv/bin/python bench/licensing.py [--quick] [--buyers 16] [--postgres URL]
                                        [--no-postgres] [--processes]

For each engine it makes a fresh database (a temporary SQLite file; a database of its own
on the PostgreSQL server, dropped afterwards), migrates it, and builds a market: one
contributor with 50 published photos, one prepaid group with 16 members, the default
licenses and prices. The group's balance covers all but `buyers` of the planned licenses,
so the last attempts must be refused with InsufficientFunds while everyone is still
buying. Each buyer is a thread with its own session (as the server's request threads
are): load the buyer, `license_item` with a fresh idempotency key (as an API client would
send), commit; the clock runs from the start line to the last commit. Each engine runs
twice: "threads", where each purchase is `license_item` in the buyer's session and its own
commit, and "threads, combined", where each buyer thread hands its purchase to the
process's `LicensingCombiner` (commerce.combiner), which checks it in a session of its
own and records the purchases that arrive together in one database transaction (group
commit). `--processes` also runs PostgreSQL with every buyer a process of its own (each
purchase in its session), for comparison.

A floor measured in the same run shows what the database itself allows for the same
contention: one transaction per purchase that takes the group balance row's lock, updates
the balance, inserts one row and commits, in plain SQL.

It ends with the ledger check and the overdraft count (licenses beyond what the balance
covered, accounts below zero that may not be, and a final balance other than the exact
remainder), then `RESULT <name> <value> target <target> ok|short` lines:
`licensing_<engine>_per_s` for the combined buyers, `licensing_<engine>_per_session_per_s`
for `license_item` in the buyer's session.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from stockhouse.accounts import service as accounts
from stockhouse.accounts.models import GroupRole, Role, User
from stockhouse.catalog.models import ItemStatus, MediaItem, MediaKind, SizeOption
from stockhouse.commerce import ledger
from stockhouse.commerce.combiner import combiner_for
from stockhouse.commerce.licensing import LicenseRequest, license_item
from stockhouse.commerce.models import AccountKind, License, ProductType
from stockhouse.commerce.prices import ensure_default_licenses_and_prices
from stockhouse.db.base import utcnow
from stockhouse.db.engine import Database, normalize_database_url
from stockhouse.db.migrate import upgrade_to_head
from stockhouse.errors import InsufficientFunds

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
TARGETS = {"sqlite": 150.0, "postgresql": 300.0}
ITEMS = 50
PRICE_MINOR = 100  # size "s" of the default image license
SHORTFALL = 1  # licenses per buyer the balance does not cover
COMBINED = "threads, combined"  # the mode whose buyers license through the combiner


@dataclass(frozen=True)
class Market:
    buyer_ids: list[int]
    group_id: int
    item_ids: list[int]
    license_id: int


@dataclass(frozen=True)
class Outcome:
    engine: str
    mode: str
    per_s: float
    floor_per_s: float
    licensed: int
    refused: int
    overdrafts: int
    ledger_ok: bool
    seconds: float
    cpu_ms: float  # this process's CPU per license (threads mode; 0 for processes)


def build_market(database: Database, buyers: int, affordable: int) -> Market:
    """A contributor's photos, a prepaid group of `buyers` members, a balance for `affordable`."""
    with database.session() as session:
        contributor = accounts.create_user(
            session, username="seller", password=None, roles=[Role.CONTRIBUTOR]
        )
        group = accounts.create_group(session, name="Bench Co")
        buyer_ids = []
        for n in range(buyers):
            user = accounts.create_user(
                session, username=f"buyer{n}", password=None, roles=[Role.BUYER], country="DE"
            )
            accounts.add_member(session, group, user, GroupRole.MEMBER)
            buyer_ids.append(user.id)
        ensure_default_licenses_and_prices(session)
        license_id = (
            session.query(License.id)
            .filter(License.product_type == ProductType.IMAGE, License.extended.is_(False))
            .scalar()
        )
        item_ids = []
        for n in range(ITEMS):
            item = MediaItem(
                kind=MediaKind.PHOTO,
                owner_id=contributor.id,
                status=ItemStatus.ACTIVE,
                title=f"photo {n}",
                original_filename=f"photo-{n}.jpg",
                extension="jpg",
                mime_type="image/jpeg",
                file_size=1,
                original_blob=f"{n:064x}",
                published_at=utcnow(),
            )
            item.sizes = [
                SizeOption(code=code, position=i) for i, code in enumerate(["s", "m", "l", "xl"])
            ]
            session.add(item)
            session.flush()
            item_ids.append(item.id)
        target = ledger.account_for(
            session, AccountKind.GROUP_BALANCE, group_id=group.id, currency="USD"
        )
        ledger.refill(session, target, affordable * PRICE_MINOR, "bench")
        assert license_id is not None
        return Market(buyer_ids, group.id, item_ids, int(license_id))


def _request(market: Market, user: User, item_id: int) -> LicenseRequest:
    return LicenseRequest(
        buyer=user,
        item_id=item_id,
        license_id=market.license_id,
        size_code="s",
        idempotency_key=uuid.uuid4().hex,
        search_query="bench",
    )


def _license_in_session(database: Database, market: Market, buyer_id: int, item_id: int) -> None:
    """Load the buyer, `license_item` in the request's session, commit."""
    with database.session() as session:
        user = session.get(User, buyer_id)
        assert user is not None
        license_item(session, _request(market, user, item_id))


def _license_combined(database: Database, market: Market, buyer_id: int, item_id: int) -> None:
    """Load the buyer, then the process's combiner checks, records and commits."""
    with database.read_session() as session:
        user = session.get(User, buyer_id)
        assert user is not None
    combiner_for(database).license(_request(market, user, item_id))


HOW = {"session": _license_in_session, "combiner": _license_combined}


def buy(
    database: Database, market: Market, index: int, per_buyer: int, how: str = "session"
) -> Counter[str]:
    """One buyer's purchases, each in its own transaction, as an API request would be."""
    outcomes: Counter[str] = Counter()
    buyer_id = market.buyer_ids[index]
    for n in range(per_buyer):
        item_id = market.item_ids[(index * per_buyer + n) % len(market.item_ids)]
        try:
            HOW[how](database, market, buyer_id, item_id)
            outcomes["licensed"] += 1
        except InsufficientFunds:
            outcomes["refused"] += 1
    return outcomes


def run_threads(
    database: Database, market: Market, per_buyer: int, how: str = "session"
) -> tuple[Counter[str], float]:
    """Every buyer a thread of this process; outcomes and seconds from start to last commit."""
    barrier = threading.Barrier(len(market.buyer_ids) + 1)
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def buyer(index: int) -> None:
        barrier.wait()
        mine = buy(database, market, index, per_buyer, how)
        with lock:
            outcomes.update(mine)

    threads = [threading.Thread(target=buyer, args=(i,)) for i in range(len(market.buyer_ids))]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return outcomes, time.perf_counter() - started


def _process_buyer(
    url: str, market: Market, index: int, per_buyer: int, barrier: Any, results: Any
) -> None:
    database = Database(url, pool_size=1, max_overflow=0)
    try:
        with database.read_session() as session:  # connect before the start line
            session.execute(text("SELECT 1"))
        barrier.wait()
        results.put(dict(buy(database, market, index, per_buyer)))
    finally:
        database.dispose()


def run_processes(url: str, market: Market, per_buyer: int) -> tuple[Counter[str], float]:
    """Every buyer a process of its own (as `serve --workers N` spreads requests)."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(len(market.buyer_ids) + 1)
    results = context.Queue()
    processes = [
        context.Process(target=_process_buyer, args=(url, market, i, per_buyer, barrier, results))
        for i in range(len(market.buyer_ids))
    ]
    for process in processes:
        process.start()
    barrier.wait()
    started = time.perf_counter()
    outcomes: Counter[str] = Counter()
    for _ in processes:
        outcomes.update(results.get())
    elapsed = time.perf_counter() - started
    for process in processes:
        process.join()
    return outcomes, elapsed


def run_floor(database: Database, market: Market, buyers: int, per_buyer: int) -> float:
    """Purchases per second of a bare SQL transaction with the same contention."""
    engine = database.engine
    dialect = engine.dialect.name
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE bench_floor (id INTEGER PRIMARY KEY, buyer INTEGER)"))
        conn.execute(text("CREATE TABLE bench_balance (id INTEGER PRIMARY KEY, amount BIGINT)"))
        conn.execute(text("INSERT INTO bench_balance VALUES (1, :a)"), {"a": 10**12})
    lock_sql = "SELECT amount FROM bench_balance WHERE id = 1"
    if dialect == "postgresql":
        lock_sql += " FOR NO KEY UPDATE"
    barrier = threading.Barrier(buyers + 1)
    counter = iter(range(1, 10**9))
    counter_lock = threading.Lock()

    def buyer(buyer_id: int) -> None:
        barrier.wait()
        for _ in range(per_buyer):
            with counter_lock:
                row_id = next(counter)
            with engine.begin() as conn:
                amount = conn.execute(text(lock_sql)).scalar_one()
                conn.execute(
                    text("UPDATE bench_balance SET amount = :a WHERE id = 1"),
                    {"a": amount - PRICE_MINOR},
                )
                conn.execute(
                    text("INSERT INTO bench_floor (id, buyer) VALUES (:i, :b)"),
                    {"i": row_id, "b": buyer_id},
                )

    threads = [threading.Thread(target=buyer, args=(b,)) for b in market.buyer_ids]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE bench_floor"))
        conn.execute(text("DROP TABLE bench_balance"))
    return buyers * per_buyer / elapsed


def settle(
    database: Database, market: Market, outcomes: Counter[str], affordable: int
) -> tuple[int, bool]:
    """Overdrafts found (see the module doc) and whether the ledger check is clean."""
    with database.read_session() as session:
        remainder = ledger.balance_of(
            session, AccountKind.GROUP_BALANCE, group_id=market.group_id, currency="USD"
        )
        report = ledger.check(session)
    expected = (affordable - outcomes["licensed"]) * PRICE_MINOR
    overdrafts = max(0, outcomes["licensed"] - affordable) + len(report.overdrawn)
    overdrafts += int(remainder != expected or remainder < 0)
    for line in report.lines():
        print(f"  {line}")
    return overdrafts, report.ok


def bench_engine(engine: str, url: str, buyers: int, per_buyer: int, mode: str) -> Outcome:
    affordable = buyers * (per_buyer - SHORTFALL)
    database = (
        Database(url, pool_size=buyers + 2, max_overflow=4)
        if engine == "postgresql"
        else Database(url)
    )
    try:
        upgrade_to_head(database)
        market = build_market(database, buyers, affordable)
        cpu_started = time.process_time()
        if mode == "processes":
            outcomes, seconds = run_processes(url, market, per_buyer)
        else:
            how = "combiner" if mode == COMBINED else "session"
            outcomes, seconds = run_threads(database, market, per_buyer, how)
        cpu = 0.0 if mode == "processes" else time.process_time() - cpu_started
        overdrafts, ok = settle(database, market, outcomes, affordable)
        floor = run_floor(database, market, buyers, per_buyer)
    finally:
        database.dispose()
    return Outcome(
        engine=engine,
        mode=mode,
        per_s=outcomes["licensed"] / seconds,
        floor_per_s=floor,
        licensed=outcomes["licensed"],
        refused=outcomes["refused"],
        overdrafts=overdrafts,
        ledger_ok=ok,
        seconds=seconds,
        cpu_ms=1000 * cpu / max(1, outcomes["licensed"] + outcomes["refused"]),
    )


def create_postgres_database(server_url: str) -> tuple[str, str]:
    """A new empty database on the server: its URL and name."""
    name = f"sh_bench_licensing_{uuid.uuid4().hex[:8]}"
    admin = create_engine(normalize_database_url(server_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = make_url(normalize_database_url(server_url)).set(database=name)
    return url.render_as_string(hide_password=False), name


def drop_postgres_database(server_url: str, name: str) -> None:
    admin = create_engine(normalize_database_url(server_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def report(outcome: Outcome) -> None:
    print(
        f"{outcome.engine}, buyers as {outcome.mode}: "
        f"{outcome.licensed} licensed, {outcome.refused} refused "
        f"in {outcome.seconds:.2f}s = {outcome.per_s:.0f}/s, "
        f"{outcome.cpu_ms:.1f} ms CPU each "
        f"(floor: bare SQL {outcome.floor_per_s:.0f}/s, "
        f"ratio {outcome.per_s / outcome.floor_per_s:.2f}); "
        f"ledger {'OK' if outcome.ledger_ok else 'BROKEN'}, overdrafts {outcome.overdrafts}"
    )


def result_line(name: str, value: float, target: float, *, at_most: bool = False) -> str:
    """`RESULT name value target t ok|short`; ok when value >= target (<= when at_most)."""
    ok = value <= target if at_most else value >= target
    return f"RESULT {name} {value:.0f} target {target:.0f} {'ok' if ok else 'short'}"


def bench_postgres(server_url: str, buyers: int, per_buyer: int, mode: str) -> Outcome:
    """One run on a database of its own, created and dropped on the server."""
    url, name = create_postgres_database(server_url)
    try:
        return bench_engine("postgresql", url, buyers, per_buyer, mode)
    finally:
        drop_postgres_database(server_url, name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer licenses: under a minute")
    parser.add_argument("--buyers", type=int, default=16)
    parser.add_argument(
        "--postgres", default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES)
    )
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument(
        "--processes",
        action="store_true",
        help="also run PostgreSQL with every buyer a process of its own (for comparison)",
    )
    args = parser.parse_args()
    per_buyer = 20 if args.quick else 100
    outcomes = []
    lines = []
    for mode, suffix in (("threads", "_per_session"), (COMBINED, "")):
        with tempfile.TemporaryDirectory(prefix="bench-licensing-") as tmp:
            sqlite = bench_engine(
                "sqlite", f"sqlite:///{tmp}/bench.db", args.buyers, per_buyer, mode
            )
        report(sqlite)
        outcomes.append(sqlite)
        lines.append(
            result_line(f"licensing_sqlite{suffix}_per_s", sqlite.per_s, TARGETS["sqlite"])
        )
    if not args.no_postgres:
        for mode, suffix in (("threads", "_per_session"), (COMBINED, "")):
            outcome = bench_postgres(args.postgres, args.buyers, per_buyer, mode)
            report(outcome)
            outcomes.append(outcome)
            lines.append(
                result_line(
                    f"licensing_postgres{suffix}_per_s", outcome.per_s, TARGETS["postgresql"]
                )
            )
        if args.processes:
            outcomes.append(bench_postgres(args.postgres, args.buyers, per_buyer, "processes"))
            report(outcomes[-1])
    overdrafts = sum(o.overdrafts + (0 if o.ledger_ok else 1) for o in outcomes)
    lines.append(result_line("licensing_overdrafts", overdrafts, 0, at_most=True))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
