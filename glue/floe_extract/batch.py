"""Several tables of one source in one job run: one interpreter start for the lot, each table still its own run.

`--batch <file>` names a JSON document written by start-ingest beside the raw data
(`_batches/<id>.json`, on S3 or in the raw folder): `{"batchVersion": 1, "tables": [{"--run-id": …,
"--table": …, …}, …]}`, each entry the very arguments a one-table job run would get, less the
connection, which the command line gives once (a secret's ARN on AWS; locally an environment
variable). The file, not the job's arguments, carries the tables: their number is not bounded by
what a job run's arguments may hold.

Each table is extracted exactly as a one-table run (`main.main`): its own run id, manifest, log,
retries and exit code, so one table's failure fails that table alone and the others land. Tables
start in the file's order, as many at once as `--max-connections` allows: a table takes one
connection per part it reads (start-ingest never gives one more parts than the job may hold
connections), and waits until that many are free, so the job never holds more source connections
than `--max-connections`.

The job's exit code is 0 when every table landed, else the first failed table's; the last console
line names every table that failed.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from .errors import JobArgumentError, StorageError
from .main import PROGRAM
from .main import main as extract_table

BATCH_VERSION = 1
# One table's own arguments; everything else on the command line is shared by every table.
PER_TABLE = frozenset(
    {
        "--run-id",
        "--table",
        "--primary-key",
        "--mode",
        "--incremental-column",
        "--watermark",
        "--lookback-seconds",
        "--partition-column",
        "--partitions",
        "--unrepresentable",
        "--unrepresentable-columns",
        "--retry-attempts",
        "--retry-backoff-seconds",
        "--retry-max-backoff-seconds",
        "--run-time",
        "--target-file-mb",
    }
)
# The batch's own arguments, which no table sees.
BATCH_ARGUMENTS = ("--batch", "--max-connections")


class ConnectionBudget:
    """The source connections the job may hold: a table takes its share before it starts, gives it back after."""

    def __init__(self, total: int) -> None:
        self.total = total
        self._free = total
        self._changed = threading.Condition()

    def take(self, wanted: int) -> int:
        share = max(1, min(wanted, self.total))
        with self._changed:
            self._changed.wait_for(lambda: self._free >= share)
            self._free -= share
        return share

    def give(self, share: int) -> None:
        with self._changed:
            self._free += share
            self._changed.notify_all()


def _value(argv: Sequence[str], name: str) -> str | None:
    for index, item in enumerate(argv[:-1]):
        if item == name:
            return argv[index + 1]
    return None


def _without(argv: Sequence[str], names: Sequence[str]) -> list[str]:
    kept: list[str] = []
    skip = False
    for item in argv:
        if skip:
            skip = False
        elif item in names:
            skip = True
        else:
            kept.append(item)
    return kept


def read_batch(location: str) -> list[dict[str, str]]:
    """The batch's table entries, each checked to be a map of this table's own arguments."""
    try:
        if location.startswith("s3://"):
            import boto3
            from botocore.exceptions import BotoCoreError, ClientError

            bucket, _, key = location[len("s3://") :].partition("/")
            try:
                text = boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")
            except (BotoCoreError, ClientError) as error:
                raise StorageError(f"could not read the batch {location}: {error}") from None
        else:
            text = Path(location).read_text(encoding="utf-8")
    except OSError as error:
        raise StorageError(f"could not read the batch {location}: {error.strerror}") from None
    try:
        document = json.loads(text)
    except ValueError:
        raise JobArgumentError(f"--batch {location} is not JSON") from None
    if not isinstance(document, dict) or document.get("batchVersion") != BATCH_VERSION:
        raise JobArgumentError(f"--batch {location}: expected a batch of version {BATCH_VERSION}")
    tables = document.get("tables")
    if not isinstance(tables, list) or not tables:
        raise JobArgumentError(f"--batch {location}: 'tables' must be a non-empty list")
    entries: list[dict[str, str]] = []
    for index, entry in enumerate(tables):
        if not isinstance(entry, dict) or not all(isinstance(v, str) for v in entry.values()):
            raise JobArgumentError(f"--batch {location}: table {index} must map argument names to texts")
        foreign = sorted(set(entry) - PER_TABLE)
        if foreign:
            raise JobArgumentError(
                f"--batch {location}: table {index} ({entry.get('--table', '?')}) sets {', '.join(foreign)}, "
                "which the command line gives for the whole batch"
            )
        entries.append(entry)
    return entries


def _positive(argv: Sequence[str], name: str, default: int) -> int:
    text = _value(argv, name)
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        raise JobArgumentError(f"{name} must be an integer, got {text!r}") from None
    if value < 1:
        raise JobArgumentError(f"{name} must be at least 1, got {value}")
    return value


def main(argv: Sequence[str]) -> int:
    argv = list(argv)
    try:
        location = _value(argv, "--batch")
        if location is None:
            raise JobArgumentError("--batch needs the batch file's location")
        budget = ConnectionBudget(_positive(argv, "--max-connections", 4))
        entries = read_batch(location)
    except (JobArgumentError, StorageError) as error:
        print(f"{PROGRAM}: error: {' '.join(error.message.split())}", file=sys.stderr)
        return error.exit_code
    shared = _without(argv, BATCH_ARGUMENTS)
    codes: list[int] = [0] * len(entries)

    def extract(index: int, table_argv: list[str], share: int) -> None:
        try:
            codes[index] = extract_table(table_argv)
        except BaseException:
            codes[index] = 1
            raise
        finally:
            budget.give(share)

    futures: list[Future[Any]] = []
    with ThreadPoolExecutor(max_workers=budget.total, thread_name_prefix="table") as pool:
        for index, entry in enumerate(entries):
            text = entry.get("--partitions", "1")
            wanted = int(text) if text.isdigit() else 1  # a malformed count fails in the table's own parse
            share = budget.take(wanted)
            if wanted > share:
                # Each part holds a connection: a table never reads in more parts than the job may hold.
                entry = {**entry, "--partitions": str(share)}
                print(f"{entry.get('--table', '?')}: read in {share} part(s), not {wanted}: the job holds at most "
                      f"{budget.total} source connection(s) (--max-connections)", file=sys.stderr, flush=True)
            table_argv = shared + [item for pair in entry.items() for item in pair]
            futures.append(pool.submit(extract, index, table_argv, share))
    failed = [(entries[i].get("--table", "?"), code) for i, code in enumerate(codes) if code != 0]
    for future in futures:
        crash = future.exception()
        if crash is not None:  # main() turns every failure into a code; this is a bug, said in one line
            print(f"{PROGRAM}: error: unexpected {type(crash).__name__} in a table's thread: {crash}", file=sys.stderr)
    if not failed:
        return 0
    names = ", ".join(table for table, _ in failed)
    print(
        f"{PROGRAM}: error: {len(failed)} of {len(entries)} table(s) failed, each in its own log: {names}",
        file=sys.stderr,
    )
    return failed[0][1]
