"""On the executor: a task's batch of source text back into the Python job's Arrow types, by its rules.

The Python job reads PostgreSQL's binary COPY into Arrow in C (or, without its extension, COPY's
text with pyarrow's CSV reader) and casts MySQL's text protocol with `_cast_text` (sources/mysql.py);
here every value arrives as text in Arrow strings, and:

- MySQL: `_cast_text` itself, and on failure the Python job's own value-by-value fallback and
  rejects (a zero date under `quarantine` or `coerce`), or its error under `fail`;
- PostgreSQL: pyarrow's casts, which parse numbers, decimals, dates and timestamps (an offset
  included) as the CSV reader does, with the two forms casts lack spelled out: `t`/`f` booleans,
  and times of day, read as a timestamp on 1970-01-01 (so `24:00:00` fails, as it fails the Python
  job). `NaN` in a `numeric(p,s)` is set aside under `quarantine`/`coerce` (the Python job's
  `_decimal`), dates and timestamps out of range are set aside or coerced by its `DateRange`, and
  a value a guard replaced (`24:00:00`) is recorded with what was done to it (`Guard.action`).

The conformance suite (tests/spark) holds both engines to the same values, type by type.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from ..columns import SourceColumn
from ..errors import UnrepresentableValueError
from ..quarantine import Rejects
from .projection import ColumnRead

Found = tuple[SourceColumn, list[int], list[str], str, list[str]]
"""Values set aside in one column of a batch: the column, rows, texts, reason and what was done to each."""


def convert(
    engine: str, table: str, reads: Sequence[ColumnRead], batch: pa.RecordBatch, rejects: Rejects
) -> pa.RecordBatch:
    """The batch's columns `c0…` (and `r0…`) as the table's columns, in the Python job's schema."""
    columns = [read.column for read in reads]
    schema = pa.schema([pa.field(c.name, c.arrow_type, c.nullable) for c in columns])
    arrays: list[pa.Array] = []
    pending: list[Found] = []
    for i, read in enumerate(reads):
        raw = batch.column(f"c{i}")
        if read.arrives == "bytes":
            arrays.append(raw.cast(pa.binary()))
        elif read.arrives == "double":
            arrays.append(raw.cast(pa.float64()).cast(read.column.arrow_type))
        elif engine == "postgres" and read.array is not None:
            lists, entries = _postgres_array(table, read, raw)
            arrays.append(lists)
            for entry in entries:
                pending.append((read.column, [entry.row], [entry.text], entry.reason, [entry.action]))
        elif engine == "postgres" and read.date_range is not None:
            array, (rows, texts, actions) = _postgres_dates(table, columns, read, raw)
            arrays.append(array)
            if rows:
                pending.append((read.column, rows, texts, read.date_range.reason, actions))
        elif engine == "postgres":
            array, rejected = _postgres_text(table, columns, read, raw)
            arrays.append(array)
            if rejected:
                texts = ["NaN"] * len(rejected)
                reason = f"NaN has no form in a {read.column.source_type}"
                pending.append((read.column, rejected, texts, reason, ["set to NULL"] * len(rejected)))
        else:
            array, found = _mysql_text(table, read, raw)
            arrays.append(array)
            if found:
                pending.append(_mysql_rejects(read, found))
    finished = pa.RecordBatch.from_arrays(arrays, schema=schema)
    for column, rows, values, reason, actions in pending:
        rejects.add(finished, rows, column, values, reason, actions)
    guarded = [read for read in reads if read.guard is not None]
    for i, read in enumerate(guarded):
        texts = batch.column(f"r{i}")
        if texts.null_count == len(texts):
            continue
        found = [(row, text) for row, text in enumerate(texts.to_pylist()) if text is not None]
        values = [text for _, text in found]
        guard = read.guard
        rows = [row for row, _ in found]
        rejects.add(finished, rows, guard.column, values, guard.reason, [guard.action(v) for v in values])
    return finished


def _postgres_text(
    table: str, columns: list[SourceColumn], read: ColumnRead, texts: pa.Array
) -> tuple[pa.Array, list[int]]:
    from ..sources.postgres_copy import raise_unrepresentable

    column = read.column
    target = column.arrow_type
    texts = texts.cast(pa.string())
    nan_rows: list[int] = []
    try:
        if pa.types.is_string(target):
            return texts, []
        if pa.types.is_boolean(target):
            return pc.equal(texts, "t"), []
        if pa.types.is_time64(target):
            stamped = pc.binary_join_element_wise("1970-01-01 ", texts, "")
            return pc.cast(pc.cast(stamped, pa.timestamp("us")), target), []
        if pa.types.is_decimal(target) and read.policy != "fail":
            nan = pc.equal(texts, "NaN")
            if pc.any(nan).as_py():
                nan_rows = pc.indices_nonzero(pc.fill_null(nan, False)).to_pylist()
                texts = pc.if_else(nan, pa.scalar(None, pa.string()), texts)
        return pc.cast(texts, target), nan_rows
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
        raise_unrepresentable(table, columns, pa.ArrowInvalid(str(error)), column)


def _postgres_dates(
    table: str, columns: list[SourceColumn], read: ColumnRead, texts: pa.Array
) -> tuple[pa.Array, tuple[list[int], list[str], list[str]]]:
    """Dates and timestamps under `quarantine` or `coerce`, by the Python job's own DateRange."""
    from ..sources.postgres_copy import raise_unrepresentable

    policy: Any = read.policy
    try:
        return read.date_range.cast(texts.cast(pa.string()), read.column.arrow_type, policy)  # type: ignore[no-any-return]
    except pa.ArrowInvalid as error:
        raise_unrepresentable(table, columns, error, read.column)


def _postgres_array(table: str, read: ColumnRead, texts: pa.Array) -> tuple[pa.Array, list[Any]]:
    """PostgreSQL's array text as lists, by the Python job's own ArrayColumn (sources/postgres_arrays.py)."""
    from ..sources.postgres_arrays import ArrayColumn

    policy: Any = read.policy
    return ArrayColumn(table, read.column, read.array, policy).convert(texts.cast(pa.string()))


def _mysql_text(table: str, read: ColumnRead, texts: pa.Array) -> tuple[pa.Array, list[tuple[int, str]]]:
    """The Python job's MySQLSource._convert, on text that arrived as Arrow strings."""
    from ..sources.mysql import _cast_text

    column = read.column
    target = column.arrow_type
    text = texts.cast(pa.string())
    try:
        return _cast_text(text, target), []
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
        if read.policy != "fail":
            return _mysql_each(text, target)
        raise UnrepresentableValueError(
            f"table {table}, column {column.name} ({column.source_type}): a value cannot be written "
            f"exactly as {target}: {error}. Nothing was landed for this run; fix or exclude the value at "
            "the source, change the column's type, or set the table's `unrepresentable` policy to "
            "quarantine or coerce."
        ) from None


def _mysql_each(text: pa.Array, target: pa.DataType) -> tuple[pa.Array, list[tuple[int, str]]]:
    """Value by value, for the rare batch holding a value the type has no form for (a zero date)."""
    from ..sources.mysql import _cast_text

    kept: list[object] = []
    rejected: list[tuple[int, str]] = []
    for row, value in enumerate(text.to_pylist()):
        try:
            kept.append(None if value is None else _cast_text(pa.array([value]), target)[0].as_py())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            kept.append(None)
            rejected.append((row, value))
    return pa.array(kept, type=target), rejected


def _mysql_rejects(read: ColumnRead, found: list[tuple[int, str]]) -> Found:
    """As MySQLSource._reject records them."""
    column = read.column
    action = "set to NULL" if read.policy == "quarantine" else "set to NULL (MySQL's own reading of a zero date)"
    reason = f"no {column.arrow_type} form (MySQL zero dates and zero month or day parts have none)"
    rows, values = [row for row, _ in found], [value for _, value in found]
    return column, rows, values, reason, [action] * len(rows)
