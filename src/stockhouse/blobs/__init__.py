"""Blob storage: content-addressed, immutable bytes in a local directory or an S3 bucket.

`open_blob_store(settings.storage_url)` picks the store:

- `file:///absolute/path` -> LocalBlobStore
- `s3://bucket/optional/prefix[?endpoint_url=...&region=...&addressing_style=path]`
  -> S3BlobStore; credentials and defaults come from boto3's standard environment
  variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION,
  AWS_ENDPOINT_URL) and config files.
"""

from __future__ import annotations

from pathlib import Path
from typing import cast, get_args
from urllib.parse import parse_qs, unquote, urlsplit

from stockhouse.blobs.base import BlobInfo, BlobNotFound, BlobStore, InvalidBlobKey
from stockhouse.config import ConfigError

__all__ = ["BlobInfo", "BlobNotFound", "BlobStore", "InvalidBlobKey", "open_blob_store"]

SETTING = "STOCKHOUSE_STORAGE_URL"
_S3_OPTIONS = ("endpoint_url", "region", "addressing_style")


def open_blob_store(storage_url: str) -> BlobStore:
    """The blob store a storage URL names; a malformed URL raises ConfigError."""
    scheme = storage_url.split("://", 1)[0].lower() if "://" in storage_url else ""
    if scheme == "file":
        return _open_local_store(storage_url)
    if scheme == "s3":
        return _open_s3_store(storage_url)
    raise ConfigError(SETTING, f"{storage_url!r} must start with file:// or s3://")


def _open_local_store(storage_url: str) -> BlobStore:
    """A LocalBlobStore from `file:///absolute/path`."""
    from stockhouse.blobs.local import LocalBlobStore

    parts = urlsplit(storage_url)
    if parts.netloc not in ("", "localhost") or parts.query or parts.fragment:
        raise ConfigError(SETTING, f"{storage_url!r} must look like file:///absolute/path")
    path = Path(unquote(parts.path))
    if not path.is_absolute() or path == Path("/"):
        raise ConfigError(SETTING, f"{storage_url!r} must name an absolute directory")
    if path.exists() and not path.is_dir():
        raise ConfigError(SETTING, f"{path} exists and is not a directory")
    return LocalBlobStore(path)


def _open_s3_store(storage_url: str) -> BlobStore:
    """An S3BlobStore from `s3://bucket/prefix?endpoint_url=...&region=...`."""
    from stockhouse.blobs.s3 import AddressingStyle, S3BlobStore, make_s3_client

    parts = urlsplit(storage_url)
    bucket = parts.netloc
    if not bucket or "@" in bucket or ":" in bucket or parts.fragment:
        raise ConfigError(SETTING, f"{storage_url!r} must look like s3://bucket/prefix")
    options = _s3_options(parts.query)
    endpoint_url = options.get("endpoint_url")
    if endpoint_url is not None and not endpoint_url.startswith(("http://", "https://")):
        raise ConfigError(SETTING, f"endpoint_url {endpoint_url!r} must be an http(s) URL")
    style = options.get("addressing_style")
    if style is not None and style not in get_args(AddressingStyle):
        raise ConfigError(SETTING, f"addressing_style {style!r} must be auto, virtual or path")
    region = options.get("region")
    client = make_s3_client(endpoint_url, region, cast("AddressingStyle | None", style))
    return S3BlobStore(bucket, unquote(parts.path), client)


def _s3_options(query: str) -> dict[str, str]:
    """The known, non-repeated query options of an s3:// URL."""
    try:
        raw = parse_qs(query, keep_blank_values=False, strict_parsing=bool(query))
    except ValueError:
        raise ConfigError(SETTING, f"query {query!r} is not name=value pairs") from None
    unknown = sorted(set(raw) - set(_S3_OPTIONS))
    if unknown:
        raise ConfigError(SETTING, f"unknown s3 option {unknown[0]!r} (known: {_S3_OPTIONS})")
    repeated = [name for name, values in raw.items() if len(values) > 1]
    if repeated:
        raise ConfigError(SETTING, f"s3 option {repeated[0]!r} is given more than once")
    return {name: values[0] for name, values in raw.items()}
