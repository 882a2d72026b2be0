"""The 64-bit perceptual hash: close for copies of a picture, far for other pictures."""

from __future__ import annotations

from pathlib import Path

import pytest
import pyvips

from stockhouse.ingest.detect import detect
from stockhouse.ingest.images import analyse_image
from stockhouse.ingest.phash import hamming, phash_from_grey, to_signed64
from tests.ingest.image_factory import make_image, picture, save

NEAR = 6  # the duplicate detector's threshold


def hash_of(path: Path, tmp_path: Path) -> int:
    workdir = tmp_path / f"work-{path.stem}"
    workdir.mkdir()
    result = analyse_image(path, workdir, detect(path)).phash
    assert result is not None
    return result


def test_a_resized_recompressed_copy_is_within_a_small_distance(tmp_path: Path) -> None:
    original = make_image(tmp_path / "original.png", 800, 600, seed=7)
    copy = save(pyvips.Image.new_from_file(str(original)).resize(0.4), tmp_path / "copy.jpg", Q=60)

    assert hamming(hash_of(original, tmp_path), hash_of(copy, tmp_path)) <= NEAR


def test_a_different_picture_is_far(tmp_path: Path) -> None:
    one = make_image(tmp_path / "one.jpg", 400, 300, seed=1)
    other = make_image(tmp_path / "other.jpg", 400, 300, seed=2)

    assert hamming(hash_of(one, tmp_path), hash_of(other, tmp_path)) > 16


def test_the_hash_fits_a_signed_64_bit_column() -> None:
    grey = picture(32, 32, seed=3)[0]
    pixels = [[grey.getpoint(x, y)[0] for x in range(32)] for y in range(32)]

    value = phash_from_grey(pixels)

    assert -(2**63) <= value < 2**63


def test_hamming_counts_differing_bits_of_signed_hashes() -> None:
    assert hamming(0, 0) == 0
    assert hamming(0, -1) == 64
    assert hamming(to_signed64(2**63), 0) == 1
    assert hamming(0b1011, 0b0001) == 2


def test_to_signed64_reinterprets_the_top_bit() -> None:
    assert to_signed64(2**64 - 1) == -1
    assert to_signed64(5) == 5


def test_the_hash_needs_a_32_by_32_input() -> None:
    with pytest.raises(ValueError, match="32x32"):
        phash_from_grey([[0] * 8] * 8)
