"""A `COPY ... TO STDOUT (FORMAT binary)` on a psycopg connection, its rows read into Arrow by C (`_copy_pump.c`).

psycopg hands COPY data over one libpq row at a time, through a few Python frames per row: about
0.5 µs a row, more than `psql` spends on the whole row. Here psycopg still sends the statement and
reads its results, through its own low-level `pgconn` API, and only the loop over rows runs in C,
without the GIL, on the libpq psycopg loaded: it parses each row and appends its values to Arrow
buffers. COPY's own row count comes from its command tag, as before.

`available()` is false where the extension was not built (no C compiler when the package was
installed, or a Python whose build it does not match); rows then travel as CSV through psycopg's
Python loop (postgres_copy.py).
"""

from __future__ import annotations

import select
from functools import lru_cache
from typing import Any, NoReturn

import psycopg
from psycopg import pq

try:
    from . import _copy_pump  # type: ignore[attr-defined]
except ImportError:  # not built: the Python loop is the fallback
    _copy_pump = None

DONE, ERROR, MORE = 0, 1, 2


@lru_cache(maxsize=1)
def libpq_path() -> str | None:
    """The file of the libpq this process loaded for psycopg (psycopg-binary ships its own)."""
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                path = line.split(None, 5)[-1].strip()
                name = path.rsplit("/", 1)[-1]
                if name.startswith("libpq") and ".so" in name:
                    return path
    except OSError:
        return None
    return None


def available() -> bool:
    return _copy_pump is not None and libpq_path() is not None


class LibpqCopy:
    """One `COPY ... TO STDOUT (FORMAT binary)` on `conn`: start(), read_binary() until DONE, then finish()
    for its row count."""

    def __init__(self, conn: psycopg.Connection[Any], query: str, params: tuple[Any, ...] | None) -> None:
        self._conn = conn
        self._pgconn = conn.pgconn
        # COPY takes no server-side parameters: psycopg merges them into the text, as cursor.copy() does.
        self._text = psycopg.ClientCursor(conn).mogrify(query, params) if params else query
        self._started = False
        self._ended = False

    def start(self) -> None:
        conn = self._conn
        if conn.info.transaction_status == pq.TransactionStatus.IDLE:
            conn.execute("SELECT 1")  # psycopg's BEGIN, with the connection's isolation level and read-only mode
        self._pgconn.send_query(self._text.encode(conn.info.encoding))
        self._started = True
        result = self._result()
        if result is None or result.status != pq.ExecStatus.COPY_OUT:
            self._ended = True
            self._drain()
            self._raise(result)

    def read_binary(
        self, kinds: bytes, scales: bytes, first: bool, max_rows: int, max_bytes: int
    ) -> tuple[int, int, list[Any], bool]:
        """The next rows of a `(FORMAT binary)` COPY as Arrow buffers per column, and whether the format's
        trailer came (see _copy_pump.c's read_binary)."""
        assert _copy_pump is not None and libpq_path() is not None
        pointer = self._pgconn.pgconn_ptr  # type: ignore[attr-defined]  # both psycopg implementations have it
        status, rows, columns, trailer = _copy_pump.read_binary(
            libpq_path(), pointer, kinds, scales, first, max_rows, max_bytes
        )
        if status == DONE:
            self._ended = True
        return int(status), int(rows), columns, bool(trailer)

    def finish(self) -> int:
        """After DONE: the COPY's own row count, or its error (a statement that failed part way)."""
        result = self._result()
        self._drain()
        if result is None or result.status != pq.ExecStatus.COMMAND_OK:
            self._raise(result)
        return int(result.command_tuples or 0)

    def raise_error(self) -> None:
        """After ERROR: libpq lost the COPY, most often the connection."""
        message: Any = self._pgconn.get_error_message()
        if isinstance(message, bytes):
            message = message.decode(errors="replace")
        raise psycopg.OperationalError(f"receiving COPY data failed: {message}")

    def abandon(self) -> None:
        """Leave the connection usable (or at least quiet) after a failure mid-COPY: cancel and drain."""
        if not self._started:
            return
        try:
            if not self._ended:
                self._conn.cancel_safe(timeout=5)
                while self._pgconn.get_copy_data(0)[0] > 0:
                    pass
            self._drain()
        except (psycopg.Error, OSError):
            pass  # the connection is closed by the caller either way

    def _result(self) -> pq.abc.PGresult | None:
        """The next result, waiting for it without holding the GIL (PQgetResult would block holding it)."""
        pgconn = self._pgconn
        while True:
            pgconn.consume_input()
            if not pgconn.is_busy():
                return pgconn.get_result()
            select.select([pgconn.socket], [], [])

    def _drain(self) -> None:
        while self._result() is not None:
            pass

    def _raise(self, result: pq.abc.PGresult | None) -> NoReturn:
        if result is None:
            raise psycopg.OperationalError("the server sent no result for the COPY")
        raise psycopg.errors.error_from_result(result, encoding=self._conn.info.encoding)
