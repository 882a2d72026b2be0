"""Native API: the AI image generator (ask for pictures, follow the job, see previews)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from stockhouse.api.deps import PrincipalDep, RuntimeDep, SessionDep
from stockhouse.api.file_responses import blob_response
from stockhouse.generation import service
from stockhouse.generation.service import GenerationRequest
from stockhouse.signing import LinkSigner

router = APIRouter(tags=["generation"])
PREVIEW_CACHE_CONTROL = "private, max-age=3600"


class GenerationIn(BaseModel):
    prompt: str = Field(max_length=4000)
    aspect_ratio: str | None = Field(default=None, max_length=16)
    medium: str | None = Field(default=None, max_length=32)
    callback_url: str | None = Field(default=None, max_length=4096)


def _base_url(runtime: RuntimeDep, request: Request) -> str:
    return (runtime.settings.base_url or f"{request.url.scheme}://{request.url.netloc}").rstrip("/")


@router.post("/generations", status_code=201)
def create_generation(
    body: GenerationIn,
    principal: PrincipalDep,
    session: SessionDep,
    runtime: RuntimeDep,
    request: Request,
) -> dict[str, Any]:
    """Ask for four pictures; the job runs in the background (poll GET /generations/{uuid})."""
    wish = GenerationRequest(
        prompt=body.prompt,
        aspect_ratio=body.aspect_ratio,
        medium=body.medium,
        callback_url=body.callback_url,
        base_url=_base_url(runtime, request),
    )
    job = service.record_generation(session, runtime.settings, principal.user.id, wish)
    answer = service.view_of(runtime, job).as_dict()
    session.commit()  # before queueing, so that a worker finds the job
    service.queue_generation(runtime, job.id)
    return answer


@router.get("/generations/{job_uuid}")
def get_generation(job_uuid: str, principal: PrincipalDep, runtime: RuntimeDep) -> dict[str, Any]:
    """Your job's status and pictures; anyone else's job is not_found."""
    return service.get_generation(runtime, principal.user.id, job_uuid).as_dict()


@router.get("/generations/previews/{item_uuid}.jpg", response_class=Response)
def get_preview(item_uuid: str, runtime: RuntimeDep, request: Request) -> Response:
    """A picture's temporary preview, through the signed link a job's answer gives."""
    path = service.PREVIEW_PATH.format(uuid=item_uuid)
    LinkSigner(runtime.settings.secret_key).verify_query(path, request.query_params)
    blob = service.preview_blob(runtime, item_uuid)
    size = runtime.blobs.size(blob)
    headers = {"cache-control": PREVIEW_CACHE_CONTROL, "etag": f'"{blob}"'}
    return blob_response(request, runtime.blobs, blob, "image/jpeg", size, headers)
