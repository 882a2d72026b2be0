"""Making Pond5's `_xl.webm` from the MP4 preview when the ingest did not make one.

The ingest pipeline writes a WebM preview next to the MP4 one when its FFmpeg has libvpx
(ingest/video.py); items ingested without it get theirs here on first request: the MP4
preview (already small: 480 px box, at most 30 s) is decoded and encoded again with the
same WebM settings as the ingest's (VP8 + Opus), frame by frame, in constant memory.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any, cast

import av

from stockhouse.ingest.video import FALLBACK_FPS, WEBM_PREVIEW

MAX_FPS = 60


def _encoder() -> str:
    for name in WEBM_PREVIEW.video_encoders:
        try:
            av.codec.Codec(name, "w")
        except (av.FFmpegError, ValueError):
            continue
        return name
    raise RuntimeError("this FFmpeg build has no WebM (VP8/VP9) encoder")


def _rate(stream: Any) -> Fraction:
    rate = stream.average_rate or stream.guessed_rate
    if not rate or rate <= 0 or rate > MAX_FPS:
        return FALLBACK_FPS
    return Fraction(rate)


def mp4_to_webm(source: Path, output: Path) -> None:
    """Transcode `source` (a video with optional sound) to a WebM file at `output`."""
    with av.open(str(source)) as reader:
        video_in = reader.streams.video[0]
        audio_in = reader.streams.audio[0] if reader.streams.audio else None
        rate = _rate(video_in)
        with av.open(str(output), "w", format=WEBM_PREVIEW.muxer) as writer:
            video_out = cast(
                av.VideoStream, writer.add_stream(_encoder(), rate, WEBM_PREVIEW.video_options)
            )
            context = video_in.codec_context
            video_out.width, video_out.height = context.width, context.height
            video_out.pix_fmt = "yuv420p"
            video_out.codec_context.time_base = 1 / rate
            if WEBM_PREVIEW.video_bit_rate:
                video_out.bit_rate = WEBM_PREVIEW.video_bit_rate
            audio_out = None
            if audio_in is not None:
                layout = "mono" if audio_in.codec_context.layout.nb_channels == 1 else "stereo"
                audio_out = cast(
                    av.AudioStream,
                    writer.add_stream(
                        WEBM_PREVIEW.audio_encoder, WEBM_PREVIEW.audio_rate, layout=layout
                    ),
                )
                audio_out.bit_rate = WEBM_PREVIEW.audio_bit_rate
            streams = [video_in] if audio_in is None else [video_in, audio_in]
            slot = 0
            for frame in reader.decode(*streams):
                if isinstance(frame, av.VideoFrame):
                    frame.pts, frame.time_base = slot, video_out.codec_context.time_base
                    slot += 1
                    writer.mux(video_out.encode(frame.reformat(format="yuv420p")))
                elif audio_out is not None and isinstance(frame, av.AudioFrame):
                    frame.pts = None
                    writer.mux(audio_out.encode(frame))
            writer.mux(video_out.encode(None))
            if audio_out is not None:
                writer.mux(audio_out.encode(None))
