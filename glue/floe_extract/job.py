"""One extraction run: (arguments) → Parquet files + a manifest, and nothing else.

The job reads no configuration store and commits no state: the caller passes
the watermark in and reads the new one from the manifest. The manifest is
written last, so its presence means every file it lists is complete; a failed
run writes none and takes back the data files it landed (see `discard`), and a
rerun with the same run id overwrites its files.
"""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait
from datetime import datetime, timezone
from typing import Any

import pyarrow as pa

from . import __version__
from .arrow_compute import largest
from .columns import ORDERED_KINDS, SPLITTABLE_KINDS, TEMPORAL_KINDS, SourceColumn
from .connection import Redactor, resolve_connection
from .errors import JobArgumentError, SourceSchemaError, StorageError
from .fault import fault_point
from .job_args import JobArgs
from .layout import data_key, manifest_key
from .parquet_sink import LandedFile, PartWriter, land_table
from .quarantine import Rejects
from .read_plan import EVERYTHING, KeyWindow, Part, Predicate, Window, describe_parts, split_parts
from .run_log import Progress, RunLog
from .size_estimate import SizeEstimate, estimate_size
from .sources import Source, open_source
from .storage import LocalStorage, S3Storage


def _column(source: Source, name: str, role: str) -> SourceColumn:
    for column in source.columns:
        if column.name == name:
            return column
    known = ", ".join(c.name for c in source.columns)
    raise SourceSchemaError(f"table {source.table}: {role} {name!r} is not a column (columns: {known})")


def _check_columns(args: JobArgs, source: Source) -> tuple[SourceColumn | None, SourceColumn | None]:
    for key in args.primary_key:
        _column(source, key, "primary key column")
    incremental = None
    # In full mode an incremental column is optional: its largest value read becomes the watermark,
    # so incremental runs can follow a full reload without reading everything again.
    if args.incremental_column:
        incremental = _column(source, args.incremental_column, "incremental column")
        if incremental.kind not in ORDERED_KINDS:
            raise JobArgumentError(
                f"table {source.table}: incremental column {incremental.name} is {incremental.source_type}; "
                "it must be an integer, decimal(p,s), date or timestamp column"
            )
        if args.lookback_seconds and incremental.kind not in TEMPORAL_KINDS:
            raise JobArgumentError(
                f"table {source.table}: --lookback-seconds applies to date/time incremental columns, "
                f"and {incremental.name} is {incremental.source_type}"
            )
    partition = None
    if args.partition_column:
        partition = _column(source, args.partition_column, "partition column")
        if partition.kind not in SPLITTABLE_KINDS:
            raise JobArgumentError(
                f"table {source.table}: partition column {partition.name} is {partition.source_type}; "
                "it must be an integer, date or timestamp column"
            )
        if args.engine == "mysql" and args.partitions > 1 and partition.name not in args.primary_key:
            # MySQL cannot share one snapshot across connections: a row whose partition value changes
            # between two parts' snapshots could be in neither. Key columns do not move.
            raise JobArgumentError(
                f"table {source.table}: on MySQL the partition column must be a --primary-key column "
                f"(parts read in separate snapshots), and {partition.name} is not"
            )
    return incremental, partition


def _comparable(value: Any) -> Any:
    """Arrow hands back UTC-aware datetimes where a MySQL driver gives naive UTC ones."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


def _max_value(batch: pa.RecordBatch, index: int, current: Any) -> Any:
    value = largest(batch.column(index))
    if value is None:
        return current
    return value if current is None or value > current else current


class ExtractionRun:
    """One attempt of the Python job: every part read on a thread of this process.

    The Spark job (spark/run.py) is this run with `_parts`, `_read_parts` and `discard` replaced:
    the window, the watermark, the rejects and the manifest are decided here for both engines.
    """

    engine_name = "python"
    """The manifest's `extractionEngine`: which job landed the files."""

    def __init__(self, args: JobArgs, storage: LocalStorage | S3Storage, log: RunLog, redactor: Redactor) -> None:
        self.args = args
        self.storage = storage
        self.log = log
        self.redactor = redactor
        self._writers: list[PartWriter] = []
        self._rejects_file: LandedFile | None = None
        self.size: SizeEstimate | None = None
        # Rows the read is expected to give (progress lines' ETA); set once the window is known.
        self.expected_rows: int | None = None

    def execute(self) -> dict[str, Any]:
        """Land the run's files and return its manifest (not yet written); on failure, land nothing."""
        try:
            return self._execute()
        except BaseException:
            self.discard()
            raise

    def discard(self) -> None:
        """Remove every data file this run landed. A run that fails leaves none behind: no manifest will list them.

        Called for a failure anywhere between the first file and the end of the job (a part's read,
        the console gone, the manifest or the log refused by a full disk or by S3).
        """
        landed = [f for w in self._writers for f in w.files]
        self._remove_landed(landed + ([self._rejects_file] if self._rejects_file else []))

    def _execute(self) -> dict[str, Any]:
        args = self.args
        started_at = datetime.now(timezone.utc)
        settings = resolve_connection(args.connection, args.engine, self.redactor)
        self.log.record("start", source=settings.describe(), mode=args.mode, watermark=args.watermark)
        always_fail = [name for name in (args.incremental_column, *args.primary_key) if name]
        rejects = Rejects(args.run_id, args.table, args.values, always_fail, args.primary_key)
        source = open_source(settings, args.table, self.redactor, rejects)
        fault_point("extract:after-connect")
        try:
            incremental, partition = _check_columns(args, source)
            self.size = estimate_size(source, args.engine)
            window, null_rows = self._window(source, incremental)
            where = window.predicate(source.quote) if window else EVERYTHING
            if args.keys is not None:
                # A repair run reads exactly its keys, wherever they are relative to the watermark.
                where = KeyWindow(args.primary_key, args.keys).predicate(source.quote)
            parts = self._parts(source, partition, where)
            keys = None if args.keys is None else len(args.keys)
            window_text = _window_text(source, incremental, window)
            self.log.record("plan", window=window_text, parts=describe_parts(parts), keys=keys)
            self.expected_rows = self._expected_rows(window)
            files, rows, high = self._read_parts(source, parts, where, incremental, rejects)
            new_watermark = args.watermark
            held: dict[str, Any] | None = None
            # A repair run reports no watermark: it read a few keys, not everything up to a point.
            if args.keys is None and incremental is not None and high is not None:
                mark, held = self._watermark_mark(source, incremental, high)
                if mark is not None and not self._before_watermark(source, incremental, mark):
                    new_watermark = source.format_watermark(incremental, mark)
        finally:
            source.close()
        rejects_file = self._land_rejects(rejects)

        manifest = {
            "manifestVersion": 1,
            "runId": args.run_id,
            "engine": args.engine,
            "database": args.database,
            "table": args.table,
            "mode": args.mode,
            "primaryKey": list(args.primary_key),
            "incrementalColumn": incremental.name if incremental else None,
            "partitionColumn": partition.name if partition else None,
            "window": _window_text(source, incremental, window),
            "previousWatermark": args.watermark,
            "newWatermark": new_watermark,
            "openTransactions": source.open_transactions.describe(),
            "watermarkHeld": held,
            "nullIncrementalRows": null_rows,
            "totalRows": rows,
            "files": [f.describe() for f in files],
            "rejects": {
                "rows": rejects.count,
                "byColumn": rejects.by_column(),
                "file": rejects_file.describe() if rejects_file else None,
            },
            **({"keys": [list(key) for key in args.keys]} if args.keys is not None else {}),
            "columns": [c.describe() for c in source.columns],
            "startedAt": started_at.isoformat(),
            "finishedAt": datetime.now(timezone.utc).isoformat(),
            "runTime": args.run_time.isoformat(),
            "extractorVersion": __version__,
            "extractionEngine": self.engine_name,
            "sourceSize": self.size.describe() if self.size else None,
        }
        return manifest

    def _land_rejects(self, rejects: Rejects) -> LandedFile | None:
        if rejects.count == 0:
            return None
        args = self.args
        key = data_key(args.engine, args.database, args.table, args.run_time, args.run_id, "rejects")
        landed = land_table(self.storage, rejects.as_arrow(), key, "rejects")
        self._rejects_file = landed
        counts = ", ".join(f"{name} {n:,}" for name, n in rejects.by_column().items())
        self.log.record("rejects", level="warning", rows=rejects.count, byColumn=rejects.by_column(), path=key)
        self.log.say(f"{args.table}: {rejects.count:,} value(s) no destination holds exactly, set aside ({counts})")
        return landed

    def _watermark_mark(
        self, source: Source, incremental: SourceColumn, high: Any
    ) -> tuple[Any, dict[str, Any] | None]:
        """The value the watermark may move to, and how far it was held back, if it was.

        For a date or time column, the largest value below the open transactions' bound
        (open_transactions.py): a row a still-open transaction stamps can be no earlier, so the next
        run starts where that transaction may still add rows. Other columns move to the largest value read.
        """
        if incremental.kind not in TEMPORAL_KINDS:
            return high, None
        found = source.open_transactions
        table = self.args.table
        if found.unseen != 0:
            seen = "cannot look at open transactions" if found.unseen is None else (
                f"cannot see when {found.unseen} open writing transaction(s) started"
            )
            self.log.record("open-transactions-unseen", level="warning", unseen=found.unseen, privilege=found.privilege)
            self.log.say(
                f"{table}: this role {seen}, so they cannot hold the watermark back and rows they commit later "
                f"may be skipped; grant it {found.privilege} (see the README, incremental runs)"
            )
        mark = source.held_mark(incremental)
        seconds = found.held_seconds
        if seconds is None or (mark is not None and _comparable(mark) >= _comparable(high)):
            return mark, None
        held: dict[str, Any] = {
            "to": None if mark is None else source.format_watermark(incremental, mark),
            "read": source.format_watermark(incremental, high),
            "openSince": found.oldest_start.isoformat() if found.oldest_start else None,
            "seconds": round(seconds, 3),
        }
        self.log.record("watermark-held", **held)
        self.log.say(
            f"{table}: watermark held {seconds:,.0f} s behind an open transaction (open since {held['openSince']}); "
            "the next run reads from there"
        )
        return mark, held

    def _before_watermark(self, source: Source, incremental: SourceColumn, high: Any) -> bool:
        """With a lookback every row read may be older than the watermark: it must never move back."""
        if self.args.watermark is None:
            return False
        return bool(_comparable(high) < _comparable(source.lower_bound(incremental, self.args.watermark, 0)))

    def _remove_landed(self, files: list[LandedFile]) -> None:
        """A failed run leaves no data files behind: no manifest will ever list them."""
        for landed in files:
            try:
                self.storage.delete(landed.key)
            except StorageError as error:
                self.log.record("cleanup-failed", level="warning", path=landed.key, error=error.message)

    def _window(self, source: Source, incremental: SourceColumn | None) -> tuple[Window | None, int | None]:
        if incremental is None or self.args.mode == "full":
            return None, None
        args = self.args
        upper = source.high_mark(incremental)
        lower = None
        if args.watermark is not None:
            lower = source.lower_bound(incremental, args.watermark, args.lookback_seconds)
        nulls = source.count_nulls(incremental)
        if nulls and lower is not None:
            self.log.record("null-incremental-values", level="warning", column=incremental.name, rows=nulls)
            self.log.say(
                f"{args.table}: {nulls:,} rows have NULL {incremental.name}; incremental runs cannot see them "
                "(a full run copies them)"
            )
        return Window(incremental.name, lower, upper), nulls

    def _parts(self, source: Source, partition: SourceColumn | None, where: Predicate) -> list[Part]:
        if partition is None or self.args.partitions <= 1:
            return [Part(0)]
        low, high = source.min_max(partition, where)
        return split_parts(partition.name, low, high, self.args.partitions, source.quote)

    def _expected_rows(self, window: Window | None) -> int | None:
        """What the run will read, for its progress line: a repair's keys, or the catalog's estimate
        when it reads the whole table (a full run, a first incremental one); else unknown."""
        if self.args.keys is not None:
            return len(self.args.keys)
        if window is not None and window.lower is not None:
            return None
        return self.size.rows if self.size else None

    def _read_parts(
        self, source: Source, parts: list[Part], where: Predicate, incremental: SourceColumn | None, rejects: Rejects
    ) -> tuple[list[LandedFile], int, Any]:
        args = self.args
        schema = pa.schema([pa.field(c.name, c.arrow_type, c.nullable) for c in source.columns])
        progress = Progress(self.log, args.table, expected_rows=self.expected_rows)
        incremental_index = source.columns.index(incremental) if incremental else None

        def key_for(part_name: str) -> str:
            return data_key(args.engine, args.database, args.table, args.run_time, args.run_id, part_name)

        cancelled = threading.Event()

        def read_part(part: Part) -> tuple[list[LandedFile], Any]:
            started = time.monotonic()
            writer = PartWriter(self.storage, schema, key_for, part.index, args.target_file_bytes)
            self._writers.append(writer)
            high: Any = None
            try:
                for batch in source.read(where.and_(part.predicate), part.index):
                    if cancelled.is_set():
                        raise PartCancelled(part.index)
                    batch = rejects.set_aside_oversized(batch, source.columns)
                    writer.write(batch)
                    if incremental_index is not None:
                        high = _max_value(batch, incremental_index, high)
                    progress.add(batch.num_rows)
                files = writer.finish()
            except BaseException:
                cancelled.set()  # the other parts stop at their next batch
                writer.abort()
                raise
            rows = sum(f.rows for f in files)
            self.log.record(
                "part", part=part.index, rows=rows, files=len(files), seconds=round(time.monotonic() - started, 3)
            )
            return files, high

        if len(parts) == 1:
            results = [read_part(parts[0])]
        else:
            with ThreadPoolExecutor(max_workers=len(parts), thread_name_prefix="part") as pool:
                futures = [pool.submit(read_part, part) for part in parts]
                wait(futures)
            errors = [f.exception() for f in futures if f.exception() is not None]
            if errors:
                raise next((e for e in errors if not isinstance(e, PartCancelled)), errors[0])  # type: ignore[misc]
            results = [f.result() for f in futures]
        files = [f for part_files, _ in results for f in part_files]
        highs = [h for _, h in results if h is not None]
        rows = sum(f.rows for f in files)
        seconds = progress.elapsed
        self.log.record("totals", rows=rows, files=len(files), seconds=round(seconds, 3))
        self.log.say(
            f"{args.table}: {rows:,} rows in {len(files)} file(s), {seconds:.1f} s, "
            f"{rows / max(seconds, 1e-9):,.0f} rows/s"
        )
        return files, rows, max(highs) if highs else None


class PartCancelled(Exception):
    """A part stopped because another part failed; the other part's error is the one reported."""


def _window_text(source: Source, incremental: SourceColumn | None, window: Window | None) -> dict[str, Any] | None:
    if incremental is None or window is None:
        return None

    def fmt(value: Any) -> str | None:
        return None if value is None else source.format_watermark(incremental, value)

    return {"column": window.column, "from": fmt(window.lower), "to": fmt(window.upper), "fromExclusive": True}


def write_manifest(storage: LocalStorage | S3Storage, manifest: dict[str, Any]) -> str:
    key = manifest_key(str(manifest["runId"]))
    storage.put_text(key, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    return storage.url(key)

