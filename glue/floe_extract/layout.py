"""The raw layout: where a run's files, manifest and log live under the raw root.

`{PostgreSQL|MySQL}/{database}/{table}/{YYYY-MM-DD}/{HH}/{run-id}-{part}.parquet`,
date and hour of the run in UTC, as in the system floe replaces.

Every name is one path segment: a name that could leave its folder (`/`, `.`, `..`,
empty, NUL) is refused here, whatever checked it before, so nothing lands outside the raw root.
"""

from __future__ import annotations

from datetime import datetime

from .errors import JobArgumentError

ENGINE_FOLDERS = {"postgres": "PostgreSQL", "mysql": "MySQL"}


def _segment(what: str, value: str) -> str:
    if value in ("", ".", "..") or any(c in value for c in "/\0"):
        raise JobArgumentError(f"{what} {value!r} cannot be a folder or file name of the raw layout")
    return value


def data_key(engine: str, database: str, table: str, run_time: datetime, run_id: str, part: str) -> str:
    return (
        f"{ENGINE_FOLDERS[engine]}/{_segment('--database', database)}/{_segment('--table', table)}/"
        f"{run_time:%Y-%m-%d}/{run_time:%H}/{_segment('--run-id', run_id)}-{part}.parquet"
    )


def manifest_key(run_id: str) -> str:
    return f"_manifests/{_segment('--run-id', run_id)}.json"


def log_key(engine: str, database: str, table: str, run_time: datetime, run_id: str) -> str:
    return (
        f"_logs/{_segment('--engine', engine)}/{_segment('--database', database)}/{_segment('--table', table)}/"
        f"{run_time:%Y-%m-%d}/{_segment('--run-id', run_id)}.jsonl"
    )
