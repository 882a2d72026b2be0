"""Search benchmark: a synthetic catalog, the backends' index builds, a mixed query workload.

    .venv/bin/python bench/search.py --quick                  # 100 000 items, ~2 minutes
    .venv/bin/python bench/search.py --items 1000000          # the issue's figures
    .venv/bin/python bench/search.py --quick --backend postgres

Builds a catalog of N items in a PostgreSQL database it creates (and drops) on the
machine's server: a Zipf vocabulary of 30 000 words, 20-40 keywords and a 3-5 word title
per item, a realistic spread of kinds, orientations, colours, sizes, statuses and
downloads, written with COPY. It then indexes the catalog through each backend's
`rebuild()` (timed), and runs the same mixed workload of query classes through the
service layer in a fresh serving process per backend (whose peak memory is measured),
and through a bare Tantivy index of the same documents as the floor: it stores a small
summary per item and reads the page's 100 stored documents, as a bare index answering a
page must (the old floor, count and page addresses only, is printed for reference). It
prints p50 / p95 / p99 of wall time and p50 / p99 of the process's CPU time per class
(the machine is shared: the load average is printed before each timed phase), and ends
with one `RESULT <name> <value> target <target> ok|short` line per target of issue 4.

Counts: the Tantivy backend answers exact totals; the PostgreSQL backend is asked with
`exact_count=False` (the planner's estimate as the total and sampled facets above 10 000
matches), which is what the issue allows where the API does not need exactness. Both
backends hydrate from the same PostgreSQL catalog.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import io
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

ROOT = Path(__file__).resolve().parents[1]
# Not this script's own directory: bench/http.py would shadow the standard library's http.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT / "src"))

from sqlalchemy import create_engine, insert, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from stockhouse.db.engine import normalize_database_url  # noqa: E402

DEFAULT_ITEMS = 1_000_000
QUICK_ITEMS = 100_000
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
VOCABULARY = 30_000
ZIPF_SHIFT = 20  # Zipf-Mandelbrot: the commonest keyword is on ~15 % of items, not all
TAGS_MIN, TAGS_MAX = 20, 40
TITLE_MIN, TITLE_MAX = 3, 5
CONTRIBUTORS = 2_000
CATEGORIES = 60
PAGE = 100
DEEP_OFFSET = 10_000
QUERIES_PER_CLASS = 200
QUICK_QUERIES_PER_CLASS = 50
WARMUP_PER_CLASS = 10
SEED = 20261124

# Targets of issue 4.
TANTIVY_P99_MS = 30.0
FLOOR_RATIO = 1.5
FACETS_ADD_MS = 15.0
POSTGRES_P99_MS = 150.0
BUILD_S = 600.0
SERVING_MB = 1024.0

KINDS = ("photo", "illustration", "vector", "video", "music", "sfx")
KIND_SHARE = (0.62, 0.08, 0.12, 0.13, 0.03, 0.02)
EXTENSIONS = {
    "photo": ("jpg",),
    "illustration": ("jpg", "png"),
    "vector": ("eps", "svg"),
    "video": ("mp4", "mov"),
    "music": ("mp3", "wav"),
    "sfx": ("wav",),
}
MIME = {
    "jpg": "image/jpeg",
    "png": "image/png",
    "eps": "application/postscript",
    "svg": "image/svg+xml",
    "mp4": "video/mp4",
    "mov": "video/quicktime",
    "mp3": "audio/mpeg",
    "wav": "audio/wav",
}
# Seed 001's 17 colours: white, black, greys and blues are the commonest dominants.
COLOR_SHARE = np.array([6, 9, 5, 4, 3, 3, 4, 6, 3, 3, 5, 1, 1, 9, 10, 12, 16], dtype=float)
STATUSES = ("active", "pending", "archived", "uploaded", "rejected")
STATUS_SHARE = (0.92, 0.03, 0.02, 0.02, 0.01)


# -- the synthetic catalog -------------------------------------------------------------


def vocabulary(rng: np.random.Generator) -> list[str]:
    """30 000 distinct made-up words the English stemmer leaves alone (CV syllables)."""
    consonants = "bdfgklmnprtvz"
    vowels = "aiou"
    syllables = [c + v for c in consonants for v in vowels]
    words: set[str] = set()
    while len(words) < VOCABULARY:
        count = int(rng.choice([2, 3, 3, 3, 4]))
        words.add("".join(syllables[i] for i in rng.integers(0, len(syllables), count)))
    return sorted(words, key=lambda w: (len(w), w))


def zipf_weights(size: int) -> npt.NDArray[np.float64]:
    weights = 1.0 / (np.arange(1, size + 1, dtype=np.float64) + ZIPF_SHIFT)
    normalised: npt.NDArray[np.float64] = weights / weights.sum()
    return normalised


def distinct_draws(
    rng: np.random.Generator, p: npt.NDArray[np.float64], rows: int, wanted: npt.NDArray[Any]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Per row, `wanted[row]` distinct word ranks drawn by weight: (row, rank, position)."""
    draws = rng.choice(len(p), size=(rows, int(wanted.max()) + 12), p=p)
    order = np.argsort(draws, axis=1, kind="stable")
    ordered = np.take_along_axis(draws, order, axis=1)
    repeated = np.zeros_like(draws, dtype=bool)
    np.put_along_axis(repeated, order[:, 1:], ordered[:, 1:] == ordered[:, :-1], axis=1)
    keep = ~repeated
    position = np.cumsum(keep, axis=1) - 1
    keep &= position < wanted[:, None]
    row_index, column = np.nonzero(keep)
    return row_index, draws[row_index, column], position[row_index, column]


@dataclass
class Catalog:
    """Column arrays of N items (index i is item id i + 1) and their keywords."""

    words: list[str]
    columns: dict[str, npt.NDArray[Any]]
    tag_item: npt.NDArray[np.int64]
    tag_rank: npt.NDArray[np.int64]
    tag_position: npt.NDArray[np.int64]
    title_item: npt.NDArray[np.int64]
    title_rank: npt.NDArray[np.int64]
    category_item: npt.NDArray[np.int64]
    category_id: npt.NDArray[np.int64]

    @property
    def size(self) -> int:
        return len(self.columns["kind"])

    def titles(self) -> list[str]:
        parts: list[list[str]] = [[] for _ in range(self.size)]
        for item, rank in zip(self.title_item.tolist(), self.title_rank.tolist(), strict=True):
            parts[item].append(self.words[rank])
        return [" ".join(p).capitalize() for p in parts]


def make_catalog(items: int, seed: int = SEED) -> Catalog:
    rng = np.random.default_rng(seed)
    words = vocabulary(rng)
    p = zipf_weights(len(words))
    tag_counts = rng.integers(TAGS_MIN, TAGS_MAX + 1, items)
    tag_item, tag_rank, tag_position = distinct_draws(rng, p, items, tag_counts)
    title_item, title_rank, _ = distinct_draws(
        rng, p, items, rng.integers(TITLE_MIN, TITLE_MAX + 1, items)
    )
    kind = rng.choice(len(KINDS), items, p=KIND_SHARE)
    visual = kind <= 3
    video = kind == 3
    audio = kind >= 4
    long_edge = np.where(
        video,
        rng.choice([1280, 1920, 3840], items, p=[0.2, 0.6, 0.2]),
        rng.integers(1200, 8000, items),
    )
    shape = rng.choice(3, items, p=[0.6, 0.3, 0.1])  # horizontal, vertical, square
    shape = np.where(video, 0, shape)
    short_edge = np.where(video, long_edge * 9 // 16, (long_edge * rng.uniform(0.5, 0.8, items)))
    short_edge = short_edge.astype(np.int64)
    width = np.where(shape == 1, short_edge, long_edge)
    height = np.where(shape == 0, short_edge, long_edge)
    height = np.where(shape == 2, width, height)
    downloads = np.minimum((rng.pareto(1.1, items) * 1.5).astype(np.int64), 50_000)
    published = rng.integers(0, 5 * 365 * 86400, items)
    people_quantity = np.where(rng.random(items) < 0.3, rng.integers(1, 6, items), -1)
    columns: dict[str, npt.NDArray[Any]] = {
        "kind": kind,
        "owner": (rng.zipf(1.6, items) % CONTRIBUTORS) + 1,
        "status": rng.choice(len(STATUSES), items, p=STATUS_SHARE),
        "visible": rng.random(items) < 0.98,
        "ext_choice": rng.integers(0, 2, items),
        "width": np.where(audio, -1, width),
        "height": np.where(audio, -1, height),
        "orientation": np.where(visual, shape, -1),
        "color": np.where(visual, rng.choice(17, items, p=COLOR_SHARE / COLOR_SHARE.sum()) + 1, -1),
        "phash": rng.integers(-(2**63), 2**63 - 1, items, dtype=np.int64),
        "duration_ms": np.where(video | audio, rng.integers(3_000, 240_000, items), -1),
        "editorial": rng.random(items) < 0.08,
        "nudity": rng.random(items) < 0.01,
        "exclusive": rng.random(items) < 0.2,
        "free": rng.random(items) < 0.02,
        "ai_generated": rng.random(items) < 0.05,
        "people_only": rng.random(items) < 0.05,
        "people_quantity": people_quantity,
        "downloads": downloads,
        "views": downloads * 20 + rng.poisson(30, items),
        "published": published,
    }
    categories_per_item = rng.integers(1, 3, items)
    category_item = np.repeat(np.arange(items), categories_per_item)
    category_id = rng.integers(1, CATEGORIES + 1, len(category_item))
    keep = np.ones(len(category_item), dtype=bool)
    keep[1:] = ~((category_item[1:] == category_item[:-1]) & (category_id[1:] == category_id[:-1]))
    return Catalog(
        words,
        columns,
        tag_item,
        tag_rank,
        tag_position,
        title_item,
        title_rank,
        category_item[keep],
        category_id[keep],
    )


# -- loading it into PostgreSQL -------------------------------------------------------

EPOCH = datetime(2021, 1, 1, tzinfo=UTC)
ITEM_COLUMNS = (
    "id, kind, owner_id, status, visible, title, description, original_filename, extension, "
    "mime_type, file_size, original_blob, width, height, megapixels, orientation, color, "
    "phash, duration_ms, editorial, nudity, exclusive, extended_allowed, free, ai_generated, "
    "people_quantity, people_only, copyright, views, downloads, created_at, updated_at, "
    "published_at"
)
ORIENTATIONS = ("horizontal", "vertical", "square")
NULL = "\\N"


def _copy(conn: Any, statement: str, lines: Iterator[str]) -> None:
    raw = conn.connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        buffer = io.StringIO()
        for count, line in enumerate(lines, 1):
            buffer.write(line)
            if count % 50_000 == 0:
                copy.write(buffer.getvalue())
                buffer = io.StringIO()
        copy.write(buffer.getvalue())


def _item_lines(catalog: Catalog) -> Iterator[str]:
    c = {name: values.tolist() for name, values in catalog.columns.items()}
    titles = catalog.titles()
    for i in range(catalog.size):
        kind = KINDS[c["kind"][i]]
        extension = EXTENSIONS[kind][c["ext_choice"][i] % len(EXTENSIONS[kind])]
        width, height = c["width"][i], c["height"][i]
        published = EPOCH + timedelta(seconds=c["published"][i])
        stamp = published.isoformat()
        status = STATUSES[c["status"][i]]
        values = (
            i + 1,
            kind,
            c["owner"][i],
            status,
            "t" if c["visible"][i] else "f",
            titles[i],
            "",
            f"file{i + 1}.{extension}",
            extension,
            MIME[extension],
            1_000_000 + i,
            f"{i + 1:064x}",
            NULL if width < 0 else width,
            NULL if height < 0 else height,
            NULL if width < 0 else f"{width * height / 1e6:.2f}",
            NULL if c["orientation"][i] < 0 else ORIENTATIONS[c["orientation"][i]],
            NULL if c["color"][i] < 0 else c["color"][i],
            c["phash"][i],
            NULL if c["duration_ms"][i] < 0 else c["duration_ms"][i],
            *("t" if c[flag][i] else "f" for flag in ("editorial", "nudity", "exclusive")),
            "t",
            *("t" if c[flag][i] else "f" for flag in ("free", "ai_generated")),
            NULL if c["people_quantity"][i] < 0 else c["people_quantity"][i],
            "t" if c["people_only"][i] else "f",
            "",
            c["views"][i],
            c["downloads"][i],
            stamp,
            stamp,
            stamp if status in ("active", "archived") else NULL,
        )
        yield "\t".join(map(str, values)) + "\n"


LOADED_TABLES = ("media_item", "item_tag", "item_category")
UNREFERENCED_KEYS = ("item_tag", "item_category")  # primary keys no foreign key points at


@contextlib.contextmanager
def indexes_built_after(conn: Any) -> Iterator[None]:
    """Drop the loaded tables' secondary indexes (and unreferenced primary keys) for the
    load and build them afterwards: sorted builds are many times faster than inserting
    millions of rows into random places of a btree."""
    indexes = conn.execute(
        text(
            "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE tablename = ANY(:tables)"
        ),
        {"tables": list(LOADED_TABLES)},
    ).all()
    keys = {f"pk_{table}": table for table in UNREFERENCED_KEYS}
    kept = {f"pk_{table}" for table in LOADED_TABLES} - set(keys)
    for table, name, _ in indexes:
        if name in keys:
            conn.execute(text(f"ALTER TABLE {table} DROP CONSTRAINT {name}"))
        elif name not in kept:
            conn.execute(text(f"DROP INDEX {name}"))
    yield
    for table, name, definition in indexes:
        if name in keys:
            conn.execute(text(definition))
            conn.execute(
                text(f"ALTER TABLE {table} ADD CONSTRAINT {name} PRIMARY KEY USING INDEX {name}")
            )
        elif name not in kept:
            conn.execute(text(definition))


def load_catalog(engine: Any, catalog: Catalog) -> None:
    """Contributors, categories, items, keywords and item categories, by COPY."""
    from stockhouse.accounts.models import User
    from stockhouse.catalog.models import Category

    with engine.begin() as conn:
        # The generated rows are consistent by construction: skip the per-row foreign-key
        # triggers (superuser only; this database is the bench's own).
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(
            insert(User),
            [
                {"id": n, "username": f"contributor{n}", "email": None, "password_hash": None}
                for n in range(1, CONTRIBUTORS + 1)
            ],
        )
        conn.execute(
            insert(Category),
            [
                {"id": n, "group": "image", "name": f"category {n}", "parent_id": None}
                for n in range(1, CATEGORIES + 1)
            ],
        )
        conn.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))
        with indexes_built_after(conn):
            _copy_items(conn, catalog)
        # Rows came with their ids: move the id sequences past them.
        for sequence_table, last_id in (
            ("user_account", CONTRIBUTORS),
            ("category", CATEGORIES),
            ("media_item", catalog.size),
        ):
            conn.execute(
                text("SELECT setval(pg_get_serial_sequence(:t, 'id'), :last)"),
                {"t": sequence_table, "last": last_id},
            )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))


def _copy_items(conn: Any, catalog: Catalog) -> None:
    _copy(conn, f"COPY media_item ({ITEM_COLUMNS}) FROM STDIN", _item_lines(catalog))
    words = catalog.words
    tag_lines = (
        f"{item + 1}\ten\t{words[rank]}\t{position}\n"
        for item, rank, position in zip(
            catalog.tag_item.tolist(),
            catalog.tag_rank.tolist(),
            catalog.tag_position.tolist(),
            strict=True,
        )
    )
    _copy(conn, "COPY item_tag (item_id, lang, tag, position) FROM STDIN", tag_lines)
    category_lines = (
        f"{item + 1}\t{category}\n"
        for item, category in zip(
            catalog.category_item.tolist(), catalog.category_id.tolist(), strict=True
        )
    )
    _copy(conn, "COPY item_category (item_id, category_id) FROM STDIN", category_lines)


# -- the workload --------------------------------------------------------------------


@dataclass(frozen=True)
class QuerySpec:
    """One query of the workload, in terms both the service and the bare index can run."""

    cls: str
    words: tuple[str, ...] = ()
    kind: str | None = None
    color: int | None = None
    orientation: str | None = None
    sort: str = "relevance"
    offset: int = 0
    facets: bool = False


CLASSES = (
    "common_kind",
    "rare_word",
    "two_words",
    "best_sales",
    "color_orientation",
    "deep_page",
    "common",
    "facets",
)


def workload(words: list[str], per_class: int, seed: int = SEED) -> list[QuerySpec]:
    """The same queries for every engine; classes interleaved as a mixed stream."""
    rng = np.random.default_rng(seed + 1)
    common = words[:20]
    middle = words[20:300]
    rare = words[15_000:]
    specs: list[QuerySpec] = []
    for _ in range(per_class):
        word = str(rng.choice(common))
        specs += [
            QuerySpec("common_kind", (word,), kind=str(rng.choice(["photo", "vector", "video"]))),
            QuerySpec("rare_word", (str(rng.choice(rare)),)),
            QuerySpec("two_words", tuple(str(w) for w in rng.choice(middle, 2, replace=False))),
            QuerySpec("best_sales", (str(rng.choice(middle)),), sort="best_sales"),
            QuerySpec(
                "color_orientation",
                color=int(rng.integers(1, 18)),
                orientation=str(rng.choice(ORIENTATIONS)),
            ),
            QuerySpec("deep_page", (word,), offset=DEEP_OFFSET),
            QuerySpec("common", (word,)),
            QuerySpec("facets", (word,), facets=True),
        ]
    return specs


def search_query(spec: QuerySpec, exact: bool) -> Any:
    from stockhouse.catalog.models import MediaKind, Orientation
    from stockhouse.search.query import SearchQuery, SortField, SortKey

    return SearchQuery(
        text=" ".join(spec.words),
        kinds=frozenset({MediaKind(spec.kind)}) if spec.kind else frozenset(),
        colors=frozenset({spec.color}) if spec.color else frozenset(),
        orientations=frozenset({Orientation(spec.orientation)})
        if spec.orientation
        else frozenset(),
        sort=(SortKey(SortField(spec.sort)),),
        offset=spec.offset,
        limit=PAGE,
        facets=spec.facets,
        exact_count=exact,
    )


# -- the serving process -------------------------------------------------------------


@dataclass
class Timings:
    """Latencies in milliseconds per query class."""

    per_class: dict[str, list[float]] = field(default_factory=dict)
    peak_rss_mb: float = 0.0
    totals: dict[str, int] = field(default_factory=dict)
    # This process's CPU time per query: what the query cost here, whatever the machine's
    # load did to its wall time (a PostgreSQL query's own work is in the server's process).
    cpu_per_class: dict[str, list[float]] = field(default_factory=dict)

    def add(self, cls: str, ms: float, cpu_ms: float = float("nan")) -> None:
        self.per_class.setdefault(cls, []).append(ms)
        self.cpu_per_class.setdefault(cls, []).append(cpu_ms)


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q)) if values else float("nan")


def run_timed(specs: list[QuerySpec], run: Callable[[QuerySpec], int]) -> Timings:
    timings = Timings()
    warmed: dict[str, int] = {}
    for spec in specs:  # warm caches and code paths with the first queries of each class
        if warmed.get(spec.cls, 0) < WARMUP_PER_CLASS:
            warmed[spec.cls] = warmed.get(spec.cls, 0) + 1
            run(spec)
    for spec in specs:
        start, cpu_start = time.perf_counter(), time.process_time()
        total = run(spec)
        cpu_ms = (time.process_time() - cpu_start) * 1000
        timings.add(spec.cls, (time.perf_counter() - start) * 1000, cpu_ms)
        timings.totals[spec.cls] = timings.totals.get(spec.cls, 0) + total
    timings.peak_rss_mb = peak_rss_mb()
    return timings


def peak_rss_mb() -> float:
    """This process's peak resident memory. VmHWM starts afresh at exec, whereas
    ru_maxrss of a child process starts from its parent's size at fork."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def service_runner(backend_name: str, database_url: str, data_dir: str) -> Callable[..., int]:
    """A function running one spec through the service layer of a fresh Runtime."""
    from stockhouse.config import load_settings
    from stockhouse.runtime import Runtime

    settings = load_settings(
        {"data_dir": data_dir, "database_url": database_url, "search": backend_name}, environ={}
    )
    runtime = Runtime(settings)
    search = _service_search(runtime, backend_name)
    exact = backend_name != "postgres"

    def run(spec: QuerySpec) -> int:
        return search(search_query(spec, exact))

    return run


def _service_search(runtime: Any, backend_name: str) -> Callable[[Any], int]:
    """stockhouse.search.service.search with the chosen backend: validation, search and
    one batched hydration query per page on PostgreSQL, stored summaries on Tantivy."""
    from stockhouse.search import service

    backend = open_backend(runtime, backend_name)

    def through_service(query: Any) -> int:
        return int(service.search(runtime, query, backend=backend).total)

    return through_service


def open_backend(runtime: Any, backend_name: str) -> Any:
    if backend_name == "postgres":
        from stockhouse.search.postgres_backend import PostgresSearchBackend

        return PostgresSearchBackend(runtime)
    from stockhouse.search import tantivy_backend

    return tantivy_backend.TantivySearchBackend(runtime)


def serve(args: argparse.Namespace) -> None:
    """Child mode: run the workload through one backend and print Timings as JSON."""
    specs = [
        QuerySpec(**{**s, "words": tuple(s["words"])})
        for s in json.loads(Path(args.workload).read_text())
    ]
    run = service_runner(args.serve, args.database_url, args.data_dir)
    # What a server process does before its first request: stockhouse.app's
    # freeze_startup_objects (not imported: the bench stays independent of the web app).
    gc.collect()
    gc.freeze()
    print(json.dumps(asdict(run_timed(specs, run))))


def serve_in_child(
    backend_name: str, database_url: str, data_dir: Path, workload_path: Path
) -> Timings:
    output = subprocess.run(
        [
            sys.executable,
            __file__,
            "--serve",
            backend_name,
            "--database-url",
            database_url,
            "--data-dir",
            str(data_dir),
            "--workload",
            str(workload_path),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    values = json.loads(output.stdout.strip().splitlines()[-1])
    return Timings(**values)


# -- the floor: a bare Tantivy index of the same documents ---------------------------


class BareTantivy:
    """The same documents in a plain Tantivy index, queried directly: the floor.

    Each document stores a small summary of its item (FLOOR_SUMMARY_FIELDS as one JSON
    bytes field), and `run` reads and decodes the page's stored documents, as any real
    use of a bare index that answers a page must: the service's pages carry 100 items,
    so its floor does too. `run_addresses` is the old floor (count and doc addresses
    only, nothing read), kept for reference.
    """

    FIELDS = ("kind", "color", "orientation", "downloads", "category")

    def __init__(self, path: Path, catalog: Catalog) -> None:
        import tantivy

        builder = tantivy.SchemaBuilder()
        builder.add_text_field("text", tokenizer_name="en_stem")
        for name in self.FIELDS:
            builder.add_integer_field(name, indexed=True, fast=True)
        builder.add_bytes_field("summary", stored=True)
        self.schema = builder.build()
        path.mkdir(parents=True, exist_ok=True)
        self.index = tantivy.Index(self.schema, path=str(path))
        start = time.perf_counter()
        self._add(catalog)
        self.build_s = time.perf_counter() - start
        self.index.reload()
        self.searcher = self.index.searcher()

    def _add(self, catalog: Catalog) -> None:
        import tantivy

        texts: list[list[str]] = [[] for _ in range(catalog.size)]
        for item, rank in zip(catalog.tag_item.tolist(), catalog.tag_rank.tolist(), strict=True):
            texts[item].append(catalog.words[rank])
        titles = catalog.titles()
        c = {name: values.tolist() for name, values in catalog.columns.items()}
        categories: list[list[int]] = [[] for _ in range(catalog.size)]
        for item, category in zip(
            catalog.category_item.tolist(), catalog.category_id.tolist(), strict=True
        ):
            categories[item].append(category)
        writer = self.index.writer(heap_size=512_000_000)
        for i in range(catalog.size):
            if STATUSES[c["status"][i]] != "active" or not c["visible"][i]:
                continue
            document = tantivy.Document(
                text=titles[i] + " " + " ".join(texts[i]),
                kind=c["kind"][i],
                color=c["color"][i],
                orientation=c["orientation"][i],
                downloads=c["downloads"][i],
                category=categories[i],
            )
            document.add_bytes("summary", floor_summary(c, titles, i))
            writer.add_document(document)
        writer.commit()
        writer.wait_merging_threads()

    def query(self, spec: QuerySpec) -> Any:
        import tantivy

        clauses = []
        if spec.words:
            parsed = self.index.parse_query(
                " ".join(spec.words), ["text"], conjunction_by_default=True
            )
            clauses.append((tantivy.Occur.Must, parsed))
        for name, value in (
            ("kind", KINDS.index(spec.kind) if spec.kind else None),
            ("color", spec.color),
            ("orientation", ORIENTATIONS.index(spec.orientation) if spec.orientation else None),
        ):
            if value is not None:
                clauses.append(
                    (tantivy.Occur.Must, tantivy.Query.term_query(self.schema, name, value))
                )
        if not clauses:
            return tantivy.Query.all_query()
        return tantivy.Query.boolean_query(clauses)

    def _search(self, spec: QuerySpec) -> Any:
        query = self.query(spec)
        by_downloads = spec.sort == "best_sales" or not spec.words
        result = self.searcher.search(
            query,
            limit=PAGE,
            count=True,
            offset=spec.offset,
            order_by_field="downloads" if by_downloads else None,
        )
        if spec.facets:
            self.searcher.aggregate(
                query,
                {
                    name: {"terms": {"field": name, "size": 20}}
                    for name in ("kind", "orientation", "color", "category")
                },
            )
        return result

    def run(self, spec: QuerySpec) -> int:
        """Count, page and the page's stored summaries, decoded."""
        result = self._search(spec)
        doc = self.searcher.doc
        page = [json.loads(doc(address).get_first("summary") or b"") for _, address in result.hits]
        assert len(page) == len(result.hits)
        return int(getattr(result, "count", 0) or 0)

    def run_addresses(self, spec: QuerySpec) -> int:
        """The old floor: count and the page's doc addresses, no document read."""
        return int(getattr(self._search(spec), "count", 0) or 0)


FLOOR_SUMMARY_FIELDS = (
    "kind",
    "owner",
    "width",
    "height",
    "orientation",
    "color",
    "duration_ms",
    "editorial",
    "exclusive",
    "free",
    "downloads",
    "views",
    "published",
)


def floor_summary(columns: dict[str, list[Any]], titles: list[str], i: int) -> bytes:
    """What a bare index would store to answer a result page: id, title, a few fields."""
    summary: dict[str, Any] = {"id": i + 1, "title": titles[i]}
    for name in FLOOR_SUMMARY_FIELDS:
        summary[name] = columns[name][i]
    summary["kind"] = KINDS[summary["kind"]]
    return json.dumps(summary, separators=(",", ":")).encode()


# -- reporting -------------------------------------------------------------------------


def print_load(phase: str) -> None:
    """The machine's load average (it is shared: figures are read against it)."""
    one, five, fifteen = os.getloadavg()
    print(f"load average before {phase}: {one:.2f} {five:.2f} {fifteen:.2f}", flush=True)


def print_table(title: str, timings: Timings) -> None:
    print(f"\n{title}  (peak RSS {timings.peak_rss_mb:.0f} MiB)")
    print(
        f"  {'class':<18} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'avg hits':>10}"
        f" {'cpu p50':>8} {'cpu p99':>8}"
    )
    for cls in CLASSES:
        values = timings.per_class.get(cls, [])
        if not values:
            continue
        hits = timings.totals.get(cls, 0) / len(values)
        cpu = timings.cpu_per_class.get(cls, [])
        print(
            f"  {cls:<18} {len(values):>5} {percentile(values, 50):>8.1f} "
            f"{percentile(values, 95):>8.1f} {percentile(values, 99):>8.1f} {hits:>10.0f}"
            f" {percentile(cpu, 50):>8.2f} {percentile(cpu, 99):>8.2f}"
        )


@dataclass
class Results:
    lines: list[str] = field(default_factory=list)

    def add(self, name: str, value: float, target: float, higher_is_better: bool = False) -> None:
        ok = value >= target if higher_is_better else value <= target
        self.lines.append(f"RESULT {name} {value:.2f} target {target:g} {'ok' if ok else 'short'}")


def report(
    results: Results,
    backend_name: str,
    timings: Timings,
    floor: Timings | None,
    build_s: float,
) -> None:
    if backend_name == "tantivy":
        for cls in CLASSES:
            p99 = percentile(timings.per_class[cls], 99)
            results.add(f"tantivy_{cls}_p99_ms", p99, TANTIVY_P99_MS)
            if floor is not None:
                ratio = p99 / max(percentile(floor.per_class[cls], 99), 0.001)
                results.add(f"tantivy_{cls}_p99_over_floor", ratio, FLOOR_RATIO)
                cpu_p99 = percentile(timings.cpu_per_class[cls], 99)
                cpu_ratio = cpu_p99 / max(percentile(floor.cpu_per_class[cls], 99), 0.001)
                results.add(f"tantivy_{cls}_cpu_p99_over_floor", cpu_ratio, FLOOR_RATIO)
        facets_added = percentile(timings.per_class["facets"], 99) - percentile(
            timings.per_class["common"], 99
        )
        results.add("tantivy_facets_added_p99_ms", facets_added, FACETS_ADD_MS)
    else:
        for cls in CLASSES:
            results.add(
                f"postgres_{cls}_p99_ms", percentile(timings.per_class[cls], 99), POSTGRES_P99_MS
            )
    results.add(f"{backend_name}_index_build_s", build_s, BUILD_S)
    results.add(f"{backend_name}_serving_rss_mb", timings.peak_rss_mb, SERVING_MB)


# -- main ------------------------------------------------------------------------------


@contextlib.contextmanager
def scratch_database(server_url: str) -> Iterator[str]:
    """A new, migrated database on the server, dropped afterwards."""
    from stockhouse.db.engine import Database
    from stockhouse.db.migrate import upgrade_to_head

    server = make_url(normalize_database_url(server_url))
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    name = f"sh_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    try:
        database = Database(url)
        upgrade_to_head(database)
        database.dispose()
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def build_index(backend_name: str, database_url: str, data_dir: Path) -> float:
    from stockhouse.config import load_settings
    from stockhouse.runtime import Runtime

    settings = load_settings(
        {"data_dir": str(data_dir), "database_url": database_url, "search": backend_name},
        environ={},
    )
    runtime = Runtime(settings)
    try:
        start = time.perf_counter()
        count = open_backend(runtime, backend_name).rebuild()
        elapsed = time.perf_counter() - start
    finally:
        runtime.close()
    print(f"{backend_name}: indexed {count} items in {elapsed:.1f} s")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=None)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_ITEMS} items, fewer queries")
    parser.add_argument("--backend", choices=("tantivy", "postgres", "both"), default="both")
    parser.add_argument("--queries", type=int, default=None, help="queries per class")
    parser.add_argument(
        "--server", default=os.environ.get("STOCKHOUSE_BENCH_POSTGRES", DEFAULT_SERVER)
    )
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", help=argparse.SUPPRESS)
    parser.add_argument("--workload", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args)
        return
    items = args.items or (QUICK_ITEMS if args.quick else DEFAULT_ITEMS)
    per_class = args.queries or (QUICK_QUERIES_PER_CLASS if args.quick else QUERIES_PER_CLASS)
    backends = ("tantivy", "postgres") if args.backend == "both" else (args.backend,)
    print(f"search bench: {items} items, {per_class} queries per class, backends {backends}")
    print_load("start")
    work = Path(tempfile.mkdtemp(prefix="sh-bench-search-"))
    results = Results()
    try:
        start = time.perf_counter()
        catalog = make_catalog(items)
        print(
            f"catalog generated in {time.perf_counter() - start:.1f} s "
            f"({len(catalog.tag_item)} keywords)"
        )
        specs = workload(catalog.words, per_class)
        workload_path = work / "workload.json"
        workload_path.write_text(json.dumps([asdict(s) for s in specs]))
        start = time.perf_counter()
        floor_index = BareTantivy(work / "floor", catalog)
        print(f"bare Tantivy floor indexed in {floor_index.build_s:.1f} s")
        print_load("floor")
        addresses_only = run_timed(specs, floor_index.run_addresses)
        print_table("bare Tantivy, count + page addresses (old floor, reference)", addresses_only)
        floor = run_timed(specs, floor_index.run)
        print_table("bare Tantivy, count + page of 100 stored summaries read (floor)", floor)
        with scratch_database(args.server) as database_url:
            start = time.perf_counter()
            load_catalog(create_engine(normalize_database_url(database_url)), catalog)
            print(f"catalog loaded into PostgreSQL in {time.perf_counter() - start:.1f} s")
            del catalog
            for backend_name in backends:
                data_dir = work / f"data-{backend_name}"
                build_s = build_index(backend_name, database_url, data_dir)
                print_load(backend_name)
                timings = serve_in_child(backend_name, database_url, data_dir, workload_path)
                print_table(f"{backend_name} backend through the service", timings)
                report(results, backend_name, timings, floor, build_s)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print()
    print("\n".join(results.lines))


if __name__ == "__main__":
    main()
