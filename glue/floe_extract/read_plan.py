"""What to read: the incremental window and its split into partition ranges, as bound SQL predicates.

Both drivers take `%s` placeholders, so one builder serves both dialects; the
caller supplies its own identifier quoting. Values are always bound, never
spliced into the text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Callable

Quote = Callable[[str], str]


@dataclass(frozen=True)
class Predicate:
    sql: str
    params: tuple[Any, ...] = ()

    def and_(self, other: Predicate) -> Predicate:
        if not self.sql:
            return other
        if not other.sql:
            return self
        return Predicate(f"({self.sql}) AND ({other.sql})", self.params + other.params)


EVERYTHING = Predicate("")


@dataclass(frozen=True)
class Window:
    """Incremental bounds in the source's own values: `lower < column <= upper`.

    `lower` is None on a first run (no watermark); `upper` is None when the column
    holds no value yet. On a first run rows whose column is NULL are read too, so a
    first incremental run copies the whole table; later runs cannot see them.
    """

    column: str
    lower: Any
    upper: Any

    @property
    def first_run(self) -> bool:
        return self.lower is None

    def predicate(self, quote: Quote) -> Predicate:
        col = quote(self.column)
        if self.upper is None:
            return Predicate(f"{col} IS NULL") if self.first_run else Predicate("1 = 0")
        if self.first_run:
            return Predicate(f"{col} <= %s OR {col} IS NULL", (self.upper,))
        return Predicate(f"{col} > %s AND {col} <= %s", (self.lower, self.upper))


@dataclass(frozen=True)
class KeyWindow:
    """A repair run's window: exactly these primary keys (one text or None per key column).

    Values are bound as text and read by the database as the column's type; NULL matches with IS NULL.
    """

    columns: tuple[str, ...]
    keys: tuple[tuple[str | None, ...], ...]

    def predicate(self, quote: Quote) -> Predicate:
        cols = [quote(c) for c in self.columns]
        if len(cols) == 1 and all(key[0] is not None for key in self.keys):
            return Predicate(f"{cols[0]} IN ({', '.join('%s' for _ in self.keys)})", tuple(k[0] for k in self.keys))
        terms: list[str] = []
        params: list[Any] = []
        for key in self.keys:
            parts = []
            for col, value in zip(cols, key):
                if value is None:
                    parts.append(f"{col} IS NULL")
                else:
                    parts.append(f"{col} = %s")
                    params.append(value)
            terms.append(f"({' AND '.join(parts)})")
        return Predicate(" OR ".join(terms), tuple(params))


@dataclass(frozen=True)
class Part:
    """One range of the partition column, read on its own connection."""

    index: int
    predicate: Predicate = field(default=EVERYTHING)


def _cut_points(low: Any, high: Any, count: int) -> list[Any]:
    """Values splitting [low, high] into `count` ranges of about equal width, ascending and distinct."""
    cuts: list[Any]
    if isinstance(low, datetime):
        cuts = [low + (high - low) * k / count for k in range(1, count)]
    elif isinstance(low, date):
        days = (high - low).days + 1
        cuts = [low + timedelta(days=days * k // count) for k in range(1, count)]
    else:
        width = int(high) - int(low) + 1
        cuts = [int(low) + width * k // count for k in range(1, count)]
    distinct: list[Any] = []
    for cut in cuts:
        if low < cut <= high and (not distinct or cut > distinct[-1]):
            distinct.append(cut)
    return distinct


def split_parts(column: str, low: Any, high: Any, count: int, quote: Quote) -> list[Part]:
    """Split the partition column's [low, high] into disjoint parts that together cover every row.

    The first part also takes NULLs and the last everything above its cut, so rows
    written between the min/max probe and the read are not lost.
    """
    if count <= 1 or low is None or high is None:
        return [Part(0)]
    cuts = _cut_points(low, high, count)
    if not cuts:
        return [Part(0)]
    col = quote(column)
    parts = [Part(0, Predicate(f"{col} < %s OR {col} IS NULL", (cuts[0],)))]
    for index, (start, end) in enumerate(zip(cuts, cuts[1:]), start=1):
        parts.append(Part(index, Predicate(f"{col} >= %s AND {col} < %s", (start, end))))
    parts.append(Part(len(cuts), Predicate(f"{col} >= %s", (cuts[-1],))))
    return parts


def describe_parts(parts: Sequence[Part]) -> list[dict[str, Any]]:
    return [{"part": p.index, "where": p.predicate.sql, "params": [str(v) for v in p.predicate.params]} for p in parts]
