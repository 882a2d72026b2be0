"""Vector originals (SVG; EPS, AI and PDF where Ghostscript is installed), rasterised
into the same renditions as photos.

An SVG is checked before librsvg sees it: parsed with expat refusing every entity
declaration (billion laughs, XXE), and refused if it refers to anything outside itself
(links other than "#fragment" or "data:", XInclude, CSS @import), so rendering can
neither expand nor fetch anything. It is then rendered from memory, with no base path,
directly at the preview size. EPS and PDF-based files need Ghostscript, run with -dSAFER
and a time limit; without it they are refused with a reason that says so.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers import expat

import pyvips

from stockhouse.catalog.models import MediaKind
from stockhouse.ingest.detect import SVG, UnsafeXml, detect, safe_xml_parser
from stockhouse.ingest.images import (
    FAIL_ON,
    LARGE_EDGE,
    check_pixel_limit,
    make_renditions,
    orientation_of,
    to_srgb8,
    unreadable,
)
from stockhouse.ingest.metadata import DESCRIPTION_MAX_CHARS, TITLE_MAX_CHARS, clean_text
from stockhouse.ingest.sizes import DOWNLOAD_JPEG_QUALITY, megapixels, vector_sizes
from stockhouse.ingest.types import Analysis, Detected, EmbeddedMetadata, IngestRejected

MAX_SVG_BYTES = 50 * 1024 * 1024
MAX_SVG_TEXT_CHARS = 10_000  # of <title> / <desc> collected for metadata
GHOSTSCRIPT_TIMEOUT_S = 120
GHOSTSCRIPT_MISSING = "EPS/AI previews need Ghostscript, which this server lacks"
POINTS_PER_INCH = 72
XINCLUDE_NAMESPACE = "http://www.w3.org/2001/XInclude"
Size = tuple[int, int]
_SAFE_REFERENCE = re.compile(r"\s*(#|data:)", re.IGNORECASE)
_CSS_URL = re.compile(r"url\(\s*['\"]?\s*([^'\")\s]*)", re.IGNORECASE)


def analyse_vector(path: Path, workdir: Path, detected: Detected) -> Analysis:
    """Facts and renditions of a vector original; SVG is rendered by libvips' librsvg."""
    if detected.mime_type == SVG.mime_type:
        data, metadata = read_svg(path)
        large, artboard = _render_svg(data, LARGE_EDGE)
    else:
        large, artboard = _render_with_ghostscript(path, workdir, LARGE_EDGE)
        metadata = EmbeddedMetadata()
    made = make_renditions(large, workdir)
    width, height = artboard
    return Analysis(
        kind=MediaKind.VECTOR,
        mime_type=detected.mime_type,
        extension=detected.extension,
        width=width,
        height=height,
        megapixels=megapixels(width, height),
        orientation=orientation_of(width, height),
        color=made.color,
        phash=made.phash,
        metadata=metadata,
        renditions=made.renditions,
        sizes=vector_sizes(width, height),
    )


def rasterise_vector(source: Path, output: Path, width: int, height: int) -> None:
    """Render the vector at `source` to a width x height JPEG (a sold raster size)."""
    if detect(source).mime_type == SVG.mime_type:
        data, _ = read_svg(source)
        image, _ = _render_svg(data, max(width, height))
    else:
        image, _ = _render_with_ghostscript(source, output.parent, max(width, height))
    image.thumbnail_image(width, height=height, size="force").jpegsave(
        str(output), Q=DOWNLOAD_JPEG_QUALITY
    )


# -- SVG -------------------------------------------------------------------------------


@dataclass
class _SvgScan:
    """What a full safe parse of an SVG collects: its title and description."""

    title: list[str] = field(default_factory=list)
    description: list[str] = field(default_factory=list)
    depth: int = 0
    collecting: list[str] | None = None
    in_style: bool = False


def read_svg(path: Path) -> tuple[bytes, EmbeddedMetadata]:
    """The SVG's bytes, once proven self-contained, and its <title> and <desc>."""
    if path.stat().st_size > MAX_SVG_BYTES:
        raise IngestRejected(f"the SVG is larger than {MAX_SVG_BYTES // (1024 * 1024)} MB")
    data = path.read_bytes()
    scan = _SvgScan()
    parser = safe_xml_parser(lambda name, attrs: _on_start(scan, name, attrs))
    parser.EndElementHandler = lambda _name: _on_end(scan)
    parser.CharacterDataHandler = lambda text: _on_text(scan, text)
    try:
        parser.Parse(data, True)
    except UnsafeXml as exc:
        raise IngestRejected(str(exc)) from None
    except expat.ExpatError as exc:
        raise IngestRejected(f"the SVG is not well-formed XML ({exc})") from None
    metadata = EmbeddedMetadata(
        title=clean_text("".join(scan.title))[:TITLE_MAX_CHARS],
        description=clean_text("".join(scan.description))[:DESCRIPTION_MAX_CHARS],
    )
    return data, metadata


def _on_start(scan: _SvgScan, name: str, attributes: dict[str, str]) -> None:
    scan.depth += 1
    namespace, _, local = name.rpartition(" ")
    if namespace == XINCLUDE_NAMESPACE:
        raise UnsafeXml("the SVG includes other files (XInclude), which is refused for safety")
    _check_references(attributes)
    scan.in_style = local == "style"
    if scan.depth == 2 and local in ("title", "desc"):
        scan.collecting = scan.title if local == "title" else scan.description


def _on_end(scan: _SvgScan) -> None:
    scan.depth -= 1
    scan.collecting = None
    scan.in_style = False


def _on_text(scan: _SvgScan, text: str) -> None:
    if scan.in_style:
        if "@import" in text:
            raise UnsafeXml("the SVG imports a stylesheet (@import), which is refused for safety")
        _check_css_urls(text)
    collected = scan.collecting
    if collected is not None and sum(map(len, collected)) < MAX_SVG_TEXT_CHARS:
        collected.append(text)


def _check_references(attributes: dict[str, str]) -> None:
    """Refuse links to anything but a fragment of this file or inline data."""
    for name, value in attributes.items():
        local = name.rpartition(" ")[2]
        if local == "href" and not _SAFE_REFERENCE.match(value):
            raise UnsafeXml(
                f"the SVG refers to an outside resource ({value[:80]!r}); "
                "embed images in the file instead"
            )
        if "url(" in value.lower():
            _check_css_urls(value)


def _check_css_urls(text: str) -> None:
    for target in _CSS_URL.findall(text):
        if target and not _SAFE_REFERENCE.match(target):
            raise UnsafeXml(
                f"the SVG refers to an outside resource ({target[:80]!r}); "
                "embed images in the file instead"
            )


def _render_svg(data: bytes, edge: int) -> tuple[pyvips.Image, Size]:
    """The SVG rendered to fit `edge` x `edge` (8-bit sRGB on white), and its artboard size."""
    try:
        artboard = pyvips.Image.svgload_buffer(data)
        rendered = pyvips.Image.thumbnail_buffer(
            data, edge, height=edge, size="both", fail_on=FAIL_ON
        )
        return to_srgb8(rendered).copy_memory(), (artboard.width, artboard.height)
    except pyvips.Error as exc:
        raise unreadable(exc) from None


# -- EPS, AI, PDF through Ghostscript ---------------------------------------------------


def ghostscript() -> str:
    """The Ghostscript executable, or IngestRejected if the server has none."""
    found = shutil.which("gs")
    if found is None:
        raise IngestRejected(GHOSTSCRIPT_MISSING)
    return found


def _render_with_ghostscript(path: Path, workdir: Path, edge: int) -> tuple[pyvips.Image, Size]:
    """The first page fitted to `edge` (8-bit sRGB) and its artboard size in points."""
    ghostscript()
    probe = pyvips.Image.new_from_file(
        str(_run_ghostscript(path, workdir / "artboard.png", POINTS_PER_INCH))
    )
    check_pixel_limit(probe.width, probe.height)
    artboard = probe.width, probe.height
    dpi = POINTS_PER_INCH * edge / max(artboard)
    rendered = _run_ghostscript(path, workdir / "render.png", dpi)
    try:
        image = pyvips.Image.thumbnail(str(rendered), edge, height=edge, size="down")
        return to_srgb8(image).copy_memory(), artboard
    except pyvips.Error as exc:
        raise unreadable(exc) from None


def _run_ghostscript(source: Path, output: Path, dpi: float) -> Path:
    """Render the first page of `source` to a PNG at `dpi`, sandboxed (-dSAFER)."""
    command = [
        ghostscript(),
        "-q",
        "-dSAFER",
        "-dBATCH",
        "-dNOPAUSE",
        "-dEPSCrop",
        "-dFirstPage=1",
        "-dLastPage=1",
        "-dTextAlphaBits=4",
        "-dGraphicsAlphaBits=4",
        "-sDEVICE=png16m",
        f"-r{dpi:.2f}",
        f"-sOutputFile={output}",
        str(source),
    ]
    try:
        subprocess.run(  # noqa: S603 (fixed arguments; the file is data to a sandboxed gs)
            command, check=True, capture_output=True, timeout=GHOSTSCRIPT_TIMEOUT_S
        )
    except subprocess.TimeoutExpired:
        raise IngestRejected("the vector file took too long to render") from None
    except subprocess.CalledProcessError:
        raise IngestRejected("the vector file is corrupt and cannot be rendered") from None
    if not output.is_file():
        raise IngestRejected("the vector file has no page to render")
    return output
