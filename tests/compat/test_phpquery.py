"""PHP bracket arrays as PHP's parser decodes them."""

from __future__ import annotations

from stockhouse.compat.phpquery import merge, parse_pairs


def test_plain_pairs() -> None:
    assert parse_pairs([("a", "1"), ("b", "x")]) == {"a": "1", "b": "x"}


def test_appended_values_make_a_list() -> None:
    assert parse_pairs([("id[]", "1"), ("id[]", "2")]) == {"id": ["1", "2"]}


def test_nested_licensing_list_as_the_sdk_sends_it() -> None:
    pairs = [
        ("dp_licensing[0][dp_item_id][0]", "12345678"),
        ("dp_licensing[0][dp_item_id][1]", "12345679"),
        ("dp_licensing[0][dp_option]", "l"),
    ]
    assert parse_pairs(pairs) == {
        "dp_licensing": [{"dp_item_id": ["12345678", "12345679"], "dp_option": "l"}]
    }


def test_named_keys_make_a_mapping() -> None:
    assert parse_pairs([("b[first]", "3"), ("b[second]", "4")]) == {
        "b": {"first": "3", "second": "4"}
    }


def test_huge_explicit_index_never_makes_a_huge_list() -> None:
    assert parse_pairs([("a[99999999]", "x")]) == {"a": {"99999999": "x"}}


def test_depth_is_limited() -> None:
    name = "a" + "[x]" * 20
    parsed = parse_pairs([(name, "v")])
    depth, node = 0, parsed["a"]
    while isinstance(node, dict):
        node, depth = next(iter(node.values())), depth + 1
    assert depth == 8


def test_later_sources_override() -> None:
    assert merge({"a": "1", "b": "2"}, {"b": "3"}) == {"a": "1", "b": "3"}
