"""Command-line entry: run the job, end with one clear line and an exit code that says what failed."""

from __future__ import annotations

import sys
from typing import Sequence

from .connection import Redactor
from .errors import ExtractError, StorageError
from .job import ExtractionRun, run_log_key, write_manifest
from .job_args import parse_job_args
from .run_log import RunLog
from .storage import open_storage

PROGRAM = "floe-extract"


def main(argv: Sequence[str] | None = None) -> int:
    redactor = Redactor()
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = parse_job_args(argv)
        storage = open_storage(args.raw_root)
    except ExtractError as error:
        print(f"{PROGRAM}: error: {redactor(error.message)}", file=sys.stderr)
        return error.exit_code
    context = {"runId": args.run_id, "engine": args.engine, "database": args.database, "table": args.table}
    log = RunLog(storage.scratch_dir() / f"{args.run_id}.jsonl.part", context, redactor)
    try:
        manifest = ExtractionRun(args, storage, log, redactor).execute()
        log.record("finish", rows=manifest["totalRows"], files=len(manifest["files"]), newWatermark=manifest["newWatermark"])
        _publish_log(storage, args, log)
        url = write_manifest(storage, manifest)
    except ExtractError as error:
        return _fail(storage, args, log, redactor(error.message), type(error).__name__, error.retryable, error.exit_code)
    except Exception as error:  # noqa: BLE001 - anything unforeseen still ends in one line and a log record
        message = f"table {args.table}: unexpected {type(error).__name__}: {redactor(str(error)).strip()}"
        return _fail(storage, args, log, message, type(error).__name__, False, 1)
    log.say(f"{args.table}: manifest {url}")
    return 0


def _publish_log(storage, args, log: RunLog) -> None:  # type: ignore[no-untyped-def]
    storage.put_text(run_log_key(args), log.close())


def _fail(storage, args, log: RunLog, message: str, kind: str, retryable: bool, code: int) -> int:  # type: ignore[no-untyped-def]
    log.record("error", level="error", error=kind, message=message, retryable=retryable)
    try:
        _publish_log(storage, args, log)
    except (StorageError, OSError, ValueError):
        pass  # the console line below still reports the failure
    print(f"{PROGRAM}: error: {message}", file=sys.stderr)
    return code
