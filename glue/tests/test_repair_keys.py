"""Repair runs (`floe check --repair`): `--keys` reads exactly the given primary keys, whatever the watermark."""

from __future__ import annotations

import json

import pytest
from conftest import Database, Runner

from floe_extract.errors import JobArgumentError
from floe_extract.job_args import parse_job_args
from floe_extract.read_plan import KeyWindow

# One conformance suite, two engines: each test runs on the Python job and on the Spark job.
pytestmark = pytest.mark.conformance


def make_pairs(db: Database, table: str) -> None:
    timestamp = "timestamp(6)" if db.engine == "postgres" else "datetime(6)"
    db.execute(f"DROP TABLE IF EXISTS floe_test.{table}")
    db.execute(
        f"CREATE TABLE floe_test.{table} (region varchar(10) NOT NULL, id bigint NOT NULL, label varchar(20), "
        f"updated_at {timestamp} NULL, PRIMARY KEY (region, id))"
    )
    for region, row_id in [("eu", 1), ("eu", 2), ("us", 1), ("us", 2)]:
        db.execute(
            f"INSERT INTO floe_test.{table} VALUES (%s, %s, %s, %s)",
            (region, row_id, f"{region} {row_id}", "2024-03-01 10:00:00"),
        )


def test_a_repair_run_reads_only_its_keys_and_reports_no_watermark(
    db: Database, table_name: str, run_job: Runner
) -> None:
    # Prepare: ("eu", 3) is not in the source (an extra row in staging, for the repair)
    make_pairs(db, table_name)
    keys = [["eu", "2"], ["us", "1"], ["eu", "3"]]

    # Act
    result = run_job(
        db, table_name, mode="full", primary_key="region,id", incremental_column="updated_at", keys=json.dumps(keys)
    )

    # Assess
    assert result.exit_code == 0, result.stderr
    assert sorted((r["region"], r["id"]) for r in result.rows()) == [("eu", 2), ("us", 1)]
    assert result.manifest is not None
    assert result.manifest["keys"] == keys
    assert result.manifest["newWatermark"] is None


def test_key_values_are_bound_never_spliced() -> None:
    # Act
    predicate = KeyWindow(("id",), (("1'; drop table x; --",), ("2",))).predicate(lambda name: f'"{name}"')
    nulls = KeyWindow(("a", "b"), (("1", None),)).predicate(lambda name: f'"{name}"')

    # Assess
    assert predicate.sql == '"id" IN (%s, %s)'
    assert predicate.params == ("1'; drop table x; --", "2")
    assert nulls.sql == '("a" = %s AND "b" IS NULL)'
    assert nulls.params == ("1",)


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ("[[1]]", r"array of 1 text\(s\) or nulls"),
        ('[["1", "2"]]', r"array of 1 text\(s\) or nulls"),
        ("[]", "non-empty JSON array"),
        ("not json", "must be a JSON array"),
    ],
)
def test_keys_that_do_not_fit_the_primary_key_are_refused(keys: str, message: str) -> None:
    # Prepare
    argv = ["--run-id", "r1", "--engine", "postgres", "--database", "db", "--connection", "x", "--table", "t",
            "--raw-root", "/tmp/x", "--primary-key", "id", "--mode", "full", "--keys", keys]

    # Act / Assess
    with pytest.raises(JobArgumentError, match=message):
        parse_job_args(argv)


def test_keys_need_full_mode() -> None:
    argv = ["--run-id", "r1", "--engine", "postgres", "--database", "db", "--connection", "x", "--table", "t",
            "--raw-root", "/tmp/x", "--primary-key", "id", "--mode", "incremental", "--incremental-column", "u",
            "--keys", '[["1"]]']
    with pytest.raises(JobArgumentError, match="use --mode full"):
        parse_job_args(argv)
