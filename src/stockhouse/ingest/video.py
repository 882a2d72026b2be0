"""Video analyser: probes a clip with PyAV, classifies it the Pond5 way (seed 003) and makes
its poster, icons and previews in one streaming decode pass.

Frames are demuxed and decoded one at a time and handed straight to the preview encoders,
so memory stays flat whatever the size of the original. Only the first PREVIEW_MAX_S
seconds are decoded; the poster of a longer clip is found by seeking.

Renditions (names of catalog.models.Rendition, files of Pond5's clip data):
poster (full frame at 10% of the clip), icon 120x66, iconm 240x134, iconl 480x268,
prevstill 1280x720 (Pond5's _icon/_iconm/_iconl/_prevstill.jpeg), preview_mp4 (H.264 +
AAC, Pond5's _main_l.mp4) and preview_webm (VP8 + Opus, Pond5's _xl.webm). When this
FFmpeg build lacks libx264 the MP4 preview falls back to MPEG-4 Part 2, and without
libvpx there is no WebM preview.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from math import ceil, floor
from pathlib import Path
from typing import Any, cast

import av
import numpy as np

from stockhouse.catalog.models import MediaKind
from stockhouse.ingest.av_common import (
    JPEG_QUALITY,
    MAX_DECODE_ERRORS,
    as_fraction,
    codec_name,
    declared_seconds,
    frame_seconds,
    open_media,
    rejecting_ffmpeg_errors,
    require_decoder,
    vips_image,
)
from stockhouse.ingest.media_classes import (
    aspect_quotient,
    classify_aspect_ratio,
    classify_video_standard,
    content_aspect,
    orientation_of,
    sane_sample_aspect,
    video_size_options,
)
from stockhouse.ingest.types import Analysis, Detected, IngestRejected, RenditionFile

MAX_DURATION_S = 60 * 60
MAX_DIMENSION = 8192  # 8K DCI is 8192x4320
MIN_DIMENSION = 16
MAX_FPS = 1000  # above this the header is lying; the rate is treated as unknown
FALLBACK_FPS = Fraction(25)

PREVIEW_MAX_S = 30
PREVIEW_BOX = 480  # previews fit in 480x480: 480x270 for 16:9, 270x480 for 9:16
PREVIEW_MAX_FPS = 30
SLOT_EPSILON = 0.001  # timestamps are floats: 0.12 s x 25 fps must land in slot 3, not 2
POSTER_POSITION = 0.10  # share of the clip's duration where the poster frame is taken
POSTER_MAX_SIDE = 1920
STILL_SIZES: dict[str, tuple[int, int]] = {
    "icon": (120, 66),
    "iconm": (240, 134),
    "iconl": (480, 268),
    "prevstill": (1280, 720),
}
# Stills crop the frame to fill their box when that loses at most this share of the
# picture (16:9 into 120x66), and are letterboxed or pillarboxed in black otherwise.
MAX_CROP_SHARE = 0.10
# A clip whose pictures stop before this share of its declared length is incomplete.
TRUNCATED_SHARE = 0.5
NO_SOUND = "no snd"  # Pond5's "coda" for a clip without sound


@dataclass(frozen=True)
class PreviewSpec:
    """How one preview file is encoded."""

    name: str
    filename: str
    mime_type: str
    muxer: str
    muxer_options: dict[str, str]
    video_encoders: tuple[str, ...]  # first one this FFmpeg build has wins
    video_options: dict[str, str]
    video_bit_rate: int | None
    audio_encoder: str
    audio_rate: int | None  # None keeps the source rate (when the codec allows it)
    audio_bit_rate: int


MP4_PREVIEW = PreviewSpec(
    name="preview_mp4",
    filename="preview.mp4",
    mime_type="video/mp4",
    muxer="mp4",
    muxer_options={"movflags": "+faststart"},
    video_encoders=("libx264", "mpeg4"),
    video_options={"preset": "veryfast", "crf": "28"},
    video_bit_rate=None,
    audio_encoder="aac",
    audio_rate=None,
    audio_bit_rate=96_000,
)
WEBM_PREVIEW = PreviewSpec(
    name="preview_webm",
    filename="preview.webm",
    mime_type="video/webm",
    muxer="webm",
    muxer_options={},
    video_encoders=("libvpx", "libvpx-vp9"),
    video_options={"deadline": "realtime", "cpu-used": "8"},
    video_bit_rate=500_000,
    audio_encoder="libopus",
    audio_rate=48_000,
    audio_bit_rate=64_000,
)
AAC_RATES = frozenset({8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000, 96000})
AAC_FALLBACK_RATE = 48_000


@dataclass(frozen=True)
class Clip:
    """What the headers say about a clip (duration measured by demuxing if they are silent)."""

    width: int
    height: int
    sar: Fraction
    fps: Fraction | None
    seconds: float
    video_codec: str
    audio_codec: str
    audio_channels: int
    audio_rate: int

    @property
    def aspect(self) -> Fraction:
        return Fraction(self.width, self.height) * self.sar

    @property
    def display_size(self) -> tuple[int, int]:
        return max(1, round(self.width * self.sar)), self.height


@dataclass
class Decoded:
    """What the decode pass saw and made."""

    frames: int = 0
    start_s: float | None = None
    end_s: float = 0.0  # end of the last decoded picture, from the first one
    reached_end: bool = False
    poster: np.ndarray | None = None
    last_frame: Any = None
    previews: list[RenditionFile] = field(default_factory=list)


def analyse_video(path: Path, workdir: Path, detected: Detected) -> Analysis:
    """Probe, classify and render one video file; raises IngestRejected with the reason."""
    workdir.mkdir(parents=True, exist_ok=True)
    with rejecting_ffmpeg_errors("video"), open_media(path, "a video") as container:
        video = _video_stream(container)
        audio = _audio_stream(container)
        clip = _probe(path, container, video, audio)
        decoded = _decode_pass(container, video, audio, clip, workdir)
        _check_complete(decoded, clip)
        poster = decoded.poster
        if poster is None:
            poster = _seek_poster(container, video, clip)
        if poster is None:
            poster = _rgb(decoded.last_frame, clip)
    seconds = decoded.end_s if decoded.reached_end else clip.seconds
    aspect = clip.aspect
    return Analysis(
        kind=MediaKind.VIDEO,
        mime_type=detected.mime_type,
        extension=detected.extension,
        width=clip.width,
        height=clip.height,
        megapixels=(Decimal(clip.width * clip.height) / 1_000_000).quantize(Decimal("0.01")),
        orientation=orientation_of(aspect),
        duration_ms=round(seconds * 1000),
        fps=None if clip.fps is None else _decimal_fps(clip.fps),
        video_codec=clip.video_codec,
        audio_codec=clip.audio_codec,
        video_standard=int(classify_video_standard(clip.width, clip.height, clip.video_codec)),
        aspect_ratio=int(
            classify_aspect_ratio(aspect, clip.sar == 1, content_aspect(poster, aspect))
        ),
        aspect_quotient=aspect_quotient(aspect),
        renditions=[*_stills(poster, workdir), *decoded.previews],
        sizes=video_size_options(clip.width, clip.height, aspect),
    )


# -- probing ------------------------------------------------------------------------------


def _video_stream(container: Any) -> Any:
    for stream in container.streams.video:
        if not stream.disposition & av.stream.Disposition.attached_pic:
            require_decoder(stream, "video")
            stream.codec_context.thread_type = "AUTO"
            return stream
    raise IngestRejected("The file has no video track (a sound file or a still picture?).")


def _audio_stream(container: Any) -> Any | None:
    for stream in container.streams.audio:
        if stream.codec_context is not None and stream.codec_context.codec is not None:
            return stream
    return None


def _probe(path: Path, container: Any, video: Any, audio: Any | None) -> Clip:
    context = video.codec_context
    width, height = int(context.width or 0), int(context.height or 0)
    if width == 0 or height == 0:
        raise IngestRejected("The video does not say how large its pictures are.")
    if width > MAX_DIMENSION or height > MAX_DIMENSION:
        raise IngestRejected(
            f"The video is {width}x{height} pixels; the largest accepted is "
            f"{MAX_DIMENSION}x{MAX_DIMENSION}."
        )
    if width < MIN_DIMENSION or height < MIN_DIMENSION:
        raise IngestRejected(
            f"The video is {width}x{height} pixels; it must be at least "
            f"{MIN_DIMENSION}x{MIN_DIMENSION}."
        )
    seconds = declared_seconds(container, video)
    if seconds is None:
        seconds = _measure_seconds(path, video.index)
    if seconds > MAX_DURATION_S:
        raise IngestRejected(
            f"The video lasts {seconds / 60:.0f} minutes; the longest accepted is "
            f"{MAX_DURATION_S // 60} minutes."
        )
    fps = as_fraction(video.average_rate) or as_fraction(video.guessed_rate)
    sar = as_fraction(video.sample_aspect_ratio) or as_fraction(context.sample_aspect_ratio)
    audio_context = None if audio is None else audio.codec_context
    return Clip(
        width=width,
        height=height,
        sar=sane_sample_aspect(sar),
        fps=fps if fps is not None and fps <= MAX_FPS else None,
        seconds=seconds,
        video_codec=codec_name(video) or "unknown",
        audio_codec=NO_SOUND if audio is None else (codec_name(audio) or "unknown"),
        audio_channels=0 if audio_context is None else audio_context.layout.nb_channels,
        audio_rate=0 if audio_context is None else int(audio_context.sample_rate or 0),
    )


def _measure_seconds(path: Path, stream_index: int) -> float:
    """Length of a video stream whose header is silent, from its packets (no decoding)."""
    end = 0.0
    with open_media(path, "a video") as container:
        stream = container.streams[stream_index]
        try:
            for packet in container.demux(stream):
                if packet.pts is None:
                    continue
                end = max(end, float((packet.pts + (packet.duration or 0)) * packet.time_base))
                if end > MAX_DURATION_S:
                    break
        except av.FFmpegError:
            pass  # damaged tail: what was readable counts; the decode pass judges the rest
    return end


def _decimal_fps(fps: Fraction) -> Decimal:
    return (Decimal(fps.numerator) / Decimal(fps.denominator)).quantize(Decimal("0.001"))


# -- the decode pass ------------------------------------------------------------------------


def _decode_pass(
    container: Any, video: Any, audio: Any | None, clip: Clip, workdir: Path
) -> Decoded:
    """Decode the first PREVIEW_MAX_S seconds once, feeding both preview encoders."""
    size = _fit(*clip.display_size, PREVIEW_BOX, even=True)
    rate = _preview_rate(clip.fps)
    writers = _open_writers(workdir, size, rate, clip)
    feed = _Feed(clip, writers, size, rate)
    try:
        feed.decoded.reached_end = True
        for frame in _frames(container, video, audio):
            if isinstance(frame, av.AudioFrame):
                feed.audio(frame)
            elif not feed.video(frame):
                feed.decoded.reached_end = False
                break
    except BaseException:
        for writer in writers:
            writer.abort()
        raise
    for writer in writers:
        writer.finish()
    if feed.decoded.frames == 0:
        raise IngestRejected("The video track holds no pictures that could be decoded.")
    feed.decoded.previews = [writer.rendition for writer in writers]
    return feed.decoded


class _Feed:
    """Hands decoded frames to the preview writers and picks the poster on the way."""

    def __init__(
        self, clip: Clip, writers: list[_PreviewWriter], size: tuple[int, int], rate: Fraction
    ) -> None:
        self.clip, self.writers, self.size, self.rate = clip, writers, size, rate
        self.poster_at = POSTER_POSITION * clip.seconds
        self.decoded = Decoded()
        self.last_slot = -1
        self.audio_samples = 0

    def audio(self, frame: av.AudioFrame) -> None:
        """Sound goes to the previews back to back, up to PREVIEW_MAX_S."""
        if self.audio_samples >= PREVIEW_MAX_S * frame.sample_rate:
            return
        frame.pts, frame.time_base = self.audio_samples, Fraction(1, frame.sample_rate)
        self.audio_samples += frame.samples
        for writer in self.writers:
            writer.add_audio(frame)

    def video(self, frame: av.VideoFrame) -> bool:
        """Take one picture; False once the preview window is full."""
        decoded = self.decoded
        at = _frame_time(frame, decoded)
        if at > PREVIEW_MAX_S:
            return False
        decoded.frames += 1
        decoded.last_frame = frame
        decoded.end_s = max(decoded.end_s, at + _frame_duration(frame, self.clip.fps))
        if decoded.poster is None and at >= self.poster_at:
            decoded.poster = _rgb(frame, self.clip)
        slot = floor(at * self.rate + SLOT_EPSILON)
        if slot > self.last_slot:  # pictures between two preview slots are dropped
            self.last_slot = slot
            width, height = self.size
            scaled = frame.reformat(width=width, height=height, format="yuv420p")
            for writer in self.writers:
                writer.add_video(scaled, slot)
        return True


def _frames(container: Any, video: Any, audio: Any | None) -> Iterator[Any]:
    """Decoded frames of the video (and audio) stream in file order; damage ends the data."""
    streams = [video] if audio is None else [video, audio]
    errors = 0
    try:
        for packet in container.demux(*streams):
            try:
                frames = packet.decode()
            except av.FFmpegError:
                if packet.stream is video:
                    errors += 1
                    if errors > MAX_DECODE_ERRORS:
                        raise IngestRejected(
                            "The video is damaged: too many of its pictures cannot be decoded."
                        ) from None
                continue
            yield from frames
    except av.FFmpegError:
        return  # the container breaks off here; the completeness check judges the rest


def _frame_time(frame: Any, decoded: Decoded) -> float:
    """Seconds from the first picture; frames without a timestamp follow the previous one."""
    seconds = frame_seconds(frame)
    if seconds is None:
        return decoded.end_s if decoded.frames else 0.0
    if decoded.start_s is None:
        decoded.start_s = seconds
    return seconds - decoded.start_s


def _frame_duration(frame: Any, fps: Fraction | None) -> float:
    if frame.duration and frame.time_base:
        return float(frame.duration * frame.time_base)
    return float(1 / (fps or FALLBACK_FPS))


def _check_complete(decoded: Decoded, clip: Clip) -> None:
    """Reject a clip whose pictures stop far short of what its header declares."""
    expected = min(clip.seconds, PREVIEW_MAX_S)
    if decoded.reached_end and decoded.end_s < TRUNCATED_SHARE * expected:
        raise IngestRejected(
            f"The video stops after {decoded.end_s:.1f} s although it declares "
            f"{clip.seconds:.1f} s: the file looks incomplete. Please upload it again."
        )


def _preview_rate(fps: Fraction | None) -> Fraction:
    """The source rate, divided down to at most PREVIEW_MAX_FPS (60 -> 30, 50 -> 25)."""
    rate = fps or FALLBACK_FPS
    return rate / ceil(rate / PREVIEW_MAX_FPS)


def _fit(width: int, height: int, box: int, even: bool = False) -> tuple[int, int]:
    """Scale down (never up) to fit in a box x box square, keeping the aspect."""
    scale = min(1.0, box / max(width, height))
    if even:
        return max(2, 2 * round(width * scale / 2)), max(2, 2 * round(height * scale / 2))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _first_encoder(names: tuple[str, ...]) -> str | None:
    for name in names:
        try:
            av.codec.Codec(name, "w")
        except (av.FFmpegError, ValueError):
            continue
        return name
    return None


class _PreviewWriter:
    """One preview file being encoded: video on a constant frame grid, optional sound."""

    def __init__(
        self, spec: PreviewSpec, workdir: Path, size: tuple[int, int], rate: Fraction, clip: Clip
    ) -> None:
        self.path = workdir / spec.filename
        self.rendition = RenditionFile(spec.name, self.path, spec.mime_type, *size)
        self.container = av.open(str(self.path), "w", format=spec.muxer, options=spec.muxer_options)
        try:
            encoder = _first_encoder(spec.video_encoders) or spec.video_encoders[-1]
            self.video = cast(
                av.VideoStream, self.container.add_stream(encoder, rate, spec.video_options)
            )
            self.video.width, self.video.height, self.video.pix_fmt = *size, "yuv420p"
            self.video.codec_context.time_base = 1 / rate
            if spec.video_bit_rate:
                self.video.bit_rate = spec.video_bit_rate
            self.audio = None if clip.audio_channels == 0 else self._add_audio(spec, clip)
        except BaseException:
            self.container.close()
            raise

    def _add_audio(self, spec: PreviewSpec, clip: Clip) -> av.AudioStream:
        keep = clip.audio_rate if clip.audio_rate in AAC_RATES else AAC_FALLBACK_RATE
        layout = "mono" if clip.audio_channels == 1 else "stereo"
        stream = cast(
            av.AudioStream,
            self.container.add_stream(spec.audio_encoder, spec.audio_rate or keep, layout=layout),
        )
        stream.bit_rate = spec.audio_bit_rate
        return stream

    def add_video(self, frame: av.VideoFrame, slot: int) -> None:
        frame.pts, frame.time_base = slot, self.video.codec_context.time_base
        self.container.mux(self.video.encode(frame))

    def add_audio(self, frame: av.AudioFrame) -> None:
        if self.audio is None:
            return
        try:
            self.container.mux(self.audio.encode(frame))
        except (av.FFmpegError, ValueError):
            # The sound changed format mid-stream: the preview keeps the sound it has.
            self.audio = None

    def finish(self) -> None:
        """Flush the encoders and close the file."""
        try:
            self.container.mux(self.video.encode(None))
            if self.audio is not None:
                self.container.mux(self.audio.encode(None))
        finally:
            self.container.close()

    def abort(self) -> None:
        """Close the file without flushing (the analysis failed anyway)."""
        self.container.close()


def _open_writers(
    workdir: Path, size: tuple[int, int], rate: Fraction, clip: Clip
) -> list[_PreviewWriter]:
    writers: list[_PreviewWriter] = []
    try:
        for spec in (MP4_PREVIEW, WEBM_PREVIEW):
            if _first_encoder(spec.video_encoders):
                writers.append(_PreviewWriter(spec, workdir, size, rate, clip))
    except BaseException:
        for writer in writers:
            writer.abort()
        raise
    return writers


# -- poster and stills -----------------------------------------------------------------------


def _rgb(frame: Any, clip: Clip) -> np.ndarray:
    """A decoded frame as RGB at its display aspect, at most POSTER_MAX_SIDE wide or high."""
    width, height = _fit(*clip.display_size, POSTER_MAX_SIDE)
    picture = frame.reformat(width=width, height=height, format="rgb24", interpolation="AREA")
    return np.asarray(picture.to_ndarray())


def _seek_poster(container: Any, video: Any, clip: Clip) -> np.ndarray | None:
    """The frame at POSTER_POSITION of a clip longer than the decoded preview window."""
    at = POSTER_POSITION * clip.seconds
    start = float(video.start_time * video.time_base) if video.start_time else 0.0
    try:
        container.seek(int((start + at) / video.time_base), stream=video)
        for frame in container.decode(video):
            seconds = frame_seconds(frame)
            if seconds is None or seconds - start >= at:
                return _rgb(frame, clip)
    except av.FFmpegError:
        pass  # unseekable or damaged there: the caller falls back to the last decoded frame
    return None


def _stills(poster: np.ndarray, workdir: Path) -> list[RenditionFile]:
    image = vips_image(poster)
    poster_path = workdir / "poster.jpg"
    image.jpegsave(str(poster_path), Q=JPEG_QUALITY)
    stills = [RenditionFile("poster", poster_path, "image/jpeg", image.width, image.height)]
    for name, (width, height) in STILL_SIZES.items():
        path = workdir / f"{name}.jpg"
        _boxed(image, width, height).jpegsave(str(path), Q=JPEG_QUALITY)
        stills.append(RenditionFile(name, path, "image/jpeg", width, height))
    return stills


def _boxed(image: Any, width: int, height: int) -> Any:
    """Exactly width x height: cropped to fill when little is lost, else boxed in black."""
    source, target = image.width / image.height, width / height
    lost = 1 - min(source, target) / max(source, target)
    if lost <= MAX_CROP_SHARE:
        return image.thumbnail_image(width, height=height, crop="centre")
    fitted = image.thumbnail_image(width, height=height)
    return fitted.gravity("centre", width, height, extend="black")
