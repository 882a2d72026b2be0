"""The BlobStore protocol: content-addressed, immutable byte storage.

A blob's key is the lowercase hex sha256 of its bytes, so storing the same content twice
yields the same key and stores it once. Every store writes atomically (a blob either
exists whole or not at all) and streams in chunks: no method holds a whole blob in memory.
Keys are validated strictly before any path or object name is built from them.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from stockhouse.errors import InvalidParameter, NotFound

CHUNK_SIZE = 1024 * 1024
_KEY_PATTERN = re.compile(r"[0-9a-f]{64}")


class BlobNotFound(NotFound):
    """No blob is stored under this key."""

    def __init__(self, key: str) -> None:
        super().__init__(f"blob {key} not found")
        self.key = key


class InvalidBlobKey(InvalidParameter):
    """A key that is not 64 lowercase hex digits (it could otherwise become a path trick)."""

    def __init__(self, key: object) -> None:
        super().__init__("key", f"blob key {str(key)[:80]!r} is not 64 lowercase hex digits")


@dataclass(frozen=True)
class BlobInfo:
    """A stored blob: its sha256 key and its size in bytes."""

    key: str
    size: int


class ReadableStream(Protocol):
    """Anything with `read(size) -> bytes`: open files, BytesIO, upload and HTTP bodies."""

    def read(self, size: int = -1, /) -> bytes: ...


class WritableStream(Protocol):
    """Anything with `write(bytes)`: open files and temp files."""

    def write(self, data: bytes, /) -> object: ...


class BlobStore(Protocol):
    """Content-addressed blob storage (see the module docstring)."""

    def put_stream(self, stream: ReadableStream) -> BlobInfo:
        """Store everything `stream` yields, read in chunks; a no-op if already stored."""
        ...

    def put_file(self, path: Path) -> BlobInfo:
        """Store the contents of the file at `path`."""
        ...

    def put_bytes(self, data: bytes) -> BlobInfo:
        """Store `data`."""
        ...

    def open(self, key: str) -> BinaryIO:
        """A stream over the blob; the caller closes it. Only `read(n)` is guaranteed."""
        ...

    def iter_chunks(self, key: str, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
        """The blob's bytes in chunks of at most `chunk_size`."""
        ...

    def exists(self, key: str) -> bool:
        """Whether a blob is stored under `key`."""
        ...

    def size(self, key: str) -> int:
        """The blob's size in bytes."""
        ...

    def delete(self, key: str) -> None:
        """Remove the blob; deleting a missing blob is not an error."""
        ...

    def keys(self) -> Iterator[str]:
        """Every stored key, in ascending order."""
        ...

    def local_path(self, key: str) -> Path | None:
        """A file path holding the blob that codecs can read directly, or None (remote)."""
        ...

    def copy_to_file(self, key: str, path: Path) -> None:
        """Write the blob to `path`, replacing it atomically."""
        ...


def validate_key(key: str) -> str:
    """Return `key` if it is 64 lowercase hex digits, else raise InvalidBlobKey."""
    if not isinstance(key, str) or not _KEY_PATTERN.fullmatch(key):
        raise InvalidBlobKey(key)
    return key


def is_valid_key(key: str) -> bool:
    """Whether `key` is 64 lowercase hex digits."""
    return _KEY_PATTERN.fullmatch(key) is not None


def sharded_name(key: str) -> str:
    """The key's place in a store: `ab/cd/<key>` for key `abcd...`."""
    validate_key(key)
    return f"{key[:2]}/{key[2:4]}/{key}"


def copy_hashing(source: ReadableStream, target: WritableStream) -> BlobInfo:
    """Copy `source` to `target` in chunks, returning the sha256 key and size of the bytes."""
    digest = hashlib.sha256()
    size = 0
    while chunk := source.read(CHUNK_SIZE):
        digest.update(chunk)
        target.write(chunk)
        size += len(chunk)
    return BlobInfo(key=digest.hexdigest(), size=size)


class StreamingBlobStore(ABC):
    """The BlobStore methods every store derives from `put_stream` and `open`."""

    @abstractmethod
    def put_stream(self, stream: ReadableStream) -> BlobInfo:
        """Store everything `stream` yields; see BlobStore.put_stream."""

    @abstractmethod
    def open(self, key: str) -> BinaryIO:
        """A stream over the blob; see BlobStore.open."""

    def put_file(self, path: Path) -> BlobInfo:
        """Store the contents of the file at `path`."""
        with Path(path).open("rb") as handle:
            return self.put_stream(handle)

    def put_bytes(self, data: bytes) -> BlobInfo:
        """Store `data`."""
        return self.put_stream(_BytesReader(data))

    def iter_chunks(self, key: str, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
        """The blob's bytes in chunks of at most `chunk_size` (arguments checked at call)."""
        validate_key(key)
        if chunk_size < 1:
            raise InvalidParameter("chunk_size", "chunk_size must be at least 1")
        return self._read_chunks(key, chunk_size)

    def _read_chunks(self, key: str, chunk_size: int) -> Iterator[bytes]:
        """Yield the open blob's chunks, closing the stream when iteration ends."""
        with self.open(key) as stream:
            while chunk := stream.read(chunk_size):
                yield chunk

    def copy_to_file(self, key: str, path: Path) -> None:
        """Write the blob to `path` through a temp file beside it, then rename."""
        with self.open(key) as stream:
            write_file_atomically(Path(path), stream)


class _BytesReader:
    """Reads a bytes object in slices without copying it into a BytesIO first."""

    def __init__(self, data: bytes) -> None:
        self._view = memoryview(data)
        self._offset = 0

    def read(self, size: int = -1, /) -> bytes:
        """Up to `size` bytes (all that remain if size < 0)."""
        end = len(self._view) if size < 0 else self._offset + size
        chunk = bytes(self._view[self._offset : end])
        self._offset += len(chunk)
        return chunk


def write_file_atomically(path: Path, source: ReadableStream) -> None:
    """Copy `source` to a temp file in `path`'s directory, fsync it, then rename onto `path`."""
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as temp:
            shutil.copyfileobj(source, temp, CHUNK_SIZE)
            temp.flush()
            os.fsync(temp.fileno())
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
