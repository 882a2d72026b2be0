"""The native REST API (/v1): FastAPI routers, one module per capability."""

from __future__ import annotations

from fastapi import FastAPI

from stockhouse import __version__
from stockhouse.api import (
    apikeys,
    billing,
    bins,
    cart,
    downloads,
    earnings,
    generation,
    groups,
    inbox,
    invoices,
    items,
    ledger,
    licensing,
    prices,
    releases,
    review,
    search,
    sessions,
    similar,
    transfers,
    uploads,
    users,
    wallet,
)
from stockhouse.api.errors import install_error_handlers
from stockhouse.runtime import Runtime

ROUTERS = [
    sessions.router,
    users.router,
    groups.router,
    apikeys.router,
    inbox.router,
    uploads.router,
    items.router,
    review.router,
    releases.router,
    search.router,
    similar.router,
    licensing.router,
    prices.router,
    ledger.router,
    downloads.router,
    invoices.router,
    transfers.router,
    earnings.router,
    cart.router,
    bins.router,
    wallet.router,
    billing.router,
    generation.router,
]


def create_native_api(runtime: Runtime) -> FastAPI:
    """The /v1 application; mounted by stockhouse.app, with OpenAPI at /v1/openapi.json."""
    api = FastAPI(
        title="Stockhouse native API",
        version=__version__,
        description=(
            "Authenticate with `Authorization: Bearer <token>`, where the token is a session "
            "token from `POST /v1/sessions` or a native API key. Every error answers "
            '`{"error": {"code", "message", "request_id"}}`.'
        ),
        openapi_url="/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    api.state.runtime = runtime
    install_error_handlers(api)
    for router in ROUTERS:
        api.include_router(router)
    return api
