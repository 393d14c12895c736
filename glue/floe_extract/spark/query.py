"""One task's query: its part's rows, selected as projection.py says, and the source's count of them.

```sql
SELECT d.c0, …, d.r0, …, d.floe_row, c.floe_rows, 3 AS floe_part
FROM (SELECT count(*) AS floe_rows FROM t WHERE <window> AND <part>) c
LEFT JOIN (SELECT <c0>, …, 1 AS floe_row FROM t WHERE <window> AND <part>) d ON 1 = 1
```

The count and the rows come from one statement, so from one snapshot on either engine: the rows a
task lands must add up to the count the source gave in the same snapshot, or the run fails (the
Python job's rule, with COPY's own count on PostgreSQL). A part with no rows still returns one row,
its count 0 and `floe_row` NULL, so an empty part is known from the source, never inferred. The
count costs a second pass over the part's range (an index-only scan where the partition column has
an index); it is computed before the first row is sent, and the rows then stream (PostgreSQL's
nested loop, MySQL's join of a one-row table: no temporary table of the part's rows).

Columns are renamed `c0…` (and `r0…` for the values PostgreSQL's guards replaced), so that the names
Spark quotes are plain whatever the source's are.
"""

from __future__ import annotations

from ..read_plan import Predicate
from .literals import inline
from .projection import ColumnRead, identifier

ROW_MARKER = "floe_row"
COUNT_COLUMN = "floe_rows"
PART_COLUMN = "floe_part"


def part_query(engine: str, table: str, reads: list[ColumnRead], where: Predicate, part: int) -> str:
    """The query of part `part` (a derived table, for Spark's `dbtable`)."""
    condition = inline(where, engine)
    clause = f" WHERE {condition}" if condition else ""
    selected = [f"{read.expression} AS c{i}" for i, read in enumerate(reads)]
    guarded = [read for read in reads if read.guard is not None]
    rejected = [
        f"CASE WHEN {read.guard.bad} THEN {_plain_text(engine, read)} END AS r{i}" for i, read in enumerate(guarded)
    ]
    outer = [f"d.c{i}" for i in range(len(reads))] + [f"d.r{i}" for i in range(len(guarded))]
    rows = f"SELECT {', '.join(selected + rejected)}, 1 AS {ROW_MARKER} FROM {table}{clause}"
    count = f"SELECT count(*) AS {COUNT_COLUMN} FROM {table}{clause}"
    return (
        f"(SELECT {', '.join(outer)}, d.{ROW_MARKER}, c.{COUNT_COLUMN}, {int(part)} AS {PART_COLUMN} "
        f"FROM ({count}) c LEFT JOIN ({rows}) d ON 1 = 1) floe_part_{int(part)}"
    )


def _plain_text(engine: str, read: ColumnRead) -> str:
    """The column's value as the source prints it (the reject records what was replaced)."""
    return f"{identifier(engine, read.column.name)}::text"
