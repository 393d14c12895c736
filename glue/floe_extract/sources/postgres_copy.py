"""Turning PostgreSQL's COPY output into typed Arrow batches."""

from __future__ import annotations

import fcntl
import os
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NoReturn

import pyarrow as pa
import pyarrow.csv as pacsv

from ..columns import SourceColumn
from ..errors import UnrepresentableValueError

BLOCK_BYTES = 4 * 1024 * 1024
PIPE_BYTES = 1024 * 1024
STREAM_BUFFER_BYTES = 4 * 1024 * 1024
F_SETPIPE_SZ = 1031  # Linux fcntl command; not exported by Python's fcntl module before 3.10


class CopyPump:
    """Runs a COPY in a thread and pours its output into a pipe that pyarrow's CSV reader drains.

    libpq hands over one row per chunk, so the Python loop over rows runs in
    its own thread, batching rows into large writes, while pyarrow parses the
    other end of the pipe in C++ threads. This measured 1.33x the time of
    `psql COPY` against 1.70x for a file adapter read in the consumer's thread
    (BENCHMARKS.md). The producer's exception, if any, is re-raised to the
    consumer, so a failed COPY never looks like a clean end of data.
    """

    def __init__(self, produce: Callable[[], Iterator[Any]]) -> None:
        self._produce = produce
        self._error: BaseException | None = None
        self._consumer_left = False
        self.bytes_written = 0
        read_fd, self._write_fd = os.pipe()
        try:
            fcntl.fcntl(self._write_fd, F_SETPIPE_SZ, PIPE_BYTES)
        except OSError:
            pass  # a smaller pipe only costs a few more context switches
        self._read_file = os.fdopen(read_fd, "rb", buffering=PIPE_BYTES)
        self._thread = threading.Thread(target=self._run, name="copy-pump", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            pending: list[bytes] = []
            size = 0
            for chunk in self._produce():
                pending.append(bytes(chunk))
                size += len(chunk)
                if size >= PIPE_BYTES:
                    self._write(b"".join(pending))
                    pending, size = [], 0
            if pending:
                self._write(b"".join(pending))
        except BaseException as error:  # noqa: BLE001 - handed to the consumer in raise_error()
            self._error = error
        finally:
            os.close(self._write_fd)

    def _write(self, data: bytes) -> None:
        view = memoryview(data)
        try:
            while view:
                view = view[os.write(self._write_fd, view):]
        except BrokenPipeError:
            self._consumer_left = True
            raise
        self.bytes_written += len(data)

    def stream(self) -> pa.NativeFile:
        # Reads are copied into Arrow memory: handing pyarrow Python buffers zero-copy
        # lets its threads release them during interpreter shutdown, which can abort.
        return pa.input_stream(self._read_file, buffer_size=STREAM_BUFFER_BYTES)

    def finish(self) -> None:
        """Stop reading, wait for the producer, and re-raise what stopped it.

        A producer that failed only because the consumer stopped reading (a broken
        pipe) raises nothing: the consumer's own error is the one to report.
        """
        self.close()
        if self._error is not None and not self._consumer_left:
            raise self._error

    def close(self) -> None:
        # Closing the read end first makes a producer still writing fail with EPIPE instead of blocking.
        self._read_file.close()
        self._thread.join()


def csv_options(types: dict[str, pa.DataType], true_value: str, false_value: str) -> dict[str, Any]:
    return {
        "read_options": pacsv.ReadOptions(column_names=list(types), block_size=BLOCK_BYTES, use_threads=True),
        "parse_options": pacsv.ParseOptions(newlines_in_values=True),
        "convert_options": pacsv.ConvertOptions(
            column_types=types,
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
            true_values=[true_value],
            false_values=[false_value],
        ),
    }


CSV_COLUMN = re.compile(r"In CSV column #(\d+): (.*)", re.S)


def raise_unrepresentable(
    table: str, columns: Sequence[SourceColumn], error: pa.ArrowInvalid, column: SourceColumn | None = None
) -> NoReturn:
    """Name the table, column and type a conversion failed on, and what to do about it."""
    detail = str(error)
    if column is None:
        match = CSV_COLUMN.search(detail)
        if match is None:
            raise UnrepresentableValueError(f"table {table}: could not convert a value: {error}") from None
        column, detail = columns[int(match.group(1))], match.group(2)
    raise UnrepresentableValueError(
        f"table {table}, column {column.name} ({column.source_type}): a value cannot be written exactly "
        f"as {column.arrow_type}: {detail.strip()}. Nothing was landed for this run; "
        "fix or exclude the value at the source, change the column's type, or set the table's `unrepresentable` "
        "policy to quarantine or coerce."
    ) from None
