"""Parameters several Depositphotos commands share: language, watermark, translation."""

from __future__ import annotations

from stockhouse.catalog.translations import DEFAULT_LANGUAGE, validate_language
from stockhouse.compat.depositphotos import wire
from stockhouse.compat.depositphotos.documents import WATERMARKS
from stockhouse.errors import InvalidParameter

MAX_LANG_CHARS = 10


def language(params: wire.Params) -> str | None:
    """The language to translate into (dp_translate_items + dp_lang), or None."""
    lang = params.text("dp_lang", max_chars=MAX_LANG_CHARS) or DEFAULT_LANGUAGE
    try:
        lang = validate_language(lang)
    except InvalidParameter as exc:
        raise wire.invalid_param("dp_lang", "Dp_lang is not a language code") from exc
    if not params.boolean("dp_translate_items", False) or lang == DEFAULT_LANGUAGE:
        return None
    return lang


def watermark(params: wire.Params) -> str:
    """dp_watermark: "depositphotos" or "neutral" (the default)."""
    chosen = (params.text("dp_watermark", max_chars=20) or "neutral").strip().lower()
    if chosen not in WATERMARKS:
        raise wire.invalid_param("dp_watermark", "Dp_watermark must be depositphotos or neutral")
    return chosen
