"""Depositphotos getMediaData over HTTP against a bare Starlette floor, in the same run.

Two servers on loopback, each with 2 uvicorn workers (uvloop + httptools):

- **stockhouse**: `stockhouse serve --workers 2 --no-ftp --no-worker` on a demo data dir
  (`stockhouse demo --items 300`, built once into --data-dir and reused);
- **bare**: a Starlette app (bench/httpfloor/app.py) whose one `async def` route reads one
  media_item row by primary key from the same SQLite file and answers it as JSON.

The load is `wrk` (64 connections, a Lua script choosing a random demo item id per
request) when it is installed, else a built-in asyncio HTTP/1.1 keep-alive generator
(raw sockets; one process) -- the same generator for both servers, so the ratio is fair,
though the absolute figures are lower than wrk's since the generator shares the 2 cores.

    .venv/bin/python bench/http.py            # 3 rounds of 10 s per server
    .venv/bin/python bench/http.py --quick    # 1 round of 5 s (under a minute)

Ends with `RESULT dp_getmediadata_rps_ratio <v> target 0.4 ok|short`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
DEFAULT_DATA_DIR = Path(tempfile.gettempdir()) / "stockhouse-bench-http-demo"
DEMO_ITEMS = 300
TARGET_RATIO = 0.4
CONNECTIONS = 64
IDS_SAMPLE = 200
WARM_PASSES = 6
WRK_WARM_S = 10.0  # an untimed wrk round: both worker processes fill their caches
STARTUP_TIMEOUT_S = 60.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def ensure_demo(data_dir: Path) -> None:
    if (data_dir / "demo-credentials.json").exists():
        return
    print(f"building the demo data dir {data_dir} ({DEMO_ITEMS} items) ...", flush=True)
    subprocess.run(
        [
            str(VENV_BIN / "stockhouse"),
            "demo",
            "--data-dir",
            str(data_dir),
            "--items",
            str(DEMO_ITEMS),
        ],
        check=True,
    )


def published_ids(data_dir: Path) -> list[int]:
    with sqlite3.connect(data_dir / "stockhouse.db") as conn:
        rows = conn.execute(
            "SELECT id FROM media_item WHERE status = 'active' AND visible = 1 ORDER BY id"
        ).fetchall()
    ids = [row[0] for row in rows]
    random.seed(7)
    return random.sample(ids, min(IDS_SAMPLE, len(ids)))


def wait_for(port: int, path: str) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
                conn.sendall(
                    f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()
                )
                if conn.recv(64).startswith(b"HTTP/1.1"):
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"server on port {port} did not start")


@contextmanager
def server(command: list[str], port: int, path: str, env: dict[str, str]) -> Iterator[None]:
    process = subprocess.Popen(
        command,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_for(port, path)
        yield
    finally:
        os.killpg(process.pid, 15)
        process.wait(timeout=20)


# -- load -------------------------------------------------------------------------------


def dp_request(key: str, item_id: int) -> bytes:
    body = urlencode({"dp_command": "getMediaData", "dp_apikey": key, "dp_media_id": item_id})
    return (
        "POST /depositphotos/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n\r\n{body}"
    ).encode()


def request_for(name: str, key: str, item_id: int) -> bytes:
    return dp_request(key, item_id) if name == "stockhouse" else bare_request(item_id)


def bare_request(item_id: int) -> bytes:
    return f"GET /item?id={item_id} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()


async def _read_response(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    body = await reader.readexactly(length)
    if not head.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(head[:60])
    return body


async def _connection(port: int, requests: list[bytes], stop: float, counts: list[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    rng = random.Random(port ^ id(counts))
    try:
        while time.monotonic() < stop:
            writer.write(rng.choice(requests))
            body = await _read_response(reader)
            if b'"failure"' in body:
                raise RuntimeError(body[:200])
            counts[0] += 1
    finally:
        writer.close()


async def _load(port: int, requests: list[bytes], seconds: float) -> float:
    counts = [0]
    started = time.monotonic()
    stop = started + seconds
    await asyncio.gather(*(_connection(port, requests, stop, counts) for _ in range(CONNECTIONS)))
    return counts[0] / (time.monotonic() - started)


async def _warm(port: int, requests: list[bytes]) -> None:
    """Each request WARM_PASSES times over the connections: every worker process then
    has (almost surely) served each item once, as in a steady state."""
    queue = [request for request in requests for _ in range(WARM_PASSES)]

    async def drain() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while queue:
            writer.write(queue.pop())
            await _read_response(reader)
        writer.close()

    await asyncio.gather(*(drain() for _ in range(CONNECTIONS)))


def warm(port: int, requests: list[bytes]) -> None:
    asyncio.run(_warm(port, requests))


def python_load(port: int, requests: list[bytes], seconds: float) -> float:
    try:
        import uvloop

        return uvloop.run(_load(port, requests, seconds))
    except ImportError:
        return asyncio.run(_load(port, requests, seconds))


WRK_SCRIPT = """
local ids = {%s}
request = function()
  local id = ids[math.random(#ids)]
  %s
end
"""


def wrk_load(port: int, ids: list[int], key: str | None, seconds: float) -> float:
    if key is None:
        call = 'return wrk.format("GET", "/item?id=" .. id)'
    else:
        call = (
            'return wrk.format("POST", "/depositphotos/", '
            '{["Content-Type"]="application/x-www-form-urlencoded"}, '
            f'"dp_command=getMediaData&dp_apikey={key}&dp_media_id=" .. id)'
        )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT % (",".join(map(str, ids)), call))
    output = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{CONNECTIONS}",
            f"-d{int(seconds)}s",
            "-s",
            script.name,
            f"http://127.0.0.1:{port}",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    os.unlink(script.name)
    for line in output.splitlines():
        if line.startswith("Requests/sec:"):
            return float(line.split()[1])
    raise RuntimeError(output)


# -- main -------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    args = parser.parse_args()
    rounds, seconds = (1, 5.0) if args.quick else (3, 10.0)
    ensure_demo(args.data_dir)
    key = json.loads((args.data_dir / "demo-credentials.json").read_text())["depositphotos"][
        "api_key"
    ]
    ids = published_ids(args.data_dir)
    use_wrk = shutil.which("wrk") is not None
    print(
        f"load generator: {'wrk' if use_wrk else 'built-in asyncio (wrk is not installed)'}, "
        f"{CONNECTIONS} connections, {len(ids)} random published items",
        flush=True,
    )
    sh_port, bare_port = free_port(), free_port()
    sh_cmd = [
        str(VENV_BIN / "stockhouse"),
        "serve",
        "--data-dir",
        str(args.data_dir),
        "--host",
        "127.0.0.1",
        "--port",
        str(sh_port),
        "--workers",
        "2",
        "--no-ftp",
        "--no-worker",
    ]
    bare_cmd = [
        str(VENV_BIN / "uvicorn"),
        "app:app",
        "--app-dir",
        str(ROOT / "bench" / "httpfloor"),
        "--host",
        "127.0.0.1",
        "--port",
        str(bare_port),
        "--workers",
        "2",
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    quiet = {"STOCKHOUSE_LOG_LEVEL": "warning", "BENCH_DB": str(args.data_dir / "stockhouse.db")}
    results: dict[str, list[float]] = {"stockhouse": [], "bare": []}
    with (
        server(sh_cmd, sh_port, "/healthz", quiet),
        server(bare_cmd, bare_port, "/item?id=1", quiet),
    ):
        for name, port in (("stockhouse", sh_port), ("bare", bare_port)):
            started = time.monotonic()
            warm(port, [request_for(name, key, i) for i in ids])
            if use_wrk:  # every worker process sees every id before the timed rounds
                wrk_load(port, ids, key if name == "stockhouse" else None, WRK_WARM_S)
            print(f"warm-up: {name} {time.monotonic() - started:.1f} s", flush=True)
        for _ in range(rounds):
            for name, port in (("stockhouse", sh_port), ("bare", bare_port)):
                if use_wrk:
                    rps = wrk_load(port, ids, key if name == "stockhouse" else None, seconds)
                else:
                    rps = python_load(port, [request_for(name, key, i) for i in ids], seconds)
                results[name].append(rps)
                print(f"round: {name} {rps:.0f} req/s", flush=True)
    best = {name: max(values) for name, values in results.items()}
    ratio = best["stockhouse"] / best["bare"]
    print(f"RESULT dp_getmediadata_rps {best['stockhouse']:.0f}")
    print(f"RESULT bare_starlette_sqlite_rps {best['bare']:.0f}")
    verdict = "ok" if ratio >= TARGET_RATIO else "short"
    print(f"RESULT dp_getmediadata_rps_ratio {ratio:.2f} target {TARGET_RATIO} {verdict}")


if __name__ == "__main__":
    sys.exit(main())
