"""A 64-bit DCT perceptual hash, and the Hamming distance between two hashes.

Pictures that look alike (resized, recompressed, slightly re-toned copies) get hashes a
few bits apart; unrelated pictures differ in about half of the 64 bits. The hash is the
classic pHash: a 32x32 greyscale image, its 2-D DCT, the 8x8 lowest frequencies after
the DC row and column (which only carry overall brightness), one bit per coefficient
set when it is above their median.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import numpy.typing as npt

HASH_INPUT_SIZE = 32  # pixels per side of the greyscale image that is hashed
HASH_BLOCK = 8  # 8x8 coefficients -> 64 bits
_SIGN_BIT = 1 << 63
_UINT64_SPAN = 1 << 64


@cache
def _dct_matrix(size: int) -> npt.NDArray[np.float64]:
    """The orthonormal DCT-II matrix: `M @ x` transforms a column vector x."""
    k = np.arange(size)[:, None]
    n = np.arange(size)[None, :]
    angles = np.pi * (2 * n + 1) * k / (2 * size)
    matrix: npt.NDArray[np.float64] = np.cos(angles) * np.sqrt(2 / size)
    matrix[0, :] = np.sqrt(1 / size)
    return matrix


def phash_from_grey(grey: npt.ArrayLike) -> int:
    """The hash of a 32x32 greyscale image, as a signed 64-bit int (for BIGINT columns)."""
    pixels = np.asarray(grey, dtype=np.float64)
    if pixels.shape != (HASH_INPUT_SIZE, HASH_INPUT_SIZE):
        raise ValueError(f"phash needs a {HASH_INPUT_SIZE}x{HASH_INPUT_SIZE} greyscale image")
    dct = _dct_matrix(HASH_INPUT_SIZE)
    coefficients = dct @ pixels @ dct.T
    low = coefficients[1 : HASH_BLOCK + 1, 1 : HASH_BLOCK + 1].ravel()
    bits = low > np.median(low)
    value = 0
    for bit in bits:
        value = (value << 1) | int(bit)
    return to_signed64(value)


def to_signed64(value: int) -> int:
    """An unsigned 64-bit value reinterpreted as signed (two's complement)."""
    return value - _UINT64_SPAN if value & _SIGN_BIT else value


def hamming(a: int, b: int) -> int:
    """How many of the 64 bits differ between two hashes (signed or unsigned)."""
    return ((a ^ b) % _UINT64_SPAN).bit_count()
