"""Retrying a whole extraction attempt after a failure that may pass: the source or the storage went away.

A retry starts the run again from the connection: a new snapshot, a new high
mark, every part read again. The failed attempt has already taken back its data
files and its manifest (see `ExtractionRun.discard`), and file names depend only
on the run id, the part and the run time, so the attempt that succeeds writes
the same run's files once. Errors that are not retryable (bad arguments, a
missing column, an unrepresentable value) fail at once: trying again cannot help.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from .errors import ExtractError, SourceUnavailableError
from .run_log import RunLog

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How often to try, and how long to wait between tries (exponential, capped)."""

    attempts: int = 1
    """Attempts in all, the first included; 1 means no retry."""
    backoff_seconds: float = 5.0
    """The wait after the first failed attempt; each later wait doubles it."""
    max_backoff_seconds: float = 60.0
    """No single wait is longer than this."""

    def wait_after(self, attempt: int) -> float:
        """Seconds to wait after failed attempt `attempt` (counted from 1) before the next one."""
        return float(min(self.backoff_seconds * 2 ** (attempt - 1), self.max_backoff_seconds))


def lost_connection(error: BaseException, table: str) -> SourceUnavailableError | None:
    """A driver's error for a connection the server or the network ended, wherever in an attempt it came.

    The readers say so themselves while rows stream; a session ended between two statements (a
    failover, `pg_terminate_backend`, MySQL's "server has gone away") surfaces from whichever query
    came next, and is the same failure: worth another attempt, never "unexpected".
    """
    import mysql.connector.errors
    import psycopg

    # The MySQL client's own codes for a session gone (CR_SERVER_GONE_ERROR, CR_SERVER_LOST,
    # CR_SERVER_LOST_EXTENDED): Connector/Python raises them as InterfaceError or OperationalError.
    # https://dev.mysql.com/doc/mysql-errors/8.0/en/client-error-reference.html
    gone = isinstance(error, mysql.connector.errors.Error) and error.errno in (2006, 2013, 2055)
    if isinstance(error, (psycopg.OperationalError, mysql.connector.errors.OperationalError)) or gone:
        said = " ".join(str(error).split())
        return SourceUnavailableError(f"table {table}: lost the connection to the source: {said}")
    return None


def with_retries(
    attempt: Callable[[int], T],
    policy: RetryPolicy,
    log: RunLog,
    table: str,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Call `attempt(number)` until it succeeds, a non-retryable error comes, or the attempts run out.

    Each retry is one `retry` record in the run's log (attempt, cause, wait) and one console line.
    The error that ends the run is the last attempt's, its message saying how many attempts were made.
    """
    for number in range(1, policy.attempts + 1):
        try:
            try:
                return attempt(number)
            except Exception as raised:  # noqa: BLE001 - only a driver's lost connection is converted; the rest goes on as it was
                lost = lost_connection(raised, table)
                if lost is None:
                    raise
                raise lost from raised
        except ExtractError as error:
            if not error.retryable or number == policy.attempts:
                if number == 1:
                    raise
                ending = f"after {number} attempts" if error.retryable else f"on attempt {number} of {policy.attempts}"
                raise type(error)(f"{error.message} ({ending})") from error
            wait = policy.wait_after(number)
            cause = " ".join(error.message.split())
            log.record(
                "retry",
                level="warning",
                attempt=number,
                attempts=policy.attempts,
                error=type(error).__name__,
                message=cause,
                waitSeconds=wait,
            )
            log.say(f"{table}: attempt {number} of {policy.attempts} failed: {cause}; retrying in {wait:g} s")
            sleep(wait)
    raise AssertionError("unreachable: the last attempt returns or raises")
