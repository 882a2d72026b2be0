"""A small language for JSON shapes, to hold answers against the seed's samples.

A shape is a Python type (`str`, `int`, `bool`: exactly that JSON type, so `True` is not
an int), `NUMBER` (an int or a float), `Pattern` (a string of a given form), `Nullable`,
`[shape]` (a list whose every element has the shape), `Keyed` (an object with any keys,
every value of one shape) or `Obj` (an object with exactly the seed's fields plus the
documented additions; optional fields may be missing). `problems` lists every difference
with its path, so one failing test shows all of them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class Number:
    """A JSON number: an int or a float (never a bool)."""


NUMBER = Number()


@dataclass(frozen=True)
class Pattern:
    """A string matching `regex` in full."""

    regex: str
    name: str


@dataclass(frozen=True)
class Nullable:
    shape: Any


@dataclass(frozen=True)
class Keyed:
    """An object whose keys are data (item ids, size codes), each value of `shape`."""

    shape: Any
    key: str = r".+"


@dataclass(frozen=True)
class Obj:
    """An object: `seed` fields (the document's) plus `extra` (Stockhouse's and the SDK's
    documented additions) exactly; `optional` fields may be absent."""

    seed: Mapping[str, Any]
    extra: Mapping[str, Any] = field(default_factory=dict)
    optional: Mapping[str, Any] = field(default_factory=dict)

    def plus(self, **extra: Any) -> Obj:
        return Obj(self.seed, {**self.extra, **extra}, self.optional)

    def without(self, *names: str) -> Obj:
        return Obj(
            {k: v for k, v in self.seed.items() if k not in names},
            {k: v for k, v in self.extra.items() if k not in names},
            {k: v for k, v in self.optional.items() if k not in names},
        )


def _is_exactly(value: Any, kind: type) -> bool:
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)


def problems(value: Any, shape: Any, path: str = "$") -> list[str]:
    """Every way `value` differs from `shape` (empty when it conforms)."""
    if isinstance(shape, Nullable):
        return [] if value is None else problems(value, shape.shape, path)
    if isinstance(shape, Number):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return [] if ok else [f"{path}: {value!r} is not a number"]
    if isinstance(shape, Pattern):
        if isinstance(value, str) and re.fullmatch(shape.regex, value):
            return []
        return [f"{path}: {value!r} is not {shape.name}"]
    if isinstance(shape, type):
        ok = _is_exactly(value, shape)
        return [] if ok else [f"{path}: {value!r} is not {shape.__name__}"]
    if isinstance(shape, list):
        if not isinstance(value, list):
            return [f"{path}: {type(value).__name__} is not a list"]
        return [p for i, v in enumerate(value) for p in problems(v, shape[0], f"{path}[{i}]")]
    if isinstance(shape, Keyed):
        if not isinstance(value, dict):
            return [f"{path}: {type(value).__name__} is not an object"]
        found = [f"{path}: key {k!r}" for k in value if not re.fullmatch(shape.key, k)]
        return found + [
            p for k, v in value.items() for p in problems(v, shape.shape, f"{path}.{k}")
        ]
    if isinstance(shape, Obj):
        return _object_problems(value, shape, path)
    raise TypeError(f"not a shape: {shape!r}")


def _object_problems(value: Any, shape: Obj, path: str) -> list[str]:
    if not isinstance(value, dict):
        return [f"{path}: {type(value).__name__} is not an object"]
    wanted = {**shape.seed, **shape.extra}
    found = [f"{path}.{name}: missing" for name in wanted if name not in value]
    allowed = wanted.keys() | shape.optional.keys()
    found += [
        f"{path}.{name}: not in the seed nor documented" for name in value if name not in allowed
    ]
    for name, child in value.items():
        child_shape = wanted.get(name, shape.optional.get(name))
        if child_shape is not None or name in allowed:
            found += problems(child, child_shape, f"{path}.{name}")
    return found
