"""Errors the job can end with.

Each says whether retrying the same job run could succeed, so the caller (Glue's
retry policy, or floe's state machine) knows whether to try again or to stop and
ask a person. Messages name the table, column or argument at fault and never
contain a secret.
"""

from __future__ import annotations


class ExtractError(Exception):
    """Base class: a failure the job reports in one line and exits non-zero on."""

    retryable: bool = False
    exit_code: int = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class JobArgumentError(ExtractError):
    """The job's arguments are missing, malformed or contradict each other. Terminal."""

    exit_code = 2


class SourceUnavailableError(ExtractError):
    """The source could not be reached, was busy or dropped the connection. May succeed on retry."""

    retryable = True
    exit_code = 3


class SourceSchemaError(ExtractError):
    """The table or a column named in the arguments does not exist. Terminal."""

    exit_code = 4


class UnrepresentableValueError(ExtractError):
    """A source value cannot be written to Parquet exactly. Terminal until the type policy changes."""

    exit_code = 5


class StorageError(ExtractError):
    """Writing files, the manifest or the log failed (disk full, S3 refused). May succeed on retry."""

    retryable = True
    exit_code = 6


class IncompleteReadError(ExtractError):
    """The rows parsed do not add up to the rows the source says it sent. Terminal: a retry would read the same way."""

    exit_code = 7


class SourceRefusedError(ExtractError):
    """The source answered and refused this job: the login, the database's name or the TLS settings are wrong.

    Terminal: retrying for an hour would only hide a wrong password, a typo in the database's name or a
    certificate that does not verify behind a run that looks busy.
    """

    exit_code = 8
    NOTE = "(not retried: the source refused this login, database or TLS setting)"

    def __init__(self, message: str) -> None:
        super().__init__(message if self.NOTE in message else f"{message} {self.NOTE}")
