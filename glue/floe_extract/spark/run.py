"""The Spark job's run on the driver: the Python job's run (job.py) with its parts read by Spark's tasks.

Everything before and after the read is the Python job's: the driver opens the same source (its
catalog, the open transactions, the window's high mark and, on PostgreSQL, the snapshot it
exports and keeps open until the tasks are done), and writes the same manifest from what the tasks
report. Replaced here:

- `_parts`: the ranges of the partition column, cut by the Python job's rule (read_plan.py) into
  `--partitions` ranges, or, without it, one per PART_BYTES of the table's catalog size; more than
  the Python job's 64, since a range is a task and the executors' cores read a few at a time;
- `_read_parts`: one JDBC query per range (query.py), run by Spark as one task each, in which the
  executor converts and lands the rows (task.py); the tasks' reports are merged into the run;
- `discard`: a failed attempt's files are found by their names, whichever task published them.

Parts and consistency: on PostgreSQL every task imports the driver's exported snapshot, so the
union of the parts is one instant's table, as with the Python job. Where tasks cannot share a
snapshot (MySQL; a PostgreSQL standby without snapshot export) each task's query is a snapshot of its
own, so the partition column must be a primary-key column (a row's key does not move between two
parts' snapshots), and the window's upper bound, fixed by the driver before any task starts,
bounds every task alike.
"""

from __future__ import annotations

import json
import os
import threading
from typing import Any

import pyarrow as pa

from ..columns import SourceColumn
from ..connection import resolve_connection
from ..errors import JobArgumentError
from ..fault import FAULT_VARIABLE
from ..job import ExtractionRun
from ..layout import data_key
from ..parquet_sink import LandedFile
from ..quarantine import Rejects
from ..read_plan import Part, Predicate, split_parts
from ..run_log import progress_line, progress_seconds
from ..size_estimate import SizeEstimate
from ..sources import Source
from ..storage import LocalStorage
from .cleanup import run_file_keys
from .failures import job_error
from .jdbc import MYSQL_SESSION_INIT, jdbc_source, postgres_session_init
from .projection import column_reads, table_reference
from .query import part_query
from .task import RESULT_SCHEMA, PartTask, TaskPlan

MAX_SPARK_PARTITIONS = 4096
"""The most ranges one run is cut into (job_args' cap for this engine)."""
PART_BYTES = 256 * 1024 * 1024
"""Without `--partitions`, one range per this much of the table as the catalog sizes it."""
FETCH_BYTES = 64 * 1024 * 1024
"""Rows a task's JDBC driver fetches at once hold about this much (the table's average row, from the catalog)."""
BATCH_BYTES = 16 * 1024 * 1024
"""Arrow batches from Spark to the task's Python hold about this much."""
MAX_BATCH_ROWS = 10_000


def parts_for_size(size: SizeEstimate | None) -> int:
    """How many ranges to read a table of this catalog size in, when `--partitions` does not say."""
    if size is None or not size.bytes:
        return 1
    return max(1, min(MAX_SPARK_PARTITIONS, -(-size.bytes // PART_BYTES)))


def rows_per(size: SizeEstimate | None, budget: int, unknown: int) -> int:
    """Rows of the table's average size that fit `budget` bytes (between 1 and MAX_BATCH_ROWS)."""
    row = size.row_bytes if size else None
    if row is None:
        return unknown
    return max(1, min(MAX_BATCH_ROWS, budget // row))


class SparkExtractionRun(ExtractionRun):
    engine_name = "spark"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._spark_files = False  # set once tasks may have published files (see discard)
        self.read_seconds = 0.0

    def _parts(self, source: Source, partition: SourceColumn | None, where: Predicate) -> list[Part]:
        args = self.args
        count = args.partitions if args.partitions > 1 else parts_for_size(self.size)
        if partition is None or count <= 1:
            return [Part(0)]
        if self._snapshot(source) is None and partition.name not in args.primary_key:
            # The Python job refuses this for MySQL when asked for partitions; sized here, the run reads in one part.
            where_from = "MySQL" if args.engine == "mysql" else "this PostgreSQL server (it exports no snapshot)"
            if args.partitions > 1:
                raise JobArgumentError(
                    f"table {args.table}: on {where_from} the partition column must be a --primary-key column "
                    f"(parts read in separate snapshots), and {partition.name} is not"
                )
            self.log.say(f"{args.table}: read in one part: {partition.name} is not a key column and {where_from} "
                         "cannot share a snapshot between parts")
            return [Part(0)]
        low, high = source.min_max(partition, where)
        return split_parts(partition.name, low, high, count, source.quote)

    def _snapshot(self, source: Source) -> str | None:
        """PostgreSQL's exported snapshot the tasks import, or None where they cannot share one."""
        if self.args.engine != "postgres":
            return None
        snapshot = getattr(source, "_snapshot", None)  # sources/postgres.py keeps it to itself
        return None if snapshot is None else str(snapshot)

    def _read_parts(
        self, source: Source, parts: list[Part], where: Predicate, incremental: SourceColumn | None, rejects: Rejects
    ) -> tuple[list[LandedFile], int, Any]:
        args = self.args
        try:
            return self._read_with_spark(source, parts, where, incremental, rejects)
        except Exception as error:
            if _is_ours(error):
                raise
            raise job_error(error, args.table, self.redactor) from None

    def _read_with_spark(
        self, source: Source, parts: list[Part], where: Predicate, incremental: SourceColumn | None, rejects: Rejects
    ) -> tuple[list[LandedFile], int, Any]:
        from .session import spark_session

        args = self.args
        reads = column_reads(args.engine, source, rejects)
        table = table_reference(args.engine, source)
        # The driver's own settings (a secret is read once per attempt, by the source).
        settings: Any = getattr(source, "settings", None)
        if settings is None:
            settings = resolve_connection(args.connection, args.engine, self.redactor)
        jdbc = jdbc_source(settings, _uses_tls(source) if args.engine == "mysql" else None)
        if args.engine == "postgres":
            session_init = postgres_session_init(self._snapshot(source))
            fetch_rows = rows_per(self.size, FETCH_BYTES, 1_000)
        else:
            session_init = MYSQL_SESSION_INIT
            fetch_rows = _mysql_fetch_rows(source)
        spark = spark_session()
        spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", str(rows_per(self.size, BATCH_BYTES, 1_000)))
        options = jdbc.options(session_init, fetch_rows)
        frames = [
            spark.read.format("jdbc").options(**options)
            .option("dbtable", part_query(args.engine, table, reads, where.and_(part.predicate), part.index)).load()
            for part in parts
        ]
        self._spark_files = True
        progress = _Progress(self, spark, len(parts))
        try:
            plan = TaskPlan(
                engine=args.engine, database=args.database, table=args.table, run_id=args.run_id,
                run_time=args.run_time,
                raw_root=str(self.storage.root) if isinstance(self.storage, LocalStorage) else args.raw_root,
                target_file_bytes=args.target_file_bytes, reads=reads, policy=args.values,
                always_fail=[name for name in (args.incremental_column, *args.primary_key) if name],
                primary_key=args.primary_key, incremental=incremental.name if incremental else None,
                fault=os.environ.get(FAULT_VARIABLE), driver_pid=os.getpid(), progress_dir=progress.folder,
            )
            results = _union(frames).mapInArrow(PartTask(plan), RESULT_SCHEMA).collect()
        except BaseException:
            progress.stop(rows_read=None)
            raise
        progress.stop(rows_read=sum(int(result["rows"]) for result in results))
        return self._merge(results, incremental, rejects)

    def _merge(
        self, results: list[Any], incremental: SourceColumn | None, rejects: Rejects
    ) -> tuple[list[LandedFile], int, Any]:
        args = self.args
        files: list[LandedFile] = []
        highs: list[Any] = []
        for result in sorted(results, key=lambda r: int(r["part"])):
            described = json.loads(result["files"])
            landed = [LandedFile(f["path"], f["url"], f["rows"], f["bytes"], f["part"]) for f in described]
            files.extend(landed)
            rejects.extend(json.loads(result["rejects"]))
            if result["high"] is not None and incremental is not None:
                highs.append(pa.array([result["high"]], pa.string()).cast(incremental.arrow_type)[0].as_py())
            self.log.record("part", part=int(result["part"]), rows=int(result["rows"]), files=len(landed),
                            seconds=result["seconds"])
        rows = sum(f.rows for f in files)
        seconds = self.read_seconds
        self.log.record("totals", rows=rows, files=len(files), seconds=round(seconds, 3), parts=len(results))
        self.log.say(
            f"{args.table}: {rows:,} rows in {len(files)} file(s), {len(results)} Spark task(s), {seconds:.1f} s, "
            f"{rows / max(seconds, 1e-9):,.0f} rows/s"
        )
        return files, rows, max(highs) if highs else None

    def discard(self) -> None:
        """The Python job's discard, and every data file of the run's name a task may have published."""
        super().discard()
        if not self._spark_files:
            return
        from ..errors import StorageError

        try:
            keys = run_file_keys(self.storage, self.args)
        except StorageError as error:
            self.log.record("cleanup-failed", level="warning", path=data_key(
                self.args.engine, self.args.database, self.args.table, self.args.run_time, self.args.run_id, "*"),
                error=error.message)
            return
        for key in keys:
            try:
                self.storage.delete(key)
            except StorageError as error:
                self.log.record("cleanup-failed", level="warning", path=key, error=error.message)


class _Progress:
    """Every few seconds, the table's progress line: in local mode, where the tasks run on this
    machine and keep their rows read in a folder of it, the rows form `floe run` draws a bar from
    (run_log.progress_line: rows, rows/s, ETA from the catalog's estimate); elsewhere (Glue's
    executors are other machines), the parts done from Spark's status tracker."""

    def __init__(self, run: SparkExtractionRun, spark: Any, parts: int) -> None:
        import tempfile
        import time

        self._run, self._spark, self._parts = run, spark, parts
        self._started = time.monotonic()
        local = str(spark.sparkContext.master).startswith("local")
        self.folder: str | None = tempfile.mkdtemp(prefix="floe-spark-progress-") if local else None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._report, name="spark-progress", daemon=True)
        self._thread.start()

    def _report(self) -> None:
        import time

        tracker = self._spark.sparkContext.statusTracker()
        table = self._run.args.table
        while not self._stop.wait(progress_seconds()):
            if self.folder is not None:
                rows = _rows_read(self.folder)
                self._run.log.say(progress_line(table, rows, time.monotonic() - self._started, self._run.expected_rows))
                continue
            done = 0
            for stage in tracker.getActiveStageIds():
                info = tracker.getStageInfo(stage)
                if info is not None:
                    done += info.numCompletedTasks
            self._run.log.say(f"{table}: {done} of {self._parts} part(s) read")

    def stop(self, rows_read: int | None) -> None:
        """Ends the lines; a read that succeeded ends on the rows its tasks reported, since it may
        finish before its first line is due and a task tells its folder at most once a second (a
        failed read, `rows_read` None, leaves its stderr to its error alone)."""
        import shutil
        import time

        self._stop.set()
        self._thread.join()
        run = self._run
        run.read_seconds = time.monotonic() - self._started
        if self.folder is not None:
            if rows_read:
                run.log.say(progress_line(run.args.table, rows_read, run.read_seconds, run.expected_rows))
            shutil.rmtree(self.folder, ignore_errors=True)


def _rows_read(folder: str) -> int:
    """The rows the tasks have read so far, by their files in the progress folder."""
    total = 0
    for name in os.listdir(folder):
        if name.startswith("part-") and not name.endswith(".tmp"):
            try:
                with open(os.path.join(folder, name), encoding="ascii") as file:
                    total += int(file.read() or 0)
            except (OSError, ValueError):
                continue  # a file being replaced: the next line counts it
    return total


def _union(frames: list[Any]) -> Any:
    """The parts' frames as one, in a balanced tree: a long chain of unions takes Spark long to analyse."""
    while len(frames) > 1:
        pairs = range(0, len(frames), 2)
        frames = [frames[i].union(frames[i + 1]) if i + 1 < len(frames) else frames[i] for i in pairs]
    return frames[0]


def _is_ours(error: BaseException) -> bool:
    from ..errors import ExtractError

    return isinstance(error, ExtractError)


def _uses_tls(source: Source) -> bool | None:
    """Whether the driver's own MySQL connection negotiated TLS (mysql-connector prefers it): the tasks do the same."""
    conn: Any = getattr(source, "_conn", None)
    if conn is None:
        return None
    cursor = conn.cursor()
    try:
        cursor.execute("SHOW SESSION STATUS LIKE 'Ssl_cipher'")
        row = cursor.fetchone()
    finally:
        cursor.close()
    value = row[1] if row else None
    return bool(value.decode() if isinstance(value, (bytes, bytearray)) else value)


def _mysql_fetch_rows(source: Source) -> int:
    """The Python job's MySQL rule: no fetch holds more than 128 MiB, each row taken at its longest possible size."""
    from ..sources.base import BATCH_ROWS
    from ..sources.mysql import FETCH_BYTES as MYSQL_FETCH_BYTES

    octets: list[int] = list(getattr(source, "_octets", []))  # sources/mysql.py's declared sizes per column
    return max(1, min(BATCH_ROWS, MYSQL_FETCH_BYTES // max(sum(octets), 1)))
