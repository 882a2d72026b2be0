"""The floor of bench/http.py: Starlette, one `async def` route, one indexed SQLite read.

`GET /item?id=N` reads one media_item row by primary key from the database at $BENCH_DB
(one connection per worker process, read inline on the event loop) and answers it as
small JSON; what the framework and the database cost without Stockhouse's own work.
"""

from __future__ import annotations

import os
import sqlite3

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

_connection = sqlite3.connect(os.environ.get("BENCH_DB", ":memory:"), check_same_thread=False)
QUERY = "SELECT id, title, width, height, status FROM media_item WHERE id = ?"


async def item(request: Request) -> JSONResponse:
    try:
        item_id = int(request.query_params.get("id", "0"))
    except ValueError:
        item_id = 0
    row = _connection.execute(QUERY, (item_id,)).fetchone()
    if row is None:
        return JSONResponse({"type": "failure"})
    return JSONResponse(
        {
            "type": "success",
            "id": row[0],
            "title": row[1],
            "width": row[2],
            "height": row[3],
            "status": row[4],
        }
    )


app = Starlette(routes=[Route("/item", item)])
