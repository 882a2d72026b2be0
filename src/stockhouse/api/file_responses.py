"""Stored blobs as HTTP responses, with byte ranges, for every route that serves files.

A blob in a local store is sent by Starlette's FileResponse, which answers `Range` (one or
several ranges, suffix ranges, 416 when unsatisfiable), `If-Range` and `HEAD` itself. A
blob in a remote store (S3) is streamed; one byte range is honoured by skipping to its
start in the stream (several ranges, or a malformed header, get the whole file, which
RFC 9110 allows), so downloads resume on every store.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response, StreamingResponse

from stockhouse.api.errors import error_response
from stockhouse.blobs.base import BlobStore
from stockhouse.errors import DomainError

_SINGLE_RANGE = re.compile(r"bytes=([0-9]{0,19})-([0-9]{0,19})")


@dataclass(frozen=True)
class ByteRange:
    """Bytes `start` to `end`, both inclusive, of a file of `size` bytes."""

    start: int
    end: int
    size: int

    @property
    def length(self) -> int:
        return self.end - self.start + 1

    @property
    def content_range(self) -> str:
        return f"bytes {self.start}-{self.end}/{self.size}"


class RangeNotSatisfiable(Exception):
    """The requested range lies wholly outside the file."""


def parse_single_range(header: str | None, size: int) -> ByteRange | None:
    """The one range a `Range` header asks for, clipped to the file; None for the whole
    file (no header, several ranges, or a header this server ignores); raises
    RangeNotSatisfiable when the range starts beyond the end or the file is empty."""
    match = _SINGLE_RANGE.fullmatch(header.strip().replace(" ", "")) if header else None
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # a suffix: the last N bytes
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise RangeNotSatisfiable
        return ByteRange(max(0, size - suffix), size - 1, size)
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size:
        raise RangeNotSatisfiable
    if end < start:
        return None  # an invalid range is ignored, as RFC 9110 asks
    return ByteRange(start, end, size)


def _slice(chunks: Iterator[bytes], wanted: ByteRange) -> Iterator[bytes]:
    """The bytes of `wanted` out of a stream of chunks that starts at byte 0."""
    position = 0
    remaining = wanted.length
    try:
        for chunk in chunks:
            chunk_end = position + len(chunk)
            if chunk_end > wanted.start:
                piece = chunk[max(0, wanted.start - position) :][:remaining]
                remaining -= len(piece)
                yield piece
            position = chunk_end
            if remaining <= 0:
                break
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()  # release the remote stream when the range ends early


def blob_response(
    request: Request,
    blobs: BlobStore,
    blob: str,
    media_type: str,
    size: int,
    headers: dict[str, str],
) -> Response:
    """The blob's bytes (or the requested range of them) with `headers` added."""
    local = blobs.local_path(blob)
    if local is not None:
        return FileResponse(local, media_type=media_type, headers=headers)
    headers = {**headers, "accept-ranges": "bytes"}
    try:
        wanted = parse_single_range(request.headers.get("range"), size)
    except RangeNotSatisfiable:
        return PlainTextResponse(
            "Range Not Satisfiable", status_code=416, headers={"content-range": f"bytes */{size}"}
        )
    status, length = 200, size
    if wanted is not None:
        status, length = 206, wanted.length
        headers["content-range"] = wanted.content_range
    headers["content-length"] = str(length)
    if request.method == "HEAD":
        return Response(status_code=status, media_type=media_type, headers=headers)
    chunks = blobs.iter_chunks(blob)
    body = chunks if wanted is None else _slice(chunks, wanted)
    return StreamingResponse(body, status_code=status, media_type=media_type, headers=headers)


def answers_domain_errors(handler: Callable[[Request], Response]) -> Callable[[Request], Response]:
    """Domain errors raised by a file route become the native API's error shape (these
    routes live outside /v1, where FastAPI's handlers do not reach)."""

    def wrapped(request: Request) -> Response:
        try:
            return handler(request)
        except DomainError as exc:
            return error_response(exc.http_status, exc.code, exc.message)

    wrapped.__name__ = handler.__name__
    wrapped.__doc__ = handler.__doc__
    return wrapped
