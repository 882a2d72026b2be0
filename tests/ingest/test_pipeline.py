"""The ingest pipeline end to end: receive, detect, analyse, dedupe, create the item."""

from __future__ import annotations

import hashlib
import io
import sys
import time
import types
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pyexiv2
import pytest
import pyvips
from sqlalchemy import select

from stockhouse.catalog.models import (
    ItemStatus,
    MediaKind,
    Orientation,
    StatusChange,
    UploadState,
)
from stockhouse.errors import NotFound
from stockhouse.ingest import pipeline
from stockhouse.ingest.jobs import INGEST_JOB_NAME, ingest_upload_job
from stockhouse.ingest.pipeline import (
    MAX_INGEST_ATTEMPTS,
    UploadTooLarge,
    clean_filename,
    ingest_now,
    receive_upload,
)
from stockhouse.ingest.types import Analysis, Detected, RenditionFile, SizeSpec
from stockhouse.jobs.registry import get_job
from stockhouse.runtime import Runtime
from tests.ingest.image_factory import make_image, make_svg, png_header_only, save
from tests.ingest.pipeline_support import (
    ingest_file,
    item_count,
    load_item,
    load_upload,
    make_contributor,
)

WORKER_WAIT_S = 30


@pytest.fixture
def cora(runtime: Runtime) -> int:
    return make_contributor(runtime, "cora")


# -- receiving -------------------------------------------------------------------------


def test_receiving_stores_the_blob_and_queues_the_ingest(
    runtime: Runtime, cora: int, tmp_path: Path
) -> None:
    path = make_image(tmp_path / "photo.jpg")

    upload = receive_upload(runtime, cora, path, "photo.jpg")

    assert upload.state is UploadState.QUEUED
    assert upload.blob == hashlib.sha256(path.read_bytes()).hexdigest()
    assert upload.file_size == path.stat().st_size
    assert runtime.blobs.exists(upload.blob)
    assert runtime.jobs.pending_count() == 1
    assert item_count(runtime) == 0


def test_a_stream_is_received_in_chunks(runtime: Runtime, cora: int, tmp_path: Path) -> None:
    data = make_image(tmp_path / "photo.png").read_bytes()

    upload = receive_upload(runtime, cora, io.BytesIO(data), "photo.png", enqueue=False)

    assert upload.blob == hashlib.sha256(data).hexdigest()
    assert upload.file_size == len(data)
    assert runtime.jobs.pending_count() == 0


def test_a_stream_over_the_size_limit_is_refused(
    runtime: Runtime, cora: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pipeline, "MAX_UPLOAD_BYTES", 1000)

    with pytest.raises(UploadTooLarge, match="upload limit"):
        receive_upload(runtime, cora, io.BytesIO(b"x" * 5000), "big.jpg", enqueue=False)


def test_receiving_for_an_unknown_user_is_not_found(runtime: Runtime, tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        receive_upload(runtime, 999, make_image(tmp_path / "p.jpg"), "p.jpg")


def test_client_file_names_lose_their_directories() -> None:
    assert clean_filename("../../etc/passwd") == "passwd"
    assert clean_filename("C:\\Users\\ana\\sun.jpg") == "sun.jpg"
    assert clean_filename("") == "upload"
    assert clean_filename("a" * 300 + ".jpeg") == "a" * 250 + ".jpeg"


# -- creating items --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind", "mime"),
    [
        ("photo.jpg", MediaKind.PHOTO, "image/jpeg"),
        ("photo.png", MediaKind.PHOTO, "image/png"),
        ("photo.tif", MediaKind.PHOTO, "image/tiff"),
        ("photo.webp", MediaKind.PHOTO, "image/webp"),
        ("vector.svg", MediaKind.VECTOR, "image/svg+xml"),
    ],
)
def test_every_format_becomes_an_item_with_renditions(
    runtime: Runtime, cora: int, tmp_path: Path, name: str, kind: MediaKind, mime: str
) -> None:
    path = tmp_path / name
    make_svg(path) if name.endswith(".svg") else make_image(path, 64, 48)

    upload = ingest_file(runtime, cora, path)

    assert upload.state is UploadState.DONE
    item = load_item(runtime, upload.item_id)
    assert (item.kind, item.mime_type, item.status) == (kind, mime, ItemStatus.UPLOADED)
    assert (item.width, item.height) == (64, 48)
    assert sorted(r.name for r in item.renditions) == [
        "large",
        "preview_brand",
        "preview_neutral",
        "thumb110",
        "thumb170",
        "thumb450",
    ]
    assert all(runtime.blobs.exists(r.blob) for r in item.renditions)


def test_the_item_records_the_facts_of_the_file(
    runtime: Runtime, cora: int, tmp_path: Path
) -> None:
    path = make_image(tmp_path / "sunset.jpg", 1200, 800)

    upload = ingest_file(runtime, cora, path)
    item = load_item(runtime, upload.item_id)

    assert item.owner_id == cora
    assert (item.original_filename, item.extension) == ("sunset.jpg", "jpg")
    assert item.file_size == path.stat().st_size
    assert item.original_blob == upload.blob
    assert item.megapixels == Decimal("0.96")
    assert item.orientation is Orientation.HORIZONTAL
    assert item.color is not None and item.phash is not None
    assert {r.name: (r.width, r.height) for r in item.renditions}["thumb450"] == (450, 300)
    assert [(s.code, s.width, s.height, s.position) for s in item.sizes] == [
        ("s", 500, 333, 0),
        ("m", 1000, 667, 1),
        ("xl", 1200, 800, 2),
        ("el0", 1200, 800, 3),
    ]


def test_submit_after_sends_the_item_to_review(runtime: Runtime, cora: int, tmp_path: Path) -> None:
    upload = ingest_file(runtime, cora, make_image(tmp_path / "p.jpg"), submit_after=True)

    item = load_item(runtime, upload.item_id)
    assert item.status is ItemStatus.PENDING
    assert item.submitted_at is not None
    with runtime.db.read_session() as session:
        change = session.scalars(select(StatusChange)).one()
    assert (change.item_id, change.from_status, change.to_status) == (
        item.id,
        "uploaded",
        "pending",
    )


def test_embedded_metadata_fills_the_empty_fields(
    runtime: Runtime, cora: int, tmp_path: Path
) -> None:
    path = make_image(tmp_path / "tagged.jpg")
    with pyexiv2.Image(str(path)) as image:
        image.modify_iptc(
            {
                "Iptc.Application2.ObjectName": "Harbour at night",
                "Iptc.Application2.Caption": "Boats under street lights",
                "Iptc.Application2.Keywords": ["harbour", "Night", "boats", "night"],
            }
        )
        image.modify_exif(
            {
                "Exif.Photo.DateTimeOriginal": "2020:01:02 03:04:05",
                "Exif.Image.Copyright": "© Cora",
            }
        )

    item = load_item(runtime, ingest_file(runtime, cora, path).item_id)

    assert item.title == "Harbour at night"
    assert item.description == "Boats under street lights"
    assert item.tag_names() == ["harbour", "night", "boats"]
    assert item.captured_at == datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert item.copyright == "© Cora"


# -- rejections ------------------------------------------------------------------------


def _zero_bytes(tmp: Path) -> Path:
    path = tmp / "empty.jpg"
    path.write_bytes(b"")
    return path


def _corrupt(tmp: Path) -> Path:
    path = tmp / "corrupt.png"
    path.write_bytes(make_image(tmp / "ok.png").read_bytes()[:40] + b"\x01garbage" * 40)
    return path


def _truncated(tmp: Path) -> Path:
    data = make_image(tmp / "whole.jpg", 400, 300).read_bytes()
    path = tmp / "truncated.jpg"
    path.write_bytes(data[: len(data) // 2])
    return path


def _text(tmp: Path) -> Path:
    path = tmp / "readme.txt"
    path.write_text("hello\n")
    return path


def _png_named_jpg(tmp: Path) -> Path:
    return make_image(tmp / "photo.png").rename(tmp / "photo.jpg")


def _bomb(tmp: Path) -> Path:
    path = tmp / "bomb.png"
    path.write_bytes(png_header_only(50_000, 50_000))
    return path


def _hostile_svg(tmp: Path) -> Path:
    path = tmp / "xxe.svg"
    path.write_text(
        '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        '<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"><text>&x;</text></svg>'
    )
    return path


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (_zero_bytes, "the file is empty (0 bytes)"),
        (_corrupt, "the image data is corrupt and cannot be decoded"),
        (_truncated, "the image is truncated: the file ends before the picture does"),
        (_text, "Plain text files are not accepted"),
        (_png_named_jpg, "file is a PNG image but is named .jpg"),
        (_bomb, "the image is 50000x50000 pixels (2500 megapixels)"),
        (_hostile_svg, "the SVG declares XML entities"),
    ],
)
def test_unusable_files_are_rejected_with_a_readable_reason(
    runtime: Runtime, cora: int, tmp_path: Path, make: object, reason: str
) -> None:
    assert callable(make)
    upload = ingest_file(runtime, cora, make(tmp_path))

    assert upload.state is UploadState.REJECTED
    assert upload.reason is not None and upload.reason.startswith(reason)
    assert upload.item_id is None and upload.finished_at is not None
    assert item_count(runtime) == 0


def test_an_unexpected_analyser_failure_rejects_the_file(
    runtime: Runtime, cora: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object) -> Analysis:
        raise ZeroDivisionError("bug")

    monkeypatch.setattr("stockhouse.ingest.images.analyse_image", broken)

    upload = ingest_file(runtime, cora, make_image(tmp_path / "p.jpg"))

    assert (upload.state, upload.reason) == (
        UploadState.REJECTED,
        "the file could not be processed",
    )


def test_a_missing_blob_is_rejected(runtime: Runtime, cora: int, tmp_path: Path) -> None:
    upload = receive_upload(runtime, cora, make_image(tmp_path / "p.jpg"), "p.jpg", enqueue=False)
    runtime.blobs.delete(upload.blob)

    finished = ingest_now(runtime, upload.id)

    assert finished.state is UploadState.REJECTED
    assert finished.reason == "the uploaded file is missing from storage; upload it again"


# -- duplicates ------------------------------------------------------------------------


def test_the_same_bytes_twice_make_the_second_upload_a_duplicate(
    runtime: Runtime, cora: int, tmp_path: Path
) -> None:
    path = make_image(tmp_path / "p.jpg")
    first = ingest_file(runtime, cora, path)

    second = ingest_file(runtime, cora, path, "again.jpg")

    assert second.state is UploadState.DUPLICATE
    assert second.duplicate_of == first.item_id
    assert second.reason == f"the same file is already in the catalog as item {first.item_id}"
    assert item_count(runtime) == 1


def test_the_same_bytes_from_another_contributor_are_a_duplicate(
    runtime: Runtime, cora: int, tmp_path: Path
) -> None:
    carl = make_contributor(runtime, "carl")
    path = make_image(tmp_path / "p.jpg")
    first = ingest_file(runtime, cora, path)

    second = ingest_file(runtime, carl, path)

    assert (second.state, second.duplicate_of) == (UploadState.DUPLICATE, first.item_id)


def test_a_second_pending_upload_of_the_same_file_is_a_duplicate(
    runtime: Runtime, cora: int, tmp_path: Path
) -> None:
    path = make_image(tmp_path / "p.jpg")
    first = receive_upload(runtime, cora, path, "p.jpg", enqueue=False)
    second = receive_upload(runtime, cora, path, "p.jpg", enqueue=False)

    second_done = ingest_now(runtime, second.id)
    first_done = ingest_now(runtime, first.id)

    assert second_done.state is UploadState.DUPLICATE
    assert second_done.duplicate_of is None
    assert second_done.reason is not None and f"upload {first.id}" in second_done.reason
    assert first_done.state is UploadState.DONE


def test_a_recompressed_copy_is_ingested_and_reported_as_a_near_duplicate(
    runtime: Runtime, cora: int, tmp_path: Path
) -> None:
    original = make_image(tmp_path / "original.jpg", 600, 400, seed=5, Q=95)
    copy = save(pyvips.Image.new_from_file(str(original)).resize(0.5), tmp_path / "copy.jpg", Q=50)
    first = ingest_file(runtime, cora, original)

    second = ingest_file(runtime, cora, copy)

    assert second.state is UploadState.DONE
    assert second.item_id is not None and second.item_id != first.item_id
    assert second.reason is not None
    assert second.reason.startswith(f"looks like your item {first.item_id} ")


def test_an_unrelated_picture_is_not_reported(runtime: Runtime, cora: int, tmp_path: Path) -> None:
    ingest_file(runtime, cora, make_image(tmp_path / "one.jpg", 300, 200, seed=1))

    other = ingest_file(runtime, cora, make_image(tmp_path / "two.jpg", 300, 200, seed=2))

    assert (other.state, other.reason) == (UploadState.DONE, None)


# -- idempotency and crashes -----------------------------------------------------------


def test_ingesting_a_finished_upload_again_changes_nothing(
    runtime: Runtime, cora: int, tmp_path: Path
) -> None:
    upload = ingest_file(runtime, cora, make_image(tmp_path / "p.jpg"))

    again = ingest_now(runtime, upload.id)

    assert (again.state, again.item_id, again.attempts) == (UploadState.DONE, upload.item_id, 1)
    assert item_count(runtime) == 1


def test_a_crash_before_the_item_transaction_leaves_no_item_and_resumes(
    runtime: Runtime, cora: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    upload = receive_upload(runtime, cora, make_image(tmp_path / "p.jpg"), "p.jpg", enqueue=False)
    stored_blobs: list[str] = []

    def crash(_runtime: Runtime, _upload_id: int, _analysis: Analysis, renditions: list) -> None:
        stored_blobs.extend(r.blob for r in renditions)
        raise KeyboardInterrupt("the worker was killed")

    with monkeypatch.context() as patch:
        patch.setattr(pipeline, "create_item", crash)
        with pytest.raises(KeyboardInterrupt):
            ingest_now(runtime, upload.id)

    assert len(stored_blobs) == 6 and all(runtime.blobs.exists(b) for b in stored_blobs)
    assert item_count(runtime) == 0
    assert load_upload(runtime, upload.id).state is UploadState.PROCESSING

    resumed = ingest_now(runtime, upload.id)

    assert (resumed.state, resumed.attempts) == (UploadState.DONE, 2)
    assert item_count(runtime) == 1
    assert sorted(r.blob for r in load_item(runtime, resumed.item_id).renditions) == sorted(
        stored_blobs
    )


def test_a_file_that_keeps_failing_is_rejected_after_the_attempt_limit(
    runtime: Runtime, cora: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    upload = receive_upload(runtime, cora, make_image(tmp_path / "p.jpg"), "p.jpg", enqueue=False)

    def crash(*_args: object) -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr(pipeline, "create_item", crash)
    for _ in range(MAX_INGEST_ATTEMPTS):
        with pytest.raises(RuntimeError):
            ingest_now(runtime, upload.id)

    final = ingest_now(runtime, upload.id)

    assert (final.state, final.reason) == (UploadState.REJECTED, "the file could not be processed")


# -- jobs and other families -----------------------------------------------------------


def test_the_ingest_job_is_registered_under_a_stable_name() -> None:
    assert get_job(INGEST_JOB_NAME).fn is ingest_upload_job


def test_a_job_worker_ingests_a_received_upload(
    runtime: Runtime, cora: int, tmp_path: Path
) -> None:
    upload = receive_upload(runtime, cora, make_image(tmp_path / "p.jpg"), "p.jpg")

    runtime.jobs.start_workers(1)
    try:
        deadline = time.monotonic() + WORKER_WAIT_S
        while load_upload(runtime, upload.id).state is not UploadState.DONE:
            assert time.monotonic() < deadline, "the worker did not finish the ingest"
            time.sleep(0.05)
    finally:
        runtime.jobs.stop_workers()

    assert item_count(runtime) == 1


def test_video_files_go_to_the_video_analyser(
    runtime: Runtime, cora: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    poster = make_image(tmp_path / "poster.jpg", 160, 90)
    seen: list[Detected] = []

    def analyse_video(path: Path, workdir: Path, detected: Detected) -> Analysis:
        seen.append(detected)
        return Analysis(
            kind=MediaKind.VIDEO,
            mime_type=detected.mime_type,
            extension=detected.extension,
            width=160,
            height=90,
            duration_ms=1000,
            fps=Decimal("25.000"),
            video_codec="h264",
            renditions=[RenditionFile("poster", poster, "image/jpeg", 160, 90)],
            sizes=[SizeSpec("240", 426, 240)],
        )

    fake = types.ModuleType("stockhouse.ingest.video")
    fake.analyse_video = analyse_video  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "stockhouse.ingest.video", fake)
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00" * 100)

    item = load_item(runtime, ingest_file(runtime, cora, clip).item_id)

    assert seen == [Detected("video", "video/mp4", "mp4")]
    assert (item.kind, item.duration_ms, item.fps, item.video_codec) == (
        MediaKind.VIDEO,
        1000,
        Decimal("25.000"),
        "h264",
    )
    assert [r.name for r in item.renditions] == ["poster"]
    assert [s.code for s in item.sizes] == ["240"]


def test_a_real_video_goes_through_the_pipeline(
    runtime: Runtime, cora: int, tmp_path: Path
) -> None:
    from stockhouse.ingest.synth import make_video

    clip = make_video(tmp_path / "clip.mp4", 160, 90, seconds=1.0)

    upload = ingest_file(runtime, cora, clip)

    assert upload.state is UploadState.DONE, upload.reason
    item = load_item(runtime, upload.item_id)
    assert (item.kind, item.mime_type, item.width, item.height) == (
        MediaKind.VIDEO,
        "video/mp4",
        160,
        90,
    )
    assert item.renditions and all(runtime.blobs.exists(r.blob) for r in item.renditions)


def test_a_real_audio_file_goes_through_the_pipeline(
    runtime: Runtime, cora: int, tmp_path: Path
) -> None:
    from stockhouse.ingest.synth import make_audio

    sound = make_audio(tmp_path / "tone.wav", seconds=1.0)

    upload = ingest_file(runtime, cora, sound)

    assert upload.state is UploadState.DONE, upload.reason
    item = load_item(runtime, upload.item_id)
    assert item.kind.is_audio and item.mime_type == "audio/wav"
