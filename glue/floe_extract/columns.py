"""A source column as the job sees it: its source type, the Arrow type it lands as, and its kind.

The kind decides what a column may be used for: incremental columns must be
ordered (integer, decimal, date, timestamp); partition columns must be
splittable into ranges (integer, date, timestamp).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pyarrow as pa

Kind = Literal["integer", "decimal", "float", "boolean", "text", "binary", "date", "timestamp", "other"]
ORDERED_KINDS: tuple[Kind, ...] = ("integer", "decimal", "date", "timestamp")
SPLITTABLE_KINDS: tuple[Kind, ...] = ("integer", "date", "timestamp")
TEMPORAL_KINDS: tuple[Kind, ...] = ("date", "timestamp")


@dataclass(frozen=True)
class SourceColumn:
    name: str
    source_type: str
    arrow_type: pa.DataType
    nullable: bool
    kind: Kind

    def describe(self) -> dict[str, object]:
        """The manifest's description of the column."""
        return {
            "name": self.name,
            "sourceType": self.source_type,
            "arrowType": str(self.arrow_type),
            "nullable": self.nullable,
        }


MAX_WAREHOUSE_PRECISION = 38


def decimal_column(precision: int, scale: int) -> tuple[pa.DataType, Kind]:
    """Exact decimal up to 38 digits; wider ones as the source's exact text.

    Snowflake's NUMBER and DuckDB's DECIMAL stop at 38 digits, and DuckDB reads a wider
    Parquet decimal as an inexact DOUBLE: text is the one form that reaches both unchanged.
    """
    if precision <= MAX_WAREHOUSE_PRECISION:
        return pa.decimal128(precision, scale), "decimal"
    return pa.string(), "other"
