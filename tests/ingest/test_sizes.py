"""Sellable sizes derived from the original, and producing one on demand (cached)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import pyvips

from stockhouse.errors import NotFound
from stockhouse.ingest import images
from stockhouse.ingest.sizes import image_sizes, produce_size, vector_sizes
from stockhouse.runtime import Runtime
from tests.ingest.image_factory import make_image, make_svg
from tests.ingest.pipeline_support import ingest_file, load_item, make_contributor


def codes_and_sizes(specs: list) -> list[tuple[str, int, int]]:
    return [(s.code, s.width, s.height) for s in specs]


def test_image_sizes_reproduce_seed_001s_example() -> None:
    sizes = image_sizes(2584, 3000)

    assert codes_and_sizes(sizes) == [
        ("s", 431, 500),
        ("m", 861, 1000),
        ("l", 1723, 2000),
        ("xl", 2584, 3000),
        ("el0", 2584, 3000),
    ]
    assert [s.megapixels for s in sizes] == [
        Decimal("0.22"),
        Decimal("0.86"),
        Decimal("3.45"),
        Decimal("7.75"),
        Decimal("7.75"),
    ]


def test_sizes_larger_than_the_original_are_not_offered() -> None:
    assert [s.code for s in image_sizes(1500, 1000)] == ["s", "m", "xl", "el0"]
    assert [s.code for s in image_sizes(64, 48)] == ["xl", "el0"]


def test_a_size_equal_to_the_original_is_offered() -> None:
    assert codes_and_sizes(image_sizes(1000, 800))[:2] == [("s", 500, 400), ("m", 1000, 800)]


def test_vector_sizes_render_the_artboard_at_any_scale() -> None:
    assert codes_and_sizes(vector_sizes(100, 50)) == [
        ("s", 500, 250),
        ("m", 1000, 500),
        ("l", 2000, 1000),
        ("xl", 5000, 2500),
        ("el0", 5000, 2500),
        ("vect", 100, 50),
    ]


# -- producing a size ------------------------------------------------------------------


@pytest.fixture
def photo_item_id(runtime: Runtime, tmp_path: Path) -> int:
    cora = make_contributor(runtime)
    upload = ingest_file(runtime, cora, make_image(tmp_path / "p.jpg", 1200, 800))
    assert upload.item_id is not None
    return upload.item_id


def test_a_smaller_size_is_resized_from_the_original_and_stored(
    runtime: Runtime, photo_item_id: int, tmp_path: Path
) -> None:
    key = produce_size(runtime, photo_item_id, "s")

    out = tmp_path / "s.jpg"
    runtime.blobs.copy_to_file(key, out)
    image = pyvips.Image.new_from_file(str(out))
    assert (image.width, image.height) == (500, 333)
    assert next(s for s in load_item(runtime, photo_item_id).sizes if s.code == "s").blob == key


def test_a_produced_size_is_cached(
    runtime: Runtime, photo_item_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = produce_size(runtime, photo_item_id, "m")

    def must_not_render(*_args: object) -> None:
        raise AssertionError("the cached size was rendered again")

    monkeypatch.setattr(images, "render_to_size", must_not_render)

    assert produce_size(runtime, photo_item_id, "m") == first


def test_the_original_size_is_the_original_file(runtime: Runtime, photo_item_id: int) -> None:
    item = load_item(runtime, photo_item_id)

    assert produce_size(runtime, photo_item_id, "xl") == item.original_blob
    assert produce_size(runtime, photo_item_id, "el0") == item.original_blob


def test_an_unknown_size_is_not_found(runtime: Runtime, photo_item_id: int) -> None:
    with pytest.raises(NotFound, match="no size 'l'"):
        produce_size(runtime, photo_item_id, "l")


def test_an_unknown_item_is_not_found(runtime: Runtime) -> None:
    with pytest.raises(NotFound):
        produce_size(runtime, 12345, "s")


def test_vector_sizes_are_rendered_and_vect_is_the_svg(runtime: Runtime, tmp_path: Path) -> None:
    cora = make_contributor(runtime)
    upload = ingest_file(runtime, cora, make_svg(tmp_path / "v.svg", 64, 48))
    assert upload.item_id is not None

    m_key = produce_size(runtime, upload.item_id, "m")
    vect_key = produce_size(runtime, upload.item_id, "vect")

    out = tmp_path / "m.jpg"
    runtime.blobs.copy_to_file(m_key, out)
    image = pyvips.Image.new_from_file(str(out))
    assert (image.width, image.height) == (1000, 750)
    assert vect_key == upload.blob
