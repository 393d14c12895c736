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


def decimal_type(precision: int, scale: int) -> pa.DataType:
    """Exact decimal: 128-bit up to 38 digits, 256-bit up to 76."""
    if precision <= 38:
        return pa.decimal128(precision, scale)
    return pa.decimal256(precision, scale)
