"""The three codecs of the Pixelpost API: decoding requests, encoding answers.

- `POST /api/json/`: a JSON body `{"method": ..., "request": ..., ["token", "hmac"]}`.
- `POST /api/xml/`: an XML body `<xml><method/><request/>[<token/><hmac/>]</xml>`, parsed
  without DTDs, entities or external references (defusedxml), at most MAX_XML_DEPTH deep.
- `GET|POST /api/get/<method>/<format>/[key:value/...]`: the request is the query string
  (GET) or the form body (POST) in PHP bracket syntax; `key:value` path segments are
  extra top-level keys (`token:`, `hmac:`); `<format>` `xml` answers XML, anything else JSON.

Answers are `{"status": "valid", "response": ...}` or `{"status": "error", "code",
"message"}` in JSON, or the same document as `<xml>` elements with lists as repeated
elements and booleans as 1/0. Every answer is HTTP 200, as the real software's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote_plus
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as safe_fromstring

from stockhouse.compat.photolist import errors
from stockhouse.compat.phpquery import parse_pairs

MAX_BODY_BYTES = 1024 * 1024
MAX_FORM_FIELDS = 1000
MAX_XML_DEPTH = 16
MAX_JSON_DEPTH = 64
MAX_PATH_SEGMENTS = 16
ENVELOPE_KEYS = frozenset({"method", "request"})
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes" ?>'
JSON_MEDIA_TYPE = "application/json"
XML_MEDIA_TYPE = "application/xml"
# Characters XML 1.0 cannot carry at all: dropped from answers so that they stay valid.
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_XML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


@dataclass(frozen=True)
class Envelope:
    """One decoded call: the method, its request and the optional token and hmac."""

    method: Any
    request: Any
    token: Any = None
    hmac: Any = None


# -- JSON -------------------------------------------------------------------------------


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _depth(value: Any) -> int:
    depth, level = 0, [value]
    while level:
        depth += 1
        if depth > MAX_JSON_DEPTH:
            return depth
        children: list[Any] = []
        for node in level:
            if isinstance(node, dict):
                children.extend(node.values())
            elif isinstance(node, list):
                children.extend(node)
        level = children
    return depth


def decode_json(body: bytes) -> Envelope:
    text = _text(body)
    try:
        document = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        raise errors.bad_encoding("JSON") from None
    if _depth(document) > MAX_JSON_DEPTH:
        raise errors.bad_encoding("JSON")
    return envelope_of(document)


# -- XML --------------------------------------------------------------------------------


def _xml_value(element: Element, depth: int) -> Any:
    """An element as PHP's SimpleXML-to-array reads it: children make a mapping (repeated
    names a list), text makes a string, an empty element an empty mapping."""
    if depth > MAX_XML_DEPTH:
        raise errors.bad_encoding("XML")
    if len(element) == 0:
        return element.text if element.text else {}
    mapping: dict[str, Any] = {}
    for child in element:
        value = _xml_value(child, depth + 1)
        if child.tag not in mapping:
            mapping[child.tag] = value
        elif isinstance(mapping[child.tag], _Repeated):
            mapping[child.tag].append(value)
        else:
            mapping[child.tag] = _Repeated([mapping[child.tag], value])
    return {
        key: list(value) if isinstance(value, _Repeated) else value
        for key, value in mapping.items()
    }


class _Repeated(list[Any]):
    """Values of an element name seen more than once (distinct from a value that is a list)."""


def decode_xml(body: bytes) -> Envelope:
    text = _text(body)
    try:
        root = safe_fromstring(text, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise errors.ApiError(
            "bad_encoding",
            "The XML request must not declare a DTD, entities or external references.",
        ) from None
    except (ParseError, ValueError, RecursionError):
        raise errors.bad_encoding("XML") from None
    document = _xml_value(root, 0)
    if not isinstance(document, dict):
        document = {}
    return envelope_of(document)


# -- GET / form -------------------------------------------------------------------------


def _pairs(raw: bytes) -> list[tuple[str, str]]:
    try:
        return parse_qsl(
            raw.decode("utf-8"),
            keep_blank_values=True,
            encoding="utf-8",
            errors="strict",
            max_num_fields=MAX_FORM_FIELDS,
        )
    except UnicodeDecodeError:
        raise errors.ApiError("bad_encoding", "The request is not valid UTF-8.") from None
    except ValueError:
        raise errors.ApiError(
            "bad_request", f"The request has more than {MAX_FORM_FIELDS} fields."
        ) from None


def _segment(raw: str) -> str:
    try:
        return unquote_plus(raw, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise errors.ApiError("bad_encoding", "The url is not valid UTF-8.") from None


@dataclass(frozen=True)
class GetCall:
    """A `/api/get/...` call: its envelope (method None when the url names none) and
    whether it answers in XML."""

    envelope: Envelope
    xml: bool


def output_is_xml(raw_path: str) -> bool:
    """Whether a `/api/get/<method>/<format>/` path asks for XML answers."""
    segments = [s for s in raw_path.split("/") if s]
    return len(segments) > 1 and segments[1] == "xml"


def decode_get(raw_path: str, data: bytes) -> GetCall:
    """`raw_path` is what follows `/api/get/` (still percent-encoded); `data` the query
    string (GET) or form body (POST)."""
    segments = [s for s in raw_path.split("/") if s][: MAX_PATH_SEGMENTS + 2]
    method = _segment(segments[0]) if segments else None
    output = _segment(segments[1]) if len(segments) > 1 else ""
    top: dict[str, Any] = {}
    for segment in segments[2:]:
        key, colon, value = segment.partition(":")
        if colon:
            top[_segment(key)] = _segment(value)
    request = parse_pairs(_pairs(data))
    extra = {k: v for k, v in top.items() if k not in ENVELOPE_KEYS}
    envelope = Envelope(method, request, extra.get("token"), extra.get("hmac"))
    return GetCall(envelope, output == "xml")


# -- shared -----------------------------------------------------------------------------


def _text(body: bytes) -> str:
    if not body.strip():
        raise errors.no_request()
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise errors.ApiError("bad_encoding", "The request is not valid UTF-8.") from None


def envelope_of(document: Any) -> Envelope:
    """The envelope of a decoded JSON or XML document."""
    if not isinstance(document, dict) or "method" not in document:
        raise errors.missing_envelope_field("method")
    if "request" not in document:
        raise errors.missing_envelope_field("request")
    return Envelope(
        document["method"], document["request"], document.get("token"), document.get("hmac")
    )


def encode_json(document: Mapping[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


def _xml_text(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if value is None:
        return ""
    return _NOT_XML.sub("", str(value)).translate(_XML_ESCAPES)


def _xml_element(tag: str, value: Any) -> str:
    if isinstance(value, list):
        if not value:
            return f"<{tag}></{tag}>"
        return "".join(_xml_element(tag, entry) for entry in value)
    if isinstance(value, dict):
        inner = "".join(_xml_element(key, child) for key, child in value.items())
        return f"<{tag}>{inner}</{tag}>"
    return f"<{tag}>{_xml_text(value)}</{tag}>"


def encode_xml(document: Mapping[str, Any]) -> str:
    """The XML form of an answer document, as the real software writes it (one line)."""
    inner = "".join(_xml_element(key, value) for key, value in document.items())
    return f"{XML_DECLARATION}<xml>{inner}</xml>"
