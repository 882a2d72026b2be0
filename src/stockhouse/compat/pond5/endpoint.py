"""The Pond5 envelope: POST form field `api` with a JSON or XML request (being written)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route


async def dispatch(request: Request) -> Response:
    return JSONResponse({"e": True, "msg": "not implemented yet", "commands": []})


def pond5_routes(prefix: str = "/pond5") -> list[BaseRoute]:
    """The API at `prefix/` (with or without `?page=api`)."""
    return [Route(f"{prefix}/", dispatch, methods=["GET", "POST"])]
