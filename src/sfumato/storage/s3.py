"""Image files in an S3-compatible object store (AWS S3, MinIO, Ceph, R2, moto): `s3://bucket/prefix`.

An S3 PUT is atomic (a reader sees the old object, the whole new one, or none), so put needs no
temporary name. The client comes from boto3, which is thread-safe for calls on one client: the
worker's encoder threads and the API's request threads share it.
"""

import logging
import mimetypes
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlparse

from sfumato.domain.errors import StorageUnavailable
from sfumato.storage.base import StorageError, WriteFaults, check_key

log = logging.getLogger(__name__)


class S3Storage(WriteFaults):
    presigns = True  # SigV4 presigned GETs (SFUMATO_IMAGE_DELIVERY=presigned)

    def __init__(self, client: Any, bucket: str, prefix: str = "") -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/")

    @classmethod
    def from_url(cls, url: str, options: Mapping[str, str] | None = None) -> "S3Storage":
        """`s3://bucket/prefix`; `options`: `endpoint_url`, `region`, `access_key_id`, `secret_access_key`
        (the SFUMATO_S3_* settings). Empty ones fall back to boto3's own chain: AWS_* variables, ~/.aws,
        the instance's role."""
        options = options or {}
        endpoint_url, region = options.get("endpoint_url", ""), options.get("region", "")
        access_key_id, secret_access_key = (
            options.get("access_key_id", ""),
            options.get("secret_access_key", ""),
        )
        parsed = urlparse(url)
        if not parsed.netloc:
            raise StorageError(f"s3 storage needs a bucket: s3://bucket/prefix, not {url!r}")
        import boto3
        from botocore.config import Config

        client = boto3.client(
            "s3",
            endpoint_url=endpoint_url or None,
            region_name=region or None,
            aws_access_key_id=access_key_id or None,
            aws_secret_access_key=secret_access_key or None,
            # as many connections as threads that may call at once: encoders, API threads, sweeper
            config=Config(
                signature_version="s3v4",
                max_pool_connections=64,
                retries={"mode": "standard", "max_attempts": 5},
            ),
        )
        return cls(client, parsed.netloc, parsed.path)

    def _name(self, key: str) -> str:
        check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def _key(self, name: str) -> str:
        return name[len(self.prefix) + 1 :] if self.prefix else name

    def put(self, key: str, data: bytes) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        content_type, _ = mimetypes.guess_type(key)
        extra = {"ContentType": content_type} if content_type else {}
        with self.writing(key):
            try:
                self.client.put_object(Bucket=self.bucket, Key=self._name(key), Body=data, **extra)
            except (BotoCoreError, ClientError) as error:  # refused, unreachable, out of space
                log.error("storage: cannot write %s to s3://%s: %s", key, self.bucket, error)
                raise StorageUnavailable() from error

    def get(self, key: str) -> bytes:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self._name(key))
        except self.client.exceptions.NoSuchKey:
            raise FileNotFoundError(key) from None
        body: bytes = answer["Body"].read()
        return body

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._name(key))  # no error when absent

    def keys(self, prefix: str = "") -> list[str]:
        return sorted(self._key(name) for name in self._names(prefix))

    def _names(self, prefix: str) -> Iterator[str]:
        start = self._name(prefix) + "/" if prefix else (self.prefix + "/" if self.prefix else "")
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=start):
            for item in page.get("Contents", ()):
                yield item["Key"]

    def delete_prefix(self, prefix: str, *, keep: frozenset[str] = frozenset()) -> list[str]:
        names = [name for name in self._names(prefix) if self._key(name) not in keep]
        for start in range(0, len(names), 1000):  # DeleteObjects takes at most 1000 keys
            chunk = names[start : start + 1000]
            answer = self.client.delete_objects(
                Bucket=self.bucket, Delete={"Objects": [{"Key": name} for name in chunk], "Quiet": True}
            )
            if answer.get("Errors"):
                first = answer["Errors"][0]
                raise StorageError(f"could not delete {first.get('Key')}: {first.get('Message')}")
        return sorted(self._key(name) for name in names)

    def url(self, key: str, *, seconds: int) -> str:
        """A presigned GET that works without credentials for `seconds`."""
        url: str = self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": self._name(key)}, ExpiresIn=seconds
        )
        return url

    def local_path(self, key: str) -> None:
        return None  # a bucket's objects are fetched

    def check(self) -> None:
        """Raises StorageError unless the bucket answers to these credentials."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.head_bucket(Bucket=self.bucket)
        except (BotoCoreError, ClientError) as error:
            raise StorageError(f"s3://{self.bucket}: {error}") from None
