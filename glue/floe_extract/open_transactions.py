"""Transactions still open when a run starts, and how far back they hold its watermark.

A row stamped by a transaction that commits after the run's snapshot is invisible to the run; if
the watermark then moved past its stamp, the next run's window (`column > watermark`) would skip
it for ever. A stamp taken from the database's clock is never earlier than its transaction's start
(PostgreSQL's `now()` is the transaction's start; MySQL's `NOW()` the statement's, later still).
So the watermark a run commits stays below the start of the oldest transaction still writing when
the run began, and below that moment itself (a transaction starting between this reading and the
snapshot is not listed): the next run starts there, and MERGE makes the rows read twice harmless.

What this assumes: the incremental column is stamped from the database's clock, by the writing
transaction. A client's clock (an ORM setting `updated_at` itself) or a transaction that takes its
timestamp long before its first write (it holds no write id until then, so it is not listed) are
what `lookbackSeconds` is still for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any


@dataclass(frozen=True)
class OpenTransactions:
    """What the source said of its writing transactions just before the run's snapshot.

    Times are UTC, from the source's clock. `unseen` counts writing transactions whose start the
    role may not see, or is None when the role may not look at all (`privilege` says what to grant);
    those cannot hold the watermark back.
    """

    measured_at: datetime
    oldest_start: datetime | None
    count: int
    unseen: int | None
    privilege: str

    @property
    def bound(self) -> datetime:
        """The watermark stays below this: the oldest start (or the reading itself), down to the whole second.

        Down to the second because a column with fewer fractional digits rounds a stamp, possibly to
        below the exact start; it never rounds below the start's whole second.
        """
        moment = self.measured_at if self.oldest_start is None else min(self.measured_at, self.oldest_start)
        return moment.replace(microsecond=0)

    @property
    def held_seconds(self) -> float | None:
        """How long the oldest writing transaction had been open, when one was."""
        if self.oldest_start is None or self.oldest_start >= self.measured_at:
            return None
        return (self.measured_at - self.oldest_start).total_seconds()

    def describe(self) -> dict[str, Any]:
        """The manifest's record of it."""
        return {
            "measuredAt": self.measured_at.isoformat(),
            "oldestStart": None if self.oldest_start is None else self.oldest_start.isoformat(),
            "writing": self.count,
            "unseen": self.unseen,
            **({"privilege": self.privilege} if self.unseen != 0 else {}),
        }


def utc(moment: datetime) -> datetime:
    """An aware UTC datetime from the driver's value (aware, or naive UTC)."""
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def from_epoch(seconds: Any) -> datetime:
    return datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=float(seconds))
