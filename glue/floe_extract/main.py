"""Command-line entry: run the job, end with one clear line and an exit code that says what failed."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from .connection import Redactor
from .errors import ExtractError, JobArgumentError, StorageError
from .fault import fault_point
from .job import ExtractionRun, write_manifest
from .job_args import MAX_PARTITIONS, JobArgs, RunIdentity, parse_job_args, read_identity
from .layout import log_key, manifest_key
from .retry import with_retries
from .run_log import RunLog
from .storage import LocalStorage, S3Storage, open_storage

PROGRAM = "floe-extract"


class Run(Protocol):
    """One attempt of an extraction: lands its files and returns the manifest, or takes them back."""

    def execute(self) -> dict[str, Any]: ...

    def discard(self) -> None: ...


RunFactory = Callable[[JobArgs, "LocalStorage | S3Storage", RunLog, Redactor], Run]


def main(
    argv: Sequence[str] | None = None, run_factory: RunFactory = ExtractionRun, max_partitions: int = MAX_PARTITIONS
) -> int:
    """The job from its arguments to its exit code. An engine (the Spark job, spark/main.py) passes its own
    `run_factory`, which replaces only how the rows are read and written; arguments, retries, the
    manifest, the log and the exit codes stay these."""
    redactor = Redactor()
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = parse_job_args(argv, max_partitions)
    except JobArgumentError as error:
        identity = read_identity(argv)
        if identity is None:
            return _say_failure(redactor(error.message), error.exit_code)
        failure = error  # `except ... as error` unbinds the name when the block ends; keep a binding of our own
        return _run_logged(identity, redactor, lambda storage, log: _raise(failure))
    identity = RunIdentity(args.run_id, args.engine, args.database, args.table, args.raw_root, args.run_time)

    def extract(storage: LocalStorage | S3Storage, log: RunLog) -> str:
        def attempt(number: int) -> str:
            run = run_factory(args, storage, log, redactor)
            manifest = run.execute()
            try:
                fault_point("extract:before-manifest")
                url = write_manifest(storage, manifest)
                fault_point("extract:after-manifest")
                log.record(
                    "finish",
                    rows=manifest["totalRows"],
                    files=len(manifest["files"]),
                    newWatermark=manifest["newWatermark"],
                    attempt=number,
                )
                _publish_log(storage, identity, log)
            except BaseException:
                # A failed attempt (retried or not) must not leave a manifest saying it landed:
                # the manifest goes first, then the files it listed.
                _remove_manifest(storage, args.run_id, log)
                run.discard()
                raise
            return url

        url = with_retries(attempt, args.retry, log, args.table)
        fault_point("extract:after-log")
        return url

    return _run_logged(identity, redactor, extract)


def _raise(error: Exception) -> str:
    raise error


def _run_logged(
    identity: RunIdentity, redactor: Redactor, body: Callable[[LocalStorage | S3Storage, RunLog], str]
) -> int:
    """Run `body` with the run's log open; any failure becomes one log record and one console line."""
    try:
        storage = open_storage(identity.raw_root)
    except ExtractError as error:
        return _say_failure(redactor(error.message), error.exit_code)
    context = {
        "runId": identity.run_id, "engine": identity.engine, "database": identity.database, "table": identity.table
    }
    log = RunLog(context, redactor)
    try:
        url = body(storage, log)
    except ExtractError as error:
        message, kind, retryable, code = error.message, type(error).__name__, error.retryable, error.exit_code
    except Exception as error:  # noqa: BLE001 - anything unforeseen still ends in one line and a log record
        message = f"table {identity.table}: unexpected {type(error).__name__}: {error}"
        kind, retryable, code = type(error).__name__, False, 1
    else:
        log.say(f"{identity.table}: manifest {url}")
        storage.close()
        return 0
    message = " ".join(redactor(message).split())
    log.record("error", level="error", error=kind, message=message, retryable=retryable)
    try:
        _publish_log(storage, identity, log)
    except (ExtractError, OSError, ValueError):
        pass  # the console line below still reports the failure
    storage.close()
    return _say_failure(message, code)


def _say_failure(message: str, code: int) -> int:
    print(f"{PROGRAM}: error: {' '.join(message.split())}", file=sys.stderr)
    return code


def _remove_manifest(storage: LocalStorage | S3Storage, run_id: str, log: RunLog) -> None:
    try:
        storage.delete(manifest_key(run_id))
    except StorageError as error:
        log.record("cleanup-failed", level="warning", path=manifest_key(run_id), error=error.message)


def _publish_log(storage: LocalStorage | S3Storage, identity: RunIdentity, log: RunLog) -> None:
    key = log_key(identity.engine, identity.database, identity.table, identity.run_time, identity.run_id)
    storage.put_text(key, log.text())
