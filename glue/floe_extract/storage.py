"""Where the job's files go: a local folder or `s3://bucket/prefix`, with one interface.

Files are always written to a local temporary path first and then published
whole (`os.replace` locally, one PutObject/multipart upload on S3), so a reader
never sees half a file and the manifest can be made to appear atomically.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from .errors import StorageError


class RawStorage(Protocol):
    def url(self, key: str) -> str:
        """The full address of `key` (a path relative to the raw root)."""

    def scratch_dir(self) -> Path:
        """A local folder for files being written."""

    def publish(self, local_file: Path, key: str) -> None:
        """Move a finished local file to `key`, replacing what is there."""

    def put_text(self, key: str, text: str) -> None:
        """Write `text` to `key` atomically."""

    def delete(self, key: str) -> None:
        """Remove `key` if it exists."""

    def close(self) -> None:
        """Release local scratch space."""


@dataclass
class LocalStorage:
    root: Path

    def url(self, key: str) -> str:
        return str(self.root / key)

    def scratch_dir(self) -> Path:
        path = self.root / "_tmp"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def publish(self, local_file: Path, key: str) -> None:
        target = self.root / key
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(local_file, target)
        except OSError as error:
            raise StorageError(f"could not write {target}: {error.strerror}") from None

    def close(self) -> None:
        """Nothing to release: scratch files live beside the data and are moved, not copied."""

    def delete(self, key: str) -> None:
        try:
            (self.root / key).unlink(missing_ok=True)
        except OSError as error:
            raise StorageError(f"could not remove {self.root / key}: {error.strerror}") from None

    def put_text(self, key: str, text: str) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.scratch_dir(), suffix=".part")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as error:
            Path(tmp).unlink(missing_ok=True)
            raise StorageError(f"could not write {self.root / key}: {error.strerror}") from None
        self.publish(Path(tmp), key)


class S3Storage:
    """S3 through boto3; `AWS_ENDPOINT_URL_S3` (or `AWS_ENDPOINT_URL`) points it at a stand-in in tests."""

    def __init__(self, bucket: str, prefix: str) -> None:
        import boto3

        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self._client = boto3.client("s3")
        self._scratch = Path(tempfile.mkdtemp(prefix="floe-extract-"))

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def url(self, key: str) -> str:
        return f"s3://{self.bucket}/{self._key(key)}"

    def scratch_dir(self) -> Path:
        return self._scratch

    def publish(self, local_file: Path, key: str) -> None:
        from boto3.exceptions import S3UploadFailedError
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self._client.upload_file(str(local_file), self.bucket, self._key(key))
        except (BotoCoreError, ClientError, S3UploadFailedError, OSError) as error:
            raise StorageError(f"could not upload {self.url(key)}: {error}") from None
        finally:
            local_file.unlink(missing_ok=True)

    def put_text(self, key: str, text: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self._client.put_object(Bucket=self.bucket, Key=self._key(key), Body=text.encode("utf-8"))
        except (BotoCoreError, ClientError) as error:
            raise StorageError(f"could not write {self.url(key)}: {error}") from None

    def delete(self, key: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self._client.delete_object(Bucket=self.bucket, Key=self._key(key))
        except (BotoCoreError, ClientError) as error:
            raise StorageError(f"could not remove {self.url(key)}: {error}") from None

    def close(self) -> None:
        shutil.rmtree(self._scratch, ignore_errors=True)


def open_storage(raw_root: str) -> LocalStorage | S3Storage:
    if raw_root.startswith("s3://"):
        bucket, _, prefix = raw_root[len("s3://"):].partition("/")
        if not bucket:
            raise StorageError(f"--raw-root {raw_root!r} names no bucket")
        return S3Storage(bucket, prefix)
    return LocalStorage(Path(raw_root).resolve())
