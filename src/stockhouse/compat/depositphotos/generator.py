"""Depositphotos AI Image Generator: imageGenerator.generate, .get and .getMediaData.

Only translation lives here; the rules are in `stockhouse.generation`. A job's answer is
`data: {uuid, prompt, status, purchaseStatus, items: [{uuid, dpItemId, previewUrl}]}` as
the document shows (plus `failureReason` when the job failed). The same answer is what a
job asked for through this API posts to its `dp_callback_url`.
"""

from __future__ import annotations

from typing import Any

from stockhouse.compat.depositphotos import wire
from stockhouse.compat.depositphotos.media import get_media_data
from stockhouse.errors import Conflict, DomainError, InvalidParameter, NotFound
from stockhouse.generation import service
from stockhouse.generation.callbacks import register_payload_format
from stockhouse.generation.service import GenerationRequest, GenerationView

CALLBACK_FORMAT = "depositphotos"
# The core's parameter names, as this wire spells them.
WIRE_NAMES = {
    "prompt": "dp_prompt",
    "aspect_ratio": "dp_aspect_ratio",
    "medium": "dp_medium",
    "callback_url": "dp_callback_url",
    "uuid": "dp_uuid",
}
MAX_PROMPT_PARAM_CHARS = 4000  # longer than the 400 allowed, so the core says what is wrong
MAX_URL_PARAM_CHARS = 4096
MEDIA_PARAMS_IGNORED = frozenset({"dp_command", "dp_apikey", "dp_uuid", "dp_media_id"})


def job_data(view: GenerationView) -> dict[str, Any]:
    """The `data` object of imageGenerator.generate and imageGenerator.get."""
    data: dict[str, Any] = {
        "uuid": view.uuid,
        "prompt": view.prompt,
        "status": view.status.value,
        "purchaseStatus": view.purchase_status.value,
        "items": [
            {
                "uuid": item.uuid,
                "dpItemId": item.media_item_id,
                "previewUrl": view.absolute(item.preview_path),
            }
            for item in view.items
        ],
    }
    if view.failure_reason:
        data["failureReason"] = view.failure_reason
    return data


def callback_payload(view: GenerationView) -> dict[str, Any]:
    """What a callback URL receives: the imageGenerator.get answer."""
    return wire.success({"data": job_data(view)})


register_payload_format(CALLBACK_FORMAT, callback_payload)


def _translated(exc: DomainError) -> wire.DpError:
    if isinstance(exc, InvalidParameter):
        name = WIRE_NAMES.get(exc.name, exc.name)
        return wire.invalid_param(name, str(exc))
    if isinstance(exc, NotFound):
        return wire.item_not_found()
    if isinstance(exc, Conflict):
        return wire.DpError(0, "Generated item is not ready yet", "NotFoundItemException")
    return wire.from_domain(exc)


@wire.command("imageGenerator.generate")
def generate(call: wire.Call) -> dict[str, Any]:
    """Start a job: four pictures for dp_prompt (dp_aspect_ratio, dp_medium optional)."""
    params = call.params
    prompt = params.text("dp_prompt", max_chars=MAX_PROMPT_PARAM_CHARS)
    if prompt is None or not prompt.strip():
        raise wire.invalid_param("dp_prompt")
    request = GenerationRequest(
        prompt=prompt,
        aspect_ratio=params.text("dp_aspect_ratio", max_chars=16) or None,
        medium=params.text("dp_medium", max_chars=32) or None,
        callback_url=params.text("dp_callback_url", max_chars=MAX_URL_PARAM_CHARS) or None,
        callback_format=CALLBACK_FORMAT,
        base_url=call.base_url,
    )
    try:
        view = service.create_generation(call.runtime, call.require_user(), request)
    except DomainError as exc:
        raise _translated(exc) from None
    return {"data": job_data(view)}


@wire.command("imageGenerator.get")
def get(call: wire.Call) -> dict[str, Any]:
    """A job's status and pictures (dp_uuid from imageGenerator.generate)."""
    job_uuid = call.params.required_text("dp_uuid")
    try:
        view = service.get_generation(call.runtime, call.require_user(), job_uuid)
    except DomainError as exc:
        raise _translated(exc) from None
    return {"data": job_data(view)}


@wire.command("imageGenerator.getMediaData")
def get_generated_media_data(call: wire.Call) -> dict[str, Any]:
    """One generated picture's item data, as getMediaData answers it (dp_uuid of the item)."""
    item_uuid = call.params.required_text("dp_uuid")
    try:
        item_id = service.generated_item_id(call.runtime, call.require_user(), item_uuid)
    except DomainError as exc:
        raise _translated(exc) from None
    values = {
        name: call.params.raw(name)
        for name in call.params.names()
        if name not in MEDIA_PARAMS_IGNORED
    }
    values["dp_media_id"] = [item_id]
    media_call = wire.Call(
        runtime=call.runtime,
        params=wire.Params(values),
        base_url=call.base_url,
        api_key=call.api_key,
        credential_id=call.credential_id,
        user_id=call.user_id,
        session_token=call.session_token,
    )
    found = get_media_data(media_call)["result"]
    if not found:
        raise wire.item_not_found()
    document: dict[str, Any] = dict(found[0])
    # This command's example answers numbers where getMediaData answers strings.
    document["id"] = item_id
    for name in ("width", "height"):
        if document.get(name) is not None:
            document[name] = int(document[name])
    document["type"] = "i"  # the document's example: "i" for an image
    document["aiGenerated"] = True
    return {"data": document}
