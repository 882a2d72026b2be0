"""Behaviours every BlobStore shares, run against the local store and the S3 store."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from stockhouse.blobs.base import CHUNK_SIZE, BlobInfo, BlobNotFound, BlobStore, InvalidBlobKey
from stockhouse.blobs.local import LocalBlobStore
from stockhouse.blobs.s3 import S3BlobStore
from stockhouse.errors import NotFound

MIB = 1024 * 1024
LARGE_SIZE = 6 * MIB + 123  # above the test S3 store's multipart threshold, not chunk-aligned
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
UNSTORED_KEY = "0" * 64


def temp_dir_of(store: BlobStore) -> Path:
    """Where the store keeps files while a put is in progress."""
    if isinstance(store, LocalBlobStore):
        return store.temp_dir
    assert isinstance(store, S3BlobStore) and store.spool_dir is not None
    return store.spool_dir


class RecordingStream:
    """Serves fixed bytes and records the largest read it was asked for."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._offset = 0
        self.largest_read = 0

    def read(self, size: int = -1, /) -> bytes:
        self.largest_read = max(self.largest_read, len(self._data) if size < 0 else size)
        end = len(self._data) if size < 0 else self._offset + size
        chunk = self._data[self._offset : end]
        self._offset += len(chunk)
        return chunk


class FailingStream:
    """Serves `good_bytes` bytes, then fails as a dropped upload connection would."""

    def __init__(self, good_bytes: int) -> None:
        self._remaining = good_bytes

    def read(self, size: int = -1, /) -> bytes:
        if self._remaining <= 0:
            raise ConnectionResetError("client went away")
        chunk = b"x" * min(self._remaining, CHUNK_SIZE if size < 0 else size)
        self._remaining -= len(chunk)
        return chunk


def test_put_bytes_round_trips_through_open(store: BlobStore) -> None:
    data = b"a stock photo, more or less"

    info = store.put_bytes(data)

    assert info == BlobInfo(key=hashlib.sha256(data).hexdigest(), size=len(data))
    with store.open(info.key) as stream:
        assert stream.read() == data


def test_empty_content_is_a_valid_blob(store: BlobStore) -> None:
    info = store.put_bytes(b"")

    assert info == BlobInfo(key=EMPTY_SHA256, size=0)
    assert list(store.iter_chunks(info.key)) == []


def test_identical_content_is_stored_once_under_one_key(store: BlobStore) -> None:
    first = store.put_bytes(b"same bytes")
    second = store.put_bytes(b"same bytes")

    assert first == second
    assert list(store.keys()) == [first.key]


def test_put_file_stores_the_files_bytes(store: BlobStore, tmp_path: Path) -> None:
    path = tmp_path / "upload.jpg"
    path.write_bytes(b"\xff\xd8\xff jpeg-ish")

    info = store.put_file(path)

    assert info.key == hashlib.sha256(b"\xff\xd8\xff jpeg-ish").hexdigest()
    assert b"".join(store.iter_chunks(info.key)) == b"\xff\xd8\xff jpeg-ish"


def test_large_stream_is_written_and_read_in_bounded_chunks(store: BlobStore) -> None:
    data = os.urandom(LARGE_SIZE)
    stream = RecordingStream(data)

    info = store.put_stream(stream)

    assert stream.largest_read <= CHUNK_SIZE
    assert info == BlobInfo(key=hashlib.sha256(data).hexdigest(), size=LARGE_SIZE)
    chunks = list(store.iter_chunks(info.key, chunk_size=256 * 1024))
    assert max(len(chunk) for chunk in chunks) <= 256 * 1024
    assert len(chunks) >= LARGE_SIZE // (256 * 1024)
    assert b"".join(chunks) == data


def test_stream_failing_midway_leaves_no_blob_and_no_temp_file(store: BlobStore) -> None:
    with pytest.raises(ConnectionResetError):
        store.put_stream(FailingStream(good_bytes=2 * MIB + 5))

    assert list(store.keys()) == []
    assert list(temp_dir_of(store).iterdir()) == []


def test_size_is_the_stored_byte_count(store: BlobStore) -> None:
    info = store.put_bytes(b"12345")

    assert store.size(info.key) == 5


def test_exists_is_true_only_for_stored_keys(store: BlobStore) -> None:
    info = store.put_bytes(b"present")

    assert store.exists(info.key)
    assert not store.exists(UNSTORED_KEY)


def test_missing_blob_raises_blob_not_found(store: BlobStore, tmp_path: Path) -> None:
    reads: list[Callable[[], object]] = [
        lambda: store.open(UNSTORED_KEY),
        lambda: store.size(UNSTORED_KEY),
        lambda: list(store.iter_chunks(UNSTORED_KEY)),
        lambda: store.copy_to_file(UNSTORED_KEY, tmp_path / "out.bin"),
    ]
    for read in reads:
        with pytest.raises(BlobNotFound) as caught:
            read()
        assert isinstance(caught.value, NotFound)
        assert caught.value.key == UNSTORED_KEY
    assert not (tmp_path / "out.bin").exists()


@pytest.mark.parametrize(
    "bad_key",
    [
        "../etc/passwd",
        "../../" + "a" * 58,
        "A" * 64,
        "abc123",
        "a" * 65,
        "g" * 64,
        "",
        "ab/cd/" + "a" * 58,
        "a" * 63 + "\n",
    ],
)
def test_bad_key_is_refused_by_every_method(store: BlobStore, bad_key: str, tmp_path: Path) -> None:
    calls: list[Callable[[], object]] = [
        lambda: store.open(bad_key),
        lambda: store.iter_chunks(bad_key),
        lambda: store.exists(bad_key),
        lambda: store.size(bad_key),
        lambda: store.delete(bad_key),
        lambda: store.local_path(bad_key),
        lambda: store.copy_to_file(bad_key, tmp_path / "out.bin"),
    ]
    for call in calls:
        with pytest.raises(InvalidBlobKey):
            call()


def test_keys_lists_every_stored_key_in_ascending_order(store: BlobStore) -> None:
    stored = {store.put_bytes(f"blob {n}".encode()).key for n in range(7)}

    assert list(store.keys()) == sorted(stored)


def test_delete_removes_the_blob_and_ignores_a_missing_one(store: BlobStore) -> None:
    kept = store.put_bytes(b"kept")
    gone = store.put_bytes(b"gone")

    store.delete(gone.key)
    store.delete(gone.key)

    assert list(store.keys()) == [kept.key]
    assert not store.exists(gone.key)


def test_copy_to_file_replaces_the_target_with_the_blobs_bytes(
    store: BlobStore, tmp_path: Path
) -> None:
    info = store.put_bytes(b"rendition source")
    target = tmp_path / "work" / "source.bin"
    target.parent.mkdir()
    target.write_bytes(b"stale contents that are longer than the blob")

    store.copy_to_file(info.key, target)

    assert target.read_bytes() == b"rendition source"
    assert sorted(p.name for p in target.parent.iterdir()) == ["source.bin"]
