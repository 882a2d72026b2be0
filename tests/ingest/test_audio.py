"""The audio analyser: facts, music or sound effect, M4A preview and waveform picture."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
import pyvips

from stockhouse.catalog.models import MediaKind
from stockhouse.ingest import audio as audio_module
from stockhouse.ingest.audio import analyse_audio
from stockhouse.ingest.synth import make_audio, make_video
from stockhouse.ingest.types import Analysis, Detected, IngestRejected
from tests.ingest.media_factory import analyses_of_damaged_copies

MIME = {
    "wav": "audio/wav",
    "mp3": "audio/mpeg",
    "flac": "audio/flac",
    "aiff": "audio/aiff",
    "ogg": "audio/ogg",
    "m4a": "audio/mp4",
    "mp4": "video/mp4",
}

# (file suffix, make_audio options, codec name, tolerance in ms: one coded frame)
FORMATS = [
    ("wav", {}, "pcm_s16le", 1),
    ("mp3", {}, "mp3", 27),  # 1152 samples at 44.1 kHz
    ("flac", {}, "flac", 1),
    ("aiff", {}, "pcm_s16be", 1),
    ("m4a", {}, "aac", 24),  # 1024 samples at 44.1 kHz
    ("ogg", {"rate": 48000}, "opus", 20),
]

Analyse = Callable[..., Analysis]


def analyse(path: Path) -> Analysis:
    extension = path.suffix.lstrip(".")
    detected = Detected(family="audio", mime_type=MIME[extension], extension=extension)
    return analyse_audio(path, path.parent / f"{path.stem}-work", detected)


@pytest.fixture(scope="module")
def sound(tmp_path_factory: pytest.TempPathFactory) -> Analyse:
    """Make a sound with make_audio's arguments and analyse it (once per module and name)."""
    made: dict[str, Analysis] = {}

    def make(name: str, **options: Any) -> Analysis:
        if name not in made:
            folder = tmp_path_factory.mktemp(name.replace(".", "_"))
            made[name] = analyse(make_audio(folder / name, **options))
        return made[name]

    return make


def rendition(analysis: Analysis, name: str) -> Any:
    return next(r for r in analysis.renditions if r.name == name)


def waveform_pixels(analysis: Analysis) -> np.ndarray:
    return np.asarray(pyvips.Image.new_from_file(str(rendition(analysis, "waveform").path)).numpy())


def inked_rows_per_column(pixels: np.ndarray) -> np.ndarray:
    return np.asarray((pixels[:, :, 3] > 0).sum(axis=0))


# -- facts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("suffix", "options", "codec", "tolerance_ms"), FORMATS)
def test_each_format_reports_codec_and_duration(sound, suffix, options, codec, tolerance_ms):
    analysis = sound(f"tone.{suffix}", **options)
    assert analysis.audio_codec == codec
    assert abs(analysis.duration_ms - 1000) <= tolerance_ms


@pytest.mark.parametrize(("suffix", "options", "codec", "tolerance_ms"), FORMATS)
def test_each_format_reports_rate_and_channels(sound, suffix, options, codec, tolerance_ms):
    analysis = sound(f"tone.{suffix}", **options)
    assert (analysis.sample_rate, analysis.channels) == (options.get("rate", 44100), 1)


def test_stereo_is_two_channels(sound: Analyse):
    assert sound("stereo.flac", channels=2, rate=48000).channels == 2


def test_short_sound_is_a_sound_effect_shown_as_16x9(sound: Analyse):
    analysis = sound("tone.wav")
    assert (analysis.kind, analysis.video_standard) == (MediaKind.SFX, 101)
    assert (analysis.width, analysis.height) == (16, 9)


def test_sound_longer_than_thirty_seconds_is_music(sound: Analyse):
    analysis = sound("song.flac", seconds=31, rate=8000)
    assert (analysis.kind, analysis.video_standard, analysis.duration_ms) == (
        MediaKind.MUSIC,
        100,
        31_000,
    )


def test_sound_has_no_size_options(sound: Analyse):
    assert sound("tone.wav").sizes == []


def test_mime_type_and_extension_come_from_detection(sound: Analyse):
    analysis = sound("tone.mp3")
    assert (analysis.mime_type, analysis.extension) == ("audio/mpeg", "mp3")


def test_sound_track_of_a_video_can_be_analysed(tmp_path):
    analysis = analyse(make_video(tmp_path / "clip.mp4", audio_codec="aac"))
    assert (analysis.audio_codec, analysis.channels) == ("aac", 2)


# -- preview -------------------------------------------------------------------------------


def preview_of(analysis: Analysis) -> dict[str, Any]:
    with av.open(str(rendition(analysis, "preview_m4a").path)) as container:
        stream = container.streams.audio[0]
        return {
            "format": container.format.name,
            "codec": stream.codec_context.name,
            "rate": stream.codec_context.sample_rate,
            "channels": stream.codec_context.layout.nb_channels,
            "seconds": container.duration / av.time_base,
        }


@pytest.mark.parametrize("suffix", ["wav", "mp3", "flac", "aiff"])
def test_preview_is_aac_in_an_mp4_container(sound, suffix):
    preview = preview_of(sound(f"tone.{suffix}"))
    assert (preview["codec"], "m4a" in preview["format"].split(",")) == ("aac", True)
    assert abs(preview["seconds"] - 1.0) <= 0.03


def test_preview_rendition_is_named_and_typed(sound: Analyse):
    preview = rendition(sound("tone.wav"), "preview_m4a")
    assert (preview.mime_type, preview.path.suffix) == ("audio/mp4", ".m4a")


def test_stereo_preview_stays_stereo(sound: Analyse):
    assert preview_of(sound("stereo.flac", channels=2, rate=48000))["channels"] == 2


def test_preview_of_odd_rate_is_resampled_to_44100(sound: Analyse):
    assert preview_of(sound("phone.wav", rate=8000))["rate"] == 44100


def test_preview_is_cut_at_the_preview_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(audio_module, "PREVIEW_MAX_S", 0.5)
    analysis = analyse(make_audio(tmp_path / "long.wav", seconds=2))
    assert abs(preview_of(analysis)["seconds"] - 0.5) <= 0.03
    assert analysis.duration_ms == 2000


# -- waveform ------------------------------------------------------------------------------


def test_waveform_is_a_1000x200_png(sound: Analyse):
    waveform = rendition(sound("tone.wav"), "waveform")
    assert waveform.path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert waveform_pixels(sound("tone.wav")).shape[:2] == (200, 1000)
    assert (waveform.width, waveform.height, waveform.mime_type) == (1000, 200, "image/png")


def test_silence_draws_a_flat_line(sound: Analyse):
    inked = inked_rows_per_column(waveform_pixels(sound("silence.wav", tone_hz=None)))
    assert inked.max() <= 2 and inked.min() >= 1


def test_tone_at_half_level_fills_half_the_height(sound: Analyse):
    inked = inked_rows_per_column(waveform_pixels(sound("tone.wav")))
    assert inked.min() >= 90 and inked.max() <= 110


def test_fading_tone_is_tall_on_the_left_and_low_on_the_right(sound: Analyse):
    inked = inked_rows_per_column(waveform_pixels(sound("fade.flac", fade_out=True)))
    assert inked[:50].mean() > 80
    assert inked[-50:].mean() < 15


# -- rejections ----------------------------------------------------------------------------


def rejection(path: Path) -> str:
    with pytest.raises(IngestRejected) as caught:
        analyse(path)
    return caught.value.message


def test_random_bytes_are_rejected(tmp_path):
    path = tmp_path / "noise.wav"
    path.write_bytes(random.Random(5).randbytes(4096))
    assert "could not be read as sound" in rejection(path)


def test_empty_file_is_rejected(tmp_path):
    path = tmp_path / "empty.mp3"
    path.write_bytes(b"")
    assert "could not be read as sound" in rejection(path)


@pytest.mark.parametrize("suffix", ["wav", "aiff"])
def test_truncated_wav_and_aiff_are_rejected(tmp_path, suffix):
    path = make_audio(tmp_path / f"cut.{suffix}")
    path.write_bytes(path.read_bytes()[: path.stat().st_size * 3 // 10])
    assert "looks incomplete" in rejection(path)


def test_truncated_mp3_is_rejected(tmp_path):
    path = make_audio(tmp_path / "cut.mp3")
    path.write_bytes(path.read_bytes()[: path.stat().st_size * 3 // 10])
    assert "looks incomplete" in rejection(path)


def test_video_without_sound_is_not_audio(tmp_path):
    assert "no sound track" in rejection(make_video(tmp_path / "mute.mp4", seconds=0.2))


def test_sound_longer_than_the_limit_is_rejected(tmp_path, monkeypatch):
    monkeypatch.setattr(audio_module, "MAX_DURATION_S", 0.5)
    assert "the longest accepted" in rejection(make_audio(tmp_path / "long.flac"))


def test_sound_longer_than_declared_limit_is_stopped_while_decoding(tmp_path, monkeypatch):
    path = make_audio(tmp_path / "liar.mp3")
    monkeypatch.setattr(audio_module, "declared_seconds", lambda container, stream: None)
    monkeypatch.setattr(audio_module, "MAX_DURATION_S", 0.5)
    assert "the longest accepted" in rejection(path)


def test_damaged_bytes_give_a_rejection_or_an_analysis_never_a_crash(tmp_path):
    original = make_audio(tmp_path / "tone.mp3")
    for analysis in analyses_of_damaged_copies(original, analyse, copies=8, seed=11, span=300):
        assert analysis.kind == MediaKind.SFX


def test_sound_track_without_samples_is_rejected(tmp_path):
    assert "holds no sound" in rejection(make_audio(tmp_path / "empty.wav", seconds=0))
