"""The ASGI application: web UI, native API, compatible APIs, health and metrics on one port.

The root is a plain Starlette app, so that hot paths of the compatible APIs run without
FastAPI's per-request machinery; `/v1` is a mounted FastAPI app with its OpenAPI schema.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import swagger_ui_bundle  # type: ignore[import-untyped]
from fastapi.openapi.docs import get_swagger_ui_html
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from stockhouse.api import create_native_api
from stockhouse.api.downloads import download_routes
from stockhouse.api.media import media_routes
from stockhouse.compat.cliparto import cliparto_routes
from stockhouse.compat.depositphotos import depositphotos_routes
from stockhouse.compat.depositphotos.endpoint import dispatch as depositphotos_dispatch
from stockhouse.compat.images_v2 import images_v2_routes
from stockhouse.compat.photolist import photolist_routes
from stockhouse.compat.pond5 import pond5_routes
from stockhouse.compat.pond5.endpoint import dispatch as pond5_dispatch
from stockhouse.compat.pond5.media import pond5_media_routes
from stockhouse.ingest.pipeline import resume_uploads
from stockhouse.observability import RequestContextMiddleware
from stockhouse.runtime import Runtime
from stockhouse.web import home, web_routes

log = logging.getLogger("stockhouse.app")


async def healthz(request: Request) -> JSONResponse:
    runtime: Runtime = request.app.state.runtime
    try:
        await asyncio.to_thread(runtime.db.ping)
    except Exception as exc:  # any failure to reach the database means "not healthy"
        log.warning("health check failed: %s", exc)
        return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503)
    return JSONResponse({"status": "ok"})


async def metrics(_: Request) -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


DOCS_ASSETS = "/docs/assets"


async def docs(_: Request) -> HTMLResponse:
    # Swagger UI's files are served from the package, so /docs works without internet access.
    return get_swagger_ui_html(
        openapi_url="/v1/openapi.json",
        title="Stockhouse API docs",
        swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
        swagger_favicon_url=f"{DOCS_ASSETS}/favicon-32x32.png",
    )


async def pond5_or_home(request: Request) -> Response:
    """`serve --api pond5`: the root answers Pond5 for `?page=api`, as its clients post."""
    if request.query_params.get("page") == "api":
        return await pond5_dispatch(request)
    return await home(request)


def root_routes(root_api: str) -> list[BaseRoute]:
    """What answers at "/": the web UI, or first a compatible API (`serve --api NAME`)."""
    if root_api == "depositphotos":
        return [Route("/", depositphotos_dispatch, methods=["GET", "POST"])]
    if root_api == "pond5":
        return [Route("/", pond5_or_home, methods=["GET", "POST"])]
    return [Route("/", home)]


def _lifespan(runtime: Runtime, run_workers: bool):  # type: ignore[no-untyped-def]
    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        if run_workers:
            runtime.jobs.start_workers(runtime.settings.job_workers)
            await asyncio.to_thread(resume_uploads, runtime)
        try:
            yield
        finally:
            if run_workers:
                runtime.jobs.stop_workers()

    return lifespan


def freeze_startup_objects() -> None:
    """Move what start-up made (modules, ORM mappers, the index schema; it never dies) out
    of the garbage collector's reach, so full collections stay short on the request path.
    (The Tantivy backend's summary cache, in a process that froze, freezes its long-lived
    summaries in batches too: search.tantivy_backend.SummaryCache.)"""
    gc.collect()
    gc.freeze()


def create_app_from_environment() -> Starlette:
    """The app of one process of `stockhouse serve --workers N` (settings from the env)."""
    from stockhouse.config import RUN_JOB_WORKERS_ENV, load_settings
    from stockhouse.observability import configure_logging

    runtime = Runtime(load_settings())
    configure_logging(runtime.settings.log_level, runtime.settings.log_format)
    _ = runtime.search  # hooks the sessions so that catalog changes get indexed
    freeze_startup_objects()
    return create_app(runtime, run_workers=os.environ.get(RUN_JOB_WORKERS_ENV) == "1")


def create_app(runtime: Runtime, *, run_workers: bool = False) -> Starlette:
    """Build the application; `run_workers` runs job workers inside this process."""
    # The compatible APIs' hot endpoints come first: Starlette tries routes in order.
    routes: list[BaseRoute] = [
        *depositphotos_routes(),
        *pond5_routes(),
        Route("/healthz", healthz),
        Route("/metrics", metrics),
        Route("/docs", docs),
        Mount(DOCS_ASSETS, app=StaticFiles(directory=swagger_ui_bundle.swagger_ui_path)),
        Mount("/v1", app=create_native_api(runtime)),
        *media_routes(),
        *download_routes(),
        *cliparto_routes(),
        *images_v2_routes(),
        *photolist_routes(),
        *pond5_media_routes(),
        *root_routes(runtime.settings.root_api),
        *web_routes(),
    ]
    app = Starlette(routes=routes, lifespan=_lifespan(runtime, run_workers))
    app.state.runtime = runtime
    app.add_middleware(RequestContextMiddleware)
    return app
