"""What the video and audio analysers share: opening a contributor's file safely with PyAV,
naming codecs the way Pond5 shows them, reading declared durations, and writing JPEG and
PNG pictures from numpy arrays.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import pyvips

from stockhouse.ingest.types import IngestRejected

# Demuxers we accept (FFmpeg's names). Playlist and meta formats (hls, concat, image2 ...)
# can make FFmpeg open other files, so a file they claim is refused.
ALLOWED_DEMUXERS = frozenset(
    {
        "mov",
        "mp4",
        "m4a",
        "3gp",
        "matroska",
        "webm",
        "avi",
        "mpegts",
        "mpeg",
        "dv",
        "flv",
        "asf",
        "mxf",
        "h264",
        "hevc",
        "m4v",
        "mpegvideo",
        "wav",
        "w64",
        "mp3",
        "flac",
        "aiff",
        "ogg",
        "caf",
        "aac",
    }
)
# Nested opens (playlists, references) may only ever touch local files.
INPUT_OPTIONS = {"protocol_whitelist": "file"}
# Decoding errors tolerated in a stream before the file counts as damaged.
MAX_DECODE_ERRORS = 25
JPEG_QUALITY = 85


@contextmanager
def open_media(path: Path, what: str) -> Iterator[Any]:
    """Open `path` for demuxing, or reject it with a reason the contributor can read."""
    try:
        container = av.open(str(path), options=INPUT_OPTIONS, metadata_errors="ignore")
    except av.FFmpegError as exc:
        raise IngestRejected(
            f"The file could not be read as {what}: it is damaged, incomplete or not a "
            f"media file ({_reason(exc)})."
        ) from exc
    try:
        if not ALLOWED_DEMUXERS.intersection(container.format.name.split(",")):
            raise IngestRejected(
                f"The file is in the {container.format.long_name} format, which is not "
                f"accepted as {what}."
            )
        yield container
    finally:
        container.close()


@contextmanager
def rejecting_ffmpeg_errors(what: str) -> Iterator[None]:
    """Turn an FFmpeg failure while processing a contributor's file into a rejection."""
    try:
        yield
    except av.FFmpegError as exc:
        raise IngestRejected(
            f"The {what} could not be processed: {_reason(exc)}. The file may be damaged."
        ) from exc


def _reason(exc: av.FFmpegError) -> str:
    return str(exc.strerror or exc.__class__.__name__).rstrip(".").lower()


def codec_name(stream: Any) -> str | None:
    """FFmpeg's codec name ("h264", "dvvideo", "pcm_s16be", "mp3"), never a decoder alias."""
    context = stream.codec_context
    if context is None or context.codec is None:
        return None
    return str(context.codec.canonical_name)


def require_decoder(stream: Any, what: str) -> None:
    """Reject a stream whose codec this FFmpeg build cannot decode."""
    try:
        context = stream.codec_context
        decodable = context is not None and context.codec is not None
    except av.FFmpegError:
        decodable = False
    if not decodable:
        raise IngestRejected(f"The {what} is coded in a format this server cannot decode.")


def declared_seconds(container: Any, stream: Any) -> float | None:
    """The duration the header declares: the stream's own, else the container's."""
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration and container.duration > 0:
        return float(container.duration) / av.time_base
    return None


def frame_seconds(frame: Any) -> float | None:
    """Presentation time of a decoded frame in seconds, None when it has no timestamp."""
    if frame.pts is None or frame.time_base is None:
        return None
    return float(frame.pts * frame.time_base)


def as_fraction(value: Any) -> Fraction | None:
    """A positive rational from PyAV (Fraction, int or None), else None."""
    if value is None:
        return None
    fraction = Fraction(value)
    return fraction if fraction > 0 else None


def save_jpeg(rgb: np.ndarray, path: Path) -> None:
    """Write an RGB (height, width, 3) uint8 array as a baseline JPEG."""
    vips_image(rgb).jpegsave(str(path), Q=JPEG_QUALITY)


def save_png(pixels: np.ndarray, path: Path) -> None:
    """Write an RGB or RGBA uint8 array as PNG."""
    vips_image(pixels).pngsave(str(path), compression=9)


def vips_image(pixels: np.ndarray) -> Any:
    """A pyvips image over a copy of a uint8 array (height, width, bands)."""
    data = np.ascontiguousarray(pixels, dtype=np.uint8)
    height, width, bands = data.shape
    return pyvips.Image.new_from_memory(data.tobytes(), width, height, bands, "uchar")
