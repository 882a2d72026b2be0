"""The web UI: server-rendered pages (Jinja2) with a little progressive JavaScript.

`web_routes()` gives the routes the application mounts; `home` answers "/" (app.py's
root_routes). See README.md in this folder for how pages are built and tested.
"""

from __future__ import annotations

from pathlib import Path

from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from stockhouse.web import account_views, search_views
from stockhouse.web.templating import STATIC_PREFIX

STATIC_DIR = Path(__file__).parent / "static"

home = search_views.search

GET_POST = ["GET", "POST"]


def web_routes() -> list[BaseRoute]:
    """Every page of the web UI (the start page "/" is added by app.root_routes)."""
    from stockhouse.web import (
        admin_views,
        buyer_views,
        contributor_views,
        generator_views,
        group_views,
        review_views,
    )

    return [
        Mount(STATIC_PREFIX, app=StaticFiles(directory=STATIC_DIR), name="static"),
        Route("/login", account_views.login, methods=GET_POST),
        Route("/logout", account_views.logout, methods=GET_POST),
        Route("/signup", account_views.signup, methods=GET_POST),
        Route("/search", search_views.search, methods=["GET"]),
        *buyer_views.routes(),
        *contributor_views.routes(),
        *review_views.routes(),
        *group_views.routes(),
        *admin_views.routes(),
        *generator_views.routes(),
    ]
