"""The source catalog's estimate of a table's size: rows and bytes, as the planner keeps them.

Both jobs write it into the manifest (`sourceSize`), so the TypeScript side can choose the engine of
the table's next run (`engine: auto`) without reaching the source itself; the Spark job also sizes
its ranges and batches from it. An estimate, never a count: PostgreSQL's `reltuples` and table size
(its leaf partitions' for a partitioned table), MySQL's `information_schema.tables` (`table_rows`,
`data_length`). A catalog that cannot say (never analyzed, no privilege) gives None, never a failure.

It asks through the source's own connection, inside the run's transaction (a savepoint on
PostgreSQL, so a refusal cannot end the snapshot the parts share). The sources keep that connection
to themselves (`_conn`): this is the one place that reaches it for a catalog question.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .sources import Source

POSTGRES_QUERY = """
WITH target AS (SELECT to_regclass(%s) AS oid),
leaves AS (
  -- A partitioned table's rows are its leaf partitions'; an ordinary table is its own (and has no tree).
  SELECT relid AS oid FROM pg_partition_tree((SELECT oid FROM target)) WHERE isleaf
  UNION ALL
  SELECT oid FROM target WHERE NOT EXISTS (SELECT 1 FROM pg_partition_tree((SELECT oid FROM target)))
)
SELECT sum(greatest(c.reltuples, 0))::float8, bool_and(c.reltuples < 0), sum(pg_table_size(c.oid))::float8
FROM leaves JOIN pg_class c ON c.oid = leaves.oid
"""
MYSQL_QUERY = (
    "SELECT table_rows, data_length FROM information_schema.tables WHERE table_schema = %s AND table_name = %s"
)


@dataclass(frozen=True)
class SizeEstimate:
    rows: int | None
    bytes: int | None

    def describe(self) -> dict[str, int | None]:
        """The manifest's `sourceSize`."""
        return {"rows": self.rows, "bytes": self.bytes}

    @property
    def row_bytes(self) -> int | None:
        """The average row's size on disk, when both are known."""
        if not self.rows or not self.bytes:
            return None
        return max(1, self.bytes // self.rows)


def estimate_size(source: Source, engine: str) -> SizeEstimate | None:
    """The catalog's estimate for the source's table, or None when the catalog cannot give one."""
    conn: Any = getattr(source, "_conn", None)
    if conn is None:
        return None
    table = source.table
    try:
        if engine == "postgres":
            import psycopg

            qualified = ".".join(_pg_identifier(part) for part in (table.schema, table.name) if part)
            try:
                with conn.transaction():
                    row = conn.execute(POSTGRES_QUERY, (qualified,)).fetchone()
            except psycopg.Error:
                return None
            if row is None or row[2] is None:
                return None
            rows, never_analyzed, size = row
            return SizeEstimate(None if never_analyzed else int(rows), int(size))
        import mysql.connector

        cursor = conn.cursor()
        try:
            cursor.execute(MYSQL_QUERY, (table.schema, table.name))
            found = cursor.fetchone()
        except mysql.connector.Error:
            return None
        finally:
            cursor.close()
        if found is None:
            return None
        return SizeEstimate(None if found[0] is None else int(found[0]), None if found[1] is None else int(found[1]))
    except (TypeError, ValueError):
        return None


def _pg_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
