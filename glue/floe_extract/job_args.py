"""The job's arguments: the stable interface the TypeScript side (start-ingest) calls.

Glue passes arguments as `--name value` pairs and adds its own (`--JOB_ID`,
`--TempDir`, ...), so unknown arguments are ignored. When awsglue is importable
(on Glue) its `getResolvedOptions` reads them; elsewhere argparse does the same.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Literal, cast

from .errors import JobArgumentError
from .quarantine import ValuePolicy
from .retry import RetryPolicy

Engine = Literal["postgres", "mysql"]
Mode = Literal["full", "incremental"]

ARGUMENT_NAMES = (
    "run-id",
    "engine",
    "database",
    "connection",
    "table",
    "primary-key",
    "mode",
    "incremental-column",
    "watermark",
    "lookback-seconds",
    "partition-column",
    "partitions",
    "raw-root",
    "target-file-mb",
    "run-time",
    "retry-attempts",
    "retry-backoff-seconds",
    "retry-max-backoff-seconds",
    "unrepresentable",
    "unrepresentable-columns",
    "keys",
)
REQUIRED = ("run-id", "engine", "database", "connection", "table", "raw-root")

# Each partition is read on its own thread over its own source connection. 64 stays below the
# default connection limits of PostgreSQL (max_connections 100) and MySQL/MariaDB (151), so one table
# at the cap cannot take a default server's every connection; past a few dozen concurrent range
# scans one source's disks, not the reader, set the pace. Tables that need more use the Spark engine.
# config/schema.ts refuses the same number when the config is loaded; a test compares the two.
MAX_PARTITIONS = 64

# Run ids and logical database names become path segments and file names.
SAFE_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.=-]{0,127}$")


@dataclass(frozen=True)
class JobArgs:
    """Everything one extraction needs; the job reads no other configuration."""

    run_id: str
    engine: Engine
    database: str
    connection: str
    table: str
    primary_key: tuple[str, ...]
    mode: Mode
    incremental_column: str | None
    watermark: str | None
    lookback_seconds: int
    partition_column: str | None
    partitions: int
    raw_root: str
    target_file_bytes: int
    run_time: datetime
    retry: RetryPolicy
    values: ValuePolicy
    keys: tuple[tuple[str | None, ...], ...] | None = None
    """A repair run's window (`floe check --repair`): only the rows with these primary keys, one text
    per key column, are read, whatever the watermark. None reads the mode's usual window."""

    @property
    def table_name(self) -> str:
        """The table without its schema: the `{table}` segment of the raw layout."""
        return self.table.split(".", 1)[-1]


def _read_raw(argv: Sequence[str]) -> dict[str, str]:
    present = [name for name in ARGUMENT_NAMES if f"--{name}" in argv]
    try:
        from awsglue.utils import getResolvedOptions
    except ImportError:
        parser = argparse.ArgumentParser(prog="extract.py", add_help=False)
        for name in ARGUMENT_NAMES:
            parser.add_argument(f"--{name}", dest=name)
        known, _unknown = parser.parse_known_args(list(argv))
        return {k: v for k, v in vars(known).items() if v is not None}
    # Glue's function skips argv[0] like sys.argv's script name, and argparse names the results with underscores.
    resolved = getResolvedOptions(["extract.py", *argv], present)
    return {name: resolved[name.replace("-", "_")] for name in present}


def _positive_int(raw: dict[str, str], name: str, default: int, minimum: int) -> int:
    text = raw.get(name)
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError:
        raise JobArgumentError(f"--{name} must be an integer, got {text!r}") from None
    if value < minimum:
        raise JobArgumentError(f"--{name} must be at least {minimum}, got {value}")
    return value


def _seconds(raw: dict[str, str], name: str, default: float) -> float:
    text = raw.get(name)
    if text is None or text == "":
        return default
    try:
        value = float(text)
    except ValueError:
        raise JobArgumentError(f"--{name} must be a number of seconds, got {text!r}") from None
    if not value >= 0 or value == float("inf"):
        raise JobArgumentError(f"--{name} must be a finite number of seconds, at least 0, got {text!r}")
    return value


def _keys(raw: dict[str, str], table: str, primary_key: tuple[str, ...]) -> tuple[tuple[str | None, ...], ...] | None:
    """`--keys`: a JSON array of keys, each an array with one text (or null) per primary-key column."""
    text = raw.get("keys")
    if text is None:
        return None
    if not primary_key:
        raise JobArgumentError(f"table {table}: --keys needs --primary-key")
    try:
        keys = json.loads(text)
    except ValueError:
        raise JobArgumentError(f"table {table}: --keys must be a JSON array of keys, got {text[:80]!r}") from None
    if not isinstance(keys, list) or not keys:
        raise JobArgumentError(f"table {table}: --keys must be a non-empty JSON array of keys")
    parsed: list[tuple[str | None, ...]] = []
    for key in keys:
        if (
            not isinstance(key, list)
            or len(key) != len(primary_key)
            or not all(value is None or isinstance(value, str) for value in key)
        ):
            raise JobArgumentError(
                f"table {table}: each of --keys must be an array of {len(primary_key)} text(s) or nulls, "
                f"one per primary-key column ({', '.join(primary_key)}), got {json.dumps(key)[:80]}"
            )
        parsed.append(tuple(key))
    return tuple(parsed)


def _retry_policy(raw: dict[str, str]) -> RetryPolicy:
    default = RetryPolicy()
    policy = RetryPolicy(
        attempts=_positive_int(raw, "retry-attempts", default.attempts, 1),
        backoff_seconds=_seconds(raw, "retry-backoff-seconds", default.backoff_seconds),
        max_backoff_seconds=_seconds(raw, "retry-max-backoff-seconds", default.max_backoff_seconds),
    )
    if policy.max_backoff_seconds < policy.backoff_seconds:
        raise JobArgumentError(
            f"--retry-max-backoff-seconds {policy.max_backoff_seconds:g} is below "
            f"--retry-backoff-seconds {policy.backoff_seconds:g}; the cap must be at least the first wait"
        )
    return policy


@dataclass(frozen=True)
class RunIdentity:
    """Enough of the arguments to place the run's log, even when the rest are wrong."""

    run_id: str
    engine: str
    database: str
    table: str
    raw_root: str
    run_time: datetime


def read_identity(argv: Sequence[str]) -> RunIdentity | None:
    raw = _read_raw(argv)
    try:
        run_time = datetime.fromisoformat(raw["run-time"].replace("Z", "+00:00")) if "run-time" in raw else None
    except ValueError:
        run_time = None
    if run_time is None or run_time.tzinfo is None:
        run_time = datetime.now(timezone.utc)
    values = [raw.get(name, "") for name in ("run-id", "engine", "database", "table", "raw-root")]
    if not all(values) or values[1] not in ("postgres", "mysql") or "/" in values[3]:
        return None
    if not SAFE_SEGMENT.match(values[0]) or not SAFE_SEGMENT.match(values[2]):
        return None
    run_id, engine, database, table, raw_root = values
    return RunIdentity(
        run_id=run_id,
        engine=engine,
        database=database,
        table=table,
        raw_root=raw_root,
        run_time=run_time.astimezone(timezone.utc),
    )


def parse_job_args(argv: Sequence[str], max_partitions: int = MAX_PARTITIONS) -> JobArgs:
    """Parse and cross-check the job's arguments; raise JobArgumentError naming the argument at fault.

    `max_partitions` is the engine's cap on `--partitions`: the Python job's connections and threads
    (MAX_PARTITIONS), or the Spark job's ranges, which its executors' cores read a few at a time.
    """
    raw = {k: v for k, v in _read_raw(argv).items() if v != ""}
    missing = [f"--{name}" for name in REQUIRED if name not in raw]
    if missing:
        raise JobArgumentError(f"missing required argument(s): {', '.join(missing)}")

    engine = raw["engine"]
    if engine not in ("postgres", "mysql"):
        raise JobArgumentError(f"--engine must be postgres or mysql, got {engine!r}")
    mode = raw.get("mode", "full")
    if mode not in ("full", "incremental"):
        raise JobArgumentError(f"--mode must be full or incremental, got {mode!r}")
    for name in ("run-id", "database"):
        if not SAFE_SEGMENT.match(raw[name]):
            raise JobArgumentError(
                f"--{name} {raw[name]!r} must start with a letter or digit and contain only "
                "letters, digits and _ . = - (it becomes part of file paths)"
            )
    table = raw["table"]
    if not table or table.startswith(".") or table.endswith(".") or "/" in table:
        raise JobArgumentError(f"--table {table!r} must be 'table' or 'schema.table'")

    incremental_column = raw.get("incremental-column")
    if mode == "incremental" and not incremental_column:
        raise JobArgumentError(f"table {table}: --mode incremental needs --incremental-column")
    watermark = raw.get("watermark")
    if mode == "full" and watermark is not None:
        raise JobArgumentError(f"table {table}: --watermark only applies to --mode incremental")

    primary_key = tuple(c.strip() for c in raw.get("primary-key", "").split(",") if c.strip())
    keys = _keys(raw, table, primary_key)
    if keys is not None and mode != "full":
        raise JobArgumentError(f"table {table}: --keys reads the given keys whatever the watermark; use --mode full")
    partitions = _positive_int(raw, "partitions", 1, 1)
    partition_column = raw.get("partition-column")
    if partitions > max_partitions:
        why = (
            "each partition holds a source connection and a thread; tables that need more use the Spark engine"
            if max_partitions == MAX_PARTITIONS
            else "the ranges the Spark job reads"
        )
        raise JobArgumentError(f"table {table}: --partitions {partitions} is more than {max_partitions} ({why})")
    if partitions > 1 and not partition_column:
        raise JobArgumentError(f"table {table}: --partitions {partitions} needs --partition-column")

    run_time = datetime.now(timezone.utc)
    if "run-time" in raw:
        try:
            run_time = datetime.fromisoformat(raw["run-time"].replace("Z", "+00:00"))
        except ValueError:
            raise JobArgumentError(f"--run-time must be an ISO-8601 instant, got {raw['run-time']!r}") from None
        if run_time.tzinfo is None:
            raise JobArgumentError(f"--run-time must carry a time zone, got {raw['run-time']!r}")
        run_time = run_time.astimezone(timezone.utc)

    return JobArgs(
        run_id=raw["run-id"],
        engine=cast(Engine, engine),  # checked against the two engines above
        database=raw["database"],
        connection=raw["connection"],
        table=table,
        primary_key=primary_key,
        mode=cast(Mode, mode),  # checked against the two modes above
        incremental_column=incremental_column,
        watermark=watermark,
        lookback_seconds=_positive_int(raw, "lookback-seconds", 0, 0),
        partition_column=partition_column,
        partitions=partitions,
        raw_root=raw["raw-root"],
        target_file_bytes=_positive_int(raw, "target-file-mb", 128, 1) * 1024 * 1024,
        run_time=run_time,
        retry=_retry_policy(raw),
        values=ValuePolicy.parse(raw.get("unrepresentable"), raw.get("unrepresentable-columns")),
        keys=keys,
    )
