"""Native API: uploads of media files, and the streaming multipart receiver they use.

A multipart body is parsed as it arrives; the bytes of its file part go through a small
bounded pipe to a worker thread that writes them to the blob store (hashing as it goes),
so neither memory nor a temp file ever holds the whole upload, and an over-long body is
refused as soon as it passes the limit. Requests that stream a body do not hold a
database transaction open while they read it.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from stockhouse.accounts.models import User
from stockhouse.api.deps import PrincipalDep, RuntimeDep, SessionDep, get_principal
from stockhouse.blobs.base import ReadableStream
from stockhouse.catalog.access import is_admin, require_contributor
from stockhouse.catalog.limits import PayloadTooLarge
from stockhouse.catalog.models import Upload
from stockhouse.errors import InvalidParameter, NotFound
from stockhouse.runtime import Runtime

router = APIRouter(tags=["uploads"])

T = TypeVar("T")

MULTIPART_OVERHEAD_BYTES = 64 * 1024  # boundaries, part headers and small fields
PIPE_CHUNKS = 16  # chunks in flight between the request and the blob store (~1 MB)
PIPE_POLL_S = 0.005
MAX_LISTED_UPLOADS = 500
MULTIPART_OPENAPI = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            }
        },
    }
}


def upload_limit() -> int:
    """The largest media file accepted: the ingest pipeline's MAX_UPLOAD_BYTES."""
    from stockhouse.ingest import pipeline

    return pipeline.MAX_UPLOAD_BYTES


# -- the pipe between the event loop and the blob store ----------------------------------


class _Abort:
    """Queued to wake a reader that must stop."""


_END = b""
_ABORT = _Abort()


class StreamPipe:
    """A ReadableStream fed chunk by chunk from the event loop and read in a worker thread."""

    def __init__(self, max_chunks: int = PIPE_CHUNKS) -> None:
        self._queue: queue.Queue[bytes | _Abort] = queue.Queue(max_chunks)
        self._buffer = bytearray()
        self._ended = False
        self._error: BaseException | None = None
        self._lock = threading.Lock()

    def read(self, size: int = -1, /) -> bytes:
        """Up to `size` bytes (all that remain if size < 0); b"" once the stream ended."""
        while not self._ended and (size < 0 or len(self._buffer) < size):
            item = self._queue.get()
            if isinstance(item, _Abort) or self._error is not None:
                raise self._error or ConnectionAbortedError("the upload was abandoned")
            if item == _END:
                self._ended = True
            else:
                self._buffer += item
        if self._error is not None:
            raise self._error
        end = len(self._buffer) if size < 0 else size
        data = bytes(self._buffer[:end])
        del self._buffer[:end]
        return data

    async def put(self, chunk: bytes, reader: asyncio.Future[Any]) -> None:
        """Hand over a chunk (b"" ends the stream), waiting while the pipe is full.

        Stops waiting if the reader has finished (failed), whose result tells why.
        """
        while True:
            try:
                self._queue.put_nowait(chunk)
                return
            except queue.Full:
                if reader.done():
                    return
                await asyncio.sleep(PIPE_POLL_S)

    def abort(self, error: BaseException) -> None:
        """Make the reader raise `error` now, dropping whatever is still queued."""
        with self._lock:
            self._error = error
            while True:
                try:
                    self._queue.get_nowait()
                except queue.Empty:
                    break
            # If full, the reader took nothing meanwhile and sees `_error` on its next get.
            with contextlib.suppress(queue.Full):
                self._queue.put_nowait(_ABORT)


# -- the multipart receiver -------------------------------------------------------------


class _Parts:
    """Collects parser callbacks as events, handled after each `write` returns."""

    def __init__(self, charset: str) -> None:
        self.charset = charset
        self.events: list[tuple[str, bytes]] = []
        self._header_name = b""
        self._header_value = b""
        self._disposition = b""
        self._in_file = False

    def on_part_begin(self) -> None:
        self._disposition = b""

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        if self._header_name.lower() == b"content-disposition":
            self._disposition = self._header_value
        self._header_name = self._header_value = b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self._disposition)
        self._in_file = b"filename" in options
        if self._in_file:
            self.events.append(("file", options[b"filename"]))

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._in_file and end > start:
            self.events.append(("data", bytes(data[start:end])))

    def on_part_end(self) -> None:
        if self._in_file:
            self.events.append(("end", b""))
        self._in_file = False

    def callbacks(self) -> dict[str, Callable[..., None]]:
        return {
            "on_part_begin": self.on_part_begin,
            "on_header_field": self.on_header_field,
            "on_header_value": self.on_header_value,
            "on_header_end": self.on_header_end,
            "on_headers_finished": self.on_headers_finished,
            "on_part_data": self.on_part_data,
            "on_part_end": self.on_part_end,
        }


def _boundary_and_charset(request: Request) -> tuple[bytes, str]:
    content_type, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise InvalidParameter(
            "file", "send the file as multipart/form-data, in a part named 'file'"
        )
    charset = params.get(b"charset", b"utf-8").decode("latin-1")
    return boundary, charset


def _check_declared_length(request: Request, limit: int) -> None:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + MULTIPART_OVERHEAD_BYTES:
        raise PayloadTooLarge("the file", limit)


class _Receiver(Generic[T]):
    """One multipart body being received: its first file goes to `consume` in a thread."""

    def __init__(self, limit: int, consume: Callable[[ReadableStream, str], T]) -> None:
        self.limit = limit
        self.consume = consume
        self.pipe = StreamPipe()
        self.reader: asyncio.Future[T] | None = None
        self.file_bytes = 0
        self.finished = False

    async def handle(self, event: str, data: bytes, charset: str) -> None:
        if event == "file":
            filename = data.decode(charset, "replace")
            loop = asyncio.get_running_loop()
            self.reader = loop.run_in_executor(None, self.consume, self.pipe, filename)
            return
        assert self.reader is not None
        if self.reader.done():
            await self.reader  # the consumer failed early: its error answers the request
        if event == "data":
            self.file_bytes += len(data)
            if self.file_bytes > self.limit:
                raise PayloadTooLarge("the file", self.limit)
            await self.pipe.put(data, self.reader)
        else:
            await self.pipe.put(_END, self.reader)
            self.finished = True


async def receive_file(
    request: Request, limit: int, consume: Callable[[ReadableStream, str], T]
) -> T:
    """Stream the first file of a multipart request into `consume(stream, filename)`, which
    runs in a worker thread, and return its result. Parts before the file that have no
    filename are skipped; whatever follows the file is not read.

    More than `limit` file bytes: PayloadTooLarge, and the consumer's read raises it too.
    """
    boundary, charset = _boundary_and_charset(request)
    _check_declared_length(request, limit)
    parts = _Parts(charset)
    parser = MultipartParser(boundary, parts.callbacks())  # type: ignore[arg-type]
    receiver: _Receiver[T] = _Receiver(limit, consume)
    body_bytes = 0
    try:
        async for chunk in request.stream():
            body_bytes += len(chunk)
            if body_bytes > limit + MULTIPART_OVERHEAD_BYTES:
                raise PayloadTooLarge("the request body", limit + MULTIPART_OVERHEAD_BYTES)
            parser.write(chunk)
            events, parts.events = parts.events, []
            for event, data in events:
                await receiver.handle(event, data, charset)
                if receiver.finished and receiver.reader is not None:
                    return await receiver.reader
        if receiver.reader is None:
            raise InvalidParameter("file", "the body has no file part (a part with a filename)")
        raise InvalidParameter("file", "the body ended in the middle of the file")
    except FormParserError:
        error = InvalidParameter("file", "the body is not valid multipart/form-data")
        await _abandon(receiver, error)
        raise error from None
    except ClientDisconnect:
        error = InvalidParameter("file", "the client went away before the file was complete")
        await _abandon(receiver, error)
        raise error from None
    except BaseException as exc:
        await _abandon(receiver, exc)
        raise


async def _abandon(receiver: _Receiver[Any], error: BaseException) -> None:
    """Stop the consumer (it raises from its read) and let it clean up before answering."""
    if receiver.reader is None or receiver.reader.done():
        return
    receiver.pipe.abort(error if isinstance(error, Exception) else ConnectionAbortedError())
    if isinstance(error, Exception):
        await asyncio.wait([receiver.reader])
        if not receiver.reader.cancelled():
            receiver.reader.exception()  # retrieved, so asyncio does not log it


# -- endpoints --------------------------------------------------------------------------


class UploadOut(BaseModel):
    id: int
    state: str
    reason: str | None
    item_id: int | None
    duplicate_of: int | None
    filename: str
    file_size: int
    source: str
    submit_after: bool
    created_at: datetime
    finished_at: datetime | None

    @classmethod
    def of(cls, upload: Upload) -> UploadOut:
        return cls(
            id=upload.id,
            state=upload.state.value,
            reason=upload.reason,
            item_id=upload.item_id,
            duplicate_of=upload.duplicate_of,
            filename=upload.filename,
            file_size=upload.file_size,
            source=upload.source,
            submit_after=upload.submit_after,
            created_at=upload.created_at,
            finished_at=upload.finished_at,
        )


def authenticate_briefly(request: Request, runtime: Runtime) -> User:
    """The caller, found in a short transaction of its own (not one held for the request)."""
    with runtime.db.session() as session:
        return get_principal(request, session).user


def _store_upload(
    runtime: Runtime, owner_id: int, submit: bool, wait: bool
) -> Callable[[ReadableStream, str], Upload]:
    def consume(stream: ReadableStream, filename: str) -> Upload:
        from stockhouse.ingest.pipeline import UploadTooLarge, receive_upload

        try:
            return receive_upload(
                runtime, owner_id, stream, filename, "api", submit, enqueue=not wait
            )
        except UploadTooLarge:
            raise PayloadTooLarge("the file", upload_limit()) from None

    return consume


@router.post("/uploads", status_code=201, response_model=UploadOut, openapi_extra=MULTIPART_OPENAPI)
async def create_upload(
    request: Request,
    runtime: RuntimeDep,
    submit: bool = False,
    wait: bool = False,
) -> UploadOut:
    """Upload one media file (multipart part `file`). It is ingested in the background;
    poll GET /v1/uploads/{id}. `submit=true` sends the item to review once made;
    `wait=true` ingests before answering (for scripts)."""
    user = await run_in_threadpool(authenticate_briefly, request, runtime)
    require_contributor(user, "uploading")
    upload = await receive_file(
        request, upload_limit(), _store_upload(runtime, user.id, submit, wait)
    )
    if wait:
        from stockhouse.ingest.pipeline import ingest_now

        upload = await run_in_threadpool(ingest_now, runtime, upload.id)
    return UploadOut.of(upload)


@router.get("/uploads", response_model=list[UploadOut])
def list_uploads(
    principal: PrincipalDep,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=MAX_LISTED_UPLOADS)] = 100,
) -> list[UploadOut]:
    """The caller's uploads, newest first."""
    uploads = session.scalars(
        select(Upload)
        .where(Upload.owner_id == principal.user.id)
        .order_by(Upload.id.desc())
        .limit(limit)
    )
    return [UploadOut.of(u) for u in uploads]


@router.get("/uploads/{upload_id}", response_model=UploadOut)
def get_upload(upload_id: int, principal: PrincipalDep, session: SessionDep) -> UploadOut:
    """An upload's state: queued, processing, done (item_id), duplicate or rejected (reason)."""
    upload = session.get(Upload, upload_id)
    if upload is None or (upload.owner_id != principal.user.id and not is_admin(principal.user)):
        raise NotFound(f"upload {upload_id} does not exist")
    return UploadOut.of(upload)
