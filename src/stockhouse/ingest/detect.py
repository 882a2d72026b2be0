"""What a received file is, decided from its content; never from its name.

`detect(path)` reads the first bytes (magic numbers, container headers; for XML the
root element, parsed without resolving or even accepting entity declarations) and
returns a `Detected`, or raises `IngestRejected` with a reason a contributor can act on:
empty, unrecognised, or a recognised format the marketplace does not take.
`check_name(filename, detected)` then rejects a name whose extension contradicts the
content ("file is a PNG image but is named .jpg").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import BinaryIO
from xml.parsers import expat

from stockhouse.ingest.types import Detected, IngestRejected

HEAD_BYTES = 64 * 1024  # enough for every magic number and container header we look at
XML_PROBE_BYTES = 1024 * 1024  # how far into an XML file its root element may start
TS_PACKET = 188  # MPEG transport stream packet size
M2TS_PACKET = 192  # Blu-ray / AVCHD transport packets carry a 4-byte timestamp first
SVG_NAMESPACE = "http://www.w3.org/2000/svg"
ACCEPTED_FORMATS_HINT = (
    "send a JPEG, PNG, TIFF or WebP image, an SVG or EPS vector, "
    "an MP4, MOV, WebM, MKV, AVI or MPEG-TS video, or a WAV, AIFF, FLAC, MP3, OGG or M4A audio"
)


@dataclass(frozen=True)
class FileFormat:
    """A format Stockhouse recognises and takes in."""

    family: str  # image, vector, video, audio
    mime_type: str
    extension: str  # canonical extension
    label: str  # how a sentence names it: "a JPEG image"
    aliases: frozenset[str]  # every extension a file of this format may be named with

    def detected(self) -> Detected:
        return Detected(family=self.family, mime_type=self.mime_type, extension=self.extension)


def _format(family: str, mime: str, label: str, *extensions: str) -> FileFormat:
    return FileFormat(family, mime, extensions[0], label, frozenset(extensions))


JPEG = _format("image", "image/jpeg", "a JPEG image", "jpg", "jpeg", "jpe", "jfif")
PNG = _format("image", "image/png", "a PNG image", "png")
TIFF = _format("image", "image/tiff", "a TIFF image", "tif", "tiff")
WEBP = _format("image", "image/webp", "a WebP image", "webp")
SVG = _format("vector", "image/svg+xml", "an SVG vector", "svg")
EPS = _format(
    "vector", "application/postscript", "an EPS vector", "eps", "epsf", "epsi", "ai", "ps"
)
AI = _format("vector", "application/illustrator", "an Adobe Illustrator vector", "ai", "pdf")
PDF = _format("vector", "application/pdf", "a PDF document", "pdf", "ai")
MP4 = _format("video", "video/mp4", "an MP4 video", "mp4", "m4v", "mov", "3gp", "3g2")
MOV = _format("video", "video/quicktime", "a QuickTime (MOV) video", "mov", "qt", "mp4")
THREE_GP = _format("video", "video/3gpp", "a 3GP video", "3gp", "3g2", "mp4")
WEBM = _format("video", "video/webm", "a WebM video", "webm", "mkv")
MKV = _format("video", "video/x-matroska", "a Matroska (MKV) video", "mkv", "webm", "mk3d")
AVI = _format("video", "video/x-msvideo", "an AVI video", "avi")
MPEG_TS = _format("video", "video/mp2t", "an MPEG transport stream video", "ts", "mts", "m2ts")
MPEG_PS = _format("video", "video/mpeg", "an MPEG video", "mpg", "mpeg", "m2v", "vob")
OGV = _format("video", "video/ogg", "an Ogg video", "ogv", "ogg")
WAV = _format("audio", "audio/wav", "a WAV audio file", "wav", "wave")
AIFF = _format("audio", "audio/aiff", "an AIFF audio file", "aif", "aiff", "aifc")
FLAC = _format("audio", "audio/flac", "a FLAC audio file", "flac")
MP3 = _format("audio", "audio/mpeg", "an MP3 audio file", "mp3")
AAC = _format("audio", "audio/aac", "an AAC audio file", "aac")
OGG = _format("audio", "audio/ogg", "an Ogg audio file", "ogg", "oga", "opus")
M4A = _format("audio", "audio/mp4", "an M4A audio file", "m4a", "m4b", "mp4", "aac")

FORMATS: dict[str, FileFormat] = {
    f.mime_type: f
    for f in (
        JPEG, PNG, TIFF, WEBP, SVG, EPS, AI, PDF, MP4, MOV, THREE_GP, WEBM, MKV, AVI,
        MPEG_TS, MPEG_PS, OGV, WAV, AIFF, FLAC, MP3, AAC, OGG, M4A,
    )
}  # fmt: skip


class _Unsupported(Exception):
    """A recognised format that is not taken; the message names it."""


def _unsupported(what: str) -> _Unsupported:
    return _Unsupported(f"{what} files are not accepted; {ACCEPTED_FORMATS_HINT}")


def detect(path: Path) -> Detected:
    """What the file at `path` is, from its content; IngestRejected if unusable."""
    size = path.stat().st_size
    if size == 0:
        raise IngestRejected("the file is empty (0 bytes)")
    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
    try:
        found = _from_magic(head) or _from_text(path, head)
    except _Unsupported as exc:
        raise IngestRejected(str(exc)) from None
    if found is None:
        raise IngestRejected(f"the file's type could not be recognised; {ACCEPTED_FORMATS_HINT}")
    return found.detected()


def describe(detected: Detected) -> str:
    """How a sentence names the detected format ("a PNG image")."""
    known = FORMATS.get(detected.mime_type)
    return known.label if known else f"a {detected.mime_type} file"


def check_name(filename: str, detected: Detected) -> None:
    """Reject `filename` if its extension contradicts the content; no extension is fine."""
    extension = file_extension(filename)
    if not extension:
        return
    known = FORMATS.get(detected.mime_type)
    allowed = known.aliases if known else frozenset({detected.extension})
    if extension not in allowed:
        raise IngestRejected(f"file is {describe(detected)} but is named .{extension}")


def file_extension(filename: str) -> str:
    """The lower-case extension of the last path component of `filename` ("" if none)."""
    name = PureWindowsPath(PurePosixPath(filename).name).name
    stem, dot, extension = name.rpartition(".")
    return extension.lower() if dot and stem.strip(".") else ""


# -- binary formats ------------------------------------------------------------------


def _from_magic(head: bytes) -> FileFormat | None:
    """The format a binary signature names, None when there is none."""
    for probe in _PROBES:
        found = probe(head)
        if found is not None:
            return found
    return None


def _still_images(head: bytes) -> FileFormat | None:
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        if head[8:10] == b"CR":
            raise _unsupported("Camera raw (CR2)")
        return TIFF
    if head.startswith((b"GIF87a", b"GIF89a")):
        raise _unsupported("GIF")
    if head.startswith(b"8BPS"):
        raise _unsupported("Photoshop (PSD)")
    if head.startswith(b"BM") and len(head) > 18 and head[14] in (12, 40, 52, 56, 108, 124):
        raise _unsupported("BMP")
    if head.startswith((b"\x00\x00\x00\x0cjP  ", b"\xff\x4f\xff\x51")):
        raise _unsupported("JPEG 2000")
    if head.startswith((b"\xff\x0a", b"\x00\x00\x00\x0cJXL ")):
        raise _unsupported("JPEG XL")
    return None


def _riff_and_iff(head: bytes) -> FileFormat | None:
    if head.startswith(b"RIFF"):
        kind = head[8:12]
        known = {b"WEBP": WEBP, b"WAVE": WAV, b"AVI ": AVI}.get(kind)
        if known is None:
            raise _unsupported(f"RIFF {kind.decode('latin-1')!r}")
        return known
    if head.startswith(b"FORM") and head[8:12] in (b"AIFF", b"AIFC"):
        return AIFF
    return None


_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
_AUDIO_BRANDS = {b"M4A ", b"M4B ", b"M4P "}
_QUICKTIME_ATOMS = {b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"}


def _iso_media(head: bytes) -> FileFormat | None:
    """ISO base media (MP4, MOV, M4A, 3GP, HEIF) by the ftyp box's major brand."""
    if head[4:8] != b"ftyp":
        return MOV if head[4:8] in _QUICKTIME_ATOMS and len(head) >= 16 else None
    brand = head[8:12]
    if brand in _HEIF_BRANDS:
        raise _unsupported("HEIC")
    if brand in (b"avif", b"avis"):
        raise _unsupported("AVIF")
    if brand == b"crx ":
        raise _unsupported("Camera raw (CR3)")
    if brand in _AUDIO_BRANDS:
        return M4A
    if brand == b"qt  ":
        return MOV
    if brand.startswith((b"3gp", b"3g2")):
        return THREE_GP
    return MP4


def _containers(head: bytes) -> FileFormat | None:
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return WEBM if b"webm" in head[:64] else MKV
    if head.startswith(b"OggS"):
        return OGV if b"\x80theora" in head else OGG
    if head.startswith(b"fLaC"):
        return FLAC
    if head.startswith(b"ID3"):
        return MP3
    if _is_transport_stream(head):
        return MPEG_TS
    if head.startswith((b"\x00\x00\x01\xba", b"\x00\x00\x01\xb3")):
        return MPEG_PS
    return _audio_frames(head)


def _is_transport_stream(head: bytes) -> bool:
    """Sync bytes 0x47 at the start of three consecutive packets (plain or M2TS)."""
    for offset, packet in ((0, TS_PACKET), (4, M2TS_PACKET)):
        positions = [offset + packet * i for i in range(3)]
        if positions[-1] < len(head) and all(head[p] == 0x47 for p in positions):
            return True
    return False


def _audio_frames(head: bytes) -> FileFormat | None:
    """A bare MPEG audio frame (MP3) or ADTS header (AAC) at the very start."""
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return None
    version, layer = (head[1] >> 3) & 3, (head[1] >> 1) & 3
    if layer == 0:
        return AAC if head[1] & 0xF6 == 0xF0 else None
    bitrate, sample_rate = head[2] >> 4, (head[2] >> 2) & 3
    if version != 1 and bitrate not in (0, 15) and sample_rate != 3:
        return MP3
    return None


def _documents(head: bytes) -> FileFormat | None:
    if head.startswith(b"%PDF-"):
        return AI if b"Illustrator" in head else PDF
    if head.startswith((b"%!PS-Adobe", b"\xc5\xd0\xd3\xc6")):
        return EPS
    archives = {
        b"PK\x03\x04": "ZIP",
        b"PK\x05\x06": "ZIP",
        b"\x1f\x8b": "gzip",
        b"Rar!": "RAR",
        b"7z\xbc\xaf\x27\x1c": "7-Zip",
        b"\x7fELF": "Executable",
        b"MZ": "Windows executable",
    }
    for magic, what in archives.items():
        if head.startswith(magic):
            raise _unsupported(what)
    return None


_PROBES: tuple[Callable[[bytes], FileFormat | None], ...] = (
    _still_images,
    _riff_and_iff,
    _iso_media,
    _containers,
    _documents,
)


# -- text formats --------------------------------------------------------------------


class UnsafeXml(Exception):
    """XML that declares entities or refers to external ones (billion laughs, XXE)."""


class _RootFound(Exception):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def _from_text(path: Path, head: bytes) -> FileFormat | None:
    """SVG by its XML root element; other text is named in the rejection."""
    text = _decode_text(head)
    if text is None:
        return None
    if text.lstrip("\ufeff \t\r\n").startswith("<"):
        try:
            root = xml_root_name(path)
        except UnsafeXml as exc:
            raise IngestRejected(str(exc)) from None
        if root in ("svg", f"{SVG_NAMESPACE} svg"):
            return SVG
        if root is not None and root.rpartition(" ")[2].lower() == "html":
            raise _unsupported("HTML")
        raise _unsupported("XML")
    raise _unsupported("Plain text")


def _decode_text(head: bytes) -> str | None:
    """`head` as text when it looks like UTF-8 (or UTF-16) text, else None."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head[2:].decode("utf-16-le" if head[0] == 0xFF else "utf-16-be", "replace")
    if b"\x00" in head:
        return None
    try:
        return head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # The head may end in the middle of a multi-byte character.
        return head[: exc.start].decode("utf-8") if exc.start > len(head) - 4 else None


def safe_xml_parser(start_element: Callable[[str, dict[str, str]], None]) -> expat.XMLParserType:
    """An expat parser (namespace separator " ") that refuses any entity declaration.

    Entities are how "billion laughs" expansion and external-entity (XXE) reads work;
    an image has no need of them, so their mere declaration is a rejection.
    """
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def refuse_entity(*_args: object) -> None:
        raise UnsafeXml(
            "the SVG declares XML entities (<!ENTITY ...>), which are refused for safety; "
            "export it again without a DOCTYPE"
        )

    def refuse_external(*_args: object) -> int:
        raise UnsafeXml("the SVG refers to an external XML entity, which is refused for safety")

    parser.EntityDeclHandler = refuse_entity
    parser.UnparsedEntityDeclHandler = refuse_entity
    parser.ExternalEntityRefHandler = refuse_external
    parser.StartElementHandler = start_element
    return parser


def xml_root_name(path: Path) -> str | None:
    """The root element's name ("namespace localname"), None if not well-formed XML."""

    def stop_at_root(name: str, _attributes: dict[str, str]) -> None:
        raise _RootFound(name)

    parser = safe_xml_parser(stop_at_root)
    try:
        with path.open("rb") as handle:
            parser.ParseFile(_Capped(handle, XML_PROBE_BYTES))
    except _RootFound as found:
        return found.name
    except expat.ExpatError:
        return None
    return None


class _Capped:
    """A reader that yields at most `limit` bytes of `stream`."""

    def __init__(self, stream: BinaryIO, limit: int) -> None:
        self._stream = stream
        self._left = limit

    def read(self, size: int = -1) -> bytes:
        wanted = self._left if size < 0 else min(size, self._left)
        data = self._stream.read(wanted)
        self._left -= len(data)
        return data
