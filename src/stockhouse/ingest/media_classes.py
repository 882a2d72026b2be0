"""How Pond5 (seed 003) classifies footage and sound, as pure functions over probed facts.

The tables are the seed's: "vs" video standard, "ar" aspect ratio, "aq" aspect quotient
(the display aspect, sample aspect ratio included), "ox"/"oy" (16x9 for sound). The
video and audio analysers call these with what PyAV reports; nothing here reads a file.
"""

from __future__ import annotations

import enum
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import numpy as np

from stockhouse.catalog.models import MediaKind, Orientation
from stockhouse.ingest.types import SizeSpec


class VideoStandard(enum.IntEnum):
    """Pond5 "vs"."""

    MULTIMEDIA_UNKNOWN = 0
    NTSC_D1 = 1
    NTSC_DV = 2
    PAL = 3  # PAL / PAL DV
    HD_1080 = 4
    HDV_720P = 5
    OTHER_HI_DEF = 6
    MULTIMEDIA = 7
    HDV_1080I = 8
    HD_720 = 9
    UHD_4K = 10
    UHD_8K = 11
    MUSIC = 100
    SOUND_EFFECT = 101


VIDEO_STANDARD_LABELS: dict[VideoStandard, str] = {
    VideoStandard.MULTIMEDIA_UNKNOWN: "Multimedia / Unknown",
    VideoStandard.NTSC_D1: "NTSC D1",
    VideoStandard.NTSC_DV: "NTSC DV",
    VideoStandard.PAL: "PAL / PAL DV",
    VideoStandard.HD_1080: "HD 1080",
    VideoStandard.HDV_720P: "HDV 720p",
    VideoStandard.OTHER_HI_DEF: "Other Hi-Def",
    VideoStandard.MULTIMEDIA: "Multimedia",
    VideoStandard.HDV_1080I: "HDV 1080i",
    VideoStandard.HD_720: "HD 720",
    VideoStandard.UHD_4K: "4k",
    VideoStandard.UHD_8K: "8k",
    VideoStandard.MUSIC: "Music",
    VideoStandard.SOUND_EFFECT: "Sound effect",
}


class AspectRatio(enum.IntEnum):
    """Pond5 "ar"."""

    FOUR_THREE = 1
    ANAMORPHIC_16_9 = 2
    LETTERBOXED_16_9 = 3
    UNKNOWN = 4
    OTHER = 5
    NATIVE_16_9 = 6


ASPECT_RATIO_LABELS: dict[AspectRatio, str] = {
    AspectRatio.FOUR_THREE: "4:3",
    AspectRatio.ANAMORPHIC_16_9: "16:9 anamorphic",
    AspectRatio.LETTERBOXED_16_9: "16:9 letterboxed",
    AspectRatio.UNKNOWN: "Unknown",
    AspectRatio.OTHER: "Other",
    AspectRatio.NATIVE_16_9: "16:9 native",
}

WIDESCREEN = Fraction(16, 9)
STANDARD = Fraction(4, 3)
# ITU-R 601 rasters put 4:3 and 16:9 a couple of percent off the nominal ratio
# (e.g. NTSC DV 10:11 gives 1.364), so ratios are compared with this relative tolerance.
ASPECT_TOLERANCE = 0.03
# A display aspect this close to 1 counts as square.
SQUARE_TOLERANCE = 0.01
AQ_PLACES = Decimal("0.00001")
# Sample aspect ratios outside this range are nonsense from a broken or hostile header.
MIN_SANE_SAR = Fraction(1, 4)
MAX_SANE_SAR = Fraction(4)

# Stored widths that the standard-definition rasters use (704/720 ITU-R 601, 768 square PAL).
PAL_WIDTHS = (704, 720, 768)
PAL_HEIGHTS = (576, 608)  # 608: PAL with the vertical blanking lines kept
NTSC_WIDTHS = (704, 720)
NTSC_D1_HEIGHT = 486
NTSC_DV_HEIGHT = 480
HD_1080_WIDTHS = (1280, 1920)  # 1280x1080: DVCPRO HD
HDV_1080I_RASTER = (1440, 1080)
HD_720_WIDTHS = (960, 1280)  # 960x720: DVCPRO HD
HDV_CODEC = "mpeg2video"
DV_CODEC = "dvvideo"
HI_DEF_MIN_SHORT_SIDE = 720
UHD_4K_MIN_LONG_SIDE = 3840
UHD_8K_MIN_LONG_SIDE = 7680

# (code, short side in pixels) of the sellable video sizes, smallest first.
VIDEO_SIZE_CODES: tuple[tuple[str, int], ...] = (
    ("240", 240),
    ("480", 480),
    ("720", 720),
    ("1080", 1080),
    ("4k", 2160),
)

# Audio longer than this is music, shorter is a sound effect; the uploader may change it.
MUSIC_MIN_DURATION_MS = 30_000
SOUND_OX, SOUND_OY = 16, 9  # what Pond5 shows as the "dimensions" of sound

# Letterbox detection: a row is a black bar when no pixel in it is brighter than this
# (0-255), and each bar must cover at least this share of the frame height.
LETTERBOX_BLACK_LEVEL = 40
LETTERBOX_MIN_BAR_SHARE = 0.05


def sane_sample_aspect(sar: Fraction | None) -> Fraction:
    """The sample aspect ratio to use: 1 when missing, zero or absurd."""
    if sar is None or sar <= 0 or not MIN_SANE_SAR <= sar <= MAX_SANE_SAR:
        return Fraction(1)
    return sar


def display_aspect(width: int, height: int, sar: Fraction | None = None) -> Fraction | None:
    """Width over height as shown on screen (pixel aspect applied); None if unknown."""
    if width <= 0 or height <= 0:
        return None
    return Fraction(width, height) * sane_sample_aspect(sar)


def aspect_quotient(aspect: Fraction | None) -> Decimal | None:
    """Pond5 "aq": the display aspect as a decimal with five places (16:9 -> 1.77778)."""
    if aspect is None:
        return None
    exact = Decimal(aspect.numerator) / Decimal(aspect.denominator)
    return exact.quantize(AQ_PLACES, rounding=ROUND_HALF_UP)


def _near(value: Fraction, target: Fraction, tolerance: float = ASPECT_TOLERANCE) -> bool:
    return abs(float(value / target) - 1) <= tolerance


def classify_video_standard(width: int, height: int, codec: str | None = None) -> VideoStandard:
    """Pond5 "vs" from the stored raster (and the codec where the raster alone is ambiguous).

    HDV is MPEG-2 by definition, so 1280x720 is HDV 720p only when coded as mpeg2video;
    1440x1080 is the HDV 1080i raster whatever the codec. 720x480 is NTSC DV when coded as
    DV and NTSC D1 otherwise; 720x486 is always D1. Anything at least 720 lines on its short
    side that is not a named raster is Other Hi-Def; anything smaller is Multimedia.
    """
    if width <= 0 or height <= 0:
        return VideoStandard.MULTIMEDIA_UNKNOWN
    long_side, short_side = max(width, height), min(width, height)
    if long_side >= UHD_8K_MIN_LONG_SIDE:
        return VideoStandard.UHD_8K
    if long_side >= UHD_4K_MIN_LONG_SIDE:
        return VideoStandard.UHD_4K
    if (width, height) == HDV_1080I_RASTER:
        return VideoStandard.HDV_1080I
    if height == 1080 and width in HD_1080_WIDTHS:
        return VideoStandard.HD_1080
    if height == 720 and width in HD_720_WIDTHS:
        return VideoStandard.HDV_720P if codec == HDV_CODEC else VideoStandard.HD_720
    if short_side >= HI_DEF_MIN_SHORT_SIDE:
        return VideoStandard.OTHER_HI_DEF
    if height in PAL_HEIGHTS and width in PAL_WIDTHS:
        return VideoStandard.PAL
    if height == NTSC_D1_HEIGHT and width in NTSC_WIDTHS:
        return VideoStandard.NTSC_D1
    if height == NTSC_DV_HEIGHT and width in NTSC_WIDTHS:
        return VideoStandard.NTSC_DV if codec == DV_CODEC else VideoStandard.NTSC_D1
    return VideoStandard.MULTIMEDIA


def classify_aspect_ratio(
    aspect: Fraction | None,
    square_pixels: bool,
    content_aspect: Fraction | None = None,
) -> AspectRatio:
    """Pond5 "ar" from the display aspect.

    16:9 shown through non-square pixels is anamorphic, through square pixels native. A 4:3
    frame whose picture (between black bars, `content_aspect`) is 16:9 is letterboxed.
    """
    if aspect is None:
        return AspectRatio.UNKNOWN
    if _near(aspect, WIDESCREEN):
        return AspectRatio.NATIVE_16_9 if square_pixels else AspectRatio.ANAMORPHIC_16_9
    if _near(aspect, STANDARD):
        if content_aspect is not None and _near(content_aspect, WIDESCREEN):
            return AspectRatio.LETTERBOXED_16_9
        return AspectRatio.FOUR_THREE
    return AspectRatio.OTHER


def letterbox_bars(rgb: np.ndarray) -> tuple[int, int]:
    """Rows of black bar at the top and at the bottom of an RGB picture (height, width, 3)."""
    brightest = rgb.max(axis=(1, 2)) if rgb.size else np.zeros(0)
    dark = brightest <= LETTERBOX_BLACK_LEVEL
    if dark.all():
        return 0, 0  # a black frame has no picture to frame
    top = int(np.argmin(dark))
    bottom = int(np.argmin(dark[::-1]))
    minimum = LETTERBOX_MIN_BAR_SHARE * len(dark)
    if top < minimum or bottom < minimum:
        return 0, 0
    return top, bottom


def content_aspect(rgb: np.ndarray, aspect: Fraction | None) -> Fraction | None:
    """Display aspect of the picture inside letterbox bars, or None when there are none."""
    top, bottom = letterbox_bars(rgb)
    height = rgb.shape[0]
    if aspect is None or top + bottom == 0:
        return None
    return aspect * Fraction(height, height - top - bottom)


def orientation_of(aspect: Fraction | None) -> Orientation | None:
    """Horizontal, vertical or square, from the display aspect."""
    if aspect is None:
        return None
    if _near(aspect, Fraction(1), SQUARE_TOLERANCE):
        return Orientation.SQUARE
    return Orientation.HORIZONTAL if aspect > 1 else Orientation.VERTICAL


def video_size_options(width: int, height: int, aspect: Fraction | None) -> list[SizeSpec]:
    """Sellable sizes 240/480/720/1080/4k that are not above the original.

    A code names the short side (1080 is 1920x1080 landscape, 1080x1920 portrait); the long
    side follows the display aspect in square pixels, rounded to an even number.
    """
    if aspect is None:
        return []
    short_side = min(width, height)
    long_over_short = aspect if aspect >= 1 else 1 / aspect
    sizes = []
    for code, short in VIDEO_SIZE_CODES:
        if short > short_side:
            break
        long = 2 * round(short * long_over_short / 2)
        w, h = (long, short) if aspect >= 1 else (short, long)
        megapixels = (Decimal(w * h) / Decimal(1_000_000)).quantize(Decimal("0.01"))
        sizes.append(SizeSpec(code=code, width=w, height=h, megapixels=megapixels))
    return sizes


# The name of the format an uploaded clip starts in (Pond5 shows formats per clip).
FORMAT_NAMES: dict[VideoStandard, str] = {
    VideoStandard.NTSC_D1: "NTSC",
    VideoStandard.NTSC_DV: "NTSC",
    VideoStandard.PAL: "PAL",
    VideoStandard.HD_1080: "HD",
    VideoStandard.HDV_720P: "HD",
    VideoStandard.OTHER_HI_DEF: "HD",
    VideoStandard.HDV_1080I: "HD",
    VideoStandard.HD_720: "HD",
    VideoStandard.UHD_4K: "4K",
    VideoStandard.UHD_8K: "8K",
}


def format_name(video_standard: int | None) -> str:
    """PAL, NTSC, HD, 4K, 8K, or "Original" for multimedia and unknown standards."""
    try:
        return FORMAT_NAMES.get(VideoStandard(video_standard or 0), "Original")
    except ValueError:
        return "Original"


def audio_kind(duration_ms: int) -> MediaKind:
    """Music when longer than MUSIC_MIN_DURATION_MS, else a sound effect."""
    return MediaKind.MUSIC if duration_ms > MUSIC_MIN_DURATION_MS else MediaKind.SFX


def audio_standard(kind: MediaKind) -> VideoStandard:
    """Pond5 "vs" of sound: 100 music, 101 sound effect."""
    return VideoStandard.MUSIC if kind == MediaKind.MUSIC else VideoStandard.SOUND_EFFECT
