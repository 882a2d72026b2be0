"""PHP-style request parameters: `a[]=1&a[]=2`, `b[k]=v`, `c[0][d][0]=x`, as PHP decodes them.

Several compatible APIs were written for PHP servers, and their clients send nested arrays
in bracket syntax (`http_build_query`). `parse_pairs` turns the flat pairs of a query string
or form body into nested dicts and lists; `merge` lays several sources over each other.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

MAX_DEPTH = 8  # deeper brackets are kept as part of the last key, as PHP does past its limit
MAX_LIST_INDEX = 10_000  # a larger explicit index makes a mapping, never a huge sparse list
_BRACKETS = re.compile(r"\[([^\[\]]*)\]")

Value = Any  # str | list[Value] | dict[str, Value]; recursive aliases do not help mypy here


def _split(name: str) -> tuple[str, list[str]]:
    """`a[0][b]` -> ("a", ["0", "b"]); a name without brackets has no path."""
    start = name.find("[")
    if start <= 0:
        return name, []
    base, rest = name[:start], name[start:]
    path: list[str] = []
    position = 0
    for match in _BRACKETS.finditer(rest):
        if match.start() != position or len(path) >= MAX_DEPTH:
            break
        path.append(match.group(1))
        position = match.end()
    if not path:
        return name, []
    return base, path


def _insert(container: dict[str, Value], path: list[str], value: str) -> None:
    node: dict[str, Value] = container
    for depth, key in enumerate(path):
        last = depth == len(path) - 1
        if key == "":
            key = str(_next_index(node))
        if last:
            node[key] = value
            return
        child = node.get(key)
        if not isinstance(child, dict):
            child = {}
            node[key] = child
        node = child


def _next_index(node: Mapping[str, Value]) -> int:
    indexes = [int(k) for k in node if k.isdigit()]
    return max(indexes) + 1 if indexes else 0


def _listify(value: Value) -> Value:
    """Mappings whose keys are exactly 0..n-1 become lists, recursively."""
    if not isinstance(value, dict):
        return value
    converted = {key: _listify(child) for key, child in value.items()}
    keys = list(converted)
    if keys and all(k.isdigit() and len(k) < 6 for k in keys):
        indexes = sorted(int(k) for k in keys)
        if indexes == list(range(len(indexes))) and len(indexes) <= MAX_LIST_INDEX:
            return [converted[str(i)] for i in indexes]
    return converted


def parse_pairs(pairs: Iterable[tuple[str, str]]) -> dict[str, Value]:
    """Nested parameters from flat (name, value) pairs; a later plain value wins."""
    tree: dict[str, Value] = {}
    for name, value in pairs:
        base, path = _split(name)
        if not path:
            tree[base] = value
            continue
        holder = tree.get(base)
        if not isinstance(holder, dict):
            holder = {}
            tree[base] = holder
        _insert(holder, path, value)
    return {key: _listify(value) for key, value in tree.items()}


def merge(*sources: Mapping[str, Value]) -> dict[str, Value]:
    """Later sources override earlier ones key by key (query string, then form, then JSON)."""
    merged: dict[str, Value] = {}
    for source in sources:
        merged.update(source)
    return merged
