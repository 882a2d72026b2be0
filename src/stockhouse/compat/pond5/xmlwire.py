"""The XML forms of the Pond5 envelope: reading `<pond5_api_request>` and `commands_xml`,
writing `<pond5_api_response>`.

Reading goes through defusedxml with DTDs forbidden, so neither external entities nor
entity expansion (billion laughs) can happen; the body size is limited before parsing,
and the depth of what is turned into command arguments is limited too. Lists are `<item>`
children, as the official client encodes them; every value arrives as text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from xml.etree.ElementTree import Element, ParseError, SubElement, tostring

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

MAX_DEPTH = 8
LIST_TAG = "item"
XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n'
# Characters XML 1.0 cannot carry, even escaped (and lone surrogates, which no encoding can).
_INVALID_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$")


class XmlRefused(ValueError):
    """XML that is malformed, has a DTD/entities, or nests too deeply."""


def parse(text: str) -> Element:
    """An element tree from untrusted text; XmlRefused for anything unsafe or malformed."""
    try:
        root: Element = fromstring(text, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise XmlRefused("XML with a DTD or entities is not accepted") from exc
    except (ParseError, ValueError) as exc:
        raise XmlRefused(f"the XML cannot be parsed: {str(exc)[:80]}") from exc
    return root


def to_value(element: Element, depth: int = 0) -> Any:
    """An element as a command argument: text, a list (`<item>` children) or a dict."""
    if depth > MAX_DEPTH:
        raise XmlRefused("the XML nests too deeply")
    children = list(element)
    if not children:
        return element.text or ""
    if all(child.tag == LIST_TAG for child in children):
        return [to_value(child, depth + 1) for child in children]
    return {child.tag: to_value(child, depth + 1) for child in children}


def child_text(root: Element, name: str) -> str | None:
    """The text of `root`'s child `name` (None when there is no such child)."""
    child = root.find(name)
    if child is None:
        return None
    return child.text or ""


# -- writing ----------------------------------------------------------------------------


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return _INVALID_CHARS.sub("", str(value))


def _add(parent: Element, tag: str, value: Any) -> None:
    if _NAME.fullmatch(tag) and not tag.lower().startswith("xml"):
        element = SubElement(parent, tag)
    else:  # a key that is no XML name (never from our own commands) keeps its name as data
        element = SubElement(parent, LIST_TAG, {"key": _text(tag)})
    _fill(element, value)


def _fill(element: Element, value: Any) -> None:
    if isinstance(value, Mapping):
        for key, child in value.items():
            _add(element, str(key), child)
    elif isinstance(value, list | tuple):
        for child in value:
            _fill(SubElement(element, LIST_TAG), child)
    else:
        element.text = _text(value)


def render(document: Mapping[str, Any]) -> bytes:
    """`<pond5_api_response>` holding `document` (e, commands, ...), UTF-8 with declaration."""
    root = Element("pond5_api_response")
    _fill(root, document)
    body: bytes = tostring(root, encoding="utf-8", xml_declaration=False)
    return XML_DECLARATION.encode() + body
