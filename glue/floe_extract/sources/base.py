"""The interface every source engine implements, and the table name it reads."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import pyarrow as pa

from ..columns import SourceColumn
from ..open_transactions import OpenTransactions
from ..read_plan import Predicate

BATCH_ROWS = 65_536


@dataclass(frozen=True)
class TableName:
    """`schema.table` or `table`, exactly as written: names are not case-folded."""

    schema: str | None
    name: str

    @classmethod
    def parse(cls, text: str) -> TableName:
        schema, dot, name = text.partition(".")
        return cls(schema, name) if dot else cls(None, text)

    def __str__(self) -> str:
        return f"{self.schema}.{self.name}" if self.schema else self.name


class Source(Protocol):
    """One source table, opened for one job run.

    `columns` is read when the source is opened. Values passed to and returned
    from `high_mark`, `lower_bound` and `min_max` are the driver's native Python
    values for the column's type, so they round-trip into bound parameters exactly.
    """

    table: TableName
    columns: list[SourceColumn]
    open_transactions: OpenTransactions

    @property
    def reader(self) -> str:
        """What moves the rows in this process (a C loop, or why not): the probe reports it."""
        ...

    def quote(self, name: str) -> str:
        """Quote an identifier for query text."""
        ...

    def high_mark(self, column: SourceColumn) -> Any: ...

    def held_mark(self, column: SourceColumn) -> Any:
        """The largest value of a date or time column below `open_transactions.bound`, in the writers' zone."""
        ...

    def lower_bound(self, column: SourceColumn, watermark: str, lookback_seconds: int) -> Any: ...

    def count_nulls(self, column: SourceColumn) -> int: ...

    def min_max(self, column: SourceColumn, where: Predicate) -> tuple[Any, Any]: ...

    def format_watermark(self, column: SourceColumn, value: Any) -> str: ...

    def read(self, where: Predicate, part: int) -> Iterator[pa.RecordBatch]:
        """Stream the rows matching `where`; part 0 uses the opening connection, others their own."""
        ...

    def close(self) -> None: ...
