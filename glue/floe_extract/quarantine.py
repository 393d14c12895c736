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
from .errors import JobArgumentError

Policy = Literal["quarantine", "fail", "coerce"]
POLICIES: tuple[Policy, ...] = ("quarantine", "fail", "coerce")

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
