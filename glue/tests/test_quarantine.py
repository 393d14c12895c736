"""Values no destination holds exactly: set aside (quarantine), coerced, or failing the run, as the policy says."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timezone
from decimal import Decimal

import pytest
from conftest import MySQL, Postgres, Runner

# One conformance suite, two engines: each test runs on the Python job and on the Spark job, and once
# more on the Python job with floe's C readers left out (the `readers` mark, conftest.py).
pytestmark = [pytest.mark.conformance, pytest.mark.readers]


@pytest.fixture
def hostile_postgres(postgres: Postgres, table_name: str) -> str:
    postgres.execute(f"DROP TABLE IF EXISTS floe_test.{table_name}")
    postgres.execute(
        f"""CREATE TABLE floe_test.{table_name} (
            id int PRIMARY KEY, born date, seen timestamp, seen_tz timestamptz, closes time, price numeric(10,2))"""
    )
    postgres.execute(
        f"""INSERT INTO floe_test.{table_name} VALUES
            (1, '2024-02-29', '2024-01-01 10:00', '2024-01-01 10:00+00', '12:00', 1.50),
            (2, 'infinity', '-infinity', 'infinity', '24:00:00', 'NaN'),
            (3, '0044-03-15 BC', '10000-01-01 00:00', '0001-01-01 00:00+00', '00:00', 2.25)"""
    )
    return table_name


def test_quarantine_sets_each_unrepresentable_value_to_null_and_records_it(
    postgres: Postgres, hostile_postgres: str, run_job: Runner
) -> None:
    # Act
    result = run_job(postgres, hostile_postgres, primary_key="id", unrepresentable="quarantine")

    # Assess
    assert result.exit_code == 0, result.stderr
    rows = {row["id"]: row for row in result.rows()}
    assert rows[1]["born"] == date(2024, 2, 29) and rows[1]["price"] == Decimal("1.50")
    assert [rows[2][c] for c in ("born", "seen", "seen_tz", "closes", "price")] == [None] * 5
    assert rows[3]["born"] is None and rows[3]["seen"] is None
    assert rows[3]["seen_tz"] == datetime(1, 1, 1, tzinfo=timezone.utc) and rows[3]["closes"] == time(0)
    assert result.manifest is not None
    assert result.manifest["rejects"]["rows"] == 7
    assert result.manifest["rejects"]["byColumn"] == {"born": 2, "seen": 2, "seen_tz": 1, "closes": 1, "price": 1}
    rejects = result.rejected_values()
    assert {(r["primary_key"], r["column_name"], r["source_value"], r["action"]) for r in rejects} == {
        ('{"id": "2"}', "born", "infinity", "set to NULL"),
        ('{"id": "2"}', "seen", "-infinity", "set to NULL"),
        ('{"id": "2"}', "seen_tz", "infinity", "set to NULL"),
        ('{"id": "2"}', "closes", "24:00:00", "set to NULL"),
        ('{"id": "2"}', "price", "NaN", "set to NULL"),
        ('{"id": "3"}', "born", "0044-03-15 BC", "set to NULL"),
        ('{"id": "3"}', "seen", "10000-01-01 00:00:00", "set to NULL"),
    }
    assert all(r["run_id"] == result.run_id for r in rejects)
    assert next(r for r in rejects if r["column_name"] == "price")["reason"] == "NaN has no form in a numeric(10,2)"
    assert "7 value(s) no destination holds exactly, set aside" in result.stderr
    assert any(record["event"] == "rejects" and record["rows"] == 7 for record in result.log_records())


def test_coerce_lands_the_nearest_value_and_still_records_each(
    postgres: Postgres, hostile_postgres: str, run_job: Runner
) -> None:
    # Act
    result = run_job(postgres, hostile_postgres, primary_key="id", unrepresentable="coerce")

    # Assess
    assert result.exit_code == 0, result.stderr
    row = {r["id"]: r for r in result.rows()}
    assert row[2]["born"] == date(9999, 12, 31) and row[3]["born"] == date(1, 1, 1)
    assert row[2]["seen"] == datetime(1, 1, 1) and row[3]["seen"] == datetime(9999, 12, 31, 23, 59, 59, 999999)
    assert row[2]["seen_tz"] == datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=timezone.utc)
    assert row[2]["closes"] == time(23, 59, 59, 999999) and row[2]["price"] is None
    actions = {(r["primary_key"], r["column_name"]): r["action"] for r in result.rejected_values()}
    assert actions[('{"id": "2"}', "born")] == "set to 9999-12-31"
    assert actions[('{"id": "3"}', "born")] == "set to 0001-01-01"
    assert actions[('{"id": "2"}', "seen")] == "set to 0001-01-01 00:00:00"
    assert actions[('{"id": "2"}', "price")] == "set to NULL"
    assert len(actions) == 7


def test_a_column_may_fail_while_the_table_quarantines(
    postgres: Postgres, hostile_postgres: str, run_job: Runner
) -> None:
    # Act
    result = run_job(
        postgres, hostile_postgres, primary_key="id", unrepresentable="quarantine",
        unrepresentable_columns=json.dumps({"price": "fail"}),
    )

    # Assess
    assert result.exit_code == 5
    assert f"table floe_test.{hostile_postgres}, column price (numeric(10,2))" in result.stderr
    assert result.manifest is None
    assert not list((result.raw_root).rglob("*.parquet"))


def test_the_incremental_column_always_fails_whatever_the_policy(
    postgres: Postgres, hostile_postgres: str, run_job: Runner
) -> None:
    # Act
    result = run_job(
        postgres, hostile_postgres, primary_key="id", unrepresentable="quarantine", incremental_column="seen",
        mode="incremental",
    )

    # Assess
    assert result.exit_code == 5
    assert f"table floe_test.{hostile_postgres}, column seen (timestamp without time zone)" in result.stderr
    assert result.manifest is None


def test_a_clean_table_has_no_rejects_file(postgres: Postgres, table_name: str, run_job: Runner) -> None:
    # Prepare
    postgres.execute(f"DROP TABLE IF EXISTS floe_test.{table_name}")
    postgres.execute(f"CREATE TABLE floe_test.{table_name} (id int PRIMARY KEY, born date)")
    postgres.execute(f"INSERT INTO floe_test.{table_name} VALUES (1, '2024-01-01')")

    # Act
    result = run_job(postgres, table_name, primary_key="id", unrepresentable="quarantine")

    # Assess
    assert result.exit_code == 0, result.stderr
    assert result.manifest is not None
    assert result.manifest["rejects"] == {"rows": 0, "byColumn": {}, "file": None}


def test_mysql_zero_dates_are_quarantined_with_their_key(mysql_db: MySQL, table_name: str, run_job: Runner) -> None:
    # Prepare
    mysql_db.execute(f"DROP TABLE IF EXISTS floe_test.{table_name}")
    mysql_db.execute(
        f"CREATE TABLE floe_test.{table_name} (id int, region char(2), shipped date, PRIMARY KEY (id, region))"
    )
    mysql_db.execute("SET SESSION sql_mode = ''")
    mysql_db.execute(
        f"INSERT INTO floe_test.{table_name} VALUES "
        "(1, 'eu', '2024-01-01'), (2, 'us', '0000-00-00'), (3, 'eu', '2024-00-10')"
    )

    # Act
    result = run_job(mysql_db, table_name, primary_key="id,region", unrepresentable="coerce")

    # Assess
    assert result.exit_code == 0, result.stderr
    assert [row["shipped"] for row in result.rows()] == [date(2024, 1, 1), None, None]
    rejects = result.rejected_values()
    assert [(r["primary_key"], r["source_value"]) for r in rejects] == [
        ('{"id": "2", "region": "us"}', "0000-00-00"),
        ('{"id": "3", "region": "eu"}', "2024-00-10"),
    ]
    assert rejects[0]["action"] == "set to NULL (MySQL's own reading of a zero date)"


def test_a_failed_run_takes_back_its_rejects_file_too(
    postgres: Postgres, hostile_postgres: str, run_job: Runner, tmp_path: object
) -> None:
    # Prepare: the log cannot be written (its folder is a file), so the run fails after landing everything
    raw_root = tmp_path / "raw"  # type: ignore[operator]
    (raw_root).mkdir()
    (raw_root / "_logs").write_text("not a folder")

    # Act
    result = run_job(postgres, hostile_postgres, primary_key="id", unrepresentable="quarantine", raw_root=raw_root)

    # Assess
    assert result.exit_code != 0
    assert result.manifest is None
    assert not list(raw_root.rglob("*.parquet"))


def test_dates_out_of_range_are_found_in_any_batch_and_every_other_value_lands_exactly(
    postgres: Postgres, table_name: str, run_job: Runner
) -> None:
    # Prepare: several batches of dates and timestamps, one out of range near the start, others in later
    # batches (the Python job checks them after the read, in the batch they arrive in), years below 1000
    # among those in range
    table = f"floe_test.{table_name}"
    postgres.execute(f"DROP TABLE IF EXISTS {table}")
    postgres.execute(f"CREATE TABLE {table} (id int PRIMARY KEY, day date, at timestamptz, local timestamp)")
    postgres.execute(
        f"""INSERT INTO {table}
            SELECT g,
                   CASE WHEN g = 150001 THEN DATE 'infinity' ELSE DATE '0001-01-01' + (g * 13 % 3000000) END,
                   CASE WHEN g = 199999 THEN TIMESTAMPTZ '0001-01-01 00:00+00' - INTERVAL '1 day'
                        ELSE TIMESTAMPTZ '1970-01-01 00:00:00+00' + g * INTERVAL '1.000001 s' END,
                   CASE WHEN g % 97 = 0 THEN NULL WHEN g = 7 THEN TIMESTAMP '-infinity'
                        ELSE TIMESTAMP '9999-12-31 23:59:59.999999' - g * INTERVAL '1 day' END
            FROM generate_series(1, 200000) g"""
    )

    # Act
    result = run_job(postgres, table_name, primary_key="id", unrepresentable="quarantine")

    # Assess
    assert result.exit_code == 0, result.stderr
    expected = {
        row[0]: row[1:]
        for row in postgres.query(
            f"SELECT id, CASE WHEN id = 150001 THEN NULL ELSE day END, CASE WHEN id = 199999 THEN NULL ELSE at END, "
            f"CASE WHEN id = 7 THEN NULL ELSE local END FROM {table}"
        )
    }
    landed = {row["id"]: (row["day"], row["at"], row["local"]) for row in result.rows()}
    assert landed == expected
    assert {(r["primary_key"], r["column_name"], r["source_value"]) for r in result.rejected_values()} == {
        ('{"id": "150001"}', "day", "infinity"),
        ('{"id": "199999"}', "at", "0001-12-31 00:00:00+00 BC"),
        ('{"id": "7"}', "local", "-infinity"),
    }
