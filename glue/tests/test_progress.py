"""The job's progress lines: rows, rows/s, and, when the run reads the whole table, how far along
it is against the catalog's row estimate with an ETA (the form `floe run` draws its bar from)."""

from __future__ import annotations

import re

import pytest
from conftest import Database, Runner

from floe_extract.run_log import progress_line

ROWS = 100_000
# `table: 12,345 of ~100,000 rows (12%), 5,000 rows/s, ETA 18 s`, or `(past the estimate)` and no ETA
WITH_ESTIMATE = re.compile(
    r"^(\S+): ([\d,]+) of ~([\d,]+) rows \((?:(\d+)%|past the estimate)\), ([\d,]+) rows/s(?:, ETA ([\d,]+) s)?$", re.M
)
WITHOUT_ESTIMATE = re.compile(r"^(\S+): ([\d,]+) rows, ([\d,]+) rows/s$", re.M)


def catalog_rows(db: Database, table: str) -> int:
    """What the catalog estimates the table holds, after the statistics are refreshed."""
    if db.engine == "postgres":
        db.execute(f"ANALYZE floe_test.{table}")
        query = "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass"
        return int(db.query(query, (f"floe_test.{table}",))[0][0])
    db.query(f"ANALYZE TABLE floe_test.{table}")
    query = "SELECT table_rows FROM information_schema.tables WHERE table_schema = 'floe_test' AND table_name = %s"
    return int(db.query(query, (table,))[0][0])


def test_a_line_gives_the_share_of_the_estimate_and_an_eta_and_never_a_negative_one() -> None:
    # Act
    halfway = progress_line("s.t", 50_000, 10.0, 100_000)
    past = progress_line("s.t", 120_000, 10.0, 100_000)
    unknown = progress_line("s.t", 50_000, 10.0, None)

    # Assess
    assert halfway == "s.t: 50,000 of ~100,000 rows (50%), 5,000 rows/s, ETA 10 s"
    assert past == "s.t: 120,000 of ~100,000 rows (past the estimate), 12,000 rows/s"
    assert unknown == "s.t: 50,000 rows, 5,000 rows/s"


def test_a_full_read_reports_rows_against_the_catalogs_estimate_and_a_later_incremental_one_only_its_rows(
    db: Database, table_name: str, run_job: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Prepare: a line after every batch read
    monkeypatch.setenv("FLOE_PROGRESS_SECONDS", "0.000001")
    timestamp = "timestamp(6)" if db.engine == "postgres" else "datetime(6)"
    db.execute(f"DROP TABLE IF EXISTS floe_test.{table_name}")
    db.execute(f"CREATE TABLE floe_test.{table_name} (id bigint PRIMARY KEY, updated_at {timestamp} NOT NULL)")
    if db.engine == "postgres":
        rows = f"SELECT g, timestamp '2025-01-01' + g * interval '1 second' FROM generate_series(1, {ROWS}) AS g"
    else:
        rows = f"SELECT seq, timestamp '2025-01-01 00:00:00' + interval seq second FROM seq_1_to_{ROWS}"
    db.execute(f"INSERT INTO floe_test.{table_name} {rows}")
    estimate = catalog_rows(db, table_name)
    incremental = {"mode": "incremental", "incremental_column": "updated_at", "primary_key": "id"}

    # Act
    first = run_job(db, table_name, **incremental)
    db.execute(f"INSERT INTO floe_test.{table_name} VALUES ({ROWS + 1}, timestamp '2030-01-01 00:00:00')")
    watermark = first.manifest["newWatermark"] if first.manifest else None
    second = run_job(db, table_name, **incremental, watermark=watermark)

    # Assess
    assert first.exit_code == 0, first.stderr
    lines = WITH_ESTIMATE.findall(first.stderr)
    assert lines, first.stderr
    table, rows, expected, percent, _rate, eta = lines[-1]
    assert table == f"floe_test.{table_name}"
    assert (int(rows.replace(",", "")), int(expected.replace(",", ""))) == (ROWS, estimate)
    # The catalog's estimate may fall short of the rows (InnoDB samples pages): then no share and no ETA.
    assert (percent, eta == "") == ((str(100 * ROWS // estimate), False) if ROWS <= estimate else ("", True))
    assert second.exit_code == 0, second.stderr
    assert WITH_ESTIMATE.findall(second.stderr) == []
    assert [(t, r) for t, r, _ in WITHOUT_ESTIMATE.findall(second.stderr)] == [(f"floe_test.{table_name}", "1")]
