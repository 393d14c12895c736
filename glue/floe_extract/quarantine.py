"""Values no destination can hold exactly, and what the run does with each.

A PostgreSQL `infinity` date, a `NaN` in a `numeric(p,s)`, a MySQL zero date: Arrow and the
warehouses have no exact form for them. The table's policy says what happens, per column:

- `fail`: the run fails, naming table, column, type and value; nothing lands.
- `quarantine`: the value lands as NULL, and a reject records it.
- `coerce`: the value lands as the documented nearest value (`coerced_to`), and a reject records it.

Never silently: every quarantined or coerced value is a row of the run's rejects file (run id,
primary key, column, the value as the source printed it, the reason, what was done), which floe
loads into the warehouse next to the raw table. Primary-key and incremental columns always fail:
a row without its key cannot be merged, and a watermark cannot be NULL.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import pyarrow as pa

from .columns import SourceColumn
from .errors import JobArgumentError, UnrepresentableValueError

Policy = Literal["quarantine", "fail", "coerce"]
POLICIES: tuple[Policy, ...] = ("quarantine", "fail", "coerce")

# The longest value Snowflake holds: 134,217,728 bytes in a VARCHAR (and a VARIANT), 67,108,864 in
# a BINARY (https://docs.snowflake.com/en/sql-reference/data-types-text). DuckDB holds more; a longer
# value is one not every destination holds.
TEXT_LIMIT_BYTES = 134_217_728
BINARY_LIMIT_BYTES = 67_108_864
# How much of an oversized value its reject keeps: enough to find it at the source.
OVERSIZED_PREFIX_BYTES = 64

REJECTS_SCHEMA = pa.schema(
    [
        pa.field("run_id", pa.string(), False),
        pa.field("primary_key", pa.string(), False),
        pa.field("column_name", pa.string(), False),
        pa.field("source_value", pa.string(), False),
        pa.field("reason", pa.string(), False),
        pa.field("action", pa.string(), False),
    ]
)


@dataclass(frozen=True)
class ValuePolicy:
    """The table's policy and its per-column exceptions."""

    default: Policy = "fail"
    columns: Mapping[str, Policy] = field(default_factory=dict)

    @classmethod
    def parse(cls, default: str | None, columns_json: str | None) -> ValuePolicy:
        """From the job arguments. Run by hand without them the job fails on such a value;
        floe always passes the table's policy (`quarantine` unless configured)."""
        policy = _policy("--unrepresentable", default or "fail")
        columns: dict[str, Policy] = {}
        if columns_json:
            try:
                parsed = json.loads(columns_json)
            except json.JSONDecodeError as error:
                raise JobArgumentError(f"--unrepresentable-columns is not JSON: {error.msg}") from None
            if not isinstance(parsed, dict):
                raise JobArgumentError("--unrepresentable-columns must be a JSON object of column → policy")
            for name, value in parsed.items():
                columns[str(name)] = _policy(f"--unrepresentable-columns column {name!r}", value)
        return cls(policy, columns)

    def for_column(self, name: str) -> Policy:
        return self.columns.get(name, self.default)


def _policy(what: str, value: object) -> Policy:
    if value not in POLICIES:
        raise JobArgumentError(f"{what} must be one of {', '.join(POLICIES)}, got {value!r}")
    return value


class Rejects:
    """The run's rejected values, from every part (parts read in threads)."""

    def __init__(self, run_id: str, table: str, policy: ValuePolicy, always_fail: Sequence[str], key: Sequence[str]):
        self.run_id = run_id
        self.table = table
        self._policy = policy
        self._always_fail = set(always_fail)
        self._key = list(key)
        self._lock = threading.Lock()
        self._rows: list[tuple[str, str, str, str, str, str]] = []

    def policy_for(self, column: SourceColumn) -> Policy:
        if column.name in self._always_fail:
            return "fail"
        return self._policy.for_column(column.name)

    def add(
        self, batch: pa.RecordBatch, rows: Sequence[int], column: SourceColumn, values: Sequence[str], reason: str,
        actions: Sequence[str],
    ) -> None:
        """Record rejected values: row `rows[i]` of `batch` held `values[i]` in `column`, and got `actions[i]`."""
        keys = [_key_text(batch, self._key, row) for row in rows]
        with self._lock:
            for key, value, action in zip(keys, values, actions):
                self._rows.append((self.run_id, key, column.name, value, reason, action))

    def set_aside_oversized(self, batch: pa.RecordBatch, columns: Sequence[SourceColumn]) -> pa.RecordBatch:
        """The batch with every value longer than a destination holds set aside by its column's policy.

        Such a value lands as NULL, and its reject keeps its first bytes and its length; under `fail`
        the run fails naming the table, column and key. A column whose values hold no more bytes in all
        than the limit has none too long; any other has its lengths compared in bulk, one pass over
        its offsets.
        """
        arrays = list(batch.columns)
        changed = False
        for index, column in enumerate(columns):
            array = arrays[index]
            limit = _limit_bytes(array.type)
            # nbytes counts the values' bytes (and their offsets): no value is longer than all of them.
            if limit is None or array.null_count == len(array) or array.nbytes <= limit:
                continue
            import pyarrow.compute as pc  # here: only a batch this large pays its import (arrow_compute.py)

            lengths = pc.binary_length(array)
            if pc.max(lengths).as_py() <= limit:
                continue
            over = pc.fill_null(pc.greater(lengths, limit), False)
            rows = [i for i, flag in enumerate(over.to_pylist()) if flag]
            sizes = [lengths[i].as_py() for i in rows]
            if self.policy_for(column) == "fail":
                raise UnrepresentableValueError(
                    f"table {self.table}, column {column.name} ({column.source_type}): the value of key "
                    f"{_key_text(batch, self._key, rows[0])} is {sizes[0]:,} bytes, longer than Snowflake holds "
                    f"({limit:,}). Nothing was landed for this run; shorten it at the source, or set the "
                    "table's `unrepresentable` policy to quarantine or coerce."
                )
            values = [_prefix(array[i].as_py(), size) for i, size in zip(rows, sizes)]
            kind = "BINARY" if limit == BINARY_LIMIT_BYTES else "VARCHAR"
            reason = f"longer than the {limit:,} bytes Snowflake holds in a {kind}"
            self.add(batch, rows, column, values, reason, ["set to NULL"] * len(rows))
            arrays[index] = pc.if_else(over, pa.scalar(None, array.type), array)
            changed = True
        return pa.RecordBatch.from_arrays(arrays, schema=batch.schema) if changed else batch

    def rows(self) -> list[tuple[str, str, str, str, str, str]]:
        """The recorded rejects, in REJECTS_SCHEMA's column order: what another process's run merges with `extend`."""
        with self._lock:
            return list(self._rows)

    def extend(self, rows: Sequence[Sequence[str]]) -> None:
        """Add rejects recorded elsewhere (a Spark task's, on an executor) to this run's."""
        with self._lock:
            self._rows.extend((r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows)

    @property
    def count(self) -> int:
        with self._lock:
            return len(self._rows)

    def by_column(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        with self._lock:
            for row in self._rows:
                counts[row[2]] = counts.get(row[2], 0) + 1
        return counts

    def as_arrow(self) -> pa.Table:
        with self._lock:
            columns = list(zip(*self._rows)) if self._rows else [()] * len(REJECTS_SCHEMA)
        return pa.table([pa.array(list(values), pa.string()) for values in columns], schema=REJECTS_SCHEMA)


def _key_text(batch: pa.RecordBatch, key: Sequence[str], row: int) -> str:
    """The row's primary key as a JSON object of text values (every key type prints exactly as text)."""
    values = {}
    for name in key:
        value = batch.column(batch.schema.get_field_index(name))[row].as_py()
        values[name] = None if value is None else value.hex() if isinstance(value, bytes) else str(value)
    return json.dumps(values, ensure_ascii=False, sort_keys=False)


def _limit_bytes(arrow_type: pa.DataType) -> int | None:
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return TEXT_LIMIT_BYTES
    if pa.types.is_binary(arrow_type) or pa.types.is_large_binary(arrow_type):
        return BINARY_LIMIT_BYTES
    return None


def _prefix(value: str | bytes, size: int) -> str:
    """The first bytes of an oversized value and its length, as its reject records it."""
    if isinstance(value, bytes):
        return f"\\x{value[:OVERSIZED_PREFIX_BYTES].hex()}… ({size:,} bytes)"
    return f"{value.encode()[:OVERSIZED_PREFIX_BYTES].decode(errors='ignore')}… ({size:,} bytes)"
