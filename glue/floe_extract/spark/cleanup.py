"""Taking back a failed attempt's data files by their names, whatever task published them.

The Python job knows every file its parts published. A Spark attempt's files are published by
tasks on executors; one that failed, or was stopped because another failed, may have published
files the driver never heard of. Their names are the run's own, `{run-id}-{part}-{n}.parquet` in the
run's date and hour folder (layout.py), so the driver lists that folder for the run id's files and
removes them, on a local disk or under an S3 prefix. A rerun with the same run id lands its files
under the same names, so nothing a failed attempt left is ever taken for a newer one's.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import StorageError
from ..job_args import JobArgs
from ..layout import data_key
from ..storage import LocalStorage, S3Storage


def run_file_keys(storage: LocalStorage | S3Storage, args: JobArgs) -> list[str]:
    """The keys of every data and rejects file of this run that exists now."""
    sample = data_key(args.engine, args.database, args.table, args.run_time, args.run_id, "0-0")
    folder = sample.rsplit("/", 1)[0]
    prefix = f"{args.run_id}-"
    # Another run's id may begin with this one's (`r1` and `r1-0`): only this run's own names match.
    own = re.compile(re.escape(prefix) + r"(\d+-\d+|rejects)\.parquet")
    if isinstance(storage, LocalStorage):
        directory = Path(storage.root) / folder
        if not directory.is_dir():
            return []
        names = sorted(path.name for path in directory.glob(f"{prefix}*.parquet"))
        return [f"{folder}/{name}" for name in names if own.fullmatch(name)]
    from botocore.exceptions import BotoCoreError, ClientError

    keys: list[str] = []
    try:
        paginator = storage._client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=storage.bucket, Prefix=storage._key(f"{folder}/{prefix}")):
            for item in page.get("Contents", []):
                key = str(item["Key"])
                if own.fullmatch(key.rsplit("/", 1)[-1]):
                    keys.append(key[len(storage.prefix) + 1:] if storage.prefix else key)
    except (BotoCoreError, ClientError) as error:
        raise StorageError(f"could not list {storage.url(folder)}: {error}") from None
    return keys
