"""On the executor: one task reads its part's batches and lands them as the Python job's parts do.

`PartTask` is what `mapInArrow` runs for each part: it converts each batch (convert.py), sets
aside values longer than Snowflake holds (quarantine.py), writes Parquet files with the Python
job's writer (parquet_sink.PartWriter: same row groups, compression, file size and names
`{run-id}-{part}-{n}.parquet`), and checks the rows it landed against the count the source gave in
the same statement (query.py). It yields one row describing what it landed: its files, rows, the
largest incremental value, its rejects and how long it took; the driver writes the manifest.

A task that fails takes back the files it published and reports the job's own error (its class and
message, which travel to the driver inside Spark's error text: see failures.py).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from ..errors import ExtractError, IncompleteReadError, StorageError
from ..fault import FAULT_PID_VARIABLE, FAULT_VARIABLE
from ..layout import data_key
from ..parquet_sink import PartWriter
from ..quarantine import Rejects, ValuePolicy
from ..storage import open_storage
from .projection import ColumnRead
from .query import COUNT_COLUMN, PART_COLUMN, ROW_MARKER

RESULT_SCHEMA = "part int, files string, rows long, high string, rejects string, seconds double"
TASK_ERROR = "floe-extract-task-error:"


@dataclass(frozen=True)
class TaskPlan:
    """Everything a task needs, pickled to the executors with it."""

    engine: str
    database: str
    table: str
    run_id: str
    run_time: datetime
    raw_root: str
    target_file_bytes: int
    reads: Sequence[ColumnRead]
    policy: ValuePolicy
    always_fail: Sequence[str]
    primary_key: Sequence[str]
    incremental: str | None
    fault: str | None = None
    driver_pid: int | None = None
    # A folder of the driver's machine where each task keeps its rows read so far (`part-<n>`), for
    # the driver's progress line; set in local mode only, where the tasks run on that machine.
    progress_dir: str | None = None


class PartTask:
    def __init__(self, plan: TaskPlan) -> None:
        self.plan = plan

    def __call__(self, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        plan = self.plan
        if plan.fault is not None and plan.driver_pid is not None:
            os.environ[FAULT_VARIABLE] = plan.fault
            os.environ[FAULT_PID_VARIABLE] = str(plan.driver_pid)
        try:
            yield self._run(batches)
        except ExtractError as error:
            raise TaskFailed(type(error).__name__, error.message) from None
        except Exception as error:  # noqa: BLE001 - reported to the driver as the job reports any unexpected error
            raise TaskFailed(type(error).__name__, str(error)) from None

    def _run(self, batches: Iterator[pa.RecordBatch]) -> pa.RecordBatch:
        from ..job import _max_value
        from .convert import convert

        plan = self.plan
        started = time.monotonic()
        columns = [read.column for read in plan.reads]
        schema = pa.schema([pa.field(c.name, c.arrow_type, c.nullable) for c in columns])
        incremental = next((i for i, c in enumerate(columns) if c.name == plan.incremental), None)
        rejects = Rejects(plan.run_id, plan.table, plan.policy, plan.always_fail, plan.primary_key)
        storage = open_storage(plan.raw_root)
        part: int | None = None
        count: int | None = None
        received = 0
        high: Any = None
        writer: PartWriter | None = None
        progress = _PartProgress(plan.progress_dir)
        try:
            for batch in batches:
                if batch.num_rows == 0:
                    continue
                if part is None:
                    part = int(batch.column(PART_COLUMN)[0].as_py())
                    count = int(batch.column(COUNT_COLUMN)[0].as_py())
                    writer = PartWriter(storage, schema, self._key_for, part, plan.target_file_bytes)
                present = batch.column(ROW_MARKER)
                data = batch if present.null_count == 0 else batch.filter(pc.is_valid(present))
                if data.num_rows == 0:
                    continue
                received += data.num_rows
                progress.saw(part, received)
                converted = convert(plan.engine, plan.table, plan.reads, data, rejects)
                converted = rejects.set_aside_oversized(converted, columns)
                assert writer is not None
                writer.write(converted)
                if incremental is not None:
                    high = _max_value(converted, incremental, high)
            files = writer.finish() if writer is not None else []
        except BaseException:
            if writer is not None:
                writer.abort()
                _remove(storage, [f.key for f in writer.files])
            storage.close()
            raise
        storage.close()
        landed = sum(f.rows for f in files)
        if count is None or part is None:
            raise IncompleteReadError(
                f"table {plan.table}: a part's query returned no row, not even its count; "
                "nothing was landed for this run"
            )
        if landed != count or received != count:
            _remove(open_storage(plan.raw_root), [f.key for f in files])
            raise IncompleteReadError(
                f"table {plan.table}: part {part}: the source counted {count:,} row(s) and {received:,} arrived, "
                f"{landed:,} landed; nothing was landed for this run"
            )
        high_text = None
        if high is not None and incremental is not None:
            high_text = pa.array([high], columns[incremental].arrow_type).cast(pa.string())[0].as_py()
        return pa.RecordBatch.from_pylist(
            [{
                "part": part,
                "files": json.dumps([f.describe() for f in files]),
                "rows": landed,
                "high": high_text,
                "rejects": json.dumps(rejects.rows()),
                "seconds": round(time.monotonic() - started, 3),
            }],
            schema=pa.schema([
                ("part", pa.int32()), ("files", pa.string()), ("rows", pa.int64()), ("high", pa.string()),
                ("rejects", pa.string()), ("seconds", pa.float64()),
            ]),
        )

    def _key_for(self, part_name: str) -> str:
        plan = self.plan
        return data_key(plan.engine, plan.database, plan.table, plan.run_time, plan.run_id, part_name)


class TaskFailed(Exception):
    """A task's failure as the driver reads it back out of Spark's error: the job error's class and message."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(TASK_ERROR + json.dumps({"error": kind, "message": message}))


def _remove(storage: Any, keys: list[str]) -> None:
    for key in keys:
        try:
            storage.delete(key)
        except StorageError:
            pass  # the driver removes the run's files by listing them as well (cleanup.py)


class _PartProgress:
    """A task's rows read so far, written at most once a second to its file in the progress folder."""

    def __init__(self, folder: str | None) -> None:
        self._folder = folder
        self._written = 0.0

    def saw(self, part: int | None, rows: int) -> None:
        now = time.monotonic()
        if self._folder is None or part is None or now - self._written < 1.0:
            return
        self._written = now
        target = os.path.join(self._folder, f"part-{part}")
        try:
            with open(f"{target}.tmp", "w", encoding="ascii") as file:
                file.write(str(rows))
            os.replace(f"{target}.tmp", target)  # the driver never reads half a number
        except OSError:
            self._folder = None  # progress is a courtesy: a folder gone (the run ending) stops it, not the task
