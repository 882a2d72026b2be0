"""Video formats and versions (Pond5: buying a format covers all its versions)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from stockhouse.catalog.formats import (
    add_video_format,
    add_video_version,
    get_video_format,
    version_count,
    video_formats,
)
from stockhouse.catalog.models import MediaKind
from stockhouse.catalog.service import get_item
from stockhouse.errors import Conflict, InvalidParameter, NotFound
from stockhouse.runtime import Runtime
from tests.catalog.factories import People, add_item, tiny_jpeg


def version_fields(runtime: Runtime, width: int) -> dict[str, object]:
    blob = runtime.blobs.put_bytes(tiny_jpeg(shade=width % 200))
    return {
        "width": width,
        "height": 576,
        "video_codec": "dvvideo",
        "audio_codec": "pcm_s16le",
        "extension": ".MOV",
        "video_standard": 2,
        "aspect_ratio": 1,
        "aspect_quotient": Decimal("1.33333"),
        "blob": blob.key,
        "file_size": blob.size,
    }


def test_formats_get_consecutive_sub_offsets_and_keep_their_versions(
    runtime: Runtime, people: People
) -> None:
    item_id = add_item(runtime, people.owner, kind=MediaKind.VIDEO)
    with runtime.db.session() as session:
        item = get_item(session, item_id)
        pal = add_video_format(session, item, "PAL")
        ntsc = add_video_format(session, item, "NTSC")
        add_video_version(session, pal, **version_fields(runtime, 720))  # type: ignore[arg-type]
        add_video_version(session, pal, **version_fields(runtime, 724))  # type: ignore[arg-type]
    with runtime.db.read_session() as session:
        item = get_item(session, item_id)
        formats = video_formats(session, item)
        assert [(f.name, f.sub_offset) for f in formats] == [("PAL", 0), ("NTSC", 1)]
        assert [v.width for v in formats[0].versions] == [720, 724]
        assert formats[0].versions[0].extension == "mov"
        assert get_video_format(session, item, 1).id == ntsc.id
        assert version_count(session, item) == 2


def test_only_videos_have_formats(runtime: Runtime, people: People) -> None:
    item_id = add_item(runtime, people.owner, kind=MediaKind.PHOTO)
    with pytest.raises(InvalidParameter, match="not a video"), runtime.db.session() as session:
        add_video_format(session, get_item(session, item_id), "PAL")


def test_format_names_and_offsets_are_unique_per_item(runtime: Runtime, people: People) -> None:
    item_id = add_item(runtime, people.owner, kind=MediaKind.VIDEO)
    with runtime.db.session() as session:
        add_video_format(session, get_item(session, item_id), "PAL", sub_offset=3)
    with pytest.raises(Conflict), runtime.db.session() as session:
        add_video_format(session, get_item(session, item_id), "PAL")
    with pytest.raises(Conflict), runtime.db.session() as session:
        add_video_format(session, get_item(session, item_id), "NTSC", sub_offset=3)


def test_a_version_with_bad_dimensions_or_blob_is_refused(runtime: Runtime, people: People) -> None:
    item_id = add_item(runtime, people.owner, kind=MediaKind.VIDEO)
    with runtime.db.session() as session:
        fmt = add_video_format(session, get_item(session, item_id), "PAL")
        for change in ({"width": 0}, {"height": 99999}, {"blob": "../etc/passwd"}):
            fields = {**version_fields(runtime, 720), **change}
            with pytest.raises(InvalidParameter):
                add_video_version(session, fmt, **fields)  # type: ignore[arg-type]


def test_an_unknown_sub_offset_is_not_found(runtime: Runtime, people: People) -> None:
    item_id = add_item(runtime, people.owner, kind=MediaKind.VIDEO)
    with pytest.raises(NotFound), runtime.db.read_session() as session:
        get_video_format(session, get_item(session, item_id), 9)
