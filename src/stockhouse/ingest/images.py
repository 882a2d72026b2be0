"""Raster images (JPEG, PNG, TIFF, WebP): facts, renditions, colour and perceptual hash.

Performance follows design/performance.md: the header is read first (cheap) so that a
decompression bomb is refused before any pixel is decoded; the original is then decoded
once, at reduced size (libvips shrink-on-load), to the large preview; every smaller
rendition is cascaded from the next larger one, never from the original.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyvips

from stockhouse.catalog.models import MediaKind, Orientation
from stockhouse.ingest.colors import dominant_color
from stockhouse.ingest.metadata import read_metadata
from stockhouse.ingest.phash import HASH_INPUT_SIZE, phash_from_grey
from stockhouse.ingest.sizes import DOWNLOAD_JPEG_QUALITY, image_sizes, megapixels
from stockhouse.ingest.types import Analysis, Detected, IngestRejected, RenditionFile
from stockhouse.ingest.watermark import apply_watermark

logger = logging.getLogger("stockhouse.ingest")

MAX_PIXELS = 200_000_000  # larger originals are refused unread (decompression bombs)
LARGE_EDGE = 1000  # long edge of the large and the watermarked previews
THUMB_EDGES = (450, 170, 110)  # cascaded in this order, each from the previous
COLOR_SOURCE_EDGE = 110  # the dominant colour is counted over this thumbnail's pixels
HASH_SOURCE_EDGE = 170  # the perceptual hash is taken from this thumbnail
PREVIEW_JPEG_QUALITY = 85
SQUARE_TOLERANCE = 0.02  # sides within 2 % of each other make a square
WHITE = [255, 255, 255]
JPEG_MIME = "image/jpeg"
FAIL_ON = "truncated"  # libvips otherwise fills a truncated image with grey and goes on
EXIF_TRANSPOSED = frozenset({5, 6, 7, 8})  # EXIF orientations that swap width and height


@dataclass(frozen=True)
class ImageHeader:
    """An image's size as displayed (after its EXIF rotation)."""

    width: int
    height: int


@dataclass(frozen=True)
class RenditionSet:
    """The rendition files made from a large preview, and what was measured on the way."""

    renditions: list[RenditionFile]
    color: int
    phash: int


def analyse_image(path: Path, workdir: Path, detected: Detected) -> Analysis:
    """Facts, renditions and embedded metadata of the raster image at `path`."""
    header = read_header(path)
    large = load_large(path)
    made = make_renditions(large, workdir)
    return Analysis(
        kind=MediaKind.PHOTO,
        mime_type=detected.mime_type,
        extension=detected.extension,
        width=header.width,
        height=header.height,
        megapixels=megapixels(header.width, header.height),
        orientation=orientation_of(header.width, header.height),
        color=made.color,
        phash=made.phash,
        metadata=read_metadata(path),
        renditions=made.renditions,
        sizes=image_sizes(header.width, header.height),
    )


def read_header(path: Path) -> ImageHeader:
    """The displayed size from the header alone; refuses images over MAX_PIXELS."""
    try:
        image = pyvips.Image.new_from_file(str(path), access="sequential")
    except pyvips.Error as exc:
        raise unreadable(exc) from None
    check_pixel_limit(image.width, image.height)
    orientation = image.get("orientation") if image.get_typeof("orientation") else 1
    if orientation in EXIF_TRANSPOSED:
        return ImageHeader(width=image.height, height=image.width)
    return ImageHeader(width=image.width, height=image.height)


def check_pixel_limit(width: int, height: int) -> None:
    """Refuse a picture whose decoded size would exceed MAX_PIXELS."""
    if width * height > MAX_PIXELS:
        raise IngestRejected(
            f"the image is {width}x{height} pixels ({width * height / 1e6:.0f} megapixels); "
            f"the limit is {MAX_PIXELS / 1e6:.0f} megapixels"
        )


def unreadable(error: pyvips.Error) -> IngestRejected:
    """The contributor-facing rejection for a decoder error (details go to the log)."""
    logger.info("image decoder error: %s", error)
    if "premature end" in str(error).lower() or "truncated" in str(error).lower():
        return IngestRejected("the image is truncated: the file ends before the picture does")
    return IngestRejected("the image data is corrupt and cannot be decoded")


def load_large(path: Path) -> pyvips.Image:
    """The upright picture decoded once at reduced size, at most LARGE_EDGE on its long edge."""
    try:
        image = pyvips.Image.thumbnail(
            str(path), LARGE_EDGE, height=LARGE_EDGE, size="down", fail_on=FAIL_ON
        )
        return to_srgb8(image).copy_memory()
    except pyvips.Error as exc:
        raise unreadable(exc) from None


def to_srgb8(image: pyvips.Image) -> pyvips.Image:
    """`image` as 3-band 8-bit sRGB, transparency flattened onto white (JPEG has none)."""
    if image.interpretation != "srgb":
        try:
            image = image.colourspace("srgb")
        except pyvips.Error:  # e.g. "multiband": no colour model to convert from
            image = image.copy(interpretation="srgb")
    if image.hasalpha():
        image = image.flatten(background=WHITE)
    if image.format != "uchar":
        image = image.cast("uchar")
    if image.bands < 3:
        image = image[0].bandjoin([image[0], image[0]])
    elif image.bands > 3:
        image = image.extract_band(0, n=3)
    return image


def make_renditions(large: pyvips.Image, workdir: Path) -> RenditionSet:
    """Write large, watermarked previews and cascaded thumbnails; measure colour and hash."""
    renditions = [
        save_jpeg(large, workdir, "large"),
        save_jpeg(apply_watermark(large, "brand"), workdir, "preview_brand"),
        save_jpeg(apply_watermark(large, "neutral"), workdir, "preview_neutral"),
    ]
    thumbs: dict[int, pyvips.Image] = {}
    source = large
    for edge in THUMB_EDGES:
        source = thumbs[edge] = shrink_to(source, edge).copy_memory()
        renditions.append(save_jpeg(source, workdir, f"thumb{edge}"))
    return RenditionSet(
        renditions=renditions,
        color=dominant_color(_pixels(thumbs[COLOR_SOURCE_EDGE])),
        phash=perceptual_hash(thumbs[HASH_SOURCE_EDGE]),
    )


def colour_and_hash(path: Path) -> tuple[int, int]:
    """Dominant colour and perceptual hash of a picture file (used for video posters)."""
    image = load_large(path)
    colour_source = shrink_to(image, COLOR_SOURCE_EDGE).copy_memory()
    return dominant_color(_pixels(colour_source)), perceptual_hash(
        shrink_to(image, HASH_SOURCE_EDGE)
    )


def shrink_to(image: pyvips.Image, edge: int) -> pyvips.Image:
    """`image` reduced so that its long edge is at most `edge` (never enlarged)."""
    return image.thumbnail_image(edge, height=edge, size="down")


def save_jpeg(image: pyvips.Image, workdir: Path, name: str) -> RenditionFile:
    """Save `image` as `workdir/<name>.jpg` without metadata; describe the file."""
    path = workdir / f"{name}.jpg"
    image.jpegsave(str(path), Q=PREVIEW_JPEG_QUALITY, keep=0)
    return RenditionFile(
        name=name, path=path, mime_type=JPEG_MIME, width=image.width, height=image.height
    )


def perceptual_hash(image: pyvips.Image) -> int:
    """The 64-bit pHash of an sRGB image (see phash.py)."""
    small = image.thumbnail_image(HASH_INPUT_SIZE, height=HASH_INPUT_SIZE, size="force")
    grey = small.colourspace("b-w")
    return phash_from_grey(_pixels(grey)[:, 0].reshape(HASH_INPUT_SIZE, HASH_INPUT_SIZE))


def _pixels(image: pyvips.Image) -> np.ndarray[tuple[int, int], np.dtype[np.uint8]]:
    """The pixels of an 8-bit image as an (N, bands) array."""
    data = image.write_to_memory()
    return np.frombuffer(data, dtype=np.uint8).reshape(-1, image.bands)


def orientation_of(width: int, height: int) -> Orientation:
    """Square when the sides are within SQUARE_TOLERANCE of each other."""
    if abs(width - height) <= SQUARE_TOLERANCE * max(width, height):
        return Orientation.SQUARE
    return Orientation.HORIZONTAL if width > height else Orientation.VERTICAL


def render_to_size(source: Path, output: Path, width: int, height: int) -> None:
    """Write the raster original at `source` reduced to width x height as a JPEG.

    Embedded metadata (copyright, captions) is kept for the buyer.
    """
    try:
        image = pyvips.Image.thumbnail(
            str(source), width, height=height, size="down", fail_on=FAIL_ON
        )
        to_srgb8(image).jpegsave(str(output), Q=DOWNLOAD_JPEG_QUALITY)
    except pyvips.Error as exc:
        raise unreadable(exc) from None
