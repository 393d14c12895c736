"""Turning PostgreSQL's COPY output into typed Arrow batches."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any, NoReturn

import pyarrow as pa
import pyarrow.csv as pacsv

from ..columns import SourceColumn
from ..errors import UnrepresentableValueError

BLOCK_BYTES = 4 * 1024 * 1024


class CopyStream:
    """A read-only file over COPY's row chunks, for pyarrow's CSV reader.

    libpq hands over one row per chunk; gathering them into blocks keeps the
    per-row work in C and the Python overhead per block.
    """

    closed = False

    def __init__(self, chunks: Iterator[Any]) -> None:
        self._chunks = chunks
        self._pending = bytearray()
        self._done = False
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        want = BLOCK_BYTES if size is None or size < 0 else size
        pending = self._pending
        while len(pending) < want and not self._done:
            chunk = next(self._chunks, None)
            if chunk is None:
                self._done = True
            else:
                pending += chunk
        out = bytes(pending[:want])
        del pending[:want]
        self.bytes_read += len(out)
        return out

    def close(self) -> None:
        self.closed = True


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
        "fix or exclude the value at the source, or change the column's type."
    ) from None
