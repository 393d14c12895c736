"""The raw layout: where a run's files, manifest and log live under the raw root.

`{PostgreSQL|MySQL}/{database}/{table}/{YYYY-MM-DD}/{HH}/{run-id}-{part}.parquet`,
date and hour of the run in UTC, as in the system floe replaces.
"""

from __future__ import annotations

from datetime import datetime

ENGINE_FOLDERS = {"postgres": "PostgreSQL", "mysql": "MySQL"}


def data_key(engine: str, database: str, table: str, run_time: datetime, run_id: str, part: str) -> str:
    return (
        f"{ENGINE_FOLDERS[engine]}/{database}/{table}/{run_time:%Y-%m-%d}/{run_time:%H}/"
        f"{run_id}-{part}.parquet"
    )


def manifest_key(run_id: str) -> str:
    return f"_manifests/{run_id}.json"


def log_key(engine: str, database: str, table: str, run_time: datetime, run_id: str) -> str:
    return f"_logs/{engine}/{database}/{table}/{run_time:%Y-%m-%d}/{run_id}.jsonl"
