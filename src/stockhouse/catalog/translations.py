"""Tags and translations: an item's keywords and its title and description per language.

The item's own title, description and tags are in DEFAULT_LANGUAGE; other languages live
in ItemTranslation (title, description) and ItemTag.lang (keywords).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from stockhouse.catalog.models import ItemTag, ItemTranslation, MediaItem
from stockhouse.errors import InvalidParameter

DEFAULT_LANGUAGE = "en"
MAX_TAGS_PER_LANGUAGE = 50
MAX_TAG_LENGTH = 50
MAX_LANGUAGES = 30
MAX_TITLE_LENGTH = 300
MAX_DESCRIPTION_LENGTH = 4000

# ISO 639-1/-2 code with an optional region or script, e.g. de, pt-br, zh-hant.
_LANGUAGE_PATTERN = re.compile(r"[a-z]{2,3}(-[a-z0-9]{2,4})?")
# Commas, semicolons and line breaks separate keywords in every wire format we speak.
_TAG_SEPARATORS = re.compile(r"[,;\r\n]+")
_WHITESPACE = re.compile(r"\s+")
# C0/C1 control characters; PostgreSQL text cannot hold NUL at all.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_EXCEPT_LINE_BREAKS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class Translation:
    """An item's title, description and tags in one language."""

    title: str
    description: str
    tags: list[str]


def validate_language(lang: str) -> str:
    """The language code in canonical lower case, or InvalidParameter('lang')."""
    code = lang.strip().lower().replace("_", "-")
    if not _LANGUAGE_PATTERN.fullmatch(code):
        raise InvalidParameter("lang", f"{lang[:20]!r} is not a language code like de or pt-br")
    return code


def clean_line(name: str, value: str, max_length: int) -> str:
    """A one-line text (a title): trimmed, NFC, at most `max_length`, no control characters.

    Markup and SQL-looking text are ordinary text here: stored verbatim, escaped on output.
    """
    text = unicodedata.normalize("NFC", value).strip()
    if _CONTROL.search(text):
        raise InvalidParameter(name, f"{name} must not contain control characters")
    if len(text) > max_length:
        raise InvalidParameter(name, f"{name} must be at most {max_length} characters")
    return text


def clean_text(name: str, value: str, max_length: int) -> str:
    """A multi-line text (a description): like clean_line, but line breaks and tabs stay."""
    text = unicodedata.normalize("NFC", value).strip()
    if _CONTROL_EXCEPT_LINE_BREAKS.search(text):
        raise InvalidParameter(name, f"{name} must not contain control characters")
    if len(text) > max_length:
        raise InvalidParameter(name, f"{name} must be at most {max_length} characters")
    return text


def normalize_tags(tags: Iterable[str]) -> list[str]:
    """Keywords as stored: split on , ; and line breaks, trimmed, single-spaced, lower case,
    deduplicated in first-seen order, and capped at MAX_TAGS_PER_LANGUAGE.

    A keyword longer than MAX_TAG_LENGTH is refused rather than cut, so that the stored
    keyword is never one the contributor did not write.
    """
    result: list[str] = []
    seen: set[str] = set()
    for entry in tags:
        for raw in _TAG_SEPARATORS.split(unicodedata.normalize("NFC", entry)):
            tag = _WHITESPACE.sub(" ", raw).strip().lower()
            if not tag or tag in seen:
                continue
            if _CONTROL.search(tag):
                raise InvalidParameter("tags", "tags must not contain control characters")
            if len(tag) > MAX_TAG_LENGTH:
                raise InvalidParameter(
                    "tags", f"tag {tag[:20]!r}... is longer than {MAX_TAG_LENGTH} characters"
                )
            seen.add(tag)
            result.append(tag)
    return result[:MAX_TAGS_PER_LANGUAGE]


def set_tags(item: MediaItem, lang: str, tags: Iterable[str]) -> list[str]:
    """Replace the item's tags in `lang` (normalised); returns the stored list."""
    lang = validate_language(lang)
    wanted = normalize_tags(tags)
    # Keep the rows of tags that stay: deleting and re-inserting the same primary key
    # within one flush would collide.
    existing = {t.tag: t for t in item.tags if t.lang == lang}
    others = [t for t in item.tags if t.lang != lang]
    kept: list[ItemTag] = []
    for position, tag in enumerate(wanted):
        row = existing.get(tag) or ItemTag(lang=lang, tag=tag)
        row.position = position
        kept.append(row)
    item.tags = others + kept
    return wanted


def set_translation(
    item: MediaItem, lang: str, *, title: str | None = None, description: str | None = None
) -> None:
    """Set the title and/or description of the item in a language other than the default."""
    lang = validate_language(lang)
    if lang == DEFAULT_LANGUAGE:
        raise InvalidParameter(
            "translations", f"{DEFAULT_LANGUAGE} is the item's own title and description"
        )
    row = next((t for t in item.translations if t.lang == lang), None)
    if row is None:
        row = ItemTranslation(lang=lang, title="", description="")
        item.translations.append(row)
    if title is not None:
        row.title = clean_line("title", title, MAX_TITLE_LENGTH)
    if description is not None:
        row.description = clean_text("description", description, MAX_DESCRIPTION_LENGTH)


def remove_language(item: MediaItem, lang: str) -> None:
    """Drop the item's title, description and tags in `lang` (not the default language)."""
    lang = validate_language(lang)
    if lang == DEFAULT_LANGUAGE:
        raise InvalidParameter("translations", f"the {DEFAULT_LANGUAGE} text cannot be removed")
    item.translations = [t for t in item.translations if t.lang != lang]
    item.tags = [t for t in item.tags if t.lang != lang]


def languages_of(item: MediaItem) -> list[str]:
    """The item's languages other than the default, sorted."""
    langs = {t.lang for t in item.translations} | {t.lang for t in item.tags}
    return sorted(langs - {DEFAULT_LANGUAGE})


def translations_of(item: MediaItem) -> dict[str, Translation]:
    """The item's texts in each language other than the default."""
    rows = {t.lang: t for t in item.translations}
    result: dict[str, Translation] = {}
    for lang in languages_of(item):
        row = rows.get(lang)
        result[lang] = Translation(
            title=row.title if row else "",
            description=row.description if row else "",
            tags=item.tag_names(lang),
        )
    return result


def localized(item: MediaItem, lang: str) -> Translation:
    """The item's texts in `lang`, falling back to the default language field by field."""
    lang = validate_language(lang)
    default = Translation(item.title, item.description, item.tag_names(DEFAULT_LANGUAGE))
    if lang == DEFAULT_LANGUAGE:
        return default
    other = translations_of(item).get(lang)
    if other is None:
        return default
    return Translation(
        title=other.title or default.title,
        description=other.description or default.description,
        tags=other.tags or default.tags,
    )
