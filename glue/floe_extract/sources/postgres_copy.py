"""Turning PostgreSQL's COPY output in CSV into typed Arrow batches, whatever the size of a row.

This is the reader where floe's C extension does not load (libpq_copy.available() is false): the
rows then come through psycopg's Python loop, and pyarrow's CSV reader parses them. With the
extension, rows arrive in COPY's binary format instead (postgres.py, _read_binary).
"""

from __future__ import annotations

import fcntl
import os
import queue
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

import pyarrow as pa
import pyarrow.csv as pacsv

from ..columns import SourceColumn
from ..errors import UnrepresentableValueError

BLOCK_BYTES = 4 * 1024 * 1024
PIPE_BYTES = 1024 * 1024
STREAM_BUFFER_BYTES = 4 * 1024 * 1024
F_SETPIPE_SZ = 1031  # Linux fcntl command; not exported by Python's fcntl module before 3.10


@dataclass
class Segment:
    """A run of consecutive rows that one CSV reader parses: a pipe the producer is filling, or one large row.

    pyarrow's CSV reader needs every row to fit in one block (a longer row "straddles two block
    boundaries"), and a block as large as the largest row would make every batch that large. So rows
    up to BLOCK_BYTES stream through a pipe in BLOCK_BYTES blocks, and a longer row is parsed on its
    own, in one block of its own size.
    """

    block_size: int
    pipe: Any = None  # the read end, for a streamed segment
    row: bytes | None = None  # the row, for a large one

    def stream(self) -> pa.NativeFile:
        if self.row is not None:
            return pa.BufferReader(self.row)
        # Reads are copied into Arrow memory: handing pyarrow Python buffers zero-copy
        # lets its threads release them during interpreter shutdown, which can abort.
        return pa.input_stream(self.pipe, buffer_size=STREAM_BUFFER_BYTES)

    def close(self) -> None:
        if self.pipe is not None:
            # Closing the read end makes a producer still writing fail with EPIPE instead of blocking.
            self.pipe.close()
        self.row = None


class CopyPump:
    """Runs a COPY in a thread and hands its rows over as segments that pyarrow's CSV reader parses.

    libpq hands over one row per chunk, so the loop over rows runs in its own thread, batching
    rows into large writes, while pyarrow parses the other end of the pipe in C++ threads. The loop
    over `produce()` costs about 0.5 µs a row (BENCHMARKS.md, the matrix). A row longer than a
    block becomes a segment of its own (see Segment), so a 20 MiB document parses like any other row.

    `rows` counts the rows the COPY produced, so the consumer can prove it parsed every one;
    the producer's exception, if any, is re-raised to the consumer, so a failed COPY never looks
    like a clean end of data.
    """

    def __init__(self, produce: Callable[[], Iterator[Any]]) -> None:
        self._produce = produce
        self._error: BaseException | None = None
        self._consumer_left = False
        self._stopping = False
        self.rows = 0
        # One segment waits while the consumer parses another: memory holds at most two large rows.
        self._segments: queue.Queue[Segment | None] = queue.Queue(maxsize=1)
        self._write_fd: int | None = None
        self._drained = False
        self._thread = threading.Thread(target=self._run, name="copy-pump", daemon=True)
        self._thread.start()

    def segments(self) -> Iterator[Segment]:
        """The segments in row order; the caller closes each before asking for the next."""
        while (segment := self._segments.get()) is not None:
            yield segment
        self._drained = True

    def _run(self) -> None:
        rows = 0
        try:
            pending: list[bytes] = []
            size = 0
            for chunk in self._produce():
                rows += 1
                length = len(chunk)
                if length > BLOCK_BYTES:
                    if pending:
                        self._write(b"".join(pending))
                        pending, size = [], 0
                    self._end_stream()
                    self._put(Segment(length + 1, row=bytes(chunk)))
                    continue
                pending.append(bytes(chunk))
                size += length
                if size >= PIPE_BYTES:
                    self._write(b"".join(pending))
                    pending, size = [], 0
            if pending:
                self._write(b"".join(pending))
        except BaseException as error:  # noqa: BLE001 - handed to the consumer in finish()
            self._error = error
        finally:
            self.rows = rows
            self._end_stream()
            self._put(None)

    def _put(self, segment: Segment | None) -> None:
        if self._stopping and segment is not None:
            self._consumer_left = True
            raise BrokenPipeError("the consumer stopped reading")
        self._segments.put(segment)

    def _write(self, data: bytes) -> None:
        if self._write_fd is None:
            read_fd, self._write_fd = os.pipe()
            try:
                fcntl.fcntl(self._write_fd, F_SETPIPE_SZ, PIPE_BYTES)
            except OSError:
                pass  # a smaller pipe only costs a few more context switches
            self._put(Segment(BLOCK_BYTES, pipe=os.fdopen(read_fd, "rb", buffering=PIPE_BYTES)))
        view = memoryview(data)
        try:
            while view:
                view = view[os.write(self._write_fd, view):]
        except BrokenPipeError:
            self._consumer_left = True
            raise

    def _end_stream(self) -> None:
        if self._write_fd is not None:
            os.close(self._write_fd)
            self._write_fd = None

    def finish(self) -> None:
        """Wait for the producer and re-raise what stopped it.

        A producer that failed only because the consumer stopped reading (a broken
        pipe) raises nothing: the consumer's own error is the one to report.
        """
        self.close()
        if self._error is not None and not self._consumer_left:
            raise self._error

    def close(self) -> None:
        """Stop the producer wherever it is: drain and close the segments it still hands over."""
        self._stopping = True
        while not self._drained:
            try:
                segment = self._segments.get(timeout=0.05)
            except queue.Empty:
                self._drained = not self._thread.is_alive() and self._segments.empty()
                continue
            if segment is None:
                self._drained = True
            else:
                segment.close()
        self._thread.join()


def csv_options(types: dict[str, pa.DataType], true_value: str, false_value: str, block_size: int) -> dict[str, Any]:
    return {
        "read_options": pacsv.ReadOptions(column_names=list(types), block_size=block_size, use_threads=True),
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
