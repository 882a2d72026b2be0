"""Loose integers as compatible APIs' clients send them."""

from __future__ import annotations

import pytest

from stockhouse.compat.values import to_int


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (7, 7),
        ("7", 7),
        (" -3 ", -3),
        ("+12", 12),
        (4.0, 4),
        ("0012", 12),
        ("9" * 18, int("9" * 18)),
    ],
)
def test_integers_numbers_as_text_and_whole_floats_are_read(value: object, expected: int) -> None:
    assert to_int(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        True,
        False,
        4.5,
        float("nan"),
        float("inf"),
        "4.0",
        "",
        "abc",
        "٣",
        "1e3",
        "9" * 19,
        None,
        [1],
    ],
)
def test_anything_else_is_not_an_integer(value: object) -> None:
    assert to_int(value) is None
