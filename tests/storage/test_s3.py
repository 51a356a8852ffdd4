"""S3Storage against a real S3-compatible server (moto's, started by the tests)."""

import itertools
from collections.abc import Iterator

import httpx
import pytest

from sfumato.domain.errors import StorageUnavailable
from sfumato.storage import S3Storage, StorageError, open_storage
from tests.conftest import BUCKET
from tests.servers import S3Server

prefixes = itertools.count()


@pytest.fixture
def storage(s3: S3Server) -> Iterator[S3Storage]:
    """A prefix of its own in the tests' bucket, so tests never see each other's keys."""
    store = open_storage(f"s3://{BUCKET}/storage-{next(prefixes)}", s3_options(s3))
    assert isinstance(store, S3Storage)
    yield store


def s3_options(s3: S3Server) -> dict[str, str]:
    """open_storage's options: the SFUMATO_S3_* settings without their prefix."""
    return {name.removeprefix("s3_"): value for name, value in s3.settings().items()}


def test_put_then_get_returns_the_bytes_under_the_prefix(storage: S3Storage, s3: S3Server) -> None:
    storage.put("job_1/1-0.png", b"png bytes")
    assert storage.get("job_1/1-0.png") == b"png bytes"
    stored = s3.client().get_object(Bucket=BUCKET, Key=f"{storage.prefix}/job_1/1-0.png")
    assert stored["ContentType"] == "image/png"


def test_delete_prefix_takes_more_than_one_request_s_worth(storage: S3Storage) -> None:
    for index in range(1003):  # DeleteObjects takes at most 1000 keys a request
        storage.put(f"job_1/{index}.png", b"x")
    assert len(storage.delete_prefix("job_1")) == 1003
    assert storage.keys() == []


def test_two_prefixes_in_one_bucket_never_see_each_other(s3: S3Server) -> None:
    first = open_storage(f"s3://{BUCKET}/apart-a", s3_options(s3))
    second = open_storage(f"s3://{BUCKET}/apart-a2", s3_options(s3))
    first.put("job_1/1.png", b"a")
    second.put("job_1/1.png", b"b")
    assert first.keys() == ["job_1/1.png"] and first.get("job_1/1.png") == b"a"
    first.delete_prefix("job_1")
    assert second.get("job_1/1.png") == b"b"


def test_a_presigned_url_serves_the_object_without_credentials(storage: S3Storage) -> None:
    storage.put("job_1/1-0.png", b"png bytes")
    url = storage.url("job_1/1-0.png", seconds=60)
    assert "Signature=" in url or "X-Amz-Signature=" in url
    answer = httpx.get(url)
    assert (answer.status_code, answer.content) == (200, b"png bytes")
    assert httpx.get(url.split("?", 1)[0]).status_code == 403  # the bucket itself is private


def test_a_bucket_that_does_not_exist_fails_the_check(s3: S3Server) -> None:
    storage = open_storage("s3://no-such-bucket/x", s3_options(s3))
    with pytest.raises(StorageError, match="no-such-bucket"):
        storage.check()


def test_an_unreachable_endpoint_fails_the_check(s3: S3Server) -> None:
    storage = open_storage(f"s3://{BUCKET}/x", s3_options(s3) | {"endpoint_url": "http://127.0.0.1:9"})
    with pytest.raises(StorageError, match=BUCKET):
        storage.check()


def test_an_s3_url_needs_a_bucket() -> None:
    with pytest.raises(StorageError, match="needs a bucket"):
        open_storage("s3:///prefix")


def test_a_write_the_bucket_refuses_is_unwritable_without_the_bucket_s_words(s3: S3Server) -> None:
    storage = open_storage("s3://no-such-bucket/x", s3_options(s3))
    with pytest.raises(StorageUnavailable) as raised:
        storage.put("job_1/a.png", b"x")
    assert "NoSuchBucket" not in raised.value.message and "no-such-bucket" not in raised.value.message
    assert storage.fault == "unwritable"
