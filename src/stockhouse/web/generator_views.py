"""The AI generator page: a prompt, an aspect ratio and a medium make a job of four
pictures; the job's page shows its progress (areas.js polls its JSON; without JavaScript
the page refreshes itself) and then the pictures, each a catalog item to license.

The generation service (stockhouse.generation.service) holds every rule; it is imported
when a page is used, so the rest of the site does not depend on it being installed.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from stockhouse.web.pages import Web, page

POLL_INTERVAL_MS = 1500
MEDIUM_LABELS = {"photography": "Photograph", "art": "Art / illustration"}
FINISHED = ("completed", "failed")


def _base_url(web: Web) -> str:
    request = web.request
    configured = web.runtime.settings.base_url
    return (configured or f"{request.url.scheme}://{request.url.netloc}").rstrip("/")


@page(login=True)
def generator(request: Request, web: Web) -> Response:
    from stockhouse.generation import service

    if request.method == "POST":
        wish = service.GenerationRequest(
            prompt=web.field("prompt"),
            aspect_ratio=web.field("aspect_ratio") or None,
            medium=web.field("medium") or None,
            base_url=_base_url(web),
        )
        job = service.create_generation(web.runtime, web.require_user().id, wish)
        return web.redirect(f"/generate/{job.uuid}", "Your pictures are being made.")
    return web.render(
        "generator/form.html",
        ratios=service.ASPECT_RATIOS,
        default_ratio=service.DEFAULT_ASPECT_RATIO,
        mediums=[(m, MEDIUM_LABELS.get(m, m)) for m in service.MEDIUMS],
        default_medium=service.DEFAULT_MEDIUM,
        max_prompt=service.MAX_PROMPT_CHARS,
    )


@page(login=True)
def generation_page(request: Request, web: Web) -> Response:
    from stockhouse.generation import service

    job = service.get_generation(web.runtime, web.require_user().id, request.path_params["uuid"])
    finished = job.status.value in FINISHED
    return web.render(
        "generator/job.html",
        job=job,
        finished=finished,
        poll_ms=POLL_INTERVAL_MS,
    )


@page(login=True)
def generation_state(request: Request, web: Web) -> Response:
    """The job as JSON, for the page's script."""
    from stockhouse.generation import service

    job = service.get_generation(web.runtime, web.require_user().id, request.path_params["uuid"])
    return JSONResponse(
        {
            "status": job.status.value,
            "failure_reason": job.failure_reason,
            "ready": sum(1 for item in job.items if item.media_item_id is not None),
            "pictures": len(job.items),
        }
    )


def routes() -> list[BaseRoute]:
    return [
        Route("/generate", generator, methods=["GET", "POST"]),
        Route("/generate/{uuid}", generation_page, methods=["GET"]),
        Route("/generate/{uuid}/state", generation_state, methods=["GET"]),
    ]
