"""Detecting a file's type from its content, and refusing names that contradict it."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from stockhouse.ingest.detect import check_name, describe, detect, file_extension
from stockhouse.ingest.types import Detected, IngestRejected
from tests.ingest.image_factory import make_image, make_svg, picture


@pytest.mark.parametrize(
    ("suffix", "mime", "extension"),
    [
        (".jpg", "image/jpeg", "jpg"),
        (".png", "image/png", "png"),
        (".tif", "image/tiff", "tif"),
        (".webp", "image/webp", "webp"),
    ],
)
def test_raster_images_are_detected_by_content(
    tmp_path: Path, suffix: str, mime: str, extension: str
) -> None:
    path = make_image(tmp_path / f"picture{suffix}")
    renamed = path.rename(tmp_path / "no-extension")

    assert detect(renamed) == Detected(family="image", mime_type=mime, extension=extension)


def test_svg_is_detected_by_its_root_element(tmp_path: Path) -> None:
    path = make_svg(tmp_path / "vector.bin")

    assert detect(path) == Detected("vector", "image/svg+xml", "svg")


def test_svg_without_xml_declaration_or_namespace_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "bare.svg"
    path.write_text('<svg width="4" height="4"><rect width="4" height="4"/></svg>')

    assert detect(path).mime_type == "image/svg+xml"


@pytest.mark.parametrize(
    ("head", "family", "mime"),
    [
        (b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2", "video", "video/mp4"),
        (b"\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00qt  ", "video", "video/quicktime"),
        (b"\x00\x00\x00\x1cftypM4A \x00\x00\x02\x00M4A isom", "audio", "audio/mp4"),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm", "video", "video/webm"),
        (b"\x1a\x45\xdf\xa3\xa3\x42\x86\x81\x01\x42\x82\x88matroska", "video", "video/x-matroska"),
        (b"RIFF\x24\x00\x00\x00AVI LIST", "video", "video/x-msvideo"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", "audio", "audio/wav"),
        (b"FORM\x00\x00\x00\x20AIFFCOMM", "audio", "audio/aiff"),
        (b"fLaC\x00\x00\x00\x22", "audio", "audio/flac"),
        (b"ID3\x04\x00\x00\x00\x00\x00\x00", "audio", "audio/mpeg"),
        (b"\xff\xfb\x90\x64\x00\x00\x00\x00", "audio", "audio/mpeg"),
        (b"OggS\x00\x02" + b"\x00" * 22 + b"\x01vorbis", "audio", "audio/ogg"),
        (
            b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n",
            "vector",
            "application/postscript",
        ),
        (b"%PDF-1.5\n%Adobe Illustrator\n", "vector", "application/illustrator"),
    ],
)
def test_audio_video_and_other_vector_formats_are_recognised(
    tmp_path: Path, head: bytes, family: str, mime: str
) -> None:
    path = tmp_path / "file"
    path.write_bytes(head + b"\x00" * 64)

    found = detect(path)

    assert (found.family, found.mime_type) == (family, mime)


def test_mpeg_transport_stream_is_recognised_by_its_packet_sync_bytes(tmp_path: Path) -> None:
    path = tmp_path / "clip"
    path.write_bytes((b"\x47" + b"\x00" * 187) * 4)

    assert detect(path).mime_type == "video/mp2t"


def test_an_empty_file_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")

    with pytest.raises(IngestRejected, match=r"the file is empty \(0 bytes\)"):
        detect(path)


def test_unrecognised_bytes_are_rejected_with_the_accepted_formats(tmp_path: Path) -> None:
    path = tmp_path / "noise.jpg"
    path.write_bytes(bytes(range(1, 256)) * 8)

    with pytest.raises(IngestRejected, match="could not be recognised; send a JPEG"):
        detect(path)


def test_plain_text_is_rejected_as_unsupported(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("just some words\n")

    with pytest.raises(IngestRejected, match="Plain text files are not accepted"):
        detect(path)


def test_a_zip_archive_is_rejected_as_unsupported(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("photo.jpg", b"not really")
    path = tmp_path / "photos.zip"
    path.write_bytes(buffer.getvalue())

    with pytest.raises(IngestRejected, match="ZIP files are not accepted"):
        detect(path)


def test_a_gif_is_rejected_as_unsupported(tmp_path: Path) -> None:
    path = tmp_path / "anim.gif"
    picture(16, 16).write_to_file(str(path))

    with pytest.raises(IngestRejected, match="GIF files are not accepted"):
        detect(path)


def test_heic_is_not_mistaken_for_an_mp4_video(tmp_path: Path) -> None:
    path = tmp_path / "photo.heic"
    path.write_bytes(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64)

    with pytest.raises(IngestRejected, match="HEIC files are not accepted"):
        detect(path)


def test_xml_that_is_not_svg_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "feed.svg"
    path.write_text('<?xml version="1.0"?><rss version="2.0"><channel/></rss>')

    with pytest.raises(IngestRejected, match="XML files are not accepted"):
        detect(path)


def test_an_svg_declaring_entities_is_refused_without_expanding_them(tmp_path: Path) -> None:
    laughs = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    path = tmp_path / "laughs.svg"
    path.write_text(
        f'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY lol0 "lol">{laughs}]>'
        '<svg xmlns="http://www.w3.org/2000/svg"><text>&lol9;</text></svg>'
    )

    with pytest.raises(IngestRejected, match="declares XML entities"):
        detect(path)


def test_an_svg_with_an_external_entity_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "xxe.svg"
    path.write_text(
        '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        '<svg xmlns="http://www.w3.org/2000/svg"><text>&x;</text></svg>'
    )

    with pytest.raises(IngestRejected, match="declares XML entities"):
        detect(path)


def test_a_name_whose_extension_contradicts_the_content_is_rejected() -> None:
    png = Detected("image", "image/png", "png")

    with pytest.raises(IngestRejected, match=r"^file is a PNG image but is named \.jpg$"):
        check_name("holiday.jpg", png)


@pytest.mark.parametrize("name", ["photo.JPG", "photo.jpeg", "photo", "dir/photo.jpe", ".jpg"])
def test_names_that_agree_with_the_content_or_have_no_extension_pass(name: str) -> None:
    check_name(name, Detected("image", "image/jpeg", "jpg"))


def test_an_mp4_named_mov_passes_as_both_are_iso_media() -> None:
    check_name("clip.mov", Detected("video", "video/mp4", "mp4"))


def test_file_extension_ignores_directories_of_both_kinds() -> None:
    assert file_extension("C:\\photos\\a.b\\pic.PNG") == "png"
    assert file_extension("/tmp/x.y/noext") == ""


def test_describe_names_the_format_for_a_sentence() -> None:
    assert describe(Detected("audio", "audio/flac", "flac")) == "a FLAC audio file"
