"""The web UI's search page: server time (its Server-Timing header) at the demo size.

Builds (once, then reuses) a demo data dir, rebuilds its search index, and asks the
search page a mix of queries (text, filters, colours, sort, deep pages) through the whole
application in process; the figure is the app's own `Server-Timing: app;dur=` of each
answer, so the load generator's cost is not counted.

    .venv/bin/python bench/web.py            # the demo size (300 items), 600 requests
    .venv/bin/python bench/web.py --quick    # 60 items, 200 requests

Ends with `RESULT web_search_server_ms <p99> target 150 ok|short`.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import tempfile
from pathlib import Path

# bench/http.py would shadow the standard library's http package that Starlette imports.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent.resolve()]

from starlette.testclient import TestClient  # noqa: E402

from stockhouse.app import create_app  # noqa: E402
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args()
    items, requests = (60, 200) if args.quick else (300, 600)
    data_dir = args.data_dir or Path(tempfile.gettempdir()) / f"stockhouse-bench-web-{items}"
    data_dir.mkdir(parents=True, exist_ok=True)
    runtime = Runtime(load_settings({"data_dir": str(data_dir)}, environ={}))
    upgrade_to_head(runtime.db)
    build_demo(runtime, items=items)
    open_backend(runtime, maintain=False).rebuild()
    rng = random.Random(7)
    timings: list[float] = []
    with TestClient(create_app(runtime)) as client:
        for _ in range(20):  # warm caches and the index reader
            client.get(_path(rng))
        for _ in range(requests):
            response = client.get(_path(rng))
            assert response.status_code == 200, response.status_code
            found = _DURATION.search(response.headers["server-timing"])
            assert found is not None
            timings.append(float(found.group(1)))
    runtime.close()
    timings.sort()
    p50 = statistics.median(timings)
    p99 = timings[min(len(timings) - 1, int(len(timings) * 0.99))]
    print(f"web search page, {items} items, {requests} requests:", end=" ")
    print(f"p50 {p50:.1f} ms, p99 {p99:.1f} ms")
    verdict = "ok" if p99 < TARGET_MS else "short"
    print(f"RESULT web_search_server_ms {p99:.1f} target {TARGET_MS:.0f} {verdict}")


if __name__ == "__main__":
    main()
