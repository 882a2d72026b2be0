"""Parsing the search text: words, phrases, exclusions, item ids, field terms, junk."""

from __future__ import annotations

import pytest

from stockhouse.catalog.models import MediaKind, Orientation
from stockhouse.search.query import MAX_QUERY_LENGTH, SearchQuery
from stockhouse.search.text import (
    MAX_TERMS,
    FieldTerm,
    ParsedText,
    apply_field_terms,
    clean_text,
    parse_text,
)


def test_words() -> None:
    assert parse_text("  red   car ") == ParsedText(words=("red", "car"))


def test_quoted_phrase() -> None:
    assert parse_text('dog "red car" cat') == ParsedText(words=("dog", "cat"), phrases=("red car",))


def test_a_quoted_single_word_is_a_word() -> None:
    assert parse_text('"dog"') == ParsedText(words=("dog",))


def test_an_unclosed_quote_runs_to_the_end() -> None:
    assert parse_text('dog "red car') == ParsedText(words=("dog",), phrases=("red car",))


def test_exclusions_with_minus_and_not() -> None:
    parsed = parse_text('dog -beach -"red car" NOT cat')
    assert parsed.words == ("dog",)
    assert parsed.excluded == ("beach", "red car", "cat")


def test_and_or_and_lone_signs_are_not_words() -> None:
    assert parse_text("dog AND cat OR bird - + &&").words == ("dog", "cat", "bird")


def test_lower_case_operators_are_words() -> None:
    assert parse_text("rock and roll").words == ("rock", "and", "roll")


def test_a_plus_sign_is_dropped() -> None:
    assert parse_text("+dog").words == ("dog",)


@pytest.mark.parametrize(("text", "item_id"), [("12345", 12345), (" #77 ", 77), ("007", 7)])
def test_an_item_id_alone(text: str, item_id: int) -> None:
    parsed = parse_text(text)
    assert parsed.item_id == item_id
    assert parsed.has_text


@pytest.mark.parametrize("text", ["12345 dog", "0", "#", "99999999999", "-5", "12.5"])
def test_not_an_item_id(text: str) -> None:
    assert parse_text(text).item_id is None


def test_field_terms_are_taken_out_of_the_text() -> None:
    parsed = parse_text("dog editorial:1 kind:Video colour:5 ext:.JPG")
    assert parsed.words == ("dog",)
    assert parsed.fields == (
        FieldTerm("editorial", "1"),
        FieldTerm("kind", "video"),
        FieldTerm("color", "5"),
        FieldTerm("extension", "jpg"),
    )


def test_a_negated_boolean_field_term_flips() -> None:
    assert parse_text("-editorial:1").fields == (FieldTerm("editorial", "0"),)
    assert parse_text("NOT nudity:no").fields == (FieldTerm("nudity", "1"),)


def test_other_negated_field_terms_are_ignored() -> None:
    assert parse_text("dog -kind:video") == ParsedText(words=("dog",))


@pytest.mark.parametrize("text", ["editorial:maybe", "kind:spaceship", "color:99", "http://x.y"])
def test_unknown_fields_and_bad_values_stay_text(text: str) -> None:
    parsed = parse_text(text)
    assert parsed.fields == ()
    assert parsed.words == (text,)


def test_terms_beyond_the_limit_are_ignored() -> None:
    parsed = parse_text(" ".join(f"w{i}" for i in range(MAX_TERMS + 10)))
    assert len(parsed.words) == MAX_TERMS


def test_text_is_cut_to_the_maximum_length() -> None:
    assert len(clean_text("a" * 50_000)) == MAX_QUERY_LENGTH


def test_control_characters_become_spaces() -> None:
    assert parse_text("dog\x00cat\x1fbird").words == ("dog", "cat", "bird")


def test_text_is_normalised_to_nfc() -> None:
    assert parse_text("cafe\u0301").words == ("caf\u00e9",)


@pytest.mark.parametrize(
    "text",
    ['"', '""', "(", "*", "~", "^", ":", "::", "a:", ":b", "-", "--", "\\", "'", "日本語", "🐶"],
)
def test_junk_never_fails(text: str) -> None:
    parse_text(text)


def test_nothing_to_match_means_no_text() -> None:
    assert not parse_text("   ").has_text
    assert not parse_text("-dog").has_text
    assert not parse_text("editorial:1").has_text


def test_field_terms_set_filters() -> None:
    query = apply_field_terms(SearchQuery(text="dog editorial:1 kind:photo kind:vector"))
    assert query.editorial is True
    assert query.kinds == frozenset({MediaKind.PHOTO, MediaKind.VECTOR})


def test_a_field_term_replaces_the_same_filter() -> None:
    query = SearchQuery(text="editorial:yes orientation:square", editorial=False)
    query = apply_field_terms(query)
    assert query.editorial is True
    assert query.orientations == frozenset({Orientation.SQUARE})


def test_id_author_category_and_series_terms() -> None:
    query = apply_field_terms(SearchQuery(text="id:5 id:7 author:3 category:9 series:4"))
    assert query.item_ids == frozenset({5, 7})
    assert query.author_ids == frozenset({3})
    assert query.category_ids == frozenset({9})
    assert query.series_id == 4


def test_without_field_terms_the_query_is_unchanged() -> None:
    query = SearchQuery(text="dog", editorial=False)
    assert apply_field_terms(query) is query


def test_a_text_parsed_again_gives_an_equal_result() -> None:
    assert parse_text("red -car") == parse_text("red -car") == ParsedText(("red",), (), ("car",))


def test_a_text_longer_than_the_limit_parses_like_its_first_part() -> None:
    long_text = "dog " * MAX_QUERY_LENGTH
    assert parse_text(long_text) == parse_text(clean_text(long_text))
