"""PostgreSQL: catalog-driven types, one exported snapshot for all parts, COPY streamed into Arrow.

Every part reads inside the same snapshot (`pg_export_snapshot`), so a
partitioned read returns exactly what one connection would have, and the high
mark read at the start is consistent with the rows read after it.

Rows travel as `COPY ... (FORMAT binary)`, read into Arrow buffers in C
(_copy_pump.c): integers, floats, booleans, numeric(p,s), dates, timestamps,
times, uuids, texts and bytea in their binary form, which is exact, every other
column as PostgreSQL's own text for it, which is exact for every type and
converted after the read. Where the C extension did not load, rows travel as
`COPY ... (FORMAT csv, FORCE_QUOTE *)` through psycopg's Python loop, parsed by
pyarrow's CSV reader (postgres_copy.py); with FORCE_QUOTE every value is quoted
and only NULL is an unquoted empty field, so NULL and '' stay distinct.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv
from psycopg import sql

from .. import arrow_compute
from ..columns import Kind, SourceColumn, decimal_column
from ..connection import ConnectionSettings, Redactor
from ..errors import (
    IncompleteReadError,
    JobArgumentError,
    SourceRefusedError,
    SourceSchemaError,
    SourceUnavailableError,
    UnrepresentableValueError,
)
from ..open_transactions import OpenTransactions, utc
from ..quarantine import Policy, Rejects
from ..read_plan import Predicate
from . import libpq_copy
from .base import BATCH_ROWS, TableName
from .libpq_copy import LibpqCopy
from .postgres_copy import CopyPump, csv_options, raise_unrepresentable

if TYPE_CHECKING:
    from .postgres_arrays import ArrayColumn, ArrayShape

log = logging.getLogger(__name__)

CATALOG_QUERY = """
SELECT a.attname,
       format_type(a.atttypid, a.atttypmod),
       NOT a.attnotnull,
       bt.typname,
       bt.typtype,
       bt.typcategory,
       CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END,
       a.attndims,
       et.typname,
       et.typtype,
       et.typcategory,
       CASE WHEN e.typtype = 'd' THEN e.typtypmod END,
       e.typdelim,
       format_type(e.oid, CASE WHEN e.typtype = 'd' THEN e.typtypmod ELSE a.atttypmod END),
       bt.typnamespace = 'pg_catalog'::regnamespace,
       EXISTS (SELECT 1 FROM pg_cast c WHERE c.castsource = bt.oid AND c.casttarget = 'text'::regtype
               AND c.castmethod = 'f')
FROM pg_attribute a
JOIN pg_type t ON t.oid = a.atttypid
JOIN pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
LEFT JOIN pg_type e ON e.oid = bt.typelem AND bt.typcategory = 'A' AND bt.typinput = 'array_in'::regproc
LEFT JOIN pg_type et ON et.oid = CASE WHEN e.typtype = 'd' THEN e.typbasetype ELSE e.oid END
WHERE a.attrelid = %s AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum
"""

SIMPLE_TYPES: dict[str, tuple[pa.DataType, Kind]] = {
    "int2": (pa.int16(), "integer"),
    "int4": (pa.int32(), "integer"),
    "int8": (pa.int64(), "integer"),
    "oid": (pa.int64(), "integer"),
    "float4": (pa.float32(), "float"),
    "float8": (pa.float64(), "float"),
    "bool": (pa.bool_(), "boolean"),
    "text": (pa.string(), "text"),
    "varchar": (pa.string(), "text"),
    "bpchar": (pa.string(), "text"),
    "char": (pa.string(), "text"),
    "name": (pa.string(), "text"),
    "citext": (pa.string(), "text"),
    "uuid": (pa.string(), "text"),
    "json": (pa.string(), "text"),
    "jsonb": (pa.string(), "text"),
    "bytea": (pa.binary(), "binary"),
    "date": (pa.date32(), "date"),
    "timestamp": (pa.timestamp("us"), "timestamp"),
    "timestamptz": (pa.timestamp("us", tz="UTC"), "timestamp"),
    "time": (pa.time64("us"), "other"),
}

# The base types whose binary COPY form _copy_pump.c's read_binary lands itself (its `kinds`); every
# other column is selected as its text, which is PostgreSQL's own output for it, as in text COPY.
# Each type's send function: src/backend/utils/adt/ (textsend, byteasend, jsonb_send, uuid_send, ...).
BINARY_KINDS: dict[str, str] = {
    "int2": "2", "int4": "4", "int8": "8", "oid": "o", "float4": "f", "float8": "d", "bool": "b",
    "text": "v", "varchar": "v", "bpchar": "v", "name": "v", "json": "v", "bytea": "v", "jsonb": "j", "uuid": "u",
    "date": "D", "timestamp": "T", "timestamptz": "T", "time": "t",
}
BINARY_BATCH_BYTES = 8 * 1024 * 1024
# Per column: the rows of a batch whose values no destination holds, their texts, why, and what was done to each.
SetAside = dict[int, tuple[list[int], list[str], str, list[str]]]


# libpq reports a failed connection as text only (no SQLSTATE), so a refusal is told by the server's
# FATAL message (lc_messages in English, the default) or libpq's own TLS message. Anything else,
# a server starting up, too many clients, a refused TCP connection, is retried.
# Server texts: https://www.postgresql.org/docs/current/errcodes-appendix.html (28000, 28P01, 3D000, 42501)
# A role or database at its CONNECTION LIMIT is told `too many connections for role "x"` (53300): a
# moment's overlap (another job's backends still exiting), retried; so the phrases below name what
# is wrong with a role or database, never just the word.
_REFUSALS = (
    "password authentication failed",
    "no pg_hba.conf entry",
    "pg_hba.conf rejects connection",
    '" does not exist',  # role "x" / database "x" does not exist
    "is not permitted to log in",
    "is not currently accepting connections",  # ALTER DATABASE … ALLOW_CONNECTIONS false
    "permission denied for database",
    "server does not support SSL",
    "SSL is not enabled on the server",
    "certificate verify failed",
    "root certificate file",
    "server certificate for",
)


def _refused(message: str) -> bool:
    return any(phrase in message for phrase in _REFUSALS)


def _arrow_type(base: str, typtype: str, category: str, typmod: int) -> tuple[pa.DataType, Kind]:
    if base == "numeric":
        if typmod < 4:
            # Unconstrained numeric has no fixed scale: its exact text is kept.
            return pa.string(), "other"
        precision, scale = ((typmod - 4) >> 16) & 0xFFFF, (typmod - 4) & 0xFFFF
        if scale > precision or precision > 76:
            return pa.string(), "other"
        return decimal_column(precision, scale)
    if category == "A" or typtype == "e":
        # An array the catalog query found no element of (int2vector, oidvector) prints as its own text.
        return pa.string(), "other"
    # Everything else without an exact Arrow counterpart (interval, inet, money,
    # xml, bit, ranges, ...) lands as PostgreSQL's own text for it.
    return SIMPLE_TYPES.get(base, (pa.string(), "other"))


def _array_shape(row: tuple[Any, ...]) -> ArrayShape | None:
    """An array column's element type, depth and delimiter from its catalog row; None for other columns.

    The depth is the declared number of dimensions (`integer[][]`: 2), 1 when there is none (a column
    made by CREATE TABLE AS, or typed by a domain over an array): see postgres_arrays.py.
    """
    typmod, dims, base, typtype, category, domain_typmod, delimiter, element_type = row[6:14]
    if base is None:
        return None
    # Only a table with an array column loads the module, and with it pyarrow.compute (arrow_compute.py).
    from .postgres_arrays import ArrayShape

    element, _ = _arrow_type(base, typtype, category, typmod if domain_typmod is None else domain_typmod)
    return ArrayShape(element, max(int(dims), 1), str(delimiter), str(element_type))


@dataclass(frozen=True)
class Guard:
    """How a column's values that no destination holds are found and replaced, in the COPY's SELECT."""

    column: SourceColumn
    policy: Literal["quarantine", "coerce"]
    bad: str
    replacement: str
    reason: str

    def select(self, quoted: str) -> str:
        return f"CASE WHEN {self.bad} THEN {self.replacement if self.policy == 'coerce' else 'NULL'} ELSE {quoted} END"

    def action(self, text: str) -> str:
        """What was done to the value `text`."""
        return "set to NULL" if self.policy == "quarantine" else f"set to {self.replacement}"


PAST_MIDNIGHT = "24:00:00 is past the last time of day every destination holds (23:59:59.999999)"


def _guard(column: SourceColumn, quoted: str, policy: Literal["quarantine", "coerce"]) -> Guard | None:
    """The guard for a column whose type has values Arrow and the warehouses cannot hold, else None.

    Only `24:00:00` is guarded here, a rare type's rare value. Dates and timestamps out of range
    and numeric(p,s)'s one value without a decimal form, NaN, are found as they are read (in C by
    the binary reader; after the read, by DateRange and _decimal, by the CSV one): tests in the
    SELECT cost the server more than the read of the column itself (two comparisons per value, and
    two more for the value's text; BENCHMARKS.md)."""
    if pa.types.is_time64(column.arrow_type):
        return Guard(column, policy, f"{quoted} = TIME '24:00:00'", "TIME '23:59:59.999999'", PAST_MIDNIGHT)
    return None


# A date or timestamp in range as PostgreSQL's ISO output prints it: a four-digit year, and no BC.
IN_RANGE = re.compile(r"\d{4}-(?!.* BC$)")


@dataclass(frozen=True)
class DateRange:
    """The dates or timestamps every destination holds: their bounds and what is done outside them.

    The binary reader finds values out of range in C and prints them as PostgreSQL would
    (_binary_temporal_text); the CSV reader and the Spark job check the values' text after the read:

    In PostgreSQL's ISO output a value in range has a four-digit year and no ` BC`; `infinity`,
    `-infinity`, BC and years past 9999 do not, and fail the cast to Arrow, so the texts are looked at
    only in a batch whose cast failed (both jobs: the Spark job's convert.py too). A guard in the
    SELECT cost the server four comparisons per value: on a table of a key and a date, the COPY took 0.53 s
    against 0.42 s without it, and the job 0.84-0.98 s against 0.66-0.68 s (BENCHMARKS.md).
    """

    low: str
    high: str
    zone: str  # the offset a timestamptz's text carries, for the bounds' own cast
    what: str

    @classmethod
    def of(cls, column: SourceColumn) -> DateRange | None:
        t = column.arrow_type
        if pa.types.is_date32(t):
            return cls("0001-01-01", "9999-12-31", "", "dates")
        if pa.types.is_timestamp(t):
            return cls("0001-01-01 00:00:00", "9999-12-31 23:59:59.999999", "+00" if t.tz else "", "timestamps")
        return None

    @property
    def reason(self) -> str:
        return f"outside {self.low[:10]} … {self.high[:10]}, the {self.what} every destination holds"

    def nearest(self, text: str) -> str:
        return self.low if text.startswith("-") or text.endswith(" BC") else self.high

    def cast(
        self, texts: pa.Array, target: pa.DataType, policy: Policy
    ) -> tuple[pa.Array, tuple[list[int], list[str], list[str]]]:
        """`texts` as `target`; values out of range set to NULL, or to the nearer end under `coerce`: their
        rows, texts and what was done to each. ArrowInvalid for a text the range does not explain."""
        try:
            return arrow_compute.cast(texts, target), ([], [], [])
        except pa.ArrowInvalid:
            pass
        # A batch holding a value out of range, a rare one: its texts in Python, pyarrow.compute left unloaded.
        values = texts.to_pylist()
        rows = [row for row, text in enumerate(values) if text is not None and not IN_RANGE.match(text)]
        found = [values[row] for row in rows]
        coerce = policy == "coerce"
        nearest = [self.nearest(text) for text in found]
        for row, text in zip(rows, nearest):
            values[row] = text + self.zone if coerce else None
        actions = [f"set to {text}" for text in nearest] if coerce else ["set to NULL"] * len(rows)
        return arrow_compute.cast(pa.array(values, pa.string()), target), (rows, found, actions)


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_identifier(name: str) -> str:
    """Quote for query text; queries are always sent with a parameter tuple, so % is doubled."""
    return _identifier(name).replace("%", "%%")


class PostgresSource:
    def __init__(
        self, settings: ConnectionSettings, table: TableName, redactor: Redactor, rejects: Rejects | None = None
    ) -> None:
        self.settings = settings
        self.table = table
        self.redactor = redactor
        self.rejects = rejects
        self._conn = self._connect()
        try:
            self.open_transactions = self._open_transactions()
            self._snapshot = self._export_snapshot()
            self.columns = self._read_columns()
        except BaseException:
            close_until_the_server_has(self._conn)
            raise
        self._guards = self._make_guards()
        self._ranges = self._make_ranges()
        self._arrays: dict[int, ArrayColumn] = {}
        if self._array_shapes:
            from .postgres_arrays import ArrayColumn

            self._arrays = {
                index: ArrayColumn(str(table), self.columns[index], shape, self._policy(self.columns[index]))
                for index, shape in self._array_shapes.items()
            }

    def _make_guards(self) -> dict[int, Guard]:
        """Guards for the columns whose policy is not `fail` (without a rejects sink, every column fails)."""
        guards: dict[int, Guard] = {}
        for index, column in enumerate(self.columns):
            policy = self.rejects.policy_for(column) if self.rejects is not None else "fail"
            if policy != "fail":
                guard = _guard(column, self.quote(column.name), policy)
                if guard is not None:
                    guards[index] = guard
        return guards

    def _make_ranges(self) -> dict[int, DateRange]:
        """Date and timestamp columns whose policy is not `fail`: their values out of range set aside or coerced."""
        ranges: dict[int, DateRange] = {}
        for index, column in enumerate(self.columns):
            date_range = DateRange.of(column)
            if date_range is not None and self._policy(column) != "fail":
                ranges[index] = date_range
        return ranges

    @property
    def reader(self) -> str:
        """Which loop moves COPY's rows in this process (libpq_copy.py), and why not C."""
        if libpq_copy.available():
            return "COPY rows arrive in binary and go into Arrow through the C extension"
        try:
            from . import _copy_pump  # type: ignore[attr-defined]  # noqa: F401
        except ImportError as error:
            return f"COPY rows arrive as CSV through the Python loop: the C extension did not load ({error})"
        return "COPY rows arrive as CSV through the Python loop: psycopg's libpq is not among this process's libraries"

    def quote(self, name: str) -> str:
        return quote_identifier(name)

    def _connect(self) -> psycopg.Connection[Any]:
        # Extra conninfo parameters from the connection URL's query string; typed as Any because
        # psycopg.connect's signature also has non-string keywords (autocommit, row_factory, ...).
        extra: dict[str, Any] = dict(self.settings.options)  # checked against floe's own settings when parsed
        try:
            conn = psycopg.connect(
                host=self.settings.host,
                port=self.settings.port,
                user=self.settings.user,
                password=self.settings.password,
                dbname=self.settings.dbname,
                application_name="floe-extract",
                connect_timeout=15,
                options="-c DateStyle=ISO -c extra_float_digits=3 -c bytea_output=hex",
                autocommit=True,
                **extra,
            )
            # The zone this database stamps `timestamp` columns in, before the session moves to UTC.
            self.writer_time_zone = str(conn.execute("SELECT current_setting('TimeZone')").fetchone()[0])  # type: ignore[index]
            conn.execute("SET TimeZone TO 'UTC'")
        except psycopg.Error as error:
            failure = SourceRefusedError if _refused(str(error)) else SourceUnavailableError
            raise failure(
                f"cannot connect to {self.settings.describe()}: {self.redactor(str(error)).strip()}"
            ) from None
        conn.autocommit = False
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        return conn

    def _open_transactions(self) -> OpenTransactions:
        """Writing transactions of this database open now, read before the snapshot (see open_transactions.py).

        `backend_xid` shows a transaction holding a write id to every role; its `xact_start` only to
        superusers, the session's own role and members of pg_read_all_stats.
        See https://www.postgresql.org/docs/current/monitoring-stats.html#MONITORING-PG-STAT-ACTIVITY-VIEW
        """
        row = self._conn.execute(
            "SELECT clock_timestamp(), min(xact_start), count(*), count(*) FILTER (WHERE xact_start IS NULL) "
            "FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL"
        ).fetchone()
        self._conn.commit()  # the run's snapshot is taken after this reading, in a transaction of its own
        assert row is not None  # an aggregate without GROUP BY returns one row
        measured_at, oldest, count, unseen = row
        return OpenTransactions(
            utc(measured_at), None if oldest is None else utc(oldest), int(count), int(unseen), "pg_read_all_stats"
        )

    def _export_snapshot(self) -> str | None:
        try:
            row = self._conn.execute("SELECT pg_export_snapshot()").fetchone()
        except psycopg.Error as error:
            # Standbys before PostgreSQL 10 cannot export snapshots: parts then read independently.
            log.warning("no shared snapshot, parts read independently: %s", self.redactor(str(error)))
            self._conn.rollback()
            return None
        return str(row[0]) if row else None

    def _read_columns(self) -> list[SourceColumn]:
        schema = self.table.schema
        qualified = f"{_identifier(schema)}.{_identifier(self.table.name)}" if schema else _identifier(self.table.name)
        row = self._conn.execute("SELECT to_regclass(%s)::oid", (qualified,)).fetchone()
        if row is None or row[0] is None:
            raise SourceSchemaError(f"table {self.table} not found in database {self.settings.dbname}")
        columns: list[SourceColumn] = []
        self._array_shapes: dict[int, ArrayShape] = {}
        self._sent_as: list[str | None] = []  # how each column's values arrive in binary COPY (None: as text)
        # Columns whose type casts to text by a function of its own, not its output function (`inet`
        # gains `/32`, `boolean` prints `true`): their text is asked for with format('%s', …), which
        # calls the output function. https://www.postgresql.org/docs/current/catalog-pg-cast.html
        self.text_cast_functions: set[str] = set()
        for entry in self._conn.execute(CATALOG_QUERY, (row[0],)).fetchall():
            name, source_type, nullable, base, typtype, category, typmod = entry[:7]
            arrow_type, kind = _arrow_type(base, typtype, category, typmod)
            shape = _array_shape(entry)
            if shape is not None:
                self._array_shapes[len(columns)] = shape
                arrow_type = shape.arrow_type
            # By name only among the built-in types: a type of another schema may be called `text` or `date`
            # (a composite, say), and lands as its text.
            builtin = bool(entry[14])
            if not builtin and shape is None and not pa.types.is_string(arrow_type):
                arrow_type, kind = pa.string(), "other"
            sent_as = BINARY_KINDS.get(base) if builtin and category != "A" and typtype != "e" else None
            if builtin and base == "numeric" and pa.types.is_decimal(arrow_type):
                sent_as = "N"
            self._sent_as.append(sent_as)
            if entry[15]:
                self.text_cast_functions.add(name)
            columns.append(SourceColumn(name, source_type, arrow_type, bool(nullable), kind))
        return columns

    @property
    def _from(self) -> str:
        if self.table.schema:
            return f"{self.quote(self.table.schema)}.{self.quote(self.table.name)}"
        return self.quote(self.table.name)

    def _scalar(self, query: str, params: tuple[Any, ...] = ()) -> Any:
        row = self._conn.execute(query, params).fetchone()
        return row[0] if row else None

    def held_mark(self, column: SourceColumn) -> Any:
        """The column's largest value below the open transactions' bound, in its own type and the writers' zone."""
        bound = self.open_transactions.bound
        params: tuple[Any, ...] = (bound,)
        below = "%s"  # timestamptz: instants, whatever the zone
        if column.kind == "date":
            below, params = "(%s AT TIME ZONE %s)::date", (bound, self.writer_time_zone)
        elif column.arrow_type == pa.timestamp("us"):
            below, params = "(%s AT TIME ZONE %s)", (bound, self.writer_time_zone)
        col = self.quote(column.name)
        return self._scalar(f"SELECT max({col}) FROM {self._from} WHERE {col} < {below}", params)

    def high_mark(self, column: SourceColumn) -> Any:
        try:
            return self._scalar(f"SELECT max({self.quote(column.name)}) FROM {self._from}")
        except psycopg.DataError as error:
            # Python has no datetime for infinity: the driver refuses the value as it reads it.
            raise UnrepresentableValueError(
                f"table {self.table}, column {column.name} ({column.source_type}): its largest value cannot be a "
                f"watermark: {error}. An incremental column's values must all be finite; nothing was landed"
            ) from None

    def lower_bound(self, column: SourceColumn, watermark: str, lookback_seconds: int) -> Any:
        # The column's own type (from the catalog, not from input) parses the watermark exactly. format_type()
        # quotes the type's name; a % in it is doubled like an identifier's, since parameters follow.
        cast = f"CAST(%s AS {column.source_type.replace('%', '%%')})"
        query = f"SELECT {cast} - make_interval(secs => %s)" if lookback_seconds else f"SELECT {cast}"
        params: tuple[Any, ...] = (watermark, lookback_seconds) if lookback_seconds else (watermark,)
        if column.kind == "date" and lookback_seconds:
            query = f"SELECT CAST({cast} - make_interval(secs => %s) AS date)"
        try:
            # A SELECT without FROM always returns exactly one row; fetchone() is typed as optional.
            return self._conn.execute(query, params).fetchone()[0]  # type: ignore[index]
        except psycopg.errors.DataError as error:
            self._conn.rollback()
            raise JobArgumentError(
                f"table {self.table}: --watermark {watermark!r} is not a valid {column.source_type} "
                f"for column {column.name}: {error.diag.message_primary}"
            ) from None

    def count_nulls(self, column: SourceColumn) -> int:
        return int(self._scalar(f"SELECT count(*) FROM {self._from} WHERE {self.quote(column.name)} IS NULL"))

    def min_max(self, column: SourceColumn, where: Predicate) -> tuple[Any, Any]:
        col = self.quote(column.name)
        clause = f" WHERE {where.sql}" if where.sql else ""
        row = self._conn.execute(f"SELECT min({col}), max({col}) FROM {self._from}{clause}", where.params).fetchone()
        return (row[0], row[1]) if row else (None, None)

    def format_watermark(self, column: SourceColumn, value: Any) -> str:
        if isinstance(value, datetime):
            return value.isoformat(sep=" ", timespec="microseconds")
        if isinstance(value, Decimal):
            return format(value, "f")
        if isinstance(value, (date, int)):
            return str(value)
        raise TypeError(f"unexpected watermark value {value!r}")

    def read(self, where: Predicate, part: int) -> Iterator[pa.RecordBatch]:
        conn = self._conn if part == 0 else self._connect()
        try:
            if part != 0 and self._snapshot:
                conn.execute(sql.SQL("SET TRANSACTION SNAPSHOT {}").format(sql.Literal(self._snapshot)))
            yield from (self._read_binary if libpq_copy.available() else self._read_csv)(conn, where)
        except psycopg.OperationalError as error:
            raise SourceUnavailableError(
                f"table {self.table}: lost the connection to {self.settings.describe()} while reading: "
                f"{self.redactor(str(error)).strip()}"
            ) from None
        finally:
            if part != 0:
                close_until_the_server_has(conn)

    def _read_binary(self, conn: psycopg.Connection[Any], where: Predicate) -> Iterator[pa.RecordBatch]:
        """The rows through `COPY ... (FORMAT binary)`, into Arrow in C (libpq_copy.py, _copy_pump.c's read_binary).

        Integers, floats, booleans, numeric(p,s), dates, timestamps, times, uuids and texts arrive in their
        binary form, which costs the server less than their text (a timestamptz's or uuid's text, CSV's
        quoting of long texts: BENCHMARKS.md) and the job no parse; every other column is selected as its
        text.
        """
        selected: list[tuple[str, str]] = []
        for index, column in enumerate(self.columns):
            quoted = self.quote(column.name)
            value = self._guards[index].select(quoted) if index in self._guards else quoted
            kind = self._sent_as[index]
            if kind is not None:
                selected.append((value, kind))
            elif column.name in self.text_cast_functions:  # format() prints NULL as '': kept NULL here
                selected.append((f"CASE WHEN {value} IS NULL THEN NULL ELSE format('%%s', {value}) END", "v"))
            else:
                selected.append((f"({value})::text", "v"))
        # One more column per guard: the value as PostgreSQL prints it, where the guard replaced it.
        selected += [
            (f"CASE WHEN {g.bad} THEN {self.quote(g.column.name)}::text END", "v")
            for g in self._guards.values()
        ]
        clause = f" WHERE {where.sql}" if where.sql else ""
        query = f"COPY (SELECT {', '.join(v for v, _ in selected)} FROM {self._from}{clause}) TO STDOUT (FORMAT binary)"
        if not where.params:
            query = query.replace("%%", "%")  # psycopg sends a query without parameters as written
        kinds = "".join(k for _, k in selected).encode()
        scales = bytes(c.arrow_type.scale if k == "N" else 0 for c, (_, k) in zip(self.columns, selected))
        scales += bytes(len(selected) - len(scales))  # the guards' texts
        copy = LibpqCopy(conn, query, where.params or None)
        parsed = 0
        try:
            copy.start()
            status, first = libpq_copy.MORE, True
            while status == libpq_copy.MORE:
                try:
                    status, count, entries, trailer = copy.read_binary(
                        kinds, scales, first, BATCH_ROWS, BINARY_BATCH_BYTES
                    )
                except ValueError as error:
                    raise IncompleteReadError(
                        f"table {self.table}: the COPY's binary rows could not be read ({error}); "
                        "nothing was landed for this run"
                    ) from None
                first = False
                if status == libpq_copy.ERROR:
                    copy.raise_error()
                if count:
                    parsed += count
                    batch = self._finish(*self._binary_arrays(kinds.decode(), count, entries))
                    del entries
                    yield batch
            reported = copy.finish()  # a COPY the server stopped raises its error here
        except BaseException:
            copy.abandon()
            raise
        if not trailer:
            raise IncompleteReadError(
                f"table {self.table}: the COPY ended without its binary format's trailer after {parsed:,} row(s); "
                "nothing was landed for this run"
            )
        if reported != parsed:
            raise IncompleteReadError(
                f"table {self.table}: the COPY reported {reported:,} row(s), but {parsed:,} were read; "
                "nothing was landed for this run"
            )

    def _binary_arrays(self, kinds: str, count: int, entries: list[Any]) -> tuple[list[pa.Array], SetAside]:
        """read_binary's buffers as Arrow arrays, and the values no destination holds (dates and timestamps
        out of range, numeric's NaN), handled by policy."""
        arrays: list[pa.Array] = []
        set_aside: SetAside = {}
        for index, (kind, (nulls, validity, offsets, data, outside)) in enumerate(zip(kinds, entries)):
            column = self.columns[index] if index < len(self.columns) else None
            target = pa.string() if column is None or kind == "v" else column.arrow_type
            if kind == "v" and column is not None and pa.types.is_binary(column.arrow_type):
                target = pa.binary()
            buffers = [None if validity is None else pa.py_buffer(validity)]
            buffers += [pa.py_buffer(data)] if offsets is None else [pa.py_buffer(offsets), pa.py_buffer(data)]
            array = pa.Array.from_buffers(target, count, buffers, null_count=nulls)
            if pa.types.is_string(target):
                try:
                    array.validate(full=True)
                except pa.ArrowInvalid as error:
                    assert column is not None  # a guard's text is the server's own output for a time
                    raise_unrepresentable(str(self.table), self.columns, error, column)
            if outside:
                assert column is not None  # only dates, timestamps and numerics have values no destination holds
                rows = [row for row, _ in outside]
                if kind == "N":
                    set_aside[index] = self._nan(column, rows)
                elif kind == "t":
                    # 24:00:00: under quarantine and coerce the SELECT's guard (Guard) has replaced it
                    raise_unrepresentable(str(self.table), self.columns, pa.ArrowInvalid(PAST_MIDNIGHT), column)
                else:
                    array, set_aside[index] = self._out_of_range(index, column, kind, array, outside)
            arrays.append(array)
        return arrays, set_aside

    def _nan(self, column: SourceColumn, rows: list[int]) -> tuple[list[int], list[str], str, list[str]]:
        """numeric(p,s)'s NaN rows (read_binary set them NULL): set aside, or the run fails under `fail`."""
        reason = f"NaN has no form in a {column.source_type}"
        if self._policy(column) == "fail":
            raise_unrepresentable(str(self.table), self.columns, pa.ArrowInvalid(reason), column)
        return rows, ["NaN"] * len(rows), reason, ["set to NULL"] * len(rows)

    def _out_of_range(
        self, index: int, column: SourceColumn, kind: str, array: pa.Array, outside: list[tuple[int, int]]
    ) -> tuple[pa.Array, tuple[list[int], list[str], str, list[str]]]:
        """A batch's dates or timestamps outside what every destination holds (read_binary set them NULL)."""
        rows = [row for row, _ in outside]
        texts = [_binary_temporal_text(kind, value, column.arrow_type) for _, value in outside]
        date_range = self._ranges.get(index)
        if date_range is None:  # the `fail` policy
            reason = DateRange.of(column).reason  # type: ignore[union-attr]  # kinds D and T are dates and timestamps
            raise_unrepresentable(str(self.table), self.columns, pa.ArrowInvalid(f"{texts[0]} is {reason}"), column)
        if self._policy(column) == "quarantine":
            return array, (rows, texts, date_range.reason, ["set to NULL"] * len(rows))
        nearest = [date_range.nearest(text) for text in texts]
        values = array.to_pylist()
        for row, text in zip(rows, nearest):
            values[row] = arrow_compute.cast(pa.array([text + date_range.zone]), column.arrow_type)[0].as_py()
        return pa.array(values, column.arrow_type), (rows, texts, date_range.reason, [f"set to {t}" for t in nearest])

    def _read_csv(self, conn: psycopg.Connection[Any], where: Predicate) -> Iterator[pa.RecordBatch]:
        """The rows through `COPY ... (FORMAT csv)` and psycopg's Python loop, where floe's C extension did not load."""
        values = [
            self._guards[i].select(self.quote(c.name)) if i in self._guards else self.quote(c.name)
            for i, c in enumerate(self.columns)
        ]
        # One more column per guard: the value as PostgreSQL prints it, where the guard replaced it.
        rejected = [f"CASE WHEN {g.bad} THEN {self.quote(g.column.name)}::text END" for g in self._guards.values()]
        select = ", ".join(values + rejected)
        clause = f" WHERE {where.sql}" if where.sql else ""
        query = f"COPY (SELECT {select} FROM {self._from}{clause}) TO STDOUT WITH (FORMAT csv, FORCE_QUOTE *)"
        if not where.params:
            # Without parameters psycopg sends COPY as written: identifiers' doubled % must be undone.
            query = query.replace("%%", "%")
        reported: list[int] = []

        def rows() -> Iterator[Any]:
            with conn.cursor() as cursor:
                with cursor.copy(query, where.params or None) as copy:
                    yield from copy
                # COPY's own count, from its command tag: the rows parsed must add up to it.
                reported.append(cursor.rowcount)

        pump = CopyPump(rows)
        try:
            yield from self._parse(pump, reported)
        finally:
            pump.close()

    def _parse(self, pump: CopyPump, reported: list[int]) -> Iterator[pa.RecordBatch]:
        read_types = {
            c.name: (pa.string() if i in self._ranges or self._converted_after_read(c) else c.arrow_type)
            for i, c in enumerate(self.columns)
        }
        # Source column names cannot contain NUL, so these never collide with one.
        read_types.update({f"\0rejected{i}": pa.string() for i in self._guards})
        parsed = 0
        try:
            for segment in pump.segments():
                try:
                    options = csv_options(read_types, true_value="t", false_value="f", block_size=segment.block_size)
                    reader = pacsv.open_csv(segment.stream(), **options)
                    try:
                        for batch in reader:
                            parsed += batch.num_rows
                            yield self._finish(list(batch.columns))
                    finally:
                        reader.close()  # stops pyarrow's read-ahead before the pipe goes away
                finally:
                    segment.close()
        except pa.ArrowInvalid as error:
            pump.finish()  # a COPY that failed explains a broken stream better than the parser
            raise_unrepresentable(str(self.table), self.columns, error)
        pump.finish()
        # An empty result is known from the source, never inferred from what was parsed.
        if not reported or reported[0] != parsed or pump.rows != parsed:
            raise IncompleteReadError(
                f"table {self.table}: the COPY reported {reported[0] if reported else 'no'} row(s) and sent "
                f"{pump.rows:,}, but {parsed:,} were parsed; nothing was landed for this run"
            )

    def _finish(self, arrays: list[pa.Array], set_aside: SetAside | None = None) -> pa.RecordBatch:
        """The columns as read (texts where a column's type is made after the read) as the batch that lands,
        and what was set aside or coerced recorded in the rejects."""
        set_aside = dict(set_aside or {})
        array_rejects = {}
        for i, column in enumerate(self.columns):
            as_text = pa.types.is_string(arrays[i].type) and not pa.types.is_string(column.arrow_type)
            if i in self._arrays:
                arrays[i], array_rejects[i] = self._arrays[i].convert(arrays[i])
            elif not as_text:
                continue
            elif pa.types.is_binary(column.arrow_type):
                arrays[i] = _decode_hex_bytea(arrays[i])
            elif i in self._ranges:
                arrays[i], (rows, texts, actions) = self._in_range(column, self._ranges[i], arrays[i])
                set_aside[i] = (rows, texts, self._ranges[i].reason, actions)
            elif pa.types.is_decimal(column.arrow_type):
                arrays[i], nan_rows = self._decimal(column, arrays[i])
                if nan_rows:
                    set_aside[i] = self._nan(column, nan_rows)
        schema = pa.schema([pa.field(c.name, c.arrow_type, c.nullable) for c in self.columns])
        finished = pa.RecordBatch.from_arrays(arrays[: len(self.columns)], schema=schema)
        for i, rejected in array_rejects.items():
            for entry in rejected:
                assert self.rejects is not None  # a value is set aside only under a policy other than fail
                self.rejects.add(finished, [entry.row], self.columns[i], [entry.text], entry.reason, [entry.action])
        for i, (rows, texts, reason, actions) in set_aside.items():
            if rows:
                assert self.rejects is not None  # values are set aside only under a policy other than fail
                self.rejects.add(finished, rows, self.columns[i], texts, reason, actions)
        for texts, guard in zip(arrays[len(self.columns):], self._guards.values()):
            if texts.null_count == len(texts):
                continue
            found = [(i, text) for i, text in enumerate(texts.to_pylist()) if text is not None]
            values = [text for _, text in found]
            assert self.rejects is not None  # guards exist only with a rejects sink
            self.rejects.add(
                finished, [i for i, _ in found], guard.column, values, guard.reason, [guard.action(v) for v in values]
            )
        return finished

    def _converted_after_read(self, column: SourceColumn) -> bool:
        """Read as text and converted after: bytea's hex (the CSV reader cannot make bytes of it), arrays
        (postgres_arrays.py: the CSV reader has no list type), and numeric(p,s) under a policy that
        sets NaN aside. Under `fail` the CSV reader converts numeric(p,s) itself, in its threads, and NaN
        fails the read; elsewhere NaN is looked for after the read, which costs a third of the two numeric
        comparisons a guard in the SELECT would add to every row."""
        if pa.types.is_binary(column.arrow_type) or pa.types.is_list(column.arrow_type):
            return True
        return pa.types.is_decimal(column.arrow_type) and self._policy(column) != "fail"

    def _policy(self, column: SourceColumn) -> Policy:
        return self.rejects.policy_for(column) if self.rejects is not None else "fail"

    def _in_range(
        self, column: SourceColumn, date_range: DateRange, texts: pa.Array
    ) -> tuple[pa.Array, tuple[list[int], list[str], list[str]]]:
        try:
            return date_range.cast(texts, column.arrow_type, self._policy(column))
        except pa.ArrowInvalid as error:  # a text the range does not explain: the cast's own words
            raise_unrepresentable(str(self.table), self.columns, error, column)

    def _decimal(self, column: SourceColumn, texts: pa.Array) -> tuple[pa.Array, list[int]]:
        """numeric(p,s) text to its exact decimal; NaN set to NULL (quarantine and coerce alike), its rows returned.

        NaN fails the cast like any text that is not a decimal, so it is looked for only once the cast failed.
        """
        try:
            return arrow_compute.cast(texts, column.arrow_type), []
        except pa.ArrowInvalid:
            pass
        import pyarrow.compute as pc  # here: only a column that holds a NaN (or a failure to report) pays its import

        nan = pc.equal(texts, "NaN")
        rows: list[int] = []
        if pc.any(nan).as_py():
            rows = pc.indices_nonzero(pc.fill_null(nan, False)).to_pylist()
            texts = pc.if_else(nan, pa.scalar(None, pa.string()), texts)
        try:
            return arrow_compute.cast(texts, column.arrow_type), rows
        except pa.ArrowInvalid as error:
            raise_unrepresentable(str(self.table), self.columns, error, column)

    def close(self) -> None:
        close_until_the_server_has(self._conn)


def close_until_the_server_has(conn: psycopg.Connection[Any], timeout: float = 2.0) -> None:
    """Closes the connection, then waits (at most `timeout` seconds) for the server to hang up too.

    PostgreSQL counts a backend against `max_connections` and a role's CONNECTION LIMIT, and lists
    it in pg_stat_activity, until its process exits, a moment after the client has gone: a table of
    a batch that closes its connection while the next one opens its own would be seen holding one
    more than `--max-connections`. The backend clears its entry before it exits, and the kernel closes
    its end of the socket at the exit (proc_exit runs the shared-memory callbacks, pgstat's and
    ProcKill's, before socket_close, which leaves the socket to the exit so that clients may close
    synchronously: src/backend/libpq/pqcomm.c), so the end of the socket is the moment it no longer
    counts. See https://www.postgresql.org/docs/current/runtime-config-connection.html#GUC-MAX-CONNECTIONS
    """
    if conn.closed:
        return
    if conn.info.transaction_status == psycopg.pq.TransactionStatus.ACTIVE:
        # A backend still sending (a COPY left midway) reads no Terminate: only the socket's close
        # stops it, which a duplicate would hold back until the timeout.
        conn.close()
        return
    try:
        duplicate = os.dup(conn.pgconn.socket)
    except (psycopg.Error, OSError):
        conn.close()  # no socket left to watch: a broken connection's backend is already gone
        return
    try:
        watched = socket.socket(fileno=duplicate)
    except OSError:
        os.close(duplicate)
        conn.close()
        return
    try:
        conn.close()  # libpq sends Terminate; the duplicate keeps the socket open to see the server's end
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            watched.settimeout(left)
            if not watched.recv(4096):
                break
    except OSError:
        pass  # a reset or the timeout: the server is gone, or the wait is over
    finally:
        watched.close()


def _binary_temporal_text(kind: str, value: int, arrow_type: pa.DataType) -> str:
    """A date ('D': days since 2000-01-01) or timestamp ('T': microseconds since then) as PostgreSQL's ISO
    output prints it, for values no Python date holds: infinity, BC years, years past 9999."""
    limit = 2**31 - 1 if kind == "D" else 2**63 - 1
    if value in (limit, -limit - 1):  # PostgreSQL's infinity and -infinity (DATEVAL_NOEND, DT_NOEND, ...)
        return "infinity" if value > 0 else "-infinity"
    days, micros = (value, 0) if kind == "D" else divmod(value, 86_400_000_000)
    year, month, day = _civil_from_days(days + 10_957)
    era = "" if year > 0 else " BC"
    text = f"{year if year > 0 else 1 - year:04d}-{month:02d}-{day:02d}"
    if kind == "D":
        return text + era
    seconds, fraction = divmod(micros, 1_000_000)
    text += f" {seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
    if fraction:
        text += f".{fraction:06d}".rstrip("0")
    return text + ("+00" if arrow_type.tz else "") + era


def _civil_from_days(days: int) -> tuple[int, int, int]:
    """The proleptic Gregorian (year, month, day) `days` after 1970-01-01, year 0 being 1 BC, for any year
    (Howard Hinnant's civil_from_days: https://howardhinnant.github.io/date_algorithms.html#civil_from_days)."""
    days += 719_468
    era = days // 146_097
    day_of_era = days - era * 146_097
    year_of_era = (day_of_era - day_of_era // 1460 + day_of_era // 36524 - day_of_era // 146_096) // 365
    day_of_year = day_of_era - (365 * year_of_era + year_of_era // 4 - year_of_era // 100)
    shifted_month = (5 * day_of_year + 2) // 153
    day = day_of_year - (153 * shifted_month + 2) // 5 + 1
    month = shifted_month + 3 if shifted_month < 10 else shifted_month - 9
    year = year_of_era + era * 400 + (month <= 2)
    return year, month, day


def _decode_hex_bytea(texts: pa.Array) -> pa.Array:
    """bytea arrives as `\\x` + hex; decode every value at once: one hex decode of the values' buffer.

    Dropping each value's `\\x` leaves the values' hex back to back, so the bytes of value i start
    at half its hex offset; the validity bitmap carries over unchanged.
    """
    import pyarrow.compute as pc  # here: only a table with a bytea column pays its import (arrow_compute.py)

    hex_only = pc.utf8_slice_codeunits(texts, 2).cast(pa.large_string())
    validity, offsets, data = hex_only.buffers()
    offset_values = pa.Array.from_buffers(pa.int64(), len(hex_only) + 1, [None, offsets], offset=hex_only.offset)
    first, last = offset_values[0].as_py(), offset_values[-1].as_py()
    decoded = bytes.fromhex(data.to_pybytes()[first:last].decode("ascii")) if data is not None else b""
    halves = pc.divide(pc.subtract(offset_values, first), 2).cast(pa.int32())
    assert hex_only.offset == 0  # a computed array starts at its buffers' start
    return pa.Array.from_buffers(
        pa.binary(), len(hex_only), [validity, halves.buffers()[1], pa.py_buffer(decoded)],
        null_count=hex_only.null_count,
    )
