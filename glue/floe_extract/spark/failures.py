"""A failed Spark job as the job's own error: the class, message, exit code and retry verdict the Python job gives.

A task's error comes back to the driver as text inside Spark's (a Python worker's traceback, or a
Java exception's chain): task.py puts the job error's class and message in one marked line, read
back here into the same class. What failed outside floe's code is classified by what it says:

- the JDBC connection refused, reset or dropped mid-read (SQLSTATE class 08, PostgreSQL's admin
  shutdown 57P01, the MariaDB driver's connection errors): SourceUnavailableError, retryable (3);
- the source refused the task's login (28xxx, "Access denied"): SourceRefusedError (8);
- a query the source rejected (42xxx: a column dropped since the driver read the catalog):
  SourceSchemaError (4);
- anything else: an unexpected error (1), its Java or Python class named.

Every message passes the run's redactor before it is raised.
"""

from __future__ import annotations

import json
import re

from .. import errors
from ..connection import Redactor
from ..errors import ExtractError
from .task import TASK_ERROR

TASK_LINE = re.compile(re.escape(TASK_ERROR) + r"(\{.*\})")
SQL_STATE = re.compile(r"(?:SQLState|SQL state|SQLSTATE)[:=\s\[]*\s*([0-9A-Z]{5})")
UNAVAILABLE = (
    "Connection refused", "Connection reset", "Communications link failure", "Could not connect",
    "An I/O error occurred", "terminating connection", "Connection is closed", "Socket fail",
    "unexpected end of stream", "EOFException",
)


class SparkJobError(Exception):
    """An error from Spark that is none of floe's own: named after the class Spark or the driver reported."""


def job_error(error: BaseException, table: str, redactor: Redactor) -> BaseException:
    """The error the job reports for `error`, raised by a Spark action of table `table`'s run."""
    text = redactor(str(error))
    found = TASK_LINE.findall(text)
    if found:
        reported = json.loads(found[-1])
        kind, message = str(reported["error"]), redactor(str(reported["message"]))
        known = getattr(errors, kind, None)
        if isinstance(known, type) and issubclass(known, ExtractError):
            found_error: BaseException = known(message)
            return found_error
        return _named(kind, message)
    cause = _cause(text)
    state = SQL_STATE.search(text)
    code = state.group(1) if state else ""
    if code.startswith("08") or code == "57P01" or any(marker in text for marker in UNAVAILABLE):
        return errors.SourceUnavailableError(f"table {table}: lost the connection to the source while reading: {cause}")
    if code.startswith("28") or "Access denied" in text or "password authentication failed" in text:
        return errors.SourceRefusedError(f"table {table}: a Spark task's login was refused: {cause}")
    if code.startswith("42"):
        return errors.SourceSchemaError(f"table {table}: the source refused a Spark task's query: {cause}")
    return _named(_class_name(text, error), f"table {table}: {cause}")


def _named(kind: str, message: str) -> SparkJobError:
    """An error reported under `kind`, the class name the job's one error line shows."""
    named: type[SparkJobError] = type(kind, (SparkJobError,), {})
    return named(message)


def _cause(text: str) -> str:
    """The innermost Java exception's message, or the first line, kept short."""
    causes = re.findall(r"(?:Caused by: )?([\w.$]+(?:Exception|Error)): ([^\n]+)", text)
    line = f"{causes[-1][0].rsplit('.', 1)[-1]}: {causes[-1][1]}" if causes else text.strip().splitlines()[0]
    return " ".join(line.split())[:600]


def _class_name(text: str, error: BaseException) -> str:
    causes = re.findall(r"([\w.$]+(?:Exception|Error)): ", text)
    return causes[-1].rsplit(".", 1)[-1] if causes else type(error).__name__
