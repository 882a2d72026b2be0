"""Small synthetic media for ingest tests.

The generators live in `stockhouse.ingest.synth` so that the demo builder can use them
too; tests may import them from either place.
"""

from stockhouse.ingest.synth import make_audio, make_empty_video, make_video

__all__ = ["make_audio", "make_empty_video", "make_video"]
