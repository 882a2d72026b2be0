"""The S3 store over real HTTP to a moto server: object layout, multipart, s3:// URLs."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

import pytest

from stockhouse.blobs import open_blob_store
from stockhouse.blobs.s3 import S3BlobStore
from stockhouse.config import ConfigError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

MIB = 1024 * 1024


def object_names(client: S3Client, bucket: str) -> list[str]:
    """Every object name in the bucket (small test buckets: one page)."""
    listing = client.list_objects_v2(Bucket=bucket)
    return [item["Key"] for item in listing.get("Contents", [])]


def test_blob_is_an_object_at_prefix_ab_cd_key(
    s3_store: S3BlobStore, s3_client: S3Client, bucket: str
) -> None:
    info = s3_store.put_bytes(b"layout")

    key = hashlib.sha256(b"layout").hexdigest()
    assert info.key == key
    assert object_names(s3_client, bucket) == [f"{s3_store.prefix}/{key[:2]}/{key[2:4]}/{key}"]
    body = s3_client.get_object(Bucket=bucket, Key=s3_store.object_key(key))["Body"]
    assert body.read() == b"layout"


def test_large_blob_is_uploaded_in_parts(
    s3_store: S3BlobStore, s3_client: S3Client, bucket: str
) -> None:
    info = s3_store.put_bytes(b"\x01" * (6 * MIB))

    head = s3_client.head_object(Bucket=bucket, Key=s3_store.object_key(info.key))
    assert head["ETag"].strip('"').endswith("-2")
    assert head["ContentLength"] == 6 * MIB


def test_local_path_is_none(s3_store: S3BlobStore) -> None:
    info = s3_store.put_bytes(b"remote only")

    assert s3_store.local_path(info.key) is None


def test_keys_pages_through_listing_and_skips_strangers(s3_client: S3Client, bucket: str) -> None:
    store = S3BlobStore(bucket, "paged", s3_client, list_page_size=2)
    stored = {store.put_bytes(f"page {n}".encode()).key for n in range(5)}
    s3_client.put_object(Bucket=bucket, Key="paged/README", Body=b"operator notes")
    s3_client.put_object(Bucket=bucket, Key="paged/ff/ff/" + min(stored), Body=b"misplaced")
    s3_client.put_object(Bucket=bucket, Key="elsewhere/aa/bb/" + "a" * 64, Body=b"other app")

    assert list(store.keys()) == sorted(stored)


def test_empty_prefix_stores_at_bucket_root(s3_client: S3Client, bucket: str) -> None:
    store = S3BlobStore(bucket, "", s3_client)

    info = store.put_bytes(b"at the root")

    assert object_names(s3_client, bucket) == [f"{info.key[:2]}/{info.key[2:4]}/{info.key}"]
    assert list(store.keys()) == [info.key]


def test_s3_url_with_endpoint_query_stores_through_that_endpoint(
    moto_endpoint: str, s3_client: S3Client, bucket: str
) -> None:
    store = open_blob_store(f"s3://{bucket}/site/a?endpoint_url={moto_endpoint}&region=eu-west-1")

    info = store.put_bytes(b"configured by url")

    assert isinstance(store, S3BlobStore)
    assert (store.bucket, store.prefix) == (bucket, "site/a")
    key = info.key
    assert object_names(s3_client, bucket) == [f"site/a/{key[:2]}/{key[2:4]}/{key}"]


def test_s3_url_takes_endpoint_from_aws_endpoint_url(
    monkeypatch: pytest.MonkeyPatch, moto_endpoint: str, bucket: str
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    store = open_blob_store(f"s3://{bucket}/from-env?addressing_style=path")

    info = store.put_bytes(b"configured by env")

    assert b"".join(store.iter_chunks(info.key)) == b"configured by env"


@pytest.mark.parametrize(
    "url",
    [
        "s3://",
        "s3:///prefix-without-bucket",
        "s3://key:secret@bucket/prefix",
        "s3://bucket:9000/prefix",
        "s3://bucket/prefix?colour=blue",
        "s3://bucket/prefix?region=a&region=b",
        "s3://bucket/prefix?endpoint_url=ftp://example.com",
        "s3://bucket/prefix?addressing_style=sideways",
        "s3://bucket/prefix?region",
    ],
)
def test_malformed_s3_url_raises_config_error(url: str) -> None:
    with pytest.raises(ConfigError) as caught:
        open_blob_store(url)

    assert caught.value.setting == "STOCKHOUSE_STORAGE_URL"
