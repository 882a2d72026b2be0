"""Synthetic media made with PyAV: small, real video and audio files for tests and the demo.

Nothing here is downloaded: every file is encoded on the spot from generated pictures
(colour bars with a moving box, optionally inside black letterbox bars) and generated
sound (a sine tone or silence). The files are genuine containers that any player, and
the ingest analysers, read like camera or studio output.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any, cast

import av
import numpy as np

# Container named by the file suffix when the caller does not name one.
VIDEO_CONTAINERS = {".mp4": "mp4", ".mov": "mov", ".mkv": "matroska", ".webm": "webm"}
AUDIO_FORMATS = {
    ".wav": "wav",
    ".mp3": "mp3",
    ".flac": "flac",
    ".aiff": "aiff",
    ".aif": "aiff",
    ".m4a": "m4a",
    ".ogg": "ogg",
}

# Encoder and pixel format per video codec name accepted by `make_video`.
_VIDEO_ENCODERS: dict[str, tuple[str, str]] = {
    "h264": ("libx264", "yuv420p"),
    "mpeg4": ("mpeg4", "yuv420p"),
    "mpeg2video": ("mpeg2video", "yuv420p"),
    "vp8": ("libvpx", "yuv420p"),
    "vp9": ("libvpx-vp9", "yuv420p"),
    "mjpeg": ("mjpeg", "yuvj420p"),
}
# DV is a fixed raster: PAL 720x576 4:2:0 at 25 fps, NTSC 720x480 4:1:1 at 29.97 fps.
_DV_RASTERS = {576: ("yuv420p", Fraction(25)), 480: ("yuv411p", Fraction(30000, 1001))}

# Audio encoder, muxer and sample format per audio file format of `make_audio`.
_AUDIO_ENCODERS: dict[str, tuple[str, str]] = {
    "wav": ("pcm_s16le", "wav"),
    "mp3": ("libmp3lame", "mp3"),
    "flac": ("flac", "flac"),
    "aiff": ("pcm_s16be", "aiff"),
    "m4a": ("aac", "ipod"),
    "ogg": ("libopus", "ogg"),
}
OPUS_RATES = (8000, 12000, 16000, 24000, 48000)
TONE_AMPLITUDE = 0.5
AUDIO_CHUNK_SAMPLES = 1024


def make_video(
    path: Path,
    width: int = 160,
    height: int = 90,
    fps: Fraction | int | str = 25,
    seconds: float = 1.0,
    codec: str = "h264",
    sar: Fraction | None = None,
    container: str | None = None,
    audio_codec: str | None = None,
    letterbox: Fraction | None = None,
    seed: int = 0,
) -> Path:
    """Write a video of moving colour bars and return `path`.

    `codec` is one of h264, mpeg4, mpeg2video, vp8, vp9, mjpeg, dvvideo (DV needs
    720x576 or 720x480 and uses its own frame rate). `sar` sets the sample (pixel) aspect
    ratio, e.g. Fraction(64, 45) for anamorphic 16:9 PAL. `audio_codec` (aac, opus,
    pcm_s16le, pcm_s16be ...) adds a 440 Hz tone track. `letterbox` draws black bars above
    and below so that the picture inside has that display aspect (e.g. 16:9 in 4:3).
    `seed` varies the colours so that demo clips differ.
    """
    path = Path(path)
    fmt = container or VIDEO_CONTAINERS.get(path.suffix.lower(), "mp4")
    rate = Fraction(fps)
    if codec == "dvvideo":
        if width != 720 or height not in _DV_RASTERS:
            raise ValueError("DV video must be 720x576 (PAL) or 720x480 (NTSC)")
        encoder, pix_fmt = "dvvideo", _DV_RASTERS[height][0]
        rate = _DV_RASTERS[height][1]
    else:
        encoder, pix_fmt = _VIDEO_ENCODERS[codec]
    frames = max(1, round(seconds * rate))
    with av.open(str(path), "w", format=fmt) as out:
        stream = cast(av.VideoStream, out.add_stream(encoder, rate, _encoder_options(encoder)))
        stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
        if sar is not None:
            stream.codec_context.sample_aspect_ratio = sar
        tone = _add_audio_stream(out, audio_codec) if audio_codec else None
        sound = _Interleaved(out, tone, seconds)
        display_aspect = Fraction(width, height) * (sar or 1)
        for index in range(frames):
            picture = _bars_picture(width, height, index, seed, letterbox, display_aspect)
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            frame.pts = index
            frame.time_base = 1 / rate
            out.mux(stream.encode(frame))
            sound.write_until(float((index + 1) / rate))
        out.mux(stream.encode(None))
        sound.write_until(None)
    return path


class _Interleaved:
    """A tone track written alongside the pictures, so that the file is interleaved."""

    def __init__(self, out: Any, stream: Any | None, seconds: float) -> None:
        self.out, self.stream = out, stream
        self.frames = (
            iter(())
            if stream is None
            else _tone_frames(stream.rate, stream.layout.nb_channels, seconds, 440.0, False)
        )
        self.pending: av.AudioFrame | None = None

    def write_until(self, seconds: float | None) -> None:
        """Mux the tone up to `seconds` (None: all of it, then flush the encoder)."""
        if self.stream is None:
            return
        for frame in self._frames_until(seconds):
            self.out.mux(self.stream.encode(frame))
        if seconds is None:
            self.out.mux(self.stream.encode(None))

    def _frames_until(self, seconds: float | None) -> Iterator[av.AudioFrame]:
        while True:
            frame = self.pending or next(self.frames, None)
            self.pending = None
            if frame is None:
                return
            if seconds is not None and (frame.time or 0.0) >= seconds:
                self.pending = frame
                return
            yield frame


def make_empty_video(path: Path, width: int = 160, height: int = 90) -> Path:
    """Write a Matroska file that declares an H.264 video track holding no frames.

    A short audio track keeps the file well formed (MP4 drops an empty track entirely).
    """
    path = Path(path)
    with av.open(str(path), "w", format="matroska") as out:
        stream = out.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        tone = _add_audio_stream(out, "aac")
        _write_tone(out, tone, 0.5, 440.0)
    return path


def make_audio(
    path: Path,
    seconds: float = 1.0,
    rate: int = 44100,
    channels: int = 1,
    format: str | None = None,
    tone_hz: float | None = 440.0,
    fade_out: bool = False,
) -> Path:
    """Write an audio file holding a sine tone (or silence when `tone_hz` is None).

    `format` is wav, mp3, flac, aiff, m4a or ogg (Opus, so `rate` must be one Opus
    supports, e.g. 48000); by default it follows the file suffix. `fade_out` makes the
    tone fade linearly from full level to silence over the whole file.
    """
    path = Path(path)
    fmt = format or AUDIO_FORMATS[path.suffix.lower()]
    encoder, muxer = _AUDIO_ENCODERS[fmt]
    if encoder == "libopus" and rate not in OPUS_RATES:
        raise ValueError(f"Ogg Opus needs one of the rates {OPUS_RATES}, not {rate}")
    layout = "mono" if channels == 1 else "stereo"
    with av.open(str(path), "w", format=muxer) as out:
        stream = out.add_stream(encoder, rate=rate, layout=layout)
        out.start_encoding()  # so that zero seconds still gives a file with a header
        _write_tone(out, stream, seconds, tone_hz, fade_out)
    return path


def _encoder_options(encoder: str) -> dict[str, str]:
    if encoder == "libx264":
        return {"preset": "ultrafast"}
    if encoder.startswith("libvpx"):
        return {"deadline": "realtime", "cpu-used": "8"}
    return {}


def _add_audio_stream(out: Any, codec: str) -> Any:
    encoder = "libopus" if codec == "opus" else codec
    rate = 48000 if encoder == "libopus" else 44100
    return out.add_stream(encoder, rate=rate, layout="stereo")


def _write_tone(
    out: Any, stream: Any, seconds: float, tone_hz: float | None, fade_out: bool = False
) -> None:
    channels = stream.layout.nb_channels
    for frame in _tone_frames(stream.rate, channels, seconds, tone_hz, fade_out):
        out.mux(stream.encode(frame))
    out.mux(stream.encode(None))


def _tone_frames(
    rate: int, channels: int, seconds: float, tone_hz: float | None, fade_out: bool
) -> Iterator[av.AudioFrame]:
    total = round(seconds * rate)
    layout = "mono" if channels == 1 else "stereo"
    for start in range(0, total, AUDIO_CHUNK_SAMPLES):
        count = min(AUDIO_CHUNK_SAMPLES, total - start)
        t = (np.arange(start, start + count, dtype=np.float64)) / rate
        if tone_hz is None:
            wave = np.zeros(count, dtype=np.float32)
        else:
            level = TONE_AMPLITUDE * (1 - t / seconds if fade_out else 1)
            wave = (level * np.sin(2 * math.pi * tone_hz * t)).astype(np.float32)
        planes = np.tile(wave, (channels, 1))
        frame = av.AudioFrame.from_ndarray(planes, format="fltp", layout=layout)
        frame.sample_rate = rate
        frame.pts = start
        frame.time_base = Fraction(1, rate)
        yield frame


def _bars_picture(
    width: int,
    height: int,
    index: int,
    seed: int,
    letterbox: Fraction | None,
    display_aspect: Fraction,
) -> np.ndarray:
    """Eight vertical colour bars with a white box sliding across them."""
    rng = np.random.default_rng(seed)
    palette = rng.integers(40, 230, size=(8, 3), dtype=np.uint8) if seed else _SMPTE_BARS
    columns = (np.arange(width) * 8 // width).clip(0, 7)
    picture = np.repeat(palette[columns][np.newaxis, :, :], height, axis=0)
    box = max(2, min(width, height) // 4)
    x = (index * max(1, width // 25)) % max(1, width - box)
    y = (height - box) // 2
    picture[y : y + box, x : x + box] = 255
    if letterbox is not None:
        inner = round(height * display_aspect / letterbox)
        bar = max(0, (height - inner) // 2)
        picture[:bar] = 0
        picture[height - bar :] = 0
    return np.ascontiguousarray(picture)


_SMPTE_BARS = np.array(
    [
        [192, 192, 192],
        [192, 192, 0],
        [0, 192, 192],
        [0, 192, 0],
        [192, 0, 192],
        [192, 0, 0],
        [0, 0, 192],
        [16, 16, 16],
    ],
    dtype=np.uint8,
)
