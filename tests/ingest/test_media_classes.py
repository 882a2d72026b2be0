"""Pond5's classification of footage and sound (seed 003), as pure functions."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest

from stockhouse.catalog.models import MediaKind, Orientation
from stockhouse.ingest.media_classes import (
    ASPECT_RATIO_LABELS,
    VIDEO_STANDARD_LABELS,
    AspectRatio,
    VideoStandard,
    aspect_quotient,
    audio_kind,
    audio_standard,
    classify_aspect_ratio,
    classify_video_standard,
    content_aspect,
    display_aspect,
    letterbox_bars,
    orientation_of,
    video_size_options,
)


def test_video_standard_table_is_the_seeds():
    assert {int(code): label for code, label in VIDEO_STANDARD_LABELS.items()} == {
        0: "Multimedia / Unknown",
        1: "NTSC D1",
        2: "NTSC DV",
        3: "PAL / PAL DV",
        4: "HD 1080",
        5: "HDV 720p",
        6: "Other Hi-Def",
        7: "Multimedia",
        8: "HDV 1080i",
        9: "HD 720",
        10: "4k",
        11: "8k",
        100: "Music",
        101: "Sound effect",
    }


def test_aspect_ratio_table_is_the_seeds():
    assert {int(code): label for code, label in ASPECT_RATIO_LABELS.items()} == {
        1: "4:3",
        2: "16:9 anamorphic",
        3: "16:9 letterboxed",
        4: "Unknown",
        5: "Other",
        6: "16:9 native",
    }


@pytest.mark.parametrize(
    ("width", "height", "codec", "expected"),
    [
        (720, 576, "dvvideo", VideoStandard.PAL),
        (720, 576, "h264", VideoStandard.PAL),
        (720, 608, "mpeg2video", VideoStandard.PAL),
        (720, 480, "dvvideo", VideoStandard.NTSC_DV),
        (720, 480, "mpeg2video", VideoStandard.NTSC_D1),
        (720, 486, "v210", VideoStandard.NTSC_D1),
        (1920, 1080, "h264", VideoStandard.HD_1080),
        (1440, 1080, "mpeg2video", VideoStandard.HDV_1080I),
        (1280, 720, "h264", VideoStandard.HD_720),
        (1280, 720, "mpeg2video", VideoStandard.HDV_720P),
        (2560, 1440, "h264", VideoStandard.OTHER_HI_DEF),
        (1080, 1920, "h264", VideoStandard.OTHER_HI_DEF),
        (3840, 2160, "hevc", VideoStandard.UHD_4K),
        (4096, 2160, "prores", VideoStandard.UHD_4K),
        (7680, 4320, "hevc", VideoStandard.UHD_8K),
        (640, 480, "h264", VideoStandard.MULTIMEDIA),
        (160, 90, "h264", VideoStandard.MULTIMEDIA),
        (0, 0, None, VideoStandard.MULTIMEDIA_UNKNOWN),
    ],
)
def test_video_standard_follows_raster_and_codec(width, height, codec, expected):
    assert classify_video_standard(width, height, codec) == expected


@pytest.mark.parametrize(
    ("width", "height", "sar", "expected"),
    [
        (720, 576, Fraction(64, 45), AspectRatio.ANAMORPHIC_16_9),
        (1440, 1080, Fraction(4, 3), AspectRatio.ANAMORPHIC_16_9),
        (1920, 1080, Fraction(1), AspectRatio.NATIVE_16_9),
        (720, 576, Fraction(16, 15), AspectRatio.FOUR_THREE),
        (720, 480, Fraction(10, 11), AspectRatio.FOUR_THREE),  # ITU-R 601 NTSC, 1.364
        (640, 480, Fraction(1), AspectRatio.FOUR_THREE),
        (1920, 800, Fraction(1), AspectRatio.OTHER),
        (1080, 1920, Fraction(1), AspectRatio.OTHER),
        (0, 0, Fraction(1), AspectRatio.UNKNOWN),
    ],
)
def test_aspect_ratio_follows_display_aspect_and_pixel_shape(width, height, sar, expected):
    aspect = display_aspect(width, height, sar)
    assert classify_aspect_ratio(aspect, sar == 1) == expected


def test_four_three_frame_with_sixteen_nine_picture_is_letterboxed():
    aspect = classify_aspect_ratio(Fraction(4, 3), True, content_aspect=Fraction(16, 9))
    assert aspect == AspectRatio.LETTERBOXED_16_9


def test_bars_in_a_sixteen_nine_frame_do_not_make_it_letterboxed():
    aspect = classify_aspect_ratio(Fraction(16, 9), True, content_aspect=Fraction(239, 100))
    assert aspect == AspectRatio.NATIVE_16_9


@pytest.mark.parametrize(
    ("width", "height", "sar", "expected"),
    [
        (720, 576, Fraction(64, 45), Decimal("1.77778")),
        (1920, 1080, None, Decimal("1.77778")),
        (720, 576, Fraction(16, 15), Decimal("1.33333")),
        (1440, 1080, None, Decimal("1.33333")),
        (1000, 1000, None, Decimal("1.00000")),
    ],
)
def test_aspect_quotient_is_display_aspect_to_five_places(width, height, sar, expected):
    assert aspect_quotient(display_aspect(width, height, sar)) == expected


def test_aspect_quotient_of_unknown_size_is_none():
    assert aspect_quotient(display_aspect(0, 0)) is None


@pytest.mark.parametrize("sar", [Fraction(1000), Fraction(1, 1000), Fraction(0), None])
def test_absurd_or_missing_sample_aspect_counts_as_square_pixels(sar):
    assert display_aspect(1920, 1080, sar) == Fraction(16, 9)


@pytest.mark.parametrize(
    ("aspect", "expected"),
    [
        (Fraction(16, 9), Orientation.HORIZONTAL),
        (Fraction(9, 16), Orientation.VERTICAL),
        (Fraction(1), Orientation.SQUARE),
        (Fraction(1001, 1000), Orientation.SQUARE),
        (None, None),
    ],
)
def test_orientation_follows_display_aspect(aspect, expected):
    assert orientation_of(aspect) == expected


def _four_three_with_bars(height: int = 240, bar: int = 30) -> np.ndarray:
    picture = np.full((height, height * 4 // 3, 3), 120, dtype=np.uint8)
    picture[:bar] = 0
    picture[height - bar :] = 0
    return picture


def test_letterbox_bars_are_counted_from_top_and_bottom():
    assert letterbox_bars(_four_three_with_bars(240, 30)) == (30, 30)


def test_picture_between_bars_of_four_three_frame_is_sixteen_nine():
    assert content_aspect(_four_three_with_bars(240, 30), Fraction(4, 3)) == Fraction(16, 9)


def test_frame_without_bars_has_no_content_aspect():
    picture = np.full((240, 320, 3), 120, dtype=np.uint8)
    assert content_aspect(picture, Fraction(4, 3)) is None


def test_black_frame_is_not_letterboxed():
    assert letterbox_bars(np.zeros((240, 320, 3), dtype=np.uint8)) == (0, 0)


def test_thin_dark_edge_is_not_a_letterbox():
    assert letterbox_bars(_four_three_with_bars(240, 3)) == (0, 0)


def test_full_hd_sells_every_size_up_to_1080():
    sizes = video_size_options(1920, 1080, Fraction(16, 9))
    assert [(s.code, s.width, s.height) for s in sizes] == [
        ("240", 426, 240),
        ("480", 854, 480),
        ("720", 1280, 720),
        ("1080", 1920, 1080),
    ]


def test_uhd_sells_4k_as_3840x2160():
    sizes = video_size_options(3840, 2160, Fraction(16, 9))
    assert (sizes[-1].code, sizes[-1].width, sizes[-1].height) == ("4k", 3840, 2160)
    assert sizes[-1].megapixels == Decimal("8.29")


def test_anamorphic_pal_sizes_use_square_pixels_and_stop_at_480():
    sizes = video_size_options(720, 576, Fraction(16, 9))
    assert [(s.code, s.width, s.height) for s in sizes] == [("240", 426, 240), ("480", 854, 480)]


def test_vertical_clip_sizes_name_the_short_side():
    sizes = video_size_options(1080, 1920, Fraction(9, 16))
    assert (sizes[-1].code, sizes[-1].width, sizes[-1].height) == ("1080", 1080, 1920)


def test_clip_smaller_than_240_lines_has_no_sizes():
    assert video_size_options(160, 90, Fraction(16, 9)) == []


def test_sound_up_to_thirty_seconds_is_a_sound_effect():
    assert audio_kind(30_000) == MediaKind.SFX
    assert audio_standard(MediaKind.SFX) == VideoStandard.SOUND_EFFECT == 101


def test_sound_longer_than_thirty_seconds_is_music():
    assert audio_kind(30_001) == MediaKind.MUSIC
    assert audio_standard(MediaKind.MUSIC) == VideoStandard.MUSIC == 100
