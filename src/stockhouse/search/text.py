"""What a user typed into a search box, parsed into words, phrases, exclusions and filters.

The syntax (docs/search.md): every word must match; "quoted phrases" match as written;
`-word`, `-"phrase"` and `NOT word` exclude; `AND` changes nothing (every word must match
anyway); an item id typed alone (`12345` or `#12345`) also finds that item; `field:value`
terms such as `editorial:1` (Pond5's advanced search) set filters. Anything else is text:
parsing never fails, whatever the input, and backends build their queries from the parsed
parts programmatically, never by pasting user text into a query language.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from stockhouse.catalog.models import MediaKind, Orientation
from stockhouse.search.query import MAX_COLOR, MAX_QUERY_LENGTH, SearchQuery

MAX_TERMS = 32  # words, phrases and exclusions together; the rest is ignored
MAX_TERM_LENGTH = 100  # characters of one word or phrase
MAX_ITEM_ID = 2**31 - 1

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_ITEM_ID = re.compile(r"#?(\d{1,10})")
_FIELD_TERM = re.compile(r"([A-Za-z_]{1,20}):(\S{1,100})")
_IGNORED_OPERATORS = frozenset({"AND", "OR", "&&", "||", "+", "-"})
_NEGATION = "NOT"
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})

# Field names users may type, and the filter each one sets.
FIELD_ALIASES: dict[str, str] = {
    "editorial": "editorial",
    "nudity": "nudity",
    "free": "free",
    "exclusive": "exclusive",
    "ai": "ai_generated",
    "ai_generated": "ai_generated",
    "kind": "kind",
    "type": "kind",
    "orientation": "orientation",
    "color": "color",
    "colour": "color",
    "author": "author",
    "user": "author",
    "userid": "author",
    "username": "username",
    "category": "category",
    "cat": "category",
    "ext": "extension",
    "extension": "extension",
    "id": "id",
    "series": "series",
}
BOOLEAN_FIELDS = frozenset({"editorial", "nudity", "free", "exclusive", "ai_generated"})


@dataclass(frozen=True)
class FieldTerm:
    """A `field:value` term with a known field and a valid value, both normalised."""

    field: str
    value: str


_IGNORED_TERM = FieldTerm("", "")  # a field term that sets nothing (a negated `kind:video`)


@dataclass(frozen=True)
class ParsedText:
    """The parts of a search text. Backends use words, phrases, excluded and item_id;
    `fields` are applied to the query's filters by `apply_field_terms` (the service does).

    A word that a backend's tokenizer splits into several tokens (`e-mail`) matches like
    a phrase. `excluded` holds excluded words and phrases alike.
    """

    words: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    item_id: int | None = None
    fields: tuple[FieldTerm, ...] = ()

    @property
    def required(self) -> tuple[str, ...]:
        """Every word and phrase that must match."""
        return self.words + self.phrases

    @property
    def has_text(self) -> bool:
        """Whether anything constrains the text (so that relevance means something)."""
        return bool(self.words or self.phrases or self.item_id is not None)


def clean_text(text: str) -> str:
    """The text in NFC, control characters turned to spaces, at most MAX_QUERY_LENGTH long."""
    text = unicodedata.normalize("NFC", text[: MAX_QUERY_LENGTH * 2])
    return _CONTROL.sub(" ", text)[:MAX_QUERY_LENGTH]


def _tokens(text: str) -> list[tuple[bool, bool, str]]:
    """(negated, quoted, content) for each word or "phrase" in `text`, in order."""
    result: list[tuple[bool, bool, str]] = []
    position, length = 0, len(text)
    while position < length:
        char = text[position]
        if char.isspace():
            position += 1
            continue
        negated = char == "-"
        if char in "+-" and position + 1 < length and not text[position + 1].isspace():
            position += 1
        if text[position] == '"':
            end = text.find('"', position + 1)
            end = length if end < 0 else end
            result.append((negated, True, text[position + 1 : end]))
            position = end + 1
            continue
        end = position
        while end < length and not text[end].isspace() and text[end] != '"':
            end += 1
        result.append((negated, False, text[position:end]))
        position = end
    return result


def _word(content: str) -> str:
    return " ".join(content.split())[:MAX_TERM_LENGTH]


PARSED_CACHE_SIZE = 1024  # parsed texts kept: the service and the backend parse each text


def parse_text(text: str) -> ParsedText:
    """Parse a search text; never raises, whatever `text` holds.

    Texts of up to MAX_QUERY_LENGTH characters are parsed once and shared (ParsedText is
    immutable); longer ones are cut first, so the cache never holds more than that.
    """
    if len(text) > MAX_QUERY_LENGTH:
        return _parse(clean_text(text))
    return _parse(text)


@functools.lru_cache(maxsize=PARSED_CACHE_SIZE)
def _parse(text: str) -> ParsedText:
    text = clean_text(text)
    id_match = _ITEM_ID.fullmatch(text.strip())
    item_id = int(id_match.group(1)) if id_match else None
    if item_id is not None and not 0 < item_id <= MAX_ITEM_ID:
        item_id = None
    words: list[str] = []
    phrases: list[str] = []
    excluded: list[str] = []
    fields: list[FieldTerm] = []
    negate_next = False
    for negated, quoted, content in _tokens(text):
        if len(words) + len(phrases) + len(excluded) >= MAX_TERMS:
            break
        if not quoted and content in _IGNORED_OPERATORS:
            continue
        if not quoted and content == _NEGATION:
            negate_next = True
            continue
        negated, negate_next = negated or negate_next, False
        term = None if quoted else _field_term(content, negated)
        if term is not None:
            if term is not _IGNORED_TERM:
                fields.append(term)
            continue
        word = _word(content)
        if not word:
            continue
        if negated:
            excluded.append(word)
        elif quoted and " " in word:
            phrases.append(word)
        else:
            words.append(word)
    return ParsedText(
        words=tuple(words),
        phrases=tuple(phrases),
        excluded=tuple(excluded),
        item_id=item_id,
        fields=tuple(fields),
    )


# -- field terms ------------------------------------------------------------------------


def _boolean(value: str) -> str | None:
    value = value.lower()
    if value in _TRUE:
        return "1"
    if value in _FALSE:
        return "0"
    return None


def _positive_int(value: str) -> str | None:
    return str(int(value)) if value.isdigit() and 0 < int(value) <= MAX_ITEM_ID else None


def _kind(value: str) -> str | None:
    value = value.lower()
    return value if value in {k.value for k in MediaKind} else None


def _orientation(value: str) -> str | None:
    value = value.lower()
    return value if value in {o.value for o in Orientation} else None


def _color(value: str) -> str | None:
    return value if value.isdigit() and 1 <= int(value) <= MAX_COLOR else None


def _extension(value: str) -> str | None:
    value = value.lower().lstrip(".")
    return value if value.isalnum() and len(value) <= 16 else None


def _username(value: str) -> str | None:
    return value if len(value) <= 64 else None


_VALIDATORS: dict[str, Callable[[str], str | None]] = {
    "kind": _kind,
    "orientation": _orientation,
    "color": _color,
    "author": _positive_int,
    "username": _username,
    "category": _positive_int,
    "extension": _extension,
    "id": _positive_int,
    "series": _positive_int,
}


def _field_term(content: str, negated: bool) -> FieldTerm | None:
    """The field term `content` spells, or None when it is ordinary text.

    A negated boolean term flips (`-editorial:1` is `editorial:0`); other negated field
    terms are ignored rather than taken as text.
    """
    match = _FIELD_TERM.fullmatch(content)
    if match is None:
        return None
    field = FIELD_ALIASES.get(match.group(1).lower())
    if field is None:
        return None
    if field in BOOLEAN_FIELDS:
        value = _boolean(match.group(2))
        if value is None:
            return None
        if negated:
            value = "0" if value == "1" else "1"
        return FieldTerm(field, value)
    value = _VALIDATORS[field](match.group(2))
    if value is None:
        return None
    return _IGNORED_TERM if negated else FieldTerm(field, value)


def apply_field_terms(query: SearchQuery, parsed: ParsedText | None = None) -> SearchQuery:
    """`query` with the text's field terms applied to its filters.

    A field term takes the place of the same filter given as a parameter (Pond5 searches
    non-editorial items unless the query says `editorial:1`); several terms of one field
    add up (`kind:photo kind:vector`).
    """
    parsed = parsed or parse_text(query.text)
    if not parsed.fields:
        return query
    sets: dict[str, set[str]] = {}
    changes: dict[str, object] = {}
    for term in parsed.fields:
        if term.field in BOOLEAN_FIELDS:
            changes[term.field] = term.value == "1"
        else:
            sets.setdefault(term.field, set()).add(term.value)
    converters: dict[str, tuple[str, Callable[[str], object]]] = {
        "kind": ("kinds", MediaKind),
        "orientation": ("orientations", Orientation),
        "color": ("colors", int),
        "author": ("author_ids", int),
        "username": ("author_usernames", str),
        "category": ("category_ids", int),
        "extension": ("extensions", str),
        "id": ("item_ids", int),
    }
    for field, values in sets.items():
        if field == "series":
            changes["series_id"] = int(min(values, key=int))
            continue
        attribute, convert = converters[field]
        changes[attribute] = frozenset(convert(v) for v in values)
    return dataclasses.replace(query, **changes)  # type: ignore[arg-type]
