"""Blob store fixtures: a local store in tmp_path, and an S3 store on a moto server.

The moto server is a real HTTP endpoint on 127.0.0.1 started once per session; each test
gets its own bucket. AWS settings are pinned to fake values so no test can reach AWS.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from boto3.s3.transfer import TransferConfig
from moto.server import ThreadedMotoServer

from stockhouse.blobs.base import BlobStore
from stockhouse.blobs.local import LocalBlobStore
from stockhouse.blobs.s3 import S3BlobStore, make_s3_client

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

MIB = 1024 * 1024
S3_PREFIX = "media/blobs"
REGION = "us-east-1"


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """The http:// URL of a moto S3 server on a free local port."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(autouse=True)
def fake_aws_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Fake credentials and no AWS config files, so boto3 only ever talks to moto."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))


@pytest.fixture
def s3_client(moto_endpoint: str, fake_aws_environment: None) -> S3Client:
    return make_s3_client(endpoint_url=moto_endpoint, region=REGION)


@pytest.fixture
def bucket(s3_client: S3Client) -> str:
    """A new, empty bucket on the moto server."""
    name = f"blobs-{uuid.uuid4().hex[:16]}"
    s3_client.create_bucket(Bucket=name)
    return name


@pytest.fixture
def local_store(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(tmp_path / "blobs")


@pytest.fixture
def s3_store(tmp_path: Path, s3_client: S3Client, bucket: str) -> S3BlobStore:
    """An S3 store that switches to multipart uploads above 5 MiB (S3's smallest part)."""
    spool_dir = tmp_path / "spool"
    spool_dir.mkdir()
    transfer = TransferConfig(multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB)
    return S3BlobStore(bucket, S3_PREFIX, s3_client, spool_dir=spool_dir, transfer_config=transfer)


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest) -> BlobStore:
    """Each store in turn, for behaviours every BlobStore shares."""
    result: BlobStore = request.getfixturevalue(f"{request.param}_store")
    return result
