"""Job arguments: the interface start-ingest calls. Bad arguments are named before anything connects."""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from floe_extract.errors import JobArgumentError
from floe_extract.job_args import parse_job_args

GOOD = {
    "--run-id": "r-2025-11-05",
    "--engine": "postgres",
    "--database": "clr",
    "--connection": "postgresql://u@h/db",
    "--table": "public.availed_coupon_snapshots",
    "--raw-root": "s3://bucket/prefix",
}


def argv(overrides: dict[str, str | None] | None = None) -> list[str]:
    values = {**GOOD, **(overrides or {})}
    return [token for name, value in values.items() if value is not None for token in (name, value)]


def test_defaults_fill_what_is_optional() -> None:
    args = parse_job_args(argv())

    assert args.mode == "full" and args.partitions == 1 and args.lookback_seconds == 0
    assert args.target_file_bytes == 128 * 1024 * 1024
    assert args.table_name == "availed_coupon_snapshots"
    assert args.run_time.tzinfo is not None


def test_every_argument_is_read() -> None:
    args = parse_job_args(
        argv(
            {
                "--primary-key": "tenant_id, id",
                "--mode": "incremental",
                "--incremental-column": "updated_at",
                "--watermark": "2025-11-05 12:00:00+00",
                "--lookback-seconds": "300",
                "--partition-column": "id",
                "--partitions": "4",
                "--target-file-mb": "64",
                "--run-time": "2025-11-05T12:34:56+05:30",
            }
        )
    )

    assert args.primary_key == ("tenant_id", "id")
    assert args.watermark == "2025-11-05 12:00:00+00" and args.lookback_seconds == 300
    assert args.partition_column == "id" and args.partitions == 4
    assert args.target_file_bytes == 64 * 1024 * 1024
    assert args.run_time == datetime(2025, 11, 5, 7, 4, 56, tzinfo=timezone.utc)


def test_arguments_glue_adds_are_ignored() -> None:
    args = parse_job_args([*argv(), "--JOB_ID", "j_1", "--TempDir", "s3://tmp/", "--job-bookmark-option", "disable"])

    assert args.run_id == "r-2025-11-05"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"--run-id": None}, "missing required argument(s): --run-id"),
        ({"--engine": "oracle"}, "--engine must be postgres or mysql, got 'oracle'"),
        ({"--mode": "cdc"}, "--mode must be full or incremental, got 'cdc'"),
        ({"--run-id": "../escape"}, "--run-id '../escape' must start with a letter or digit"),
        ({"--database": "a/b"}, "--database 'a/b' must start with a letter or digit"),
        ({"--table": "a/b"}, "--table 'a/b' must be 'table' or 'schema.table'"),
        ({"--mode": "incremental"}, "--mode incremental needs --incremental-column"),
        ({"--watermark": "5"}, "--watermark only applies to --mode incremental"),
        ({"--partitions": "2"}, "--partitions 2 needs --partition-column"),
        ({"--partitions": "0"}, "--partitions must be at least 1, got 0"),
        (
            {"--partitions": "65", "--partition-column": "id"},
            "table public.availed_coupon_snapshots: --partitions 65 is more than 64",
        ),
        ({"--lookback-seconds": "-5"}, "--lookback-seconds must be at least 0, got -5"),
        ({"--target-file-mb": "big"}, "--target-file-mb must be an integer, got 'big'"),
        ({"--run-time": "2025-11-05T12:00:00"}, "--run-time must carry a time zone"),
    ],
)
def test_bad_arguments_are_named(overrides: dict[str, str | None], message: str) -> None:
    with pytest.raises(JobArgumentError) as raised:
        parse_job_args(argv(overrides))

    assert message in raised.value.message


def test_the_most_partitions_a_table_may_have_are_accepted() -> None:
    args = parse_job_args(argv({"--partitions": "64", "--partition-column": "id"}))

    assert args.partitions == 64


def test_on_glue_the_arguments_are_read_with_getresolvedoptions(monkeypatch: pytest.MonkeyPatch) -> None:
    # Prepare: Glue puts its own arguments first and the job's after them.
    monkeypatch.syspath_prepend(str(Path(__file__).parent / "glue_stub"))
    glue_argv = ["--JOB_ID", "j_1", "--run-id", "r1", *argv({"--run-id": None}), "--partitions", "3",
                 "--partition-column", "id", "--TempDir", "s3://tmp/"]
    # Act
    try:
        args = parse_job_args(glue_argv)
        resolved_by = str(sys.modules["awsglue.utils"].__file__)
    finally:
        sys.modules.pop("awsglue.utils", None)
        sys.modules.pop("awsglue", None)
    # Assess
    assert "glue_stub" in resolved_by
    assert args.run_id == "r1" and args.partitions == 3 and args.partition_column == "id"
    assert args.raw_root == "s3://bucket/prefix"
