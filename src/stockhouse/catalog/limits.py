"""Size limits on received files: the error for an over-long body, and a counting reader."""

from __future__ import annotations

from stockhouse.blobs.base import ReadableStream
from stockhouse.errors import DomainError


class PayloadTooLarge(DomainError):
    """A received file or request body is over its limit."""

    code = "payload_too_large"
    http_status = 413

    def __init__(self, what: str, limit: int) -> None:
        super().__init__(f"{what} is larger than the limit of {limit} bytes")
        self.limit = limit


class LimitedReader:
    """Reads `stream`, raising PayloadTooLarge as soon as more than `limit` bytes came."""

    def __init__(self, stream: ReadableStream, limit: int, what: str = "the file") -> None:
        self._stream = stream
        self._limit = limit
        self._what = what
        self.count = 0

    def read(self, size: int = -1, /) -> bytes:
        # Ask for one byte past the limit at most, so that an over-long stream is noticed
        # without reading (or storing) much more of it.
        room = self._limit - self.count + 1
        chunk = self._stream.read(room if size < 0 else min(size, room))
        self.count += len(chunk)
        if self.count > self._limit:
            raise PayloadTooLarge(self._what, self._limit)
        return chunk


class PrefixedReader:
    """A stream whose first bytes were already read (to sniff the file type) and kept."""

    def __init__(self, head: bytes, rest: ReadableStream) -> None:
        self._head = head
        self._rest = rest

    def read(self, size: int = -1, /) -> bytes:
        if not self._head:
            return self._rest.read(size)
        if size < 0:
            data, self._head = self._head + self._rest.read(), b""
            return data
        data, self._head = self._head[:size], self._head[size:]
        return data
