"""A local diffusers text-to-image pipeline (optional: `pip install 'stockhouse[diffusers]'`).

`generation_model` names the pipeline (a Hugging Face model id or a local folder); the
model is loaded once per process, on first use. Nothing is downloaded unless the operator
names a model that is not on disk. CPU works but is slow; a CUDA GPU is used when present.
"""

from __future__ import annotations

import io
import threading
from functools import cache
from typing import TYPE_CHECKING, Any

from stockhouse.generation.backends import BackendError, RenderRequest, size_at_edge

if TYPE_CHECKING:
    from stockhouse.config import Settings

INFERENCE_STEPS = 30
MODEL_EDGE = 1024  # what SDXL-class models draw best; the service crops to the ratio
MEDIUM_SUFFIX = {"photography": "photography", "art": "digital art"}
_lock = threading.Lock()  # one pipeline call at a time: it holds the whole GPU


class DiffusersBackend:
    """Pictures from a local diffusers pipeline."""

    name = "diffusers"

    def __init__(self, model: str) -> None:
        self.model = model

    @classmethod
    def from_settings(cls, settings: Settings) -> DiffusersBackend:
        if not settings.generation_model:
            raise BackendError("the diffusers backend needs generation_model", permanent=True)
        return cls(settings.generation_model)

    def generate(self, request: RenderRequest, count: int) -> list[bytes]:
        pipeline, torch = _pipeline(self.model)
        generator = torch.Generator().manual_seed(request.seed % 2**63)
        prompt = f"{request.prompt}, {MEDIUM_SUFFIX.get(request.medium, request.medium)}"
        width, height = size_at_edge(request.width, request.height, MODEL_EDGE)
        with _lock:
            result = pipeline(
                prompt,
                num_images_per_prompt=count,
                width=width,
                height=height,
                num_inference_steps=INFERENCE_STEPS,
                generator=generator,
            )
        pictures = []
        for image in result.images:
            buffer = io.BytesIO()
            image.save(buffer, format="PNG")
            pictures.append(buffer.getvalue())
        return pictures


@cache
def _pipeline(model: str) -> tuple[Any, Any]:
    try:
        import torch  # type: ignore[import-not-found]
        from diffusers import AutoPipelineForText2Image  # type: ignore[import-not-found]
    except ImportError:
        raise BackendError(
            "the diffusers backend needs the optional extra: pip install 'stockhouse[diffusers]'",
            permanent=True,
        ) from None
    pipeline = AutoPipelineForText2Image.from_pretrained(model)
    if torch.cuda.is_available():
        pipeline = pipeline.to("cuda")
    return pipeline, torch
