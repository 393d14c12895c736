"""FLOE_FAULT: the job kills itself with SIGKILL at the named point, and leaves exactly what a crash there would.

The job runs as a process of its own (a SIGKILL would end pytest too), with two partitions so
that "after the first file" is a moment when one file has landed and the other has not. Both
engines have the same points: the Spark job's driver dies at each, the first file's point reached
on an executor included (it kills the driver, fault.py).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Postgres, job_argv

from floe_extract.fault import FAULT_POINTS, FAULT_VARIABLE

GLUE = Path(__file__).resolve().parents[1]


SCRIPTS = ("extract.py", pytest.param("extract_spark.py", marks=pytest.mark.spark))


def run_with_fault(
    postgres: Postgres, table: str, raw_root: Path, fault: str, script: str = "extract.py"
) -> subprocess.CompletedProcess[str]:
    postgres.execute(f"DROP TABLE IF EXISTS floe_test.{table}")
    postgres.execute(
        f"CREATE TABLE floe_test.{table} AS SELECT g AS id, 'row ' || g AS note FROM generate_series(1, 1000) g"
    )
    argv = job_argv(postgres, table, "faulted", str(raw_root), primary_key="id", partition_column="id", partitions=2)
    return subprocess.run(
        [sys.executable, str(GLUE / script), *argv],
        capture_output=True,
        text=True,
        env={**os.environ, FAULT_VARIABLE: fault, "FLOE_SPARK_MASTER": "local[2]"},
        check=False,
    )


@pytest.mark.parametrize("script", SCRIPTS)
@pytest.mark.parametrize(
    ("fault", "data_files", "manifest", "log"),
    [
        ("extract:after-connect", {0}, False, False),
        # The other part's thread may publish its file in the instant before the signal lands.
        ("extract:after-first-file", {1, 2}, False, False),
        ("extract:before-manifest", {2}, False, False),
        ("extract:after-manifest", {2}, True, False),
        ("extract:after-log", {2}, True, True),
    ],
)
def test_the_job_dies_at_the_named_point_leaving_what_a_crash_there_leaves(
    postgres: Postgres, table_name: str, tmp_path: Path, fault: str, data_files: set[int], manifest: bool, log: bool,
    script: str,
) -> None:
    # Act
    result = run_with_fault(postgres, table_name, tmp_path, fault, script)

    # Assess: killed, no error line (nothing ran after the signal), and the files of the moment
    assert result.returncode == -signal.SIGKILL, result.stderr
    assert "floe-extract: error:" not in result.stderr
    assert len(list(tmp_path.rglob("*.parquet"))) in data_files
    assert (tmp_path / "_manifests" / "faulted.json").exists() == manifest
    assert len(list(tmp_path.rglob("_logs/**/faulted.jsonl"))) == int(log)


def test_every_point_is_tested_above() -> None:
    assert FAULT_POINTS == (
        "extract:after-connect",
        "extract:after-first-file",
        "extract:before-manifest",
        "extract:after-manifest",
        "extract:after-log",
    )


def test_a_point_of_another_process_leaves_the_job_alone(postgres: Postgres, table_name: str, tmp_path: Path) -> None:
    # Act: a point of floe's TypeScript side, which the job passes on its way
    result = run_with_fault(postgres, table_name, tmp_path, "load-and-merge:after-raw-load")

    # Assess
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "_manifests" / "faulted.json").exists()
