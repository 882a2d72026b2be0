"""A content-addressed blob store in a local directory.

Layout: `root/ab/cd/<sha256>`. Writes go to a temp file in `root/tmp/` (same filesystem),
are fsynced, then renamed into place with os.replace, so a reader never sees half a blob.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from stockhouse.blobs.base import (
    BlobInfo,
    BlobNotFound,
    ReadableStream,
    StreamingBlobStore,
    copy_hashing,
    is_valid_key,
    sharded_name,
)

BLOB_FILE_MODE = 0o644
TEMP_DIR_NAME = "tmp"
_SHARD_PATTERN = re.compile(r"[0-9a-f]{2}")


class LocalBlobStore(StreamingBlobStore):
    """Blobs as immutable files under `root`."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()
        self.temp_dir = self.root / TEMP_DIR_NAME
        self.temp_dir.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        """Where a (validated) key's file lives."""
        return self.root / sharded_name(key)

    def put_stream(self, stream: ReadableStream) -> BlobInfo:
        """Hash `stream` into a temp file, then rename it into place (unless already there)."""
        fd, temp_name = tempfile.mkstemp(dir=self.temp_dir, prefix="put-")
        temp_path = Path(temp_name)
        try:
            with os.fdopen(fd, "wb") as temp:
                info = copy_hashing(stream, temp)
                temp.flush()
                os.fchmod(temp.fileno(), BLOB_FILE_MODE)
                os.fsync(temp.fileno())
            self._move_into_place(temp_path, self._path(info.key))
        finally:
            temp_path.unlink(missing_ok=True)
        return info

    def _move_into_place(self, temp_path: Path, final_path: Path) -> None:
        """Rename the finished temp file to its key's path and make the rename durable."""
        if final_path.is_file():
            return  # same content already stored; the caller removes the temp file
        final_path.parent.mkdir(parents=True, exist_ok=True)
        os.replace(temp_path, final_path)
        _fsync_directory(final_path.parent)

    def open(self, key: str) -> BinaryIO:
        """The blob's file, opened for binary reading."""
        try:
            return self._path(key).open("rb")
        except FileNotFoundError:
            raise BlobNotFound(key) from None

    def exists(self, key: str) -> bool:
        """Whether the blob's file exists."""
        return self._path(key).is_file()

    def size(self, key: str) -> int:
        """The blob's size in bytes."""
        try:
            return self._path(key).stat().st_size
        except FileNotFoundError:
            raise BlobNotFound(key) from None

    def delete(self, key: str) -> None:
        """Remove the blob's file (no error if it is already gone)."""
        self._path(key).unlink(missing_ok=True)

    def keys(self) -> Iterator[str]:
        """Every stored key in ascending order, walking the two shard levels."""
        for first in _sorted_subdirs(self.root):
            for second in _sorted_subdirs(first):
                for entry in sorted(os.scandir(second), key=lambda e: e.name):
                    if _belongs_in(entry.name, first.name + second.name) and entry.is_file():
                        yield entry.name

    def local_path(self, key: str) -> Path:
        """The blob's own file; read it, never write to it."""
        path = self._path(key)
        if not path.is_file():
            raise BlobNotFound(key)
        return path


def _sorted_subdirs(directory: Path) -> list[Path]:
    """Two-hex-digit shard directories of `directory` (so `tmp/` is skipped), sorted."""
    return sorted(
        Path(entry.path)
        for entry in os.scandir(directory)
        if _SHARD_PATTERN.fullmatch(entry.name) and entry.is_dir()
    )


def _belongs_in(name: str, shard: str) -> bool:
    """Whether a file name is a valid key stored in the right shard directories."""
    return is_valid_key(name) and name.startswith(shard)


def _fsync_directory(directory: Path) -> None:
    """Persist a rename in `directory` (a no-op where directories cannot be opened)."""
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
