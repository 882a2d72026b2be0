"""The video analyser: facts, Pond5 classes, stills and previews of clips made by PyAV."""

from __future__ import annotations

import random
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
import pyvips

from stockhouse.catalog.models import MediaKind, Orientation
from stockhouse.ingest import video as video_module
from stockhouse.ingest.synth import make_audio, make_empty_video, make_video
from stockhouse.ingest.types import Analysis, Detected, IngestRejected
from stockhouse.ingest.video import analyse_video
from tests.ingest.media_factory import analyses_of_damaged_copies

MIME = {
    "mp4": "video/mp4",
    "mov": "video/quicktime",
    "mkv": "video/x-matroska",
    "webm": "video/webm",
    "wav": "audio/wav",
    "m3u8": "application/vnd.apple.mpegurl",
}

Analyse = Callable[..., Analysis]


def detected_for(path: Path) -> Detected:
    extension = path.suffix.lstrip(".")
    return Detected(family="video", mime_type=MIME.get(extension, "video/mp4"), extension=extension)


def analyse(path: Path) -> Analysis:
    return analyse_video(path, path.parent / f"{path.stem}-work", detected_for(path))


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Analyse:
    """Make a clip with make_video's arguments and analyse it (once per module and name)."""
    made: dict[str, Analysis] = {}

    def make(name: str, **options: Any) -> Analysis:
        if name not in made:
            folder = tmp_path_factory.mktemp(name.replace(".", "_"))
            made[name] = analyse(make_video(folder / name, **options))
        return made[name]

    return make


@pytest.fixture(scope="module")
def h264(clip: Analyse) -> Analysis:
    return clip("h264.mp4", audio_codec="aac")


@pytest.fixture(scope="module")
def pal(clip: Analyse) -> Analysis:
    return clip(
        "pal.mov",
        width=720,
        height=576,
        codec="dvvideo",
        sar=Fraction(64, 45),
        seconds=0.2,
        audio_codec="pcm_s16be",
    )


@pytest.fixture(scope="module")
def ntsc(clip: Analyse) -> Analysis:
    return clip("ntsc.mov", width=720, height=480, codec="dvvideo", seconds=0.2)


@pytest.fixture(scope="module")
def vp8(clip: Analyse) -> Analysis:
    return clip("vp8.webm", codec="vp8", audio_codec="opus")


def rendition(analysis: Analysis, name: str) -> Any:
    return next(r for r in analysis.renditions if r.name == name)


def streams_of(path: Path) -> dict[str, Any]:
    """Codec names, sizes, frame count and duration of a media file, read back with PyAV."""
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        audio = container.streams.audio[0] if container.streams.audio else None
        frames = sum(1 for _ in container.decode(video))
        return {
            "video": video.codec_context.name,
            "pix_fmt": video.codec_context.format.name,
            "size": (video.codec_context.width, video.codec_context.height),
            "audio": None if audio is None else audio.codec_context.name,
            "frames": frames,
            "seconds": container.duration / av.time_base,
        }


# -- facts ---------------------------------------------------------------------------------


def test_mp4_reports_size_rate_codecs_and_duration(h264: Analysis):
    assert (h264.kind, h264.width, h264.height) == (MediaKind.VIDEO, 160, 90)
    assert (h264.video_codec, h264.audio_codec) == ("h264", "aac")
    assert h264.fps == Decimal("25.000")
    assert abs(h264.duration_ms - 1000) <= 40  # one frame at 25 fps


def test_mime_type_and_extension_come_from_detection(h264: Analysis):
    assert (h264.mime_type, h264.extension) == ("video/mp4", "mp4")


def test_small_web_clip_is_multimedia_native_sixteen_nine(h264: Analysis):
    assert (h264.video_standard, h264.aspect_ratio) == (7, 6)
    assert h264.aspect_quotient == Decimal("1.77778")
    assert h264.orientation == Orientation.HORIZONTAL


def test_pal_dv_with_wide_pixels_is_pal_sixteen_nine_anamorphic(pal: Analysis):
    assert (pal.width, pal.height, pal.video_codec, pal.audio_codec) == (
        720,
        576,
        "dvvideo",
        "pcm_s16be",
    )
    assert (pal.video_standard, pal.aspect_ratio) == (3, 2)
    assert pal.aspect_quotient == Decimal("1.77778")


def test_ntsc_dv_is_ntsc_dv_four_three(ntsc: Analysis):
    assert (ntsc.video_standard, ntsc.aspect_ratio) == (2, 1)
    assert ntsc.aspect_quotient == Decimal("1.33333")
    assert ntsc.fps == Decimal("29.970")


def test_clip_without_sound_reports_no_snd(ntsc: Analysis):
    assert ntsc.audio_codec == "no snd"


@pytest.mark.parametrize(
    ("name", "options", "standard"),
    [
        ("hd1080.mp4", {"width": 1920, "height": 1080}, 4),
        ("hd720.mp4", {"width": 1280, "height": 720}, 9),
        ("hdv720.mkv", {"width": 1280, "height": 720, "codec": "mpeg2video"}, 5),
        ("uhd.mp4", {"width": 3840, "height": 2160}, 10),
    ],
)
def test_high_definition_rasters_get_their_video_standard(clip, name, options, standard):
    analysis = clip(name, seconds=0.2, **options)
    assert (analysis.video_standard, analysis.aspect_ratio) == (standard, 6)


def test_webm_vp8_is_read(vp8: Analysis):
    assert (vp8.video_codec, vp8.audio_codec, vp8.width, vp8.height) == ("vp8", "opus", 160, 90)
    assert abs(vp8.duration_ms - 1000) <= 40


def test_matroska_mpeg4_is_read(clip: Analyse):
    analysis = clip("mpeg4.mkv", codec="mpeg4", fps=30, seconds=0.5)
    assert (analysis.video_codec, analysis.fps) == ("mpeg4", Decimal("30.000"))
    assert abs(analysis.duration_ms - 500) <= 34


def test_four_three_frame_with_sixteen_nine_picture_is_letterboxed(clip: Analyse):
    analysis = clip("letterbox.mp4", width=320, height=240, letterbox=Fraction(16, 9))
    assert (analysis.aspect_ratio, analysis.aspect_quotient) == (3, Decimal("1.33333"))


def test_vertical_clip_is_vertical_and_other(clip: Analyse):
    analysis = clip("vertical.mp4", width=90, height=160, seconds=0.2)
    assert (analysis.orientation, analysis.aspect_ratio) == (Orientation.VERTICAL, 5)


def test_full_hd_sells_sizes_up_to_1080(clip: Analyse):
    analysis = clip("hd1080.mp4", width=1920, height=1080, seconds=0.2)
    assert [s.code for s in analysis.sizes] == ["240", "480", "720", "1080"]


def test_clip_below_240_lines_has_no_sizes(h264: Analysis):
    assert h264.sizes == []


# -- stills --------------------------------------------------------------------------------


def test_every_video_rendition_is_made(h264: Analysis):
    assert sorted(r.name for r in h264.renditions) == [
        "icon",
        "iconl",
        "iconm",
        "poster",
        "preview_mp4",
        "preview_webm",
        "prevstill",
    ]


@pytest.mark.parametrize(
    ("name", "size"),
    [("icon", (120, 66)), ("iconm", (240, 134)), ("iconl", (480, 268)), ("prevstill", (1280, 720))],
)
@pytest.mark.parametrize("source", ["h264", "ntsc"])
def test_stills_are_jpegs_of_pond5_sizes(request, source, name, size):
    still = rendition(request.getfixturevalue(source), name)
    image = pyvips.Image.new_from_file(str(still.path))
    assert still.path.read_bytes()[:3] == b"\xff\xd8\xff"
    assert (image.width, image.height) == (still.width, still.height) == size


def test_four_three_icon_is_pillarboxed_in_black(ntsc: Analysis):
    icon = pyvips.Image.new_from_file(str(rendition(ntsc, "icon").path)).numpy()
    assert icon[:, :8].max() < 24 and icon[:, -8:].max() < 24
    assert icon[:, 60].max() > 100


def test_poster_is_full_frame_at_display_aspect(pal: Analysis):
    poster = rendition(pal, "poster")
    image = pyvips.Image.new_from_file(str(poster.path))
    assert (image.width, image.height) == (poster.width, poster.height) == (1024, 576)


def white_box_left_edge(path: Path) -> int:
    """Column where the synthetic clip's sliding white box starts (it moves 6 px a frame)."""
    picture = pyvips.Image.new_from_file(str(path)).numpy()
    middle_row = picture[picture.shape[0] // 2].min(axis=1)
    return int(np.argmax(middle_row > 235))


def test_poster_is_taken_a_tenth_into_the_clip(h264: Analysis):
    # 10% of 1 s is frame 3 at 25 fps (t = 0.12 s), where the box starts at x = 18.
    assert white_box_left_edge(rendition(h264, "poster").path) in range(12, 25)


def test_poster_beyond_preview_window_is_found_by_seeking(tmp_path, monkeypatch):
    monkeypatch.setattr(video_module, "PREVIEW_MAX_S", 0.04)
    analysis = analyse(make_video(tmp_path / "seek.mp4"))
    assert white_box_left_edge(rendition(analysis, "poster").path) in range(12, 25)


# -- previews ------------------------------------------------------------------------------


def test_mp4_preview_is_h264_yuv420p_with_aac(h264: Analysis):
    preview = streams_of(rendition(h264, "preview_mp4").path)
    assert (preview["video"], preview["pix_fmt"], preview["audio"]) == ("h264", "yuv420p", "aac")
    assert preview["frames"] == 25


def test_webm_preview_is_vp8_with_opus(h264: Analysis):
    preview = streams_of(rendition(h264, "preview_webm").path)
    assert (preview["video"], preview["pix_fmt"], preview["audio"]) == ("vp8", "yuv420p", "opus")
    assert preview["frames"] == 25


def test_preview_of_silent_clip_has_no_sound(ntsc: Analysis):
    assert streams_of(rendition(ntsc, "preview_mp4").path)["audio"] is None


@pytest.mark.parametrize("name", ["preview_mp4", "preview_webm"])
def test_anamorphic_preview_is_480_wide_with_square_pixels(pal: Analysis, name):
    preview = rendition(pal, name)
    assert streams_of(preview.path)["size"] == (preview.width, preview.height) == (480, 270)


def test_preview_of_small_clip_keeps_its_size(h264: Analysis):
    assert streams_of(rendition(h264, "preview_mp4").path)["size"] == (160, 90)


def test_preview_is_cut_at_the_preview_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(video_module, "PREVIEW_MAX_S", 0.4)
    analysis = analyse(make_video(tmp_path / "long.mp4", seconds=1.0))
    preview = streams_of(rendition(analysis, "preview_mp4").path)
    assert preview["frames"] == 11  # 0.00 ... 0.40 s at 25 fps
    assert analysis.duration_ms == 1000  # the clip keeps its own length


def test_fifty_fps_preview_runs_at_twenty_five(tmp_path):
    analysis = analyse(make_video(tmp_path / "fast.mp4", fps=50, seconds=0.4))
    assert analysis.fps == Decimal("50.000")
    preview = streams_of(rendition(analysis, "preview_mp4").path)
    assert preview["frames"] == 10
    assert abs(preview["seconds"] - 0.4) <= 0.04


# -- rejections ----------------------------------------------------------------------------


def rejection(path: Path) -> str:
    with pytest.raises(IngestRejected) as caught:
        analyse(path)
    return caught.value.message


def test_random_bytes_are_rejected(tmp_path):
    path = tmp_path / "noise.mp4"
    path.write_bytes(random.Random(7).randbytes(4096))
    assert "could not be read as a video" in rejection(path)


def test_empty_file_is_rejected(tmp_path):
    path = tmp_path / "empty.mp4"
    path.write_bytes(b"")
    assert "could not be read as a video" in rejection(path)


def test_truncated_mp4_is_rejected(tmp_path):
    path = make_video(tmp_path / "cut.mp4")
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    assert "damaged, incomplete" in rejection(path)


def test_truncated_webm_is_rejected_as_incomplete(tmp_path):
    path = make_video(tmp_path / "cut.webm", codec="vp8")
    path.write_bytes(path.read_bytes()[: path.stat().st_size * 2 // 5])
    assert "looks incomplete" in rejection(path)


def test_sound_file_is_not_a_video(tmp_path):
    assert "no video track" in rejection(make_audio(tmp_path / "tone.wav"))


def test_video_track_without_frames_is_rejected(tmp_path):
    assert "holds no pictures" in rejection(make_empty_video(tmp_path / "empty.mkv"))


def test_playlist_pointing_at_other_files_is_rejected(tmp_path):
    make_video(tmp_path / "segment.mp4")
    playlist = tmp_path / "list.m3u8"
    playlist.write_text(
        "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\nsegment.mp4\n#EXT-X-ENDLIST\n"
    )
    assert "not accepted as a video" in rejection(playlist)


def test_clip_longer_than_the_limit_is_rejected(tmp_path, monkeypatch):
    monkeypatch.setattr(video_module, "MAX_DURATION_S", 0.5)
    assert "the longest accepted" in rejection(make_video(tmp_path / "long.mp4"))


def test_clip_larger_than_the_limit_is_rejected(tmp_path, monkeypatch):
    monkeypatch.setattr(video_module, "MAX_DIMENSION", 128)
    assert "160x90 pixels; the largest accepted is 128x128" in rejection(
        make_video(tmp_path / "big.mp4")
    )


def test_damaged_bytes_give_a_rejection_or_an_analysis_never_a_crash(tmp_path):
    original = make_video(tmp_path / "clip.mkv", codec="mpeg4")
    analyses = analyses_of_damaged_copies(
        original, analyse, copies=6, seed=3, span=400, intact_head=1 / 8
    )
    for analysis in analyses:
        assert analysis.kind == MediaKind.VIDEO
