"""The web UI's search page: server time (its Server-Timing header), at the demo size or
on bench/search.py's synthetic catalog of N items.

Demo size: builds (once, then reuses) a demo data dir, rebuilds its search index, and asks
the search page a mix of queries (text, filters, colours, sort, deep pages) through the
whole application in process. The figure is the app's own `Server-Timing: app;dur=` of
each answer, so the load generator's cost is not counted.

`--items N`: the synthetic catalog of bench/search.py (its generator, COPY loader and
scratch database, imported and called), indexed by the Tantivy backend's `rebuild()`, then
served by the whole application in process (Starlette TestClient over `create_app`, the
runtime pointing at that database and data dir). The page's real query mix is asked class
by class, interleaved: the start page, common / rare / two words, every filter of the
form, browsing by colour without text, each sort, deep pages, an author, a translated
page. Each answer must be a 200 whose tiles agree with the total it shows; server time
(Server-Timing) and wall time (the client's) are printed per class. Synthetic items have
no renditions: the page links thumbnails that would 404, which the page does not fetch.

    .venv/bin/python bench/web.py                        # demo size (300 items), 600 requests
    .venv/bin/python bench/web.py --quick                # 60 items, 200 requests
    .venv/bin/python bench/web.py --items 1000000        # 1M items, 100 requests per class
    .venv/bin/python bench/web.py --items 100000 --quick --keep   # keep the DB to rerun

Ends with `RESULT web_search_server_ms <p99> target 150 ok|short` (demo size) or
`RESULT web_search_<N>_server_ms <p99> target 150 ok|short` (`--items`; 1M -> `1m`):
usable is a p99 server time under 150 ms for every class (the figure is the worst class's
p99; the p99 over all requests is printed in the table's last row).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import gc
import importlib.util
import math
import os
import pstats
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
# bench/http.py would shadow the standard library's http package that Starlette imports.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]

from starlette.testclient import TestClient  # noqa: E402

from stockhouse.app import create_app, freeze_startup_objects  # noqa: E402
from stockhouse.config import load_settings  # noqa: E402
from stockhouse.db.migrate import upgrade_to_head  # noqa: E402
from stockhouse.demo import build_demo  # noqa: E402
from stockhouse.runtime import Runtime  # noqa: E402
from stockhouse.search.service import open_backend  # noqa: E402

TARGET_MS = 150.0
WORDS = ("sky", "city", "forest", "sea", "people", "business", "night", "music", "")
KINDS = ("", "photo", "vector", "video", "music")
SORTS = ("relevance", "best_sales", "newest", "views")
_DURATION = re.compile(r"app;dur=([0-9.]+)")

# The catalog run.
PER_PAGE = 24  # web.search_views.PER_PAGE: tiles per page
REQUESTS_PER_CLASS = 100
QUICK_REQUESTS_PER_CLASS = 20
WARMUP_PER_CLASS = 5
DEEP_PAGES = (400, 420)  # offset ~10 000, bench/search.py's DEEP_OFFSET
PROFILE_TOP = 30
KEPT_MARKER = "bench-web-ready"
_TOTAL = re.compile(r'<span class="count">(\d+) items</span>|Search (\d+) items')
_TILE = re.compile(r'<li class="tile ')
# Classes that always find something (their words are among the 300 commonest).
MUST_MATCH = frozenset({"start_page", "common_word", "deep_page", "translated", "sorted"})
_PAGE = re.compile(r"[?&]page=(\d+)")


# -- the demo size (as before --items) ---------------------------------------------------


def _path(rng: random.Random) -> str:
    params = [f"q={rng.choice(WORDS)}", f"sort={rng.choice(SORTS)}"]
    kind = rng.choice(KINDS)
    if kind:
        params.append(f"kind={kind}")
    if rng.random() < 0.3:
        params.append(f"color={rng.randint(1, 17)}")
    if rng.random() < 0.3:
        params.append("orientation=horizontal")
    if rng.random() < 0.2:
        params.append(f"page={rng.randint(2, 5)}")
    if rng.random() < 0.2:
        params.append("lang=de")
    return "/search?" + "&".join(params)


def demo_run(quick: bool, data_dir: Path | None) -> None:
    items, requests = (60, 200) if quick else (300, 600)
    data_dir = data_dir or Path(tempfile.gettempdir()) / f"stockhouse-bench-web-{items}"
    data_dir.mkdir(parents=True, exist_ok=True)
    runtime = Runtime(load_settings({"data_dir": str(data_dir)}, environ={}))
    upgrade_to_head(runtime.db)
    build_demo(runtime, items=items)
    open_backend(runtime, maintain=False).rebuild()
    rng = random.Random(7)
    timings: list[float] = []
    totals: list[int] = []
    with TestClient(create_app(runtime)) as client:
        for _ in range(20):  # warm caches and the index reader
            client.get(_path(rng))
        for _ in range(requests):
            request = PageRequest("demo", _path(rng))
            response = client.get(request.url)
            totals.append(check_page(request, response.status_code, response.text))
            timings.append(server_ms(response.headers["server-timing"]))
    runtime.close()
    assert sum(totals) > 0, "the demo catalog answered no search at all"
    timings.sort()
    p50 = statistics.median(timings)
    p99 = timings[min(len(timings) - 1, int(len(timings) * 0.99))]
    print(f"web search page, {items} items, {requests} requests:", end=" ")
    print(f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, average total {sum(totals) / len(totals):.0f}")
    print(result_line("web_search_server_ms", p99))


def server_ms(header: str) -> float:
    found = _DURATION.search(header)
    assert found is not None, header
    return float(found.group(1))


def result_line(name: str, p99: float) -> str:
    verdict = "ok" if p99 < TARGET_MS else "short"
    return f"RESULT {name} {p99:.1f} target {TARGET_MS:.0f} {verdict}"


# -- the synthetic catalog (bench/search.py's, imported) ---------------------------------


def search_bench() -> ModuleType:
    """bench/search.py as a module (bench/ is not a package; its functions are reused)."""
    spec = importlib.util.spec_from_file_location("bench_search", HERE / "search.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@contextlib.contextmanager
def kept_database(server_url: str, items: int) -> Iterator[tuple[str, bool]]:
    """`--keep`: a named database on the server, left there for the next run.

    Yields its URL and whether it already holds a loaded catalog (the data dir's marker
    names it); a database without the marker is dropped and made afresh.
    """
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from stockhouse.db.engine import Database, normalize_database_url

    server = make_url(normalize_database_url(server_url))
    name = f"sh_bench_web_{items}"
    url = server.set(database=name).render_as_string(hide_password=False)
    marker = kept_data_dir(items) / KEPT_MARKER
    ready = marker.exists() and marker.read_text().strip() == name
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        found = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        exists = found.first() is not None
        ready = ready and exists
        if exists and not ready:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        if not ready:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    if not ready:
        database = Database(url)
        upgrade_to_head(database)
        database.dispose()
    yield url, ready


def kept_data_dir(items: int) -> Path:
    return Path(tempfile.gettempdir()) / f"stockhouse-bench-web-{items}-catalog"


def build_catalog(bench: ModuleType, items: int, database_url: str, data_dir: Path) -> list[str]:
    """Generate, COPY and index the catalog; the vocabulary (by Zipf rank) is returned."""
    from sqlalchemy import create_engine

    from stockhouse.db.engine import normalize_database_url

    start = time.perf_counter()
    catalog = bench.make_catalog(items)
    words: list[str] = catalog.words
    print(f"catalog generated in {time.perf_counter() - start:.1f} s", flush=True)
    start = time.perf_counter()
    engine = create_engine(normalize_database_url(database_url))
    bench.load_catalog(engine, catalog)
    engine.dispose()
    print(f"catalog loaded into PostgreSQL in {time.perf_counter() - start:.1f} s", flush=True)
    del catalog
    gc.collect()
    bench.build_index("tantivy", database_url, data_dir)
    return words


# -- the page's query mix ----------------------------------------------------------------


@dataclass(frozen=True)
class PageRequest:
    """One request of the mix: its class and its URL."""

    cls: str
    url: str

    @property
    def page(self) -> int:
        """The result page the URL asks for (1 unless it says)."""
        found = _PAGE.search(self.url)
        return int(found.group(1)) if found else 1


def _search_url(**params: Any) -> str:
    pairs: list[tuple[str, str]] = []
    for key, value in params.items():
        values = value if isinstance(value, (list, tuple)) else [value]
        pairs.extend((key, str(v)) for v in values)
    return "/search?" + urlencode(pairs)


CATALOG_CLASSES: tuple[str, ...] = (
    "start_page",
    "common_word",
    "rare_word",
    "two_words",
    "all_filters",
    "colour_browse",
    "sorted",
    "deep_page",
    "author",
    "translated",
)


def catalog_mix(words: list[str], per_class: int) -> list[PageRequest]:
    """`per_class` requests of each class, interleaved (a mixed stream)."""
    rng = random.Random(20261124)
    common, middle, rare = words[:20], words[20:300], words[15_000:]
    orientations = ("horizontal", "vertical", "square")
    sorts = ("best_sales", "newest", "views", "undiscovered")
    mix: list[PageRequest] = []
    for _ in range(per_class):
        word = rng.choice(common)
        deep = rng.randint(*DEEP_PAGES)
        mix += [
            PageRequest("start_page", "/"),
            PageRequest("common_word", _search_url(q=word)),
            PageRequest("rare_word", _search_url(q=rng.choice(rare))),
            PageRequest("two_words", _search_url(q=" ".join(rng.sample(middle, 2)))),
            PageRequest(
                "all_filters",
                _search_url(
                    q=word,
                    kind=rng.sample(("photo", "vector", "illustration"), 2),
                    orientation=rng.choice(orientations),
                    color=rng.randint(1, 17),
                    size=rng.choice(("m", "l", "xl")),
                    editorial=rng.choice(("0", "1")),
                ),
            ),
            PageRequest(
                "colour_browse",
                _search_url(
                    color=rng.randint(1, 17),
                    orientation=rng.choice(orientations),
                    page=rng.randint(1, 3),
                ),
            ),
            PageRequest("sorted", _search_url(q=rng.choice(middle), sort=rng.choice(sorts))),
            PageRequest("deep_page", _search_url(q=word, page=deep)),
            PageRequest(
                "author",
                _search_url(author=f"contributor{rng.randint(2, 50)}", kind="photo"),
            ),
            PageRequest("translated", _search_url(q=word, lang=rng.choice(("de", "fr", "es")))),
        ]
    return mix


def check_page(request: PageRequest, status: int, html: str) -> int:
    """The page's total, after checking it rendered: a 200 showing a total, and as many
    tiles as that total leaves for this page."""
    assert status == 200, (request.url, status)
    found = _TOTAL.search(html)
    assert found is not None, f"no result count on {request.url}"
    total = int(found.group(1) or found.group(2))
    expected = max(0, min(PER_PAGE, total - (request.page - 1) * PER_PAGE))
    tiles = len(_TILE.findall(html))
    assert tiles == expected, (request.url, total, tiles, expected)
    assert total > 0 or request.cls not in MUST_MATCH, f"nothing found for {request.url}"
    return total


@dataclass
class ClassTimings:
    """Server and wall milliseconds, and totals shown, per class."""

    server: dict[str, list[float]] = field(default_factory=dict)
    wall: dict[str, list[float]] = field(default_factory=dict)
    totals: dict[str, list[int]] = field(default_factory=dict)

    def add(self, cls: str, server: float, wall: float, total: int) -> None:
        self.server.setdefault(cls, []).append(server)
        self.wall.setdefault(cls, []).append(wall)
        self.totals.setdefault(cls, []).append(total)

    def every_server_ms(self) -> list[float]:
        return [ms for values in self.server.values() for ms in values]


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank percentile (no interpolation: a p99 is a measured request)."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, math.ceil(q / 100 * len(ordered)) - 1))
    return ordered[rank]


class ProfiledApp:
    """The app with a profiler switched on around the requests `profiling` marks: the
    TestClient runs the app in its own thread, where cProfile must be enabled."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.profiler = cProfile.Profile()
        self.profiling = False

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if not self.profiling or scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.profiler.enable()
        try:
            await self.app(scope, receive, send)
        finally:
            self.profiler.disable()


def timed_requests(
    client: TestClient, mix: list[PageRequest], profiled: ProfiledApp | None, profile: str | None
) -> ClassTimings:
    """Warm each class, then time the mix; `profile` names a class to run under cProfile
    (its figures are then not representative and are left out)."""
    warmed: dict[str, int] = {}
    for request in mix:
        if warmed.get(request.cls, 0) < WARMUP_PER_CLASS:
            warmed[request.cls] = warmed.get(request.cls, 0) + 1
            response = client.get(request.url)
            check_page(request, response.status_code, response.text)
    timings = ClassTimings()
    for request in mix:
        if profiled is not None:
            profiled.profiling = request.cls == profile
        start = time.perf_counter()
        response = client.get(request.url)
        wall = (time.perf_counter() - start) * 1000
        total = check_page(request, response.status_code, response.text)
        if request.cls != profile:
            timings.add(request.cls, server_ms(response.headers["server-timing"]), wall, total)
    if profiled is not None:
        print(f"\nprofile of class {profile} (the app's thread):")
        stats = pstats.Stats(profiled.profiler)
        stats.sort_stats("cumulative").print_stats(PROFILE_TOP)
        stats.sort_stats("tottime").print_stats(PROFILE_TOP)
    return timings


def print_table(title: str, timings: ClassTimings) -> None:
    print(f"\n{title}")
    print(
        f"  {'class':<14} {'n':>4}  {'server p50':>10} {'p95':>7} {'p99':>7}"
        f"  {'wall p50':>8} {'p95':>7} {'p99':>7}  {'avg total':>10}"
    )
    for cls in CATALOG_CLASSES:
        server, wall = timings.server.get(cls, []), timings.wall.get(cls, [])
        if not server:
            continue
        totals = timings.totals[cls]
        print(
            f"  {cls:<14} {len(server):>4}  {percentile(server, 50):>10.1f}"
            f" {percentile(server, 95):>7.1f} {percentile(server, 99):>7.1f}"
            f"  {percentile(wall, 50):>8.1f} {percentile(wall, 95):>7.1f}"
            f" {percentile(wall, 99):>7.1f}  {sum(totals) / len(totals):>10.0f}"
        )
    every = timings.every_server_ms()
    print(
        f"  {'all':<14} {len(every):>4}  {percentile(every, 50):>10.1f}"
        f" {percentile(every, 95):>7.1f} {percentile(every, 99):>7.1f}"
    )


def print_uptime(phase: str) -> None:
    """The machine's load (it is shared: figures are read against it)."""
    output = subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout
    print(f"uptime {phase}: {output.strip()}", flush=True)


def serve_catalog(
    database_url: str, data_dir: Path, mix: list[PageRequest], profile: str | None
) -> ClassTimings:
    """The whole app over the catalog, in process, as `stockhouse serve` starts it."""
    settings = load_settings(
        {"data_dir": str(data_dir), "database_url": database_url, "search": "tantivy"},
        environ={},
    )
    runtime = Runtime(settings)
    try:
        _ = runtime.search  # the serving process opens its index at start
        app = create_app(runtime)
        profiled = ProfiledApp(app) if profile else None
        freeze_startup_objects()
        with TestClient(profiled or app) as client:
            return timed_requests(client, mix, profiled, profile)
    finally:
        runtime.close()


def index_complete(database_url: str, data_dir: Path) -> bool:
    """Whether the data dir holds a complete index of the current schema version."""
    from stockhouse.search.tantivy_backend import TantivySearchBackend

    settings = load_settings({"data_dir": str(data_dir), "database_url": database_url}, environ={})
    runtime = Runtime(settings)
    try:
        return TantivySearchBackend(runtime).is_complete
    finally:
        runtime.close()


def result_name(items: int) -> str:
    size = f"{items // 1_000_000}m" if items % 1_000_000 == 0 else f"{items}"
    return f"web_search_{size}_server_ms"


def catalog_run(args: argparse.Namespace) -> None:
    bench = search_bench()
    items: int = args.items
    per_class = args.requests or (QUICK_REQUESTS_PER_CLASS if args.quick else REQUESTS_PER_CLASS)
    print(f"web search page bench: {items} items, {per_class} requests per class")
    print_uptime("at start")
    started = time.perf_counter()
    scratch = Path(tempfile.mkdtemp(prefix="sh-bench-web-"))
    database: Callable[[], contextlib.AbstractContextManager[tuple[str, bool]]]
    if args.keep:
        data_dir = kept_data_dir(items)
        database = lambda: kept_database(args.server, items)  # noqa: E731
    else:
        data_dir = scratch / "data"
        database = lambda: _fresh(bench, args.server)  # noqa: E731
    try:
        with database() as (database_url, ready):
            if ready:
                print(f"reusing the kept catalog in {data_dir}")
                words = bench.vocabulary(bench.np.random.default_rng(bench.SEED))
                if not index_complete(database_url, data_dir):
                    # An index of an older schema version (a new one is built beside it).
                    bench.build_index("tantivy", database_url, data_dir)
            else:
                shutil.rmtree(data_dir, ignore_errors=True)
                data_dir.mkdir(parents=True)
                words = build_catalog(bench, items, database_url, data_dir)
                if args.keep:
                    (data_dir / KEPT_MARKER).write_text(database_url.rsplit("/", 1)[-1])
            print(f"ready to serve after {time.perf_counter() - started:.0f} s")
            mix = catalog_mix(words, per_class)
            print_uptime("before the timed requests")
            timings = serve_catalog(database_url, data_dir, mix, args.profile)
            print_uptime("after the timed requests")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print_table(f"search page, {items} items (ms)", timings)
    worst = max(percentile(values, 99) for values in timings.server.values())
    print()
    print(result_line(result_name(items), worst))


@contextlib.contextmanager
def _fresh(bench: ModuleType, server_url: str) -> Iterator[tuple[str, bool]]:
    with bench.scratch_database(server_url) as url:
        yield url, False


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer items / requests")
    parser.add_argument("--data-dir", type=Path, default=None, help="demo size: its data dir")
    parser.add_argument("--items", type=int, default=None, help="bench/search.py's catalog")
    parser.add_argument("--requests", type=int, default=None, help="--items: per class")
    parser.add_argument(
        "--server",
        default=os.environ.get(
            "STOCKHOUSE_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
        help="--items: the PostgreSQL server the scratch database is made on",
    )
    parser.add_argument(
        "--keep", action="store_true", help="--items: keep (and reuse) the database and index"
    )
    parser.add_argument("--profile", choices=CATALOG_CLASSES, help="--items: cProfile a class")
    args = parser.parse_args()
    if args.items is None:
        demo_run(args.quick, args.data_dir)
    else:
        catalog_run(args)


if __name__ == "__main__":
    main()
