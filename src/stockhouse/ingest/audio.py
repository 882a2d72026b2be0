"""Audio analyser: probes a sound file with PyAV (WAV, MP3, FLAC, AIFF, Ogg, M4A ...),
decides music or sound effect, and makes an M4A preview and a waveform picture.

One streaming pass decodes the whole file frame by frame: every frame feeds a peak
envelope (a few thousand floats, whatever the length), and the first PREVIEW_MAX_S
seconds also feed the AAC preview encoder. The duration is the count of decoded samples.

Pond5 shows sound as "vs" 100 (music) or 101 (sound effect) with "ox"/"oy" 16x9; items
longer than MUSIC_MIN_DURATION_MS (media_classes) are music, the uploader may change that.
"""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

from stockhouse.ingest.av_common import (
    MAX_DECODE_ERRORS,
    codec_name,
    declared_seconds,
    open_media,
    rejecting_ffmpeg_errors,
    require_decoder,
    save_png,
)
from stockhouse.ingest.media_classes import SOUND_OX, SOUND_OY, audio_kind, audio_standard
from stockhouse.ingest.types import Analysis, Detected, IngestRejected, RenditionFile

MAX_DURATION_S = 60 * 60
MAX_SAMPLE_RATE = 384_000
MAX_CHANNELS = 32

PREVIEW_MAX_S = 120
PREVIEW_FILENAME = "preview.m4a"
PREVIEW_BIT_RATE = 128_000
PREVIEW_RATES = frozenset({22050, 24000, 32000, 44100, 48000})
PREVIEW_FALLBACK_RATE = 44100

WAVEFORM_WIDTH, WAVEFORM_HEIGHT = 1000, 200
WAVEFORM_FILENAME = "waveform.png"
WAVEFORM_COLOUR = (44, 62, 80, 255)  # opaque slate on a transparent background
# Peaks are first kept per block of samples, about this many blocks per waveform column.
BLOCKS_PER_COLUMN = 4
UNKNOWN_LENGTH_BLOCK = 1024
# Decoded sound covering less than this share of the declared length is an incomplete file.
TRUNCATED_SHARE = 0.5
# WAV and AIFF state their byte size; FFmpeg quietly plays a cut-off file, so a file
# shorter than its stated size by more than this share is refused.
CHUNK_SIZE_TOLERANCE = 0.01
_UNKNOWN_CHUNK_SIZES = (0, 0xFFFFFFFF)  # streaming writers that never went back to fill it


def analyse_audio(path: Path, workdir: Path, detected: Detected) -> Analysis:
    """Probe one sound file, write its preview and waveform; raises IngestRejected."""
    workdir.mkdir(parents=True, exist_ok=True)
    _check_stated_size(path)
    with rejecting_ffmpeg_errors("sound"), open_media(path, "sound") as container:
        stream = _audio_stream(container)
        rate, channels = _check_format(stream)
        declared = declared_seconds(container, stream)
        if declared is not None and declared > MAX_DURATION_S:
            raise _too_long(declared)
        envelope = PeakEnvelope.for_length(declared, rate)
        preview = _Preview(workdir / PREVIEW_FILENAME, rate, channels)
        try:
            samples = _decode_pass(container, stream, envelope, preview)
        except BaseException:
            preview.abort()
            raise
        preview.finish()
    seconds = samples / rate
    if declared is not None and seconds < TRUNCATED_SHARE * declared:
        raise IngestRejected(
            f"The sound stops after {seconds:.1f} s although the file declares "
            f"{declared:.1f} s: it looks incomplete. Please upload it again."
        )
    waveform = workdir / WAVEFORM_FILENAME
    save_png(draw_waveform(envelope.columns(WAVEFORM_WIDTH), WAVEFORM_HEIGHT), waveform)
    duration_ms = round(seconds * 1000)
    kind = audio_kind(duration_ms)
    return Analysis(
        kind=kind,
        mime_type=detected.mime_type,
        extension=detected.extension,
        width=SOUND_OX,
        height=SOUND_OY,
        duration_ms=duration_ms,
        audio_codec=codec_name(stream),
        video_standard=int(audio_standard(kind)),
        sample_rate=rate,
        channels=channels,
        renditions=[
            RenditionFile("preview_m4a", preview.path, "audio/mp4"),
            RenditionFile("waveform", waveform, "image/png", WAVEFORM_WIDTH, WAVEFORM_HEIGHT),
        ],
    )


def _audio_stream(container: Any) -> Any:
    if not container.streams.audio:
        raise IngestRejected("The file has no sound track.")
    stream = container.streams.audio[0]
    require_decoder(stream, "sound")
    return stream


def _check_stated_size(path: Path) -> None:
    """Reject a WAV (RIFF) or AIFF (FORM) file shorter than the size its header states."""
    with path.open("rb") as file:
        header = file.read(12)
    if len(header) < 12 or header[8:12] not in (b"WAVE", b"AIFF", b"AIFC"):
        return
    if header[:4] == b"RIFF":
        stated = int.from_bytes(header[4:8], "little")
    elif header[:4] == b"FORM":
        stated = int.from_bytes(header[4:8], "big")
    else:
        return
    if stated in _UNKNOWN_CHUNK_SIZES:
        return
    expected, actual = stated + 8, path.stat().st_size
    if actual < expected * (1 - CHUNK_SIZE_TOLERANCE):
        raise IngestRejected(
            f"The file holds {actual} bytes although its header announces {expected}: "
            "it looks incomplete. Please upload it again."
        )


def _check_format(stream: Any) -> tuple[int, int]:
    """Sample rate and channel count, or a rejection when they are missing or absurd."""
    context = stream.codec_context
    rate = int(context.sample_rate or 0)
    channels = int(context.layout.nb_channels) if context.layout else 0
    if not 0 < rate <= MAX_SAMPLE_RATE:
        raise IngestRejected(f"The sound has an unusable sample rate ({rate} Hz).")
    if not 0 < channels <= MAX_CHANNELS:
        raise IngestRejected(f"The sound has an unusable number of channels ({channels}).")
    return rate, channels


def _too_long(seconds: float) -> IngestRejected:
    return IngestRejected(
        f"The sound lasts {seconds / 60:.0f} minutes; the longest accepted is "
        f"{MAX_DURATION_S // 60} minutes."
    )


def _decode_pass(container: Any, stream: Any, envelope: PeakEnvelope, preview: _Preview) -> int:
    """Decode every frame once; returns the number of samples (per channel) decoded."""
    samples = 0
    rate = stream.codec_context.sample_rate
    for frame in _frames(container, stream):
        peaks = frame_peaks(frame)
        envelope.add(peaks)
        room = int(PREVIEW_MAX_S * rate) - samples
        if room > 0:
            preview.add(frame, samples, room)
        samples += len(peaks)
        if samples > MAX_DURATION_S * rate:
            raise _too_long(samples / rate)
    if samples == 0:
        raise IngestRejected("The sound track holds no sound that could be decoded.")
    return samples


def _frames(container: Any, stream: Any) -> Iterator[Any]:
    """Decoded frames of one stream; a broken-off container ends the data."""
    errors = 0
    try:
        for packet in container.demux(stream):
            try:
                frames = packet.decode()
            except av.FFmpegError:
                errors += 1
                if errors > MAX_DECODE_ERRORS:
                    raise IngestRejected(
                        "The sound is damaged: too much of it cannot be decoded."
                    ) from None
                continue
            yield from frames
    except av.FFmpegError:
        return


def _head(frame: Any, count: int) -> Any:
    """The first `count` samples of a decoded frame, as a new frame."""
    data = frame.to_ndarray()
    width = count if frame.format.is_planar else count * frame.layout.nb_channels
    data = data[:, :width]
    head = av.AudioFrame.from_ndarray(
        np.ascontiguousarray(data), format=frame.format.name, layout=frame.layout.name
    )
    head.sample_rate = frame.sample_rate
    return head


def frame_peaks(frame: Any) -> np.ndarray:
    """Per-sample peak over all channels of a decoded frame, as float32 in [0, 1]."""
    data = frame.to_ndarray()
    channels = frame.layout.nb_channels
    if not frame.format.is_planar:
        data = data.reshape(-1, channels).T
    peaks: np.ndarray = np.abs(_as_float(data)).max(axis=0).astype(np.float32)
    return peaks


def _as_float(data: np.ndarray) -> np.ndarray:
    if data.dtype == np.uint8:
        return (data.astype(np.float32) - 128) / 128
    if np.issubdtype(data.dtype, np.integer):
        return data.astype(np.float32) / float(np.iinfo(data.dtype).max)
    return np.nan_to_num(data.astype(np.float32)).clip(-1, 1)


class PeakEnvelope:
    """Running maximum of |sample| per fixed block of samples, computed as frames arrive."""

    def __init__(self, block: int) -> None:
        self.block = block
        self._pending = np.zeros(0, dtype=np.float32)
        self._blocks: list[np.ndarray] = []

    @classmethod
    def for_length(cls, seconds: float | None, rate: int) -> PeakEnvelope:
        """Blocks sized for about BLOCKS_PER_COLUMN per waveform column."""
        if seconds is None:
            return cls(UNKNOWN_LENGTH_BLOCK)
        expected = seconds * rate
        return cls(max(1, int(expected // (WAVEFORM_WIDTH * BLOCKS_PER_COLUMN))))

    def add(self, peaks: np.ndarray) -> None:
        data = np.concatenate((self._pending, peaks)) if self._pending.size else peaks
        whole = len(data) // self.block * self.block
        if whole:
            self._blocks.append(data[:whole].reshape(-1, self.block).max(axis=1))
        self._pending = data[whole:]

    def columns(self, count: int) -> np.ndarray:
        """The envelope reduced (or stretched) to `count` column peaks."""
        parts = list(self._blocks)
        if self._pending.size:
            parts.append(self._pending.max(keepdims=True))
        blocks = np.concatenate(parts) if parts else np.zeros(1, dtype=np.float32)
        if len(blocks) >= count:
            edges = np.linspace(0, len(blocks), count + 1).astype(int)[:-1]
            return np.maximum.reduceat(blocks, edges)
        return blocks[np.arange(count) * len(blocks) // count]


def draw_waveform(columns: np.ndarray, height: int) -> np.ndarray:
    """An RGBA picture of a peak envelope, mirrored around the middle line.

    Silence draws a one-pixel line, so a flat waveform still shows where the sound is.
    """
    middle = (height - 1) / 2
    reach = np.maximum(columns.clip(0, 1) * middle, 0.5)
    rows = np.abs(np.arange(height)[:, np.newaxis] - middle)
    inked = rows <= reach[np.newaxis, :]
    picture = np.zeros((height, len(columns), 4), dtype=np.uint8)
    picture[inked] = WAVEFORM_COLOUR
    return picture


class _Preview:
    """The M4A (AAC) preview being encoded from the first PREVIEW_MAX_S seconds."""

    def __init__(self, path: Path, source_rate: int, source_channels: int) -> None:
        self.path = path
        rate = source_rate if source_rate in PREVIEW_RATES else PREVIEW_FALLBACK_RATE
        layout = "mono" if source_channels == 1 else "stereo"
        self.container = av.open(str(path), "w", format="ipod")
        self.stream = self.container.add_stream("aac", rate=rate, layout=layout)
        self.stream.bit_rate = PREVIEW_BIT_RATE
        self.usable = True

    def add(self, frame: Any, at_sample: int, room: int) -> None:
        """Encode a frame placed at `at_sample`, keeping at most `room` of its samples."""
        if not self.usable:
            return
        try:
            if room < frame.samples:
                frame = _head(frame, room)
            frame.pts, frame.time_base = at_sample, Fraction(1, frame.sample_rate)
            self.container.mux(self.stream.encode(frame))
        except (av.FFmpegError, ValueError):
            # The sound changed format mid-file: the preview keeps what it has so far.
            self.usable = False

    def finish(self) -> None:
        """Flush the encoder and close the file."""
        try:
            self.container.mux(self.stream.encode(None))
        finally:
            self.container.close()

    def abort(self) -> None:
        """Close the file without flushing (the analysis failed anyway)."""
        self.container.close()
