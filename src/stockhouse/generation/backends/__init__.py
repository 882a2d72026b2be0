"""Image backends: what turns a prompt into pictures.

A backend gets a `RenderRequest` (prompt, medium, aspect ratio, the pixel size wanted and a
seed) and returns encoded images (JPEG, PNG or WebP bytes). `open_backend(settings)` picks
the configured one: `offline` (the built-in procedural renderer, not a neural model),
`openai` (an OpenAI-compatible `images/generations` HTTP endpoint) or `diffusers` (a local
pipeline; needs the `diffusers` extra).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from stockhouse.config import Settings


@dataclass(frozen=True)
class RenderRequest:
    """What to draw: the prompt, the medium (art or photography), the size and a seed."""

    prompt: str
    medium: str
    aspect_ratio: str
    width: int
    height: int
    seed: int


def size_at_edge(width: int, height: int, edge: int) -> tuple[int, int]:
    """width x height scaled to `edge` px on the long side, in multiples of 8 (models want it)."""
    scale = edge / max(width, height)
    return max(8, round(width * scale / 8) * 8), max(8, round(height * scale / 8) * 8)


class BackendError(Exception):
    """The backend could not draw the pictures; `permanent` means retrying will not help."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent


class ImageBackend(Protocol):
    """Draws `count` different pictures for one request."""

    name: str

    def generate(self, request: RenderRequest, count: int) -> list[bytes]: ...


def open_backend(settings: Settings) -> ImageBackend:
    """The backend the settings name (`generation_backend`)."""
    if settings.generation_backend == "openai":
        from stockhouse.generation.backends.openai_http import OpenAIImagesBackend

        return OpenAIImagesBackend.from_settings(settings)
    if settings.generation_backend == "diffusers":
        from stockhouse.generation.backends.diffusers_local import DiffusersBackend

        return DiffusersBackend.from_settings(settings)
    from stockhouse.generation.backends.offline import OfflineRenderer

    return OfflineRenderer()
