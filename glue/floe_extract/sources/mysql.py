"""MySQL and MariaDB: information_schema types, streamed text-protocol rows cast to Arrow in bulk.

Rows arrive as MySQL's own text for each value, unconverted: the driver (mysql-connector's pure-Python
protocol, on every host) sends the SELECT and reads its column definitions, then floe's C reader
(_mysql_rows.c) parses the rows' packets from the connection's socket straight into one Arrow binary
array per column; where that extension did not load, the driver's cursor returns them as tuples of
bytes (`raw=True`). pyarrow then casts whole columns to their exact types, which is both faster than
per-value Python conversion and strict: a value that does not fit (a zero date, say) fails the cast
instead of turning into something else.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Callable, Generator, Iterator
from datetime import date, datetime
from decimal import Decimal
from operator import itemgetter
from typing import Any

import mysql.connector
import pyarrow as pa
from mysql.connector import errorcode
from mysql.connector.constants import ClientFlag
from mysql.connector.errors import get_mysql_exception
from mysql.connector.plugins import caching_sha2_password

from .. import arrow_compute
from ..columns import Kind, SourceColumn, decimal_column
from ..connection import ConnectionSettings, Redactor
from ..errors import (
    JobArgumentError,
    SourceRefusedError,
    SourceSchemaError,
    SourceUnavailableError,
    UnrepresentableValueError,
)
from ..open_transactions import OpenTransactions, from_epoch
from ..quarantine import Rejects
from ..read_plan import Predicate
from .base import BATCH_ROWS, TableName

WATERMARK_FORMS = {
    "integer": re.compile(r"[-+]?\d+"),
    "decimal": re.compile(r"[-+]?(\d+(\.\d*)?|\.\d+)"),
    "date": re.compile(r"\d{4}-\d{2}-\d{2}"),
    "timestamp": re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?"),
}
Fetch = Callable[[int], "list[tuple[Any, ...]]"]  # fetchmany(size): up to `size` raw rows, [] at the end
BATCH_BYTES = 8 * 1024 * 1024
# Rows fetched at once hold at most this much, taking each row at its longest (see _batches).
FETCH_BYTES = 128 * 1024 * 1024
# Values of columns declared up to this size are not measured: they are counted at their declared size.
MEASURED_OCTETS = 1024
# Numbers, dates and times as MySQL's text: decimal(65,30) is the longest at 67 characters.
FIXED_OCTETS = 80

INTEGERS: dict[str, tuple[pa.DataType, pa.DataType]] = {
    "tinyint": (pa.int8(), pa.uint8()),
    "smallint": (pa.int16(), pa.uint16()),
    "mediumint": (pa.int32(), pa.uint32()),
    "int": (pa.int32(), pa.uint32()),
    "integer": (pa.int32(), pa.uint32()),
    "bigint": (pa.int64(), pa.uint64()),
}
FIXED_SIZE_KINDS = ("integer", "decimal", "float", "boolean", "date", "timestamp")
TEXT = {"char", "varchar", "tinytext", "text", "mediumtext", "longtext", "enum", "set", "json"}
BINARY = {"binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob", "bit"}

# The buffer the socket is read into: each read takes what the socket holds, up to what is free in it.
SOCKET_READ_BYTES = 1024 * 1024

try:
    # floe's own reader: rows into Arrow buffers in C, never Python objects (_mysql_rows.c).
    from . import _mysql_rows  # type: ignore[attr-defined]

    _MYSQL_ROWS_MISSING = ""
except ImportError as missing:
    _mysql_rows = None
    _MYSQL_ROWS_MISSING = str(missing)

class CachingSha2WithoutCleartext(caching_sha2_password.MySQLCachingSHA2PasswordAuthPlugin):
    """caching_sha2_password (MySQL 8's default login) that never sends the password in clear without TLS.

    When the server has no cached hash of the account (after a restart, a FLUSH PRIVILEGES) it asks for
    full authentication, and mysql-connector's pure-Python plugin answers with the password as plain
    text over any connection; libmysqlclient sends it only over TLS (or encrypted with the server's RSA
    key). https://dev.mysql.com/doc/refman/8.0/en/caching-sha2-pluggable-authentication.html
    """

    def auth_response(self, auth_data: bytes, **kwargs: Any) -> bytes | None:
        if len(auth_data) == 1 and auth_data[0] == self.perform_full_authentication and not self.ssl_enabled:
            raise mysql.connector.errors.InterfaceError(
                msg="the server asks for the password in full (caching_sha2_password, its cache of the account "
                "cleared) over a connection without TLS, and floe sends a password only over TLS: enable TLS "
                "on the server (and leave ssl_disabled off), or log in once with TLS to fill its cache",
                errno=errorcode.CR_SSL_CONNECTION_ERROR,
            )
        return super().auth_response(auth_data, **kwargs)


# The driver finds a login's plugin class by this name in the plugin's module (mysql/connector/plugins).
caching_sha2_password.CachingSha2WithoutCleartext = CachingSha2WithoutCleartext  # type: ignore[attr-defined]
caching_sha2_password.AUTHENTICATION_PLUGIN_CLASS = "CachingSha2WithoutCleartext"

# Long streaming reads: the server must wait for a slow consumer (writing Parquet, uploading to S3).
SESSION_SETUP = (
    "SET time_zone = '+00:00'",
    "SET SESSION net_write_timeout = 3600",
    "SET SESSION net_read_timeout = 3600",
)


# Server and client errors that mean this login, database or TLS setting is wrong, not that the
# server is away or busy: retrying cannot help. MySQL's numbers
# (https://dev.mysql.com/doc/mysql-errors/8.0/en/server-error-reference.html,
# https://dev.mysql.com/doc/mysql-errors/8.0/en/client-error-reference.html) and MariaDB's own for a
# locked account (https://mariadb.com/kb/en/mariadb-error-code-reference/).
REFUSAL_ERRNOS = frozenset(
    {
        errorcode.ER_DBACCESS_DENIED_ERROR,  # 1044
        errorcode.ER_ACCESS_DENIED_ERROR,  # 1045
        errorcode.ER_BAD_DB_ERROR,  # 1049
        1698,  # ER_ACCESS_DENIED_NO_PASSWORD_ERROR
        1820,  # ER_MUST_CHANGE_PASSWORD
        1862,  # ER_MUST_CHANGE_PASSWORD_LOGIN
        2026,  # CR_SSL_CONNECTION_ERROR
        3118,  # ER_ACCOUNT_HAS_BEEN_LOCKED (MySQL)
        3159,  # ER_SECURE_TRANSPORT_REQUIRED
        4151,  # ER_ACCOUNT_HAS_BEEN_LOCKED (MariaDB)
    }
)


def _arrow_type(data_type: str, column_type: str, precision: Any, scale: Any) -> tuple[pa.DataType, Kind]:
    if data_type in INTEGERS:
        signed, unsigned = INTEGERS[data_type]
        return (unsigned if "unsigned" in column_type else signed), "integer"
    if data_type == "decimal":
        return decimal_column(int(precision), int(scale))
    if data_type == "float":
        return pa.float32(), "float"
    if data_type == "double":
        return pa.float64(), "float"
    if data_type == "date":
        return pa.date32(), "date"
    if data_type == "datetime":
        return pa.timestamp("us"), "timestamp"
    if data_type == "timestamp":
        return pa.timestamp("us", tz="UTC"), "timestamp"
    if data_type == "year":
        return pa.int16(), "integer"
    if data_type in TEXT:
        return pa.string(), "text"
    if data_type in BINARY:
        return pa.binary(), "binary"
    # time (may be negative or over 24 h), geometry and anything newer: MySQL's own text for it.
    return pa.string(), "other"


def quote_identifier(name: str) -> str:
    if "%s" in name:
        # The driver substitutes every %s in the text, identifiers included.
        raise SourceSchemaError(f"identifier {name!r} contains '%s', which the MySQL driver cannot quote safely")
    return "`" + name.replace("`", "``") + "`"


class MySQLSource:
    def __init__(
        self, settings: ConnectionSettings, table: TableName, redactor: Redactor, rejects: Rejects | None = None
    ) -> None:
        self.rejects = rejects
        self.reader = "no rows read yet"
        self.settings = settings
        self.table = TableName(table.schema or settings.dbname, table.name)
        self.redactor = redactor
        self._conn = self._connect(before_snapshot=self._read_open_transactions)
        try:
            self.columns = self._read_columns()
        except BaseException:
            self._conn.close()
            raise

    def _read_open_transactions(self, cursor: Any) -> None:
        """Writing transactions open now, read before the snapshot (see open_transactions.py).

        information_schema.innodb_trx needs the PROCESS privilege
        (https://dev.mysql.com/doc/refman/8.0/en/information-schema-innodb-trx-table.html); its
        trx_started is in the server's system time zone, hence the session's `SYSTEM` zone here.
        A transaction writes once it has modified rows or while a statement of it runs (MySQL stamps
        NOW() at each statement's start); read-only ones (consistent-snapshot readers) cannot write.
        """
        cursor.execute("SET time_zone = 'SYSTEM'")
        try:
            cursor.execute(
                "SELECT UNIX_TIMESTAMP(NOW(6)), MIN(UNIX_TIMESTAMP(trx_started)), COUNT(*) "
                "FROM information_schema.innodb_trx WHERE trx_mysql_thread_id <> CONNECTION_ID() "
                "AND trx_is_read_only = 0 AND (trx_rows_modified > 0 OR trx_query IS NOT NULL)"
            )
            now, oldest, count = cursor.fetchone()
            unseen: int | None = 0
        except mysql.connector.Error as error:
            if error.errno != errorcode.ER_SPECIFIC_ACCESS_DENIED_ERROR:
                raise
            cursor.execute("SELECT UNIX_TIMESTAMP(NOW(6))")
            (now,), oldest, count, unseen = cursor.fetchone(), None, 0, None
        found = OpenTransactions(
            from_epoch(now), None if oldest is None else from_epoch(oldest), int(count), unseen, "PROCESS"
        )
        # DATETIME and DATE columns are stamped in the writers' zone: the server's default, @@global.time_zone.
        cursor.execute("SET time_zone = @@global.time_zone")
        cursor.execute("SELECT FROM_UNIXTIME(%s)", (int(found.bound.timestamp()),))
        (self._writers_bound,) = cursor.fetchone()
        cursor.execute("SET time_zone = '+00:00'")
        self.open_transactions = found

    def held_mark(self, column: SourceColumn) -> Any:
        """The column's largest value below the open transactions' bound, in its own type and the writers' zone."""
        below: Any = self.open_transactions.bound.replace(tzinfo=None)  # TIMESTAMP: this session reads UTC
        if column.kind == "date":
            below = self._writers_bound.date()
        elif column.arrow_type == pa.timestamp("us"):
            below = self._writers_bound
        col = self.quote(column.name)
        return self._query(f"SELECT max({col}) FROM {self._from} WHERE {col} < %s", (below,))[0][0]

    def quote(self, name: str) -> str:
        try:
            return quote_identifier(name)
        except SourceSchemaError as error:
            raise SourceSchemaError(f"table {self.table}: {error.message}; rename it in the source") from None

    def _connect(self, before_snapshot: Callable[[Any], None] | None = None) -> Any:
        try:
            conn = mysql.connector.connect(
                host=self.settings.host,
                port=self.settings.port,
                user=self.settings.user,
                password=self.settings.password,
                database=self.settings.dbname,
                charset="utf8mb4",
                # The pure-Python protocol on every host: floe's C reader takes the rows from its socket,
                # and the driver's C extension (a manylinux_2_28 wheel) is not needed where glibc is older.
                use_pure=True,
                # Without connection attributes: to name the client's OS the driver runs `lsb_release`, a
                # process, at each connect (13 ms of the 20 ms a connect took here).
                client_flags=[-ClientFlag.CONNECT_ARGS],
                connection_timeout=15,
                autocommit=True,
                **self.settings.options,
            )
        except mysql.connector.Error as error:
            raise self._connect_failure(error) from None
        _keep_alive(conn._socket.sock)  # type: ignore[union-attr]  # use_pure: a MySQLConnection
        try:
            cursor = conn.cursor()
            for statement in SESSION_SETUP:
                cursor.execute(statement)
            if before_snapshot is not None:
                before_snapshot(cursor)
            cursor.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")
            cursor.close()
        except mysql.connector.Error as error:
            conn.close()
            raise self._connect_failure(error) from None
        return conn

    def _connect_failure(self, error: mysql.connector.Error) -> SourceUnavailableError | SourceRefusedError:
        message = f"cannot connect to {self.settings.describe()}: {self.redactor(str(error.msg))}"
        return (SourceRefusedError if error.errno in REFUSAL_ERRNOS else SourceUnavailableError)(message)

    def _query(self, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        cursor = self._conn.cursor()
        try:
            cursor.execute(query, params)
            return list(cursor.fetchall())
        finally:
            cursor.close()

    def _read_columns(self) -> list[SourceColumn]:
        rows = self._query(
            "SELECT column_name, data_type, column_type, is_nullable, numeric_precision, numeric_scale, "
            "character_octet_length "
            "FROM information_schema.columns WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position",
            (self.table.schema, self.table.name),
        )
        if not rows:
            raise SourceSchemaError(f"table {self.table} not found in database {self.settings.dbname}")
        packet = int(self._query("SELECT @@global.max_allowed_packet")[0][0])
        columns = []
        self._octets: list[int] = []
        for name, data_type, column_type, nullable, precision, scale, octets in rows:
            data_type, column_type = _text(data_type).lower(), _text(column_type).lower()
            arrow_type, kind = _arrow_type(data_type, column_type, precision, scale)
            columns.append(SourceColumn(_text(name), column_type, arrow_type, _text(nullable) == "YES", kind))
            # A client cannot write a value longer than a packet (JSON and spatial types declare no length).
            declared = FIXED_OCTETS if kind in FIXED_SIZE_KINDS else packet if octets is None else int(octets)
            self._octets.append(min(declared, packet))
        return columns

    @property
    def _from(self) -> str:
        return f"{self.quote(self.table.schema or '')}.{self.quote(self.table.name)}"

    def high_mark(self, column: SourceColumn) -> Any:
        return self._query(f"SELECT max({self.quote(column.name)}) FROM {self._from}")[0][0]

    def lower_bound(self, column: SourceColumn, watermark: str, lookback_seconds: int) -> Any:
        # MySQL's CAST accepts trailing garbage and rounds with only a warning: check the text first.
        if not WATERMARK_FORMS[column.kind].fullmatch(watermark.strip()):
            raise JobArgumentError(
                f"table {self.table}: --watermark {watermark!r} is not a valid {column.source_type} "
                f"for column {column.name}"
            )
        casts = {"date": "DATE", "timestamp": "DATETIME(6)", "integer": "DECIMAL(65,0)"}
        cast = casts.get(column.kind, "DECIMAL(65,30)")
        query = f"SELECT CAST(%s AS {cast})" + (" - INTERVAL %s SECOND" if lookback_seconds else "")
        params: tuple[Any, ...] = (watermark, lookback_seconds) if lookback_seconds else (watermark,)
        try:
            value = self._query(query, params)[0][0]
        except mysql.connector.Error as error:
            value, message = None, error.msg
        else:
            message = ""
        if value is None:
            raise JobArgumentError(
                f"table {self.table}: --watermark {watermark!r} is not a valid {column.source_type} "
                f"for column {column.name} {message}".rstrip()
            )
        if column.kind == "integer":
            return int(value)
        if isinstance(value, datetime) and column.kind == "date":
            return value.date()
        return value

    def count_nulls(self, column: SourceColumn) -> int:
        return int(self._query(f"SELECT count(*) FROM {self._from} WHERE {self.quote(column.name)} IS NULL")[0][0])

    def min_max(self, column: SourceColumn, where: Predicate) -> tuple[Any, Any]:
        col = self.quote(column.name)
        clause = f" WHERE {where.sql}" if where.sql else ""
        low, high = self._query(f"SELECT min({col}), max({col}) FROM {self._from}{clause}", where.params)[0]
        return low, high

    def format_watermark(self, column: SourceColumn, value: Any) -> str:
        if isinstance(value, datetime):
            # MySQL literals carry no offset; the session works in UTC.
            return value.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
        if isinstance(value, Decimal):
            return format(value, "f")
        if isinstance(value, (date, int)):
            return str(value)
        raise TypeError(f"unexpected watermark value {value!r}")

    def _select_list(self) -> str:
        # FLOAT's text form is rounded to 6 digits; as DOUBLE it prints the stored binary value exactly.
        return ", ".join(
            f"CAST({self.quote(c.name)} AS DOUBLE)" if c.arrow_type == pa.float32() else self.quote(c.name)
            for c in self.columns
        )

    def read(self, where: Predicate, part: int) -> Iterator[pa.RecordBatch]:
        conn = self._conn if part == 0 else self._connect()
        clause = f" WHERE {where.sql}" if where.sql else ""
        query = f"SELECT {self._select_list()} FROM {self._from}{clause}"
        schema = pa.schema([pa.field(c.name, c.arrow_type, c.nullable) for c in self.columns])
        cursor = None
        ended = False
        try:
            cursor = conn.cursor(raw=True)
            cursor.execute(query, where.params)  # sends the SELECT and reads its column definitions, not its rows
            if len(cursor.description) != len(self.columns):
                raise SourceSchemaError(
                    f"table {self.table}: the read returned {len(cursor.description)} columns, not {len(self.columns)}"
                )
            if _mysql_rows is not None:
                self.reader = "rows are read into Arrow by floe's C extension"
                batches = _native_batches(conn, len(self.columns))
            else:
                why = f" ({_MYSQL_ROWS_MISSING})" if _MYSQL_ROWS_MISSING else ""
                self.reader = f"rows are read by the driver's pure-Python protocol: floe's C reader did not load{why}"
                batches = self._python_batches(self._batches(cursor.fetchmany))
            raw = next(batches, None)
            while raw is not None:
                converted = [self._convert(column, values) for column, values in zip(self.columns, raw)]
                batch = pa.RecordBatch.from_arrays([array for array, _ in converted], schema=schema)
                for column, (_, rejected) in zip(self.columns, converted):
                    if rejected:
                        self._reject(batch, column, rejected)
                del raw, converted  # the batch holds the values now
                yield batch
                try:
                    raw = batches.send(batch.nbytes)
                except StopIteration:
                    raw = None
            ended = True
        except mysql.connector.Error as error:
            if error.errno in (
                errorcode.CR_SERVER_LOST, errorcode.CR_SERVER_GONE_ERROR, errorcode.ER_QUERY_INTERRUPTED
            ):
                raise SourceUnavailableError(
                    f"table {self.table}: lost the connection to {self.settings.describe()} while reading: {error.msg}"
                ) from None
            raise SourceSchemaError(f"table {self.table}: the read failed: {self.redactor(str(error.msg))}") from None
        finally:
            if not ended and conn.unread_result:
                # Rows left unread would first be read to their end by the next statement: hang up instead.
                conn.unread_result = False
                try:
                    conn.close()
                except mysql.connector.Error:
                    pass  # the connection broke: what the caller sees is the error that stopped the read
            if cursor is not None:
                try:
                    cursor.close()
                except mysql.connector.Error:
                    pass  # a read stopped part way leaves rows unread; closing the connection discards them
            if part != 0:
                conn.close()

    def _python_batches(
        self, rows_batches: Generator[list[tuple[Any, ...]], int, None]
    ) -> Generator[list[pa.Array], int, None]:
        """The driver's rows (tuples of bytes) as one binary array per column, for where _mysql_rows cannot run."""
        rows = next(rows_batches, None)
        while rows is not None:
            # One column at a time: map(itemgetter) runs in C, three times faster than zip(*rows).
            raw = [pa.array(list(map(itemgetter(i), rows)), type=pa.binary()) for i in range(len(self.columns))]
            del rows
            batch_bytes = yield raw
            try:
                rows = rows_batches.send(batch_bytes)
            except StopIteration:
                rows = None

    def _batches(self, fetchmany: Fetch) -> Generator[list[tuple[Any, ...]], int, None]:
        """Rows in batches of about BATCH_BYTES, never fetching more than FETCH_BYTES of rows at their longest.

        A row is taken at its longest: the declared size of each column, and for long columns
        (LONGTEXT, LONGBLOB, JSON) the server's max_allowed_packet, the longest value a client can
        write. So a table of large documents fetches a few rows at a time and a batch never outgrows
        its budget, however small the rows before it were. The values of long columns are measured as
        they arrive: a batch ends once they hold BATCH_BYTES, and a value longer than assumed (written
        under a larger limit) shrinks the fetches that follow. Batch length otherwise follows the bytes
        the last batch held in Arrow.
        """
        octets = list(self._octets)
        measured = [(i, itemgetter(i)) for i, size in enumerate(octets) if size > MEASURED_OCTETS]
        declared_small = sum(size for size in octets if size <= MEASURED_OCTETS)
        most = max(1, min(BATCH_ROWS, FETCH_BYTES // max(declared_small, 1)))
        target = most
        fetch = max(1, min(BATCH_ROWS, FETCH_BYTES // max(sum(octets), 1)))
        ended = False
        while not ended:
            rows: list[tuple[Any, ...]] = []
            large = 0
            # With long columns this loop runs every few rows (a JSON value is taken at max_allowed_packet),
            # so each step does the least it can: one fetch, one sum of lengths per long column.
            while len(rows) < target and large < BATCH_BYTES:
                wanted = min(fetch, target - len(rows))
                chunk = fetchmany(wanted)
                rows += chunk
                for i, value_of in measured:
                    size = sum(map(len, filter(None, map(value_of, chunk))))
                    large += size
                    if size > octets[i]:  # a value may be longer than assumed: take the longest as the new size
                        octets[i] = max(octets[i], *map(len, filter(None, map(value_of, chunk))))
                        fetch = max(1, min(BATCH_ROWS, FETCH_BYTES // max(sum(octets), 1)))
                if len(chunk) < wanted:
                    ended = True
                    break
            if not rows:
                return
            batch_bytes = yield rows
            # Rows as Python objects cost several times their Arrow size: size batches by bytes, not rows.
            if batch_bytes:
                target = max(1, min(most, BATCH_BYTES * len(rows) // batch_bytes))

    def _convert(self, column: SourceColumn, raw: pa.Array) -> tuple[pa.Array, list[tuple[int, str]]]:
        """The column's values (MySQL's text, as binary) as Arrow, and the (row, text) of values set to NULL
        under the table's policy."""
        target = column.arrow_type
        if pa.types.is_binary(target):
            return raw, []
        text = arrow_compute.cast(raw, pa.string())
        try:
            return _cast_text(text, target), []
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
            if self.rejects is not None and self.rejects.policy_for(column) != "fail":
                return self._convert_each(text, target)
            raise UnrepresentableValueError(
                f"table {self.table}, column {column.name} ({column.source_type}): a value cannot be written "
                f"exactly as {target}: {error}. Nothing was landed for this run; fix or exclude the value at "
                "the source, change the column's type, or set the table's `unrepresentable` policy to "
                "quarantine or coerce."
            ) from None

    def _convert_each(self, text: pa.Array, target: pa.DataType) -> tuple[pa.Array, list[tuple[int, str]]]:
        """Value by value, for the rare batch holding a value the type has no form for (a zero date)."""
        kept: list[Any] = []
        rejected: list[tuple[int, str]] = []
        for row, value in enumerate(text.to_pylist()):
            try:
                kept.append(None if value is None else _cast_text(pa.array([value]), target)[0].as_py())
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                kept.append(None)
                rejected.append((row, value))
        return pa.array(kept, type=target), rejected

    def _reject(self, batch: pa.RecordBatch, column: SourceColumn, rejected: list[tuple[int, str]]) -> None:
        assert self.rejects is not None  # values are rejected only with a rejects sink
        policy = self.rejects.policy_for(column)
        # MySQL's connectors read a zero date as NULL where asked to (zeroDateTimeBehavior): that is the coercion.
        action = "set to NULL" if policy == "quarantine" else "set to NULL (MySQL's own reading of a zero date)"
        reason = f"no {column.arrow_type} form (MySQL zero dates and zero month or day parts have none)"
        rows, values = [row for row, _ in rejected], [value for _, value in rejected]
        self.rejects.add(batch, rows, column, values, reason, [action] * len(rows))

    def close(self) -> None:
        self._conn.close()


def _native_batches(conn: Any, columns: int) -> Generator[list[pa.Array], int, None]:
    """The rows of the result `conn` has sent the column definitions of, as one binary array per column,
    each batch up to BATCH_ROWS rows or BATCH_BYTES of values: the socket read into a buffer of at least
    SOCKET_READ_BYTES, its packets parsed by _mysql_rows.c. The driver reads exactly one packet at a time
    (its network layer has no read-ahead), so the socket holds the first row's packet next; TLS is the
    socket's own."""
    assert _mysql_rows is not None
    if type(conn._socket._netbroker).__name__ != "NetworkBrokerPlain":
        raise SourceSchemaError("the connection compresses its packets, which floe's reader does not read")
    sock = conn._socket.sock
    parser = _mysql_rows.Rows(columns)
    buffer = bytearray(SOCKET_READ_BYTES)
    start = end = 0
    while True:
        try:
            status, start, needed = parser.feed(buffer, start, end, BATCH_ROWS, BATCH_BYTES)
        except _mysql_rows.Error as error:
            conn.unread_result = False  # the server ended the result with its error
            number, message, sqlstate = error.args
            raise get_mysql_exception(number, msg=message, sqlstate=sqlstate) from None
        except ValueError as error:
            raise get_mysql_exception(errorcode.CR_MALFORMED_PACKET, msg=str(error), sqlstate="HY000") from None
        if status != _MORE:
            count, arrays = parser.take()
            if status == _END:
                conn.unread_result = False
            if count:
                yield [
                    pa.Array.from_buffers(
                        pa.binary(), count,
                        [None if validity is None else pa.py_buffer(validity), pa.py_buffer(offsets),
                         pa.py_buffer(data)],
                        null_count=nulls,
                    )
                    for nulls, validity, offsets, data in arrays
                ]
            if status == _END:
                if start != end:  # the driver would read these bytes as the answer to its next command
                    raise get_mysql_exception(
                        errorcode.CR_MALFORMED_PACKET, msg="bytes after the result's last packet", sqlstate="HY000"
                    )
                return
            continue
        # What is left is the start of a packet: move it to the front, make room for all of it, and read
        # until it is there (over TLS a read returns one record, at most 16 KB).
        if start > 0:
            buffer[: end - start] = buffer[start:end]
            start, end = 0, end - start
        wanted = max(needed, end + 1)
        if wanted > len(buffer):
            buffer.extend(bytes(max(wanted, 2 * len(buffer)) - len(buffer)))
        view = memoryview(buffer)
        try:
            while end < wanted:
                received = sock.recv_into(view[end:])
                if received == 0:
                    raise _lost("the server closed the connection part way through the result")
                end += received
        except OSError as error:
            raise _lost(f"reading the result: {error}") from None
        finally:
            view.release()


_MORE, _END = 0, 2


def _keep_alive(sock: socket.socket) -> None:
    """TCP keepalives on the connection, as libpq and libmysqlclient set them: the driver's pure-Python
    protocol reads without a timeout, so a server gone without a word would otherwise hold the read
    until the job's own timeout. Probes after a minute of silence, every 10 s, 6 unanswered: dead."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        for option, value in (("TCP_KEEPIDLE", 60), ("TCP_KEEPINTVL", 10), ("TCP_KEEPCNT", 6)):
            if hasattr(socket, option):
                sock.setsockopt(socket.IPPROTO_TCP, getattr(socket, option), value)
    except OSError:
        pass  # not a TCP socket: nothing to keep alive


def _lost(message: str) -> mysql.connector.Error:
    return mysql.connector.errors.OperationalError(msg=message, errno=errorcode.CR_SERVER_LOST, sqlstate="HY000")


def _cast_text(text: pa.Array, target: pa.DataType) -> pa.Array:
    if pa.types.is_string(target):
        return text
    if pa.types.is_timestamp(target) and target.tz is not None:
        return arrow_compute.cast(arrow_compute.cast(text, pa.timestamp("us")), target)
    if target == pa.float32():
        return arrow_compute.cast(arrow_compute.cast(text, pa.float64()), target)
    return arrow_compute.cast(text, target)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, (bytes, bytearray)) else str(value)
