"""Small synthetic media for ingest tests, and damaged copies of it.

The generators live in `stockhouse.ingest.synth` so that the demo builder can use them
too; tests may import them from either place.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

from stockhouse.ingest.synth import make_audio, make_empty_video, make_video
from stockhouse.ingest.types import Analysis, IngestRejected

__all__ = ["analyses_of_damaged_copies", "make_audio", "make_empty_video", "make_video"]


def analyses_of_damaged_copies(
    original: Path,
    analyse: Callable[[Path], Analysis],
    *,
    copies: int,
    seed: int,
    span: int,
    intact_head: float = 0.0,
) -> list[Analysis]:
    """Analyse `copies` copies of `original`, each with `span` bytes from a random place
    overwritten with noise (never within the first `intact_head` share of the file).

    A copy may be rejected, with a message, or analysed: the analyses are returned. Any
    other exception (a crash of the analyser) propagates and fails the test.
    """
    data = original.read_bytes()
    noise = random.Random(seed)
    analysed: list[Analysis] = []
    for attempt in range(copies):
        damaged = bytearray(data)
        start = noise.randrange(int(len(damaged) * intact_head), len(damaged))
        damaged[start : start + span] = noise.randbytes(span)
        path = original.parent / f"damaged{attempt}{original.suffix}"
        path.write_bytes(bytes(damaged))
        try:
            analysed.append(analyse(path))
        except IngestRejected as rejected:
            assert rejected.message
    return analysed
