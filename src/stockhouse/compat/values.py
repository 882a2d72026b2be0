"""Loose values as compatible APIs' clients send them: numbers as text, JSON or XML.

PHP clients send numbers as strings, JSON clients as numbers, XML always as text; each
adapter reads them through these helpers and answers its own error when they give None.
"""

from __future__ import annotations

import math
from typing import Any

MAX_INT_DIGITS = 18  # larger numbers are refused before int() (no huge-integer parsing)


def to_int(value: Any) -> int | None:
    """An integer from an int, a whole float or decimal text (ASCII digits, optional sign);
    None for anything else (booleans, fractions, NaN, words, lists, huge numbers)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and value.is_integer() else None
    if isinstance(value, str):
        text = value.strip()
        body = text[1:] if text[:1] in "+-" else text
        if body.isascii() and body.isdigit() and len(body) <= MAX_INT_DIGITS:
            return int(text)
    return None
