"""Full and incremental modes on both engines: windows, ties, NULLs, empty windows, lookback."""

from __future__ import annotations

from datetime import datetime

import pytest
from conftest import Database, Runner

# One conformance suite, two engines: each test runs on the Python job and on the Spark job.
pytestmark = pytest.mark.conformance

T0 = "2024-03-01 10:00:00"


def make_events(db: Database, table: str, rows: list[tuple[int, str | None]]) -> None:
    timestamp = "timestamp(6)" if db.engine == "postgres" else "datetime(6)"
    db.execute(f"DROP TABLE IF EXISTS floe_test.{table}")
    db.execute(
        f"CREATE TABLE floe_test.{table} (id bigint PRIMARY KEY, label varchar(20), updated_at {timestamp} NULL)"
    )
    for row_id, updated_at in rows:
        db.execute(f"INSERT INTO floe_test.{table} VALUES (%s, %s, %s)", (row_id, f"row {row_id}", updated_at))


def incremental(**extra: object) -> dict[str, object]:
    return {"mode": "incremental", "incremental_column": "updated_at", "primary_key": "id", **extra}


def test_full_mode_lands_every_row(db: Database, table_name: str, run_job: Runner) -> None:
    # Prepare
    make_events(db, table_name, [(1, T0), (2, None), (3, "2024-03-01 11:00:00.000001")])
    # Act
    result = run_job(db, table_name, mode="full", primary_key="id")
    # Assess
    assert result.exit_code == 0, result.stderr
    assert [r["id"] for r in result.rows()] == [1, 2, 3]
    assert result.rows()[2]["updated_at"] == datetime(2024, 3, 1, 11, 0, 0, 1)
    assert result.manifest is not None
    assert result.manifest["totalRows"] == 3
    assert result.manifest["window"] is None
    assert result.manifest["newWatermark"] is None


def test_first_incremental_run_reads_everything_up_to_the_high_mark(
    db: Database, table_name: str, run_job: Runner
) -> None:
    make_events(db, table_name, [(1, T0), (2, None), (3, "2024-03-01 12:00:00.5")])

    result = run_job(db, table_name, **incremental())

    assert result.exit_code == 0, result.stderr
    assert [r["id"] for r in result.rows()] == [1, 2, 3]
    assert result.manifest is not None
    assert result.manifest["newWatermark"] == "2024-03-01 12:00:00.500000"
    assert result.manifest["window"]["from"] is None
    assert result.manifest["window"]["to"] == "2024-03-01 12:00:00.500000"
    assert result.manifest["nullIncrementalRows"] == 1


def test_watermark_is_an_exclusive_lower_bound_and_ties_at_it_are_not_reread(
    db: Database, table_name: str, run_job: Runner
) -> None:
    make_events(db, table_name, [(1, T0), (2, T0), (3, "2024-03-01 10:00:00.000001"), (4, "2024-03-01 11:00:00")])

    result = run_job(db, table_name, **incremental(watermark=T0))

    assert result.exit_code == 0, result.stderr
    assert [r["id"] for r in result.rows()] == [3, 4]
    assert result.manifest is not None
    assert result.manifest["previousWatermark"] == T0
    assert result.manifest["newWatermark"] == "2024-03-01 11:00:00.000000"


def test_rows_tied_at_the_high_mark_all_land_in_the_same_run(db: Database, table_name: str, run_job: Runner) -> None:
    make_events(db, table_name, [(1, T0), (2, "2024-03-01 11:00:00"), (3, "2024-03-01 11:00:00")])

    first = run_job(db, table_name, **incremental())
    assert first.manifest is not None
    second = run_job(db, table_name, **incremental(watermark=first.manifest["newWatermark"]))

    assert [r["id"] for r in first.rows()] == [1, 2, 3]
    assert second.exit_code == 0, second.stderr
    assert second.rows() == []
    assert second.manifest is not None and second.manifest["totalRows"] == 0


def test_lookback_rereads_the_overlap_before_the_watermark(db: Database, table_name: str, run_job: Runner) -> None:
    make_events(
        db, table_name, [(1, "2024-03-01 09:58:59"), (2, "2024-03-01 09:59:30"), (3, T0), (4, "2024-03-01 10:00:01")]
    )

    result = run_job(db, table_name, **incremental(watermark=T0, lookback_seconds=60))

    assert result.exit_code == 0, result.stderr
    assert [r["id"] for r in result.rows()] == [2, 3, 4]
    assert result.manifest is not None
    assert result.manifest["window"]["from"] == "2024-03-01 09:59:00.000000"


def test_later_runs_count_null_incremental_values_and_skip_them(db: Database, table_name: str, run_job: Runner) -> None:
    make_events(db, table_name, [(1, T0), (2, None), (3, None), (4, "2024-03-01 11:00:00")])

    result = run_job(db, table_name, **incremental(watermark=T0))

    assert result.exit_code == 0, result.stderr
    assert [r["id"] for r in result.rows()] == [4]
    assert result.manifest is not None
    assert result.manifest["nullIncrementalRows"] == 2
    assert "2 rows have NULL updated_at" in result.stderr
    assert any(r["event"] == "null-incremental-values" and r["rows"] == 2 for r in result.log_records())


def test_an_empty_window_lands_no_file_and_keeps_the_watermark(db: Database, table_name: str, run_job: Runner) -> None:
    make_events(db, table_name, [(1, T0)])

    result = run_job(db, table_name, **incremental(watermark=T0))

    assert result.exit_code == 0, result.stderr
    assert result.manifest is not None
    assert result.manifest["files"] == []
    assert result.manifest["totalRows"] == 0
    assert result.manifest["newWatermark"] == T0


def test_an_empty_table_lands_no_file(db: Database, table_name: str, run_job: Runner) -> None:
    make_events(db, table_name, [])

    result = run_job(db, table_name, **incremental())

    assert result.exit_code == 0, result.stderr
    assert result.manifest is not None
    assert result.manifest["files"] == [] and result.manifest["newWatermark"] is None


def test_integer_incremental_columns_work_too(db: Database, table_name: str, run_job: Runner) -> None:
    make_events(db, table_name, [(1, T0), (2, T0), (3, T0)])

    result = run_job(db, table_name, mode="incremental", incremental_column="id", watermark="1")

    assert result.exit_code == 0, result.stderr
    assert [r["id"] for r in result.rows()] == [2, 3]
    assert result.manifest is not None and result.manifest["newWatermark"] == "3"


def test_a_lookback_never_moves_the_watermark_back(db: Database, table_name: str, run_job: Runner) -> None:
    # Prepare: the only row inside the lookback is older than the watermark.
    make_events(db, table_name, [(1, "2024-03-01 09:55:00")])
    # Act
    result = run_job(db, table_name, **incremental(watermark=T0, lookback_seconds=600))
    # Assess
    assert result.exit_code == 0, result.stderr
    assert [r["id"] for r in result.rows()] == [1]
    assert result.manifest is not None and result.manifest["newWatermark"] == T0


def test_decimal_watermarks_are_written_out_in_plain_digits(db: Database, table_name: str, run_job: Runner) -> None:
    db.execute(f"DROP TABLE IF EXISTS floe_test.{table_name}")
    db.execute(f"CREATE TABLE floe_test.{table_name} (id int PRIMARY KEY, version decimal(20,10))")
    db.execute(f"INSERT INTO floe_test.{table_name} VALUES (1, 0.0000001), (2, 0)")

    result = run_job(db, table_name, mode="incremental", incremental_column="version")

    assert result.exit_code == 0, result.stderr
    assert result.manifest is not None and result.manifest["newWatermark"] == "0.0000001000"


@pytest.mark.parametrize(
    ("column", "watermark"),
    [("id", "abc"), ("id", "12.7"), ("id", "19999x"), ("id", "2024-01-01 00:00:00"),
     ("updated_at", "2024-01-01 00:00:00 garbage"), ("updated_at", "2024-13")],
)
def test_mysql_refuses_a_watermark_its_cast_would_quietly_change(
    mysql_db: Database, table_name: str, run_job: Runner, column: str, watermark: str
) -> None:
    make_events(mysql_db, table_name, [(1, T0)])

    result = run_job(mysql_db, table_name, mode="incremental", incremental_column=column, watermark=watermark)

    assert result.exit_code == 2, result.stderr
    assert f"--watermark {watermark!r} is not a valid" in result.stderr and f"column {column}" in result.stderr
    assert result.manifest is None


def test_a_full_run_with_an_incremental_column_reports_the_largest_value_as_the_watermark(
    db: Database, table_name: str, run_job: Runner
) -> None:
    make_events(db, table_name, [(1, T0), (2, "2024-03-01 12:00:00.25"), (3, None)])

    result = run_job(db, table_name, mode="full", incremental_column="updated_at")

    assert result.exit_code == 0, result.stderr
    assert [r["id"] for r in result.rows()] == [1, 2, 3]
    assert result.manifest is not None
    assert result.manifest["window"] is None
    assert result.manifest["newWatermark"] == "2024-03-01 12:00:00.250000"
