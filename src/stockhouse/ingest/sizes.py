"""Sellable sizes of an item, derived from its original, and producing one on demand.

Images follow seed 001's `sizes` example (a 2584x3000 original sells as s 431x500,
m 861x1000, l 1723x2000, xl and el0 2584x3000): s, m and l scale the original to a long
edge of 500, 1000 and 2000 px, xl and el0 (the extended-license size) are the original;
a size larger than the original is not offered. Vectors sell the vector file itself
(`vect`) and raster sizes rendered from the artboard at any scale. Video sells height
classes 240, 480, 720, 1080 and 4k that are not above the original.

A size's file is produced the first time it is licensed (`produce_size`), then cached
in `SizeOption.blob`.
"""

from __future__ import annotations

import tempfile
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

from stockhouse.catalog.models import MediaItem, MediaKind, SizeOption
from stockhouse.errors import Conflict, NotFound
from stockhouse.ingest.media_classes import VIDEO_SIZE_CODES
from stockhouse.ingest.types import SizeSpec

if TYPE_CHECKING:
    from stockhouse.runtime import Runtime

IMAGE_SIZE_EDGES: tuple[tuple[str, int], ...] = (("s", 500), ("m", 1000), ("l", 2000))
ORIGINAL_SIZE_CODES = ("xl", "el0")
VECTOR_CODE = "vect"
VECTOR_XL_EDGE = 5000  # vectors scale freely; xl/el0 are rendered at this long edge
SIZE_ORDER = ("s", "m", "l", "xl", "el0", VECTOR_CODE, *(code for code, _ in VIDEO_SIZE_CODES))
DOWNLOAD_JPEG_QUALITY = 92
MEGAPIXEL_PLACES = Decimal("0.01")


def megapixels(width: int, height: int) -> Decimal:
    """width x height in megapixels, to two decimals."""
    return (Decimal(width * height) / Decimal(1_000_000)).quantize(MEGAPIXEL_PLACES)


def fit_long_edge(width: int, height: int, edge: int) -> tuple[int, int]:
    """width x height scaled so that the longer side is `edge` (at least 1 px each)."""
    scale = edge / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def _spec(code: str, width: int, height: int) -> SizeSpec:
    return SizeSpec(code=code, width=width, height=height, megapixels=megapixels(width, height))


def image_sizes(width: int, height: int) -> list[SizeSpec]:
    """s, m, l (those not larger than the original), then xl and el0 at the original size."""
    long_edge = max(width, height)
    scaled = [
        _spec(code, *fit_long_edge(width, height, edge))
        for code, edge in IMAGE_SIZE_EDGES
        if edge <= long_edge
    ]
    return scaled + [_spec(code, width, height) for code in ORIGINAL_SIZE_CODES]


def vector_sizes(width: int, height: int) -> list[SizeSpec]:
    """Raster s, m, l, xl, el0 rendered from a width x height artboard, then `vect`."""
    raster = [_spec(code, *fit_long_edge(width, height, edge)) for code, edge in IMAGE_SIZE_EDGES]
    xl = fit_long_edge(width, height, VECTOR_XL_EDGE)
    raster += [_spec(code, *xl) for code in ORIGINAL_SIZE_CODES]
    return [*raster, SizeSpec(code=VECTOR_CODE, width=width, height=height)]


def produce_size(runtime: Runtime, item_id: int, code: str) -> str:
    """The blob key of item `item_id`'s file at size `code`, made and cached if needed.

    The original itself serves sizes that equal it (xl, el0 of a raster, vect of a
    vector); other image sizes are resized from the original and stored as JPEG.
    """
    with runtime.db.read_session() as session:
        item = session.get(MediaItem, item_id)
        if item is None:
            raise NotFound(f"item {item_id} not found")
        option = next((size for size in item.sizes if size.code == code), None)
        if option is None:
            raise NotFound(f"item {item_id} has no size {code!r}")
        if option.blob:
            return option.blob
        kind, original = item.kind, item.original_blob
        target = (option.width, option.height)
        is_original = target == (item.width, item.height) and kind != MediaKind.VECTOR
    if code == VECTOR_CODE or (is_original and kind.is_image):
        key = original
    elif kind.is_image:
        key = _resize_original(runtime, original, kind, target)
    else:
        raise Conflict(f"size {code!r} of a {kind.value} item cannot be produced here")
    _remember(runtime, item_id, code, key)
    return key


def _resize_original(
    runtime: Runtime, original: str, kind: MediaKind, target: tuple[int | None, int | None]
) -> str:
    """Resize (or, for a vector, render) the original to `target` and store it as JPEG."""
    # pyvips loads only when a size is actually produced
    from stockhouse.ingest.images import render_to_size
    from stockhouse.ingest.vectors import rasterise_vector

    width, height = target
    if width is None or height is None:
        raise Conflict("this size has no pixel dimensions to produce")
    with tempfile.TemporaryDirectory(prefix="stockhouse-size-") as tmp:
        workdir = Path(tmp)
        source = runtime.blobs.local_path(original)
        if source is None:
            source = workdir / "original"
            runtime.blobs.copy_to_file(original, source)
        output = workdir / "size.jpg"
        if kind == MediaKind.VECTOR:
            rasterise_vector(source, output, width, height)
        else:
            render_to_size(source, output, width, height)
        return runtime.blobs.put_file(output).key


def _remember(runtime: Runtime, item_id: int, code: str, key: str) -> None:
    """Cache the produced blob on the size option (a concurrent producer made the same)."""
    with runtime.db.session() as session:
        option = session.scalars(
            select(SizeOption).where(SizeOption.item_id == item_id, SizeOption.code == code)
        ).one()
        if option.blob is None:
            option.blob = key
