"""Vector originals: SVG rendered into the photo renditions; hostile SVG refused; EPS/AI
refused with a clear reason where Ghostscript is missing."""

from __future__ import annotations

from pathlib import Path

import pytest
import pyvips

from stockhouse.catalog.models import MediaKind, Orientation
from stockhouse.ingest import vectors
from stockhouse.ingest.detect import detect
from stockhouse.ingest.types import Analysis, IngestRejected
from stockhouse.ingest.vectors import GHOSTSCRIPT_MISSING, analyse_vector, rasterise_vector
from tests.ingest.image_factory import make_svg

HOSTILE_BODIES = {
    "remote image": '<image href="http://127.0.0.1:9/x.png" width="9" height="9"/>',
    "local file": '<image xmlns:xlink="http://www.w3.org/1999/xlink" '
    'xlink:href="file:///etc/hostname" width="9" height="9"/>',
    "relative file": '<use href="other.svg#shape"/>',
    "css url": '<rect width="9" height="9" style="fill: url(http://127.0.0.1:9/p.svg#p)"/>',
    "xinclude": '<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="/etc/passwd"/>',
    "stylesheet import": "<style>@import url(data:text/css,rect{fill:red});</style>",
}


def analyse(path: Path, tmp_path: Path) -> Analysis:
    workdir = tmp_path / "work"
    workdir.mkdir(exist_ok=True)
    return analyse_vector(path, workdir, detect(path))


def test_an_svg_is_rendered_into_every_rendition(tmp_path: Path) -> None:
    analysis = analyse(make_svg(tmp_path / "v.svg", 64, 48), tmp_path)

    sizes = {r.name: (r.width, r.height) for r in analysis.renditions}
    assert analysis.kind is MediaKind.VECTOR
    assert sizes == {
        "large": (1000, 750),
        "preview_brand": (1000, 750),
        "preview_neutral": (1000, 750),
        "thumb450": (450, 338),
        "thumb170": (170, 128),
        "thumb110": (110, 83),
    }


def test_svg_facts_come_from_the_artboard(tmp_path: Path) -> None:
    analysis = analyse(make_svg(tmp_path / "v.svg", 300, 300, fill="#027f00"), tmp_path)

    assert (analysis.width, analysis.height) == (300, 300)
    assert analysis.orientation is Orientation.SQUARE
    assert analysis.color == 4  # the dark green of the table
    assert analysis.phash is not None


def test_svg_title_and_description_become_metadata(tmp_path: Path) -> None:
    path = make_svg(tmp_path / "v.svg", title="Green field", desc="Grass under a clear sky")

    metadata = analyse(path, tmp_path).metadata

    assert (metadata.title, metadata.description) == ("Green field", "Grass under a clear sky")


def test_vector_sizes_are_vect_and_raster_sizes_from_the_artboard(tmp_path: Path) -> None:
    analysis = analyse(make_svg(tmp_path / "v.svg", 400, 200), tmp_path)

    assert [(s.code, s.width, s.height) for s in analysis.sizes] == [
        ("s", 500, 250),
        ("m", 1000, 500),
        ("l", 2000, 1000),
        ("xl", 5000, 2500),
        ("el0", 5000, 2500),
        ("vect", 400, 200),
    ]


def test_transparent_svg_background_becomes_white(tmp_path: Path) -> None:
    path = tmp_path / "t.svg"
    path.write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40">'
        '<circle cx="20" cy="20" r="2" fill="#000"/></svg>'
    )

    assert analyse(path, tmp_path).color == 17


@pytest.mark.parametrize("case", sorted(HOSTILE_BODIES))
def test_an_svg_referring_to_anything_outside_itself_is_refused(tmp_path: Path, case: str) -> None:
    path = make_svg(tmp_path / "hostile.svg", body=HOSTILE_BODIES[case])

    with pytest.raises(IngestRejected, match=r"refused for safety|outside resource"):
        analyse(path, tmp_path)


def test_inline_data_and_fragment_references_are_allowed(tmp_path: Path) -> None:
    body = (
        '<defs><linearGradient id="g"><stop offset="0" stop-color="#fff"/></linearGradient>'
        '</defs><rect width="9" height="9" fill="url(#g)"/><use href="#g"/>'
        '<image href="data:image/png;base64,iVBORw0KGgo=" width="1" height="1"/>'
    )
    path = make_svg(tmp_path / "ok.svg", body=body)

    assert analyse(path, tmp_path).kind is MediaKind.VECTOR


def test_a_malformed_svg_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "broken.svg"
    path.write_text('<svg xmlns="http://www.w3.org/2000/svg"><rect></svg>')

    with pytest.raises(IngestRejected, match="not well-formed XML"):
        analyse(path, tmp_path)


def test_eps_is_refused_when_ghostscript_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(vectors.shutil, "which", lambda _name: None)
    path = tmp_path / "logo.eps"
    path.write_bytes(b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n")

    with pytest.raises(IngestRejected) as raised:
        analyse(path, tmp_path)
    assert raised.value.message == GHOSTSCRIPT_MISSING
    assert GHOSTSCRIPT_MISSING == "EPS/AI previews need Ghostscript, which this server lacks"


def test_ai_is_refused_when_ghostscript_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(vectors.shutil, "which", lambda _name: None)
    path = tmp_path / "logo.ai"
    path.write_bytes(b"%PDF-1.5\n%Adobe Illustrator 24\n" + b"\x00" * 64)

    with pytest.raises(IngestRejected, match="need Ghostscript"):
        analyse(path, tmp_path)


def test_rasterise_vector_renders_an_exact_size(tmp_path: Path) -> None:
    output = tmp_path / "m.jpg"

    rasterise_vector(make_svg(tmp_path / "v.svg", 64, 48), output, 1000, 750)

    image = pyvips.Image.new_from_file(str(output))
    assert (image.width, image.height) == (1000, 750)


def test_words_that_look_like_css_in_plain_text_are_fine(tmp_path: Path) -> None:
    body = '<text x="1" y="9">@import url(http://example.com) is just words here</text>'

    assert analyse(make_svg(tmp_path / "words.svg", body=body), tmp_path).kind is MediaKind.VECTOR
