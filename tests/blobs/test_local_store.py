"""The local file store: on-disk layout, direct paths for codecs, file:// URLs."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from stockhouse.blobs import open_blob_store
from stockhouse.blobs.base import BlobNotFound
from stockhouse.blobs.local import LocalBlobStore
from stockhouse.config import ConfigError, load_settings
from stockhouse.runtime import Runtime


def test_blob_is_a_file_at_root_ab_cd_key(local_store: LocalBlobStore) -> None:
    info = local_store.put_bytes(b"layout")

    key = hashlib.sha256(b"layout").hexdigest()
    assert (local_store.root / key[:2] / key[2:4] / key).read_bytes() == b"layout"
    assert info.key == key


def test_local_path_is_the_blobs_readable_file(local_store: LocalBlobStore) -> None:
    info = local_store.put_bytes(b"decode me directly")

    path = local_store.local_path(info.key)

    assert path.read_bytes() == b"decode me directly"


def test_local_path_of_missing_blob_raises_blob_not_found(local_store: LocalBlobStore) -> None:
    with pytest.raises(BlobNotFound):
        local_store.local_path("1" * 64)


def test_keys_skips_temp_files_and_strangers(local_store: LocalBlobStore) -> None:
    info = local_store.put_bytes(b"the only blob")
    (local_store.temp_dir / "put-leftover").write_bytes(b"half an upload")
    misplaced = local_store.root / "ff" / "ff" / info.key
    misplaced.parent.mkdir(parents=True)
    misplaced.write_bytes(b"wrong shard")
    (local_store.root / info.key[:2] / info.key[2:4] / "notes.txt").write_text("hi")
    (local_store.root / "README").write_text("operator notes")

    assert list(local_store.keys()) == [info.key]


def test_storing_existing_content_keeps_the_original_file(local_store: LocalBlobStore) -> None:
    info = local_store.put_bytes(b"immutable")
    before = local_store.local_path(info.key).stat()

    local_store.put_bytes(b"immutable")

    after = local_store.local_path(info.key).stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert list(local_store.temp_dir.iterdir()) == []


def test_file_url_opens_a_local_store_at_that_path(tmp_path: Path) -> None:
    store = open_blob_store(f"file://{tmp_path / 'media blobs'}")

    assert isinstance(store, LocalBlobStore)
    assert store.root == tmp_path / "media blobs"
    assert store.temp_dir.is_dir()


def test_percent_encoded_file_url_is_decoded(tmp_path: Path) -> None:
    store = open_blob_store(f"file://{tmp_path}/media%20blobs")

    assert isinstance(store, LocalBlobStore)
    assert store.root == tmp_path / "media blobs"


def test_default_settings_put_blobs_in_the_data_dir(tmp_path: Path) -> None:
    settings = load_settings({"data_dir": str(tmp_path)}, environ={})
    runtime = Runtime(settings)
    try:
        info = runtime.blobs.put_bytes(b"via the runtime")
        assert runtime.blobs.local_path(info.key) == (
            tmp_path / "blobs" / info.key[:2] / info.key[2:4] / info.key
        )
    finally:
        runtime.close()


@pytest.mark.parametrize(
    "url",
    [
        "file://relative/path",
        "file:///",
        "file:///srv/blobs?mode=fast",
        "ftp://example.com/blobs",
        "/srv/blobs",
    ],
)
def test_malformed_file_url_raises_config_error(url: str) -> None:
    with pytest.raises(ConfigError) as caught:
        open_blob_store(url)

    assert caught.value.setting == "STOCKHOUSE_STORAGE_URL"


def test_file_url_naming_a_regular_file_raises_config_error(tmp_path: Path) -> None:
    (tmp_path / "blobs").write_text("not a directory")

    with pytest.raises(ConfigError):
        open_blob_store(f"file://{tmp_path / 'blobs'}")
