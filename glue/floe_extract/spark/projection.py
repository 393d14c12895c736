"""What each task selects: every column as the source's own text, except where the driver's value is exact.

Spark's JDBC type mapping loses values floe keeps (numerics past 38 digits or unbounded, a
timestamptz's instant before 1900 through the JVM's calendar, BIGINT UNSIGNED's top half, MySQL's
zero dates and `tinyint(1)`'s -128, PostgreSQL's infinity, arrays and JSON). So a task selects each
value as the text the Python job reads (PostgreSQL's output function, as COPY prints it; MySQL's
text protocol form) and the executor converts it by the Python job's rules (convert.py). Three
kinds arrive as themselves, exact by construction:

- bytes (`bytea`; MySQL's binary strings and blobs, and `BIT` as its bytes): JDBC hands them over as they are;
- MySQL FLOAT and DOUBLE, read as DOUBLE (as the Python job reads them): JDBC parses the server's
  shortest exact text into the same double pyarrow would.

PostgreSQL's `::text` is the output function except for the few types with a cast function to
text of their own (`boolean` prints `true`, `char(n)` loses its padding, `inet` gains `/32`), which
the catalog lists (sources/postgres.py reads it); those go through `format('%s', …)`, which calls the
output function. Under `quarantine` or `coerce`, dates and timestamps no destination holds are
found in their text after the read, and `24:00:00` by a guard in the SELECT with the value it
replaced beside it as text: both the Python job's own rules (sources/postgres.py: DateRange, _guard).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import pyarrow as pa

from ..columns import SourceColumn
from ..quarantine import Rejects
from ..sources import Source

Arrival = Literal["text", "bytes", "double"]

@dataclass(frozen=True)
class ColumnRead:
    """One column of the table as a task selects it and the executor turns it back into the column's Arrow type."""

    column: SourceColumn
    expression: str
    arrives: Arrival
    policy: str
    guard: Any = None
    """PostgreSQL's Guard (sources/postgres.py) when the column's unrepresentable values are replaced in SQL."""
    date_range: Any = None
    """PostgreSQL's DateRange (sources/postgres.py) of a date or timestamp column under quarantine or coerce."""
    array: Any = None
    """PostgreSQL's ArrayShape (sources/postgres_arrays.py) of an array column: its text becomes lists."""


def identifier(engine: str, name: str) -> str:
    """A quoted identifier for JDBC query text (no driver placeholders to escape)."""
    if engine == "postgres":
        return '"' + name.replace('"', '""') + '"'
    return "`" + name.replace("`", "``") + "`"


def table_reference(engine: str, source: Source) -> str:
    table = source.table
    if table.schema:
        return f"{identifier(engine, table.schema)}.{identifier(engine, table.name)}"
    return identifier(engine, table.name)


def column_reads(engine: str, source: Source, rejects: Rejects) -> list[ColumnRead]:
    """How each of the source's columns is selected, in the table's column order."""
    if engine == "postgres":
        return _postgres_reads(source, rejects)
    return [_mysql_read(column, rejects.policy_for(column)) for column in source.columns]


def _postgres_reads(source: Source, rejects: Rejects) -> list[ColumnRead]:
    from ..sources.postgres import DateRange, _guard

    own_cast = _text_cast_functions(source)
    shapes: dict[int, Any] = dict(getattr(source, "_array_shapes", {}))  # the source's array columns, by index
    reads = []
    for index, column in enumerate(source.columns):
        quoted = identifier("postgres", column.name)
        policy = rejects.policy_for(column)
        guard = _guard(column, quoted, policy) if policy != "fail" else None
        if index in shapes:
            # An array's text (array_out: no cast function of its own) becomes lists as the Python job's do.
            reads.append(ColumnRead(column, f"{quoted}::text", "text", policy, array=shapes[index]))
        elif pa.types.is_binary(column.arrow_type):
            reads.append(ColumnRead(column, quoted, "bytes", policy))
        elif guard is not None:
            reads.append(ColumnRead(column, f"({guard.select(quoted)})::text", "text", policy, guard))
        elif column.name in own_cast:
            reads.append(ColumnRead(column, f"CASE WHEN {quoted} IS NULL THEN NULL ELSE format('%s', {quoted}) END",
                                    "text", policy))
        else:
            date_range = DateRange.of(column) if policy != "fail" else None
            reads.append(ColumnRead(column, f"{quoted}::text", "text", policy, date_range=date_range))
    return reads


def _text_cast_functions(source: Source) -> set[str]:
    """Columns whose (base) type casts to text by a function of its own, from the source's catalog read."""
    return set(getattr(source, "text_cast_functions", set()))


def _mysql_read(column: SourceColumn, policy: str) -> ColumnRead:
    quoted = identifier("mysql", column.name)
    if column.kind == "float":
        return ColumnRead(column, f"CAST({quoted} AS DOUBLE)", "double", policy)
    if pa.types.is_binary(column.arrow_type):
        if column.source_type.startswith("bit"):
            # Spark maps BIT(1) to a boolean and BIT(n) to a number: its bytes, as the text protocol sends them.
            return ColumnRead(column, f"CAST({quoted} AS BINARY)", "bytes", policy)
        return ColumnRead(column, quoted, "bytes", policy)
    return ColumnRead(column, f"CAST({quoted} AS CHAR)", "text", policy)
