"""Tags and translations: normalisation, per-language tags, languages and fallbacks."""

from __future__ import annotations

import pytest

from stockhouse.catalog import translations
from stockhouse.catalog.service import ItemEdit, TranslationEdit, get_item, update_item
from stockhouse.catalog.translations import (
    MAX_TAGS_PER_LANGUAGE,
    localized,
    normalize_tags,
    translations_of,
    validate_language,
)
from stockhouse.errors import InvalidParameter
from stockhouse.runtime import Runtime
from tests.catalog.factories import People, add_item


def test_tags_are_trimmed_single_spaced_lower_cased_and_deduplicated() -> None:
    assert normalize_tags(["  Red \t Fox ", "red fox", "SNOW", "", "snow ", "Ünïcode"]) == [
        "red fox",
        "snow",
        "ünïcode",
    ]


def test_tags_are_split_on_commas_semicolons_and_line_breaks() -> None:
    assert normalize_tags(["fox, snow;winter\nforest", ",,;"]) == [
        "fox",
        "snow",
        "winter",
        "forest",
    ]


def test_tags_are_capped_keeping_the_first() -> None:
    tags = [f"tag{n}" for n in range(MAX_TAGS_PER_LANGUAGE + 20)]
    assert normalize_tags(tags) == tags[:MAX_TAGS_PER_LANGUAGE]


def test_composed_and_decomposed_accents_are_the_same_tag() -> None:
    assert normalize_tags(["caf\u00e9", "cafe\u0301"]) == ["caf\u00e9"]


@pytest.mark.parametrize("tag", ["x" * 51, "bell\x07", "nul\x00"])
def test_bad_tags_are_refused(tag: str) -> None:
    with pytest.raises(InvalidParameter) as raised:
        normalize_tags([tag])
    assert raised.value.name == "tags"


@pytest.mark.parametrize(
    ("given", "stored"), [("de", "de"), ("PT_br", "pt-br"), (" zh-Hant ", "zh-hant")]
)
def test_language_codes_are_canonical(given: str, stored: str) -> None:
    assert validate_language(given) == stored


@pytest.mark.parametrize("code", ["", "e", "english", "de-", "d1", "de-DE-x", "../"])
def test_bad_language_codes_are_refused(code: str) -> None:
    with pytest.raises(InvalidParameter):
        validate_language(code)


def translate(
    runtime: Runtime, people: People, item_id: int, **texts: TranslationEdit | None
) -> None:
    with runtime.db.session() as session:
        update_item(
            session, people.owner, get_item(session, item_id), ItemEdit(translations=dict(texts))
        )


def test_each_language_keeps_its_own_title_description_and_tags(
    runtime: Runtime, people: People
) -> None:
    item_id = add_item(runtime, people.owner, title="Fox", tags=["fox", "snow"])
    translate(
        runtime,
        people,
        item_id,
        de=TranslationEdit(title="Fuchs", description="Ein Fuchs", tags=["Fuchs", "Schnee"]),
        fr=TranslationEdit(title="Renard", tags=["renard"]),
    )
    with runtime.db.read_session() as session:
        item = get_item(session, item_id)
        texts = translations_of(item)
        assert item.tag_names("en") == ["fox", "snow"]
    assert sorted(texts) == ["de", "fr"]
    assert (texts["de"].title, texts["de"].description, texts["de"].tags) == (
        "Fuchs",
        "Ein Fuchs",
        ["fuchs", "schnee"],
    )
    assert (texts["fr"].title, texts["fr"].description, texts["fr"].tags) == (
        "Renard",
        "",
        ["renard"],
    )


def test_the_same_word_may_be_a_tag_in_two_languages(runtime: Runtime, people: People) -> None:
    item_id = add_item(runtime, people.owner, tags=["panorama"])
    translate(runtime, people, item_id, de=TranslationEdit(tags=["Panorama"]))
    with runtime.db.read_session() as session:
        item = get_item(session, item_id)
        assert (item.tag_names("en"), item.tag_names("de")) == (["panorama"], ["panorama"])


def test_replacing_tags_keeps_the_new_order(runtime: Runtime, people: People) -> None:
    item_id = add_item(runtime, people.owner, tags=["a", "b", "c"])
    with runtime.db.session() as session:
        update_item(
            session, people.owner, get_item(session, item_id), ItemEdit(tags=["c", "d", "a"])
        )
    with runtime.db.read_session() as session:
        assert get_item(session, item_id).tag_names() == ["c", "d", "a"]


def test_a_partial_translation_edit_keeps_the_other_fields(
    runtime: Runtime, people: People
) -> None:
    item_id = add_item(runtime, people.owner)
    translate(runtime, people, item_id, de=TranslationEdit(title="Titel", description="Text"))
    translate(runtime, people, item_id, de=TranslationEdit(description="Neu"))
    with runtime.db.read_session() as session:
        texts = translations_of(get_item(session, item_id))["de"]
    assert (texts.title, texts.description) == ("Titel", "Neu")


def test_a_language_is_removed_with_none(runtime: Runtime, people: People) -> None:
    item_id = add_item(runtime, people.owner)
    translate(runtime, people, item_id, de=TranslationEdit(title="Titel", tags=["a"]))
    translate(runtime, people, item_id, de=None)
    with runtime.db.read_session() as session:
        item = get_item(session, item_id)
        assert translations_of(item) == {}
        assert item.tag_names("de") == []


def test_localized_texts_fall_back_to_the_default_language_field_by_field(
    runtime: Runtime, people: People
) -> None:
    item_id = add_item(runtime, people.owner, title="Fox", tags=["fox"])
    with runtime.db.session() as session:
        item = get_item(session, item_id)
        item.description = "A fox"
        translations.set_translation(item, "de", title="Fuchs")
    with runtime.db.read_session() as session:
        item = get_item(session, item_id)
        german = localized(item, "de")
        assert (german.title, german.description, german.tags) == ("Fuchs", "A fox", ["fox"])
        assert localized(item, "ja").title == "Fox"
