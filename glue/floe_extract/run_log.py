"""The run's log: JSON lines kept under `_logs/` beside the data, and short lines for a person on stderr.

Every message passes the redactor before it is written anywhere, so a secret
that reached an error text from a driver still never reaches a log. A record is
redacted field by field before it is encoded (JSON would turn a password's `"`
into `\\"`, which the raw secret no longer matches), and the encoded line once
more, for text that arrived already escaped (an error quoting a JSON document).
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from datetime import datetime, timezone
from typing import Any, TextIO

from .connection import Redactor


class RunLog:
    """Records are kept in memory (a run writes a few dozen) and published whole, as often as needed."""

    def __init__(self, context: dict[str, str], redactor: Redactor, console: TextIO | None = None) -> None:
        self._lines: list[str] = []
        self._context = context
        self._redact = redactor
        self._console = console
        self._lock = threading.Lock()

    def record(self, event: str, level: str = "info", **fields: Any) -> None:
        entry = {
            "ts": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
            "level": level,
            "event": event,
            **self._context,
            **fields,
        }
        line = self._redact(json.dumps(self._scrub(entry), ensure_ascii=False))
        with self._lock:
            self._lines.append(line)

    def _scrub(self, value: Any) -> Any:
        """The value with every text in it redacted; what JSON cannot hold becomes its text first (`default=str`)."""
        if isinstance(value, str):
            return self._redact(value)
        if value is None or isinstance(value, (bool, int, float)):
            return value
        if isinstance(value, dict):
            return {self._redact(str(key)): self._scrub(item) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return [self._scrub(item) for item in value]
        return self._redact(str(value))

    def say(self, text: str) -> None:
        with self._lock:
            print(self._redact(text), file=self._console or sys.stderr, flush=True)

    def text(self) -> str:
        """The JSON lines recorded so far."""
        with self._lock:
            return "".join(line + "\n" for line in self._lines)


class Progress:
    """Counts rows across parts and prints `table: rows, rows/s` every few seconds.

    When the run reads the whole table (or a repair's known keys), `expected_rows` is the catalog's
    estimate of what it will read, and the line adds how far along it is and an ETA, the form
    `floe run` draws its progress bar from: `t: 12,345 of ~100,000 rows (12%), 5,000 rows/s, ETA 18 s`.
    An estimate, so a run may go past it: the line then says so instead of a negative ETA.
    `FLOE_PROGRESS_SECONDS` sets how often (default 5).
    """

    def __init__(
        self, log: RunLog, table: str, every_seconds: float | None = None, expected_rows: int | None = None
    ) -> None:
        self._log = log
        self._table = table
        self._every = every_seconds if every_seconds is not None else progress_seconds()
        self._expected = expected_rows if expected_rows else None
        self._rows = 0
        self._lock = threading.Lock()
        self._started = time.monotonic()
        self._last_report = self._started

    def add(self, rows: int) -> None:
        with self._lock:
            self._rows += rows
            now = time.monotonic()
            if now - self._last_report < self._every:
                return
            self._last_report = now
            rows_so_far, elapsed = self._rows, now - self._started
        self._log.say(progress_line(self._table, rows_so_far, elapsed, self._expected))

    @property
    def rows(self) -> int:
        return self._rows

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self._started


def progress_line(table: str, rows: int, elapsed: float, expected_rows: int | None) -> str:
    """One progress line; `floe run` (cli/run-progress.ts) parses this exact form."""
    rate = rows / max(elapsed, 1e-9)
    if not expected_rows:  # no estimate, or a catalog that counts an empty table: no share of it to tell
        return f"{table}: {rows:,} rows, {rate:,.0f} rows/s"
    if rows > expected_rows:
        return f"{table}: {rows:,} of ~{expected_rows:,} rows (past the estimate), {rate:,.0f} rows/s"
    eta = (expected_rows - rows) / rate if rate > 0 else None
    eta_text = "ETA unknown" if eta is None else f"ETA {eta:,.0f} s"
    share = f"{100 * rows // expected_rows}%"
    return f"{table}: {rows:,} of ~{expected_rows:,} rows ({share}), {rate:,.0f} rows/s, {eta_text}"


def progress_seconds() -> float:
    """`FLOE_PROGRESS_SECONDS`, or 5; a value that is not a positive number is ignored, not fatal to the run."""
    try:
        seconds = float(os.environ.get("FLOE_PROGRESS_SECONDS", "5"))
    except ValueError:
        return 5.0
    return seconds if seconds > 0 else 5.0
