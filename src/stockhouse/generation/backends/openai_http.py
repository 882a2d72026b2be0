"""An OpenAI-compatible images endpoint: `POST {endpoint}/images/generations`.

Many servers speak this protocol (OpenAI itself, LocalAI, vLLM-style gateways, ComfyUI
bridges). We ask for `b64_json` answers, so no second download is needed; a server that
returns fewer pictures than asked (some models allow only n=1) is asked again until the
job has its four. The size asked for is the job's aspect ratio at a 1024 px long edge;
the service crops whatever comes back to the exact ratio. The medium is added to the
prompt ("..., photography" / "..., digital art"), since the protocol has no such field.

The endpoint is the operator's own configuration, so it is not SSRF-guarded; it gets
timeouts (`generation_timeout_s`) and a cap on the answer's size.
"""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING, Any

import httpx

from stockhouse.generation.backends import BackendError, RenderRequest, size_at_edge
from stockhouse.search.fetch import looks_like_image

if TYPE_CHECKING:
    from stockhouse.config import Settings

CONNECT_TIMEOUT_S = 10.0
REQUEST_EDGE = 1024
MAX_ANSWER_BYTES = 200 * 1024 * 1024
MAX_ERROR_CHARS = 300
MEDIUM_SUFFIX = {"photography": "photography", "art": "digital art"}


class OpenAIImagesBackend:
    """Pictures from an OpenAI-compatible `images/generations` endpoint."""

    name = "openai"

    def __init__(self, endpoint: str, api_key: str, model: str, timeout_s: float) -> None:
        self.url = endpoint.rstrip("/") + "/images/generations"
        self.api_key = api_key
        self.model = model
        self.timeout = httpx.Timeout(timeout_s, connect=min(CONNECT_TIMEOUT_S, timeout_s))

    @classmethod
    def from_settings(cls, settings: Settings) -> OpenAIImagesBackend:
        if not settings.generation_endpoint:
            raise BackendError("no generation endpoint is configured", permanent=True)
        return cls(
            settings.generation_endpoint,
            settings.generation_api_key,
            settings.generation_model,
            settings.generation_timeout_s,
        )

    def generate(self, request: RenderRequest, count: int) -> list[bytes]:
        pictures: list[bytes] = []
        with httpx.Client(timeout=self.timeout, trust_env=False) as client:
            for _ in range(count):  # at most one request per picture still missing
                pictures += self._ask(client, request, count - len(pictures))
                if len(pictures) >= count:
                    return pictures[:count]
        raise BackendError(f"the image endpoint returned {len(pictures)} of {count} pictures")

    def _body(self, request: RenderRequest, count: int) -> dict[str, Any]:
        width, height = size_at_edge(request.width, request.height, REQUEST_EDGE)
        body: dict[str, Any] = {
            "prompt": f"{request.prompt}, {MEDIUM_SUFFIX.get(request.medium, request.medium)}",
            "n": count,
            "size": f"{width}x{height}",
            "response_format": "b64_json",
        }
        if self.model:
            body["model"] = self.model
        return body

    def _ask(self, client: httpx.Client, request: RenderRequest, count: int) -> list[bytes]:
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        try:
            response = client.post(self.url, json=self._body(request, count), headers=headers)
        except httpx.TimeoutException:
            raise BackendError("the image endpoint did not answer in time") from None
        except httpx.HTTPError as exc:
            raise BackendError(
                f"the image endpoint could not be reached ({type(exc).__name__})"
            ) from None
        if len(response.content) > MAX_ANSWER_BYTES:
            raise BackendError("the image endpoint's answer is too large")
        if response.status_code >= 400:
            # 4xx: the request itself was refused (a content policy, a bad model): final.
            permanent = response.status_code < 500 and response.status_code != 429
            raise BackendError(
                f"the image endpoint answered HTTP {response.status_code}: {_error_text(response)}",
                permanent=permanent,
            )
        return _pictures(response)


def _error_text(response: httpx.Response) -> str:
    try:
        document = response.json()
    except ValueError:
        return response.text[:MAX_ERROR_CHARS]
    error = document.get("error") if isinstance(document, dict) else None
    message = error.get("message") if isinstance(error, dict) else error
    return str(message or document)[:MAX_ERROR_CHARS]


def _pictures(response: httpx.Response) -> list[bytes]:
    try:
        document = response.json()
    except ValueError:
        raise BackendError("the image endpoint did not answer JSON") from None
    entries = document.get("data") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise BackendError("the image endpoint's answer has no data list")
    pictures = []
    for entry in entries:
        encoded = entry.get("b64_json") if isinstance(entry, dict) else None
        if not isinstance(encoded, str):
            raise BackendError("the image endpoint did not return b64_json pictures")
        try:
            picture = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise BackendError("the image endpoint returned invalid base64") from None
        if not looks_like_image(picture[:12]):
            raise BackendError("the image endpoint returned something that is not an image")
        pictures.append(picture)
    return pictures
