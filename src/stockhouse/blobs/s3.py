"""A content-addressed blob store in an S3-compatible bucket (AWS S3, MinIO, Ceph, moto...).

Object names: `<prefix>/ab/cd/<sha256>`. An upload is spooled to a local temp file while it
is hashed (the key is only known at the end), then sent with boto3's managed transfer,
which switches to a multipart upload for large files. S3 makes an object visible only
once its upload completes, so a reader never sees half a blob.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Literal, cast

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

from stockhouse.blobs.base import (
    BlobInfo,
    BlobNotFound,
    ReadableStream,
    StreamingBlobStore,
    copy_hashing,
    is_valid_key,
    sharded_name,
    validate_key,
)

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

AddressingStyle = Literal["auto", "virtual", "path"]
_MISSING_CODES = frozenset({"404", "NoSuchKey", "NotFound"})


class S3BlobStore(StreamingBlobStore):
    """Blobs as immutable objects under `prefix` in `bucket`."""

    def __init__(
        self,
        bucket: str,
        prefix: str,
        client: S3Client,
        *,
        spool_dir: Path | None = None,
        transfer_config: TransferConfig | None = None,
        list_page_size: int = 1000,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.client = client
        self.spool_dir = spool_dir
        self.transfer_config = transfer_config or TransferConfig()
        self.list_page_size = list_page_size

    @property
    def _list_prefix(self) -> str:
        """The prefix every object of this store starts with ("" or "prefix/")."""
        return f"{self.prefix}/" if self.prefix else ""

    def object_key(self, key: str) -> str:
        """The S3 object name of a blob key."""
        return self._list_prefix + sharded_name(key)

    def put_stream(self, stream: ReadableStream) -> BlobInfo:
        """Spool and hash `stream` to a temp file, then upload it unless already stored."""
        with tempfile.NamedTemporaryFile(dir=self.spool_dir, prefix="s3-put-") as spool:
            info = copy_hashing(stream, spool)
            spool.flush()
            if not self.exists(info.key):
                self.client.upload_file(
                    spool.name,
                    self.bucket,
                    self.object_key(info.key),
                    ExtraArgs={"ContentType": "application/octet-stream"},
                    Config=self.transfer_config,
                )
        return info

    def open(self, key: str) -> BinaryIO:
        """The object's streaming HTTP body (read(n) and close; not seekable)."""
        with _missing_as_not_found(key):
            response = self.client.get_object(Bucket=self.bucket, Key=self.object_key(key))
        # botocore's StreamingBody is an IOBase with read(n), close and `with` support.
        return cast(BinaryIO, response["Body"])

    def exists(self, key: str) -> bool:
        """Whether the object exists (one HEAD request)."""
        try:
            self.client.head_object(Bucket=self.bucket, Key=self.object_key(key))
        except ClientError as error:
            if _is_missing(error):
                return False
            raise
        return True

    def size(self, key: str) -> int:
        """The object's size in bytes (one HEAD request)."""
        with _missing_as_not_found(key):
            head = self.client.head_object(Bucket=self.bucket, Key=self.object_key(key))
        return head["ContentLength"]

    def delete(self, key: str) -> None:
        """Delete the object (S3 reports no error if it is already gone)."""
        self.client.delete_object(Bucket=self.bucket, Key=self.object_key(key))

    def keys(self) -> Iterator[str]:
        """Every stored key in ascending order, paging through list_objects_v2."""
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket,
            Prefix=self._list_prefix,
            PaginationConfig={"PageSize": self.list_page_size},
        )
        for page in pages:
            for item in page.get("Contents", []):
                key = self._key_of(item["Key"])
                if key is not None:
                    yield key

    def _key_of(self, object_key: str) -> str | None:
        """The blob key of an object name in this store's layout, or None for strangers."""
        name = object_key.rsplit("/", 1)[-1]
        if is_valid_key(name) and object_key == self.object_key(name):
            return name
        return None

    def local_path(self, key: str) -> Path | None:
        """Always None: S3 blobs have no local file; use open() or copy_to_file()."""
        validate_key(key)
        return None

    def copy_to_file(self, key: str, path: Path) -> None:
        """Download with boto3's managed transfer (temp file beside `path`, then rename)."""
        with _missing_as_not_found(key):
            self.client.download_file(
                self.bucket, self.object_key(key), str(path), Config=self.transfer_config
            )


def make_s3_client(
    endpoint_url: str | None = None,
    region: str | None = None,
    addressing_style: AddressingStyle | None = None,
) -> S3Client:
    """An S3 client; unset arguments fall back to boto3's env vars and config files."""
    config = Config(retries={"mode": "standard"})
    if addressing_style is not None:
        config = config.merge(Config(s3={"addressing_style": addressing_style}))
    session = boto3.session.Session()  # a fresh session: the default one is not thread-safe
    return session.client("s3", endpoint_url=endpoint_url, region_name=region, config=config)


def _is_missing(error: ClientError) -> bool:
    """Whether an S3 error means "no such object"."""
    return error.response.get("Error", {}).get("Code") in _MISSING_CODES


@contextmanager
def _missing_as_not_found(key: str) -> Iterator[None]:
    """Turn S3's "no such object" errors inside the block into BlobNotFound."""
    try:
        yield
    except ClientError as error:
        if _is_missing(error):
            raise BlobNotFound(key) from None
        raise
