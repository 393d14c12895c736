"""PostgreSQL's two readers: binary COPY into Arrow in C, built by the project's set-up, lands what the CSV
COPY through psycopg's Python loop lands (the reader where the C extension does not load)."""

from __future__ import annotations

import pytest
from conftest import Postgres, Runner

from floe_extract.sources import libpq_copy
from floe_extract.sources.postgres_copy import BLOCK_BYTES

PUMPS = ["c", "python"]


def use_pump(monkeypatch: pytest.MonkeyPatch, pump: str) -> None:
    if pump == "python":
        monkeypatch.setattr(libpq_copy, "available", lambda: False)


def test_the_c_loop_is_built_by_the_projects_setup() -> None:
    # scripts/setup builds floe_extract/sources/_copy_pump.c; without it PostgreSQL reads are several times slower
    assert libpq_copy.available(), "run scripts/setup with a C compiler and Python's headers installed"


@pytest.mark.parametrize("pump", PUMPS)
def test_both_pumps_land_every_row_exactly(
    postgres: Postgres, table_name: str, run_job: Runner, monkeypatch: pytest.MonkeyPatch, pump: str
) -> None:
    # Prepare: quoting, NULL against '', multi-byte text, bytea, numeric (read as text), a row longer than a
    # CSV parser's block, then more rows
    use_pump(monkeypatch, pump)
    table = f"floe_test.{table_name}"
    postgres.execute(f"DROP TABLE IF EXISTS {table}")
    postgres.execute(f"CREATE TABLE {table} (id int PRIMARY KEY, body text, data bytea, amount numeric(12,2))")
    postgres.execute(
        f"INSERT INTO {table} SELECT g, CASE g % 4 WHEN 0 THEN NULL WHEN 1 THEN '' "
        "WHEN 2 THEN E'line\\n\"q\", ü 😀 ' || g ELSE repeat('x', g) END, "
        "decode(md5(g::text), 'hex'), g / 100.0 FROM generate_series(1, 5000) g"
    )
    postgres.execute(f"UPDATE {table} SET body = repeat('é', %s) WHERE id = 2500", (BLOCK_BYTES,))

    # Act
    result = run_job(postgres, table_name, primary_key="id")

    # Assess
    assert result.exit_code == 0, result.stderr
    rows = result.rows()
    expected = postgres.query(f"SELECT id, body, data, amount FROM {table} ORDER BY id")
    assert [(r["id"], r["body"], r["data"], r["amount"]) for r in rows] == [
        (i, b, bytes(d), a) for i, b, d, a in expected
    ]


@pytest.mark.parametrize("pump", PUMPS)
def test_a_copy_failing_part_way_fails_the_run_and_lands_nothing(
    postgres: Postgres, table_name: str, run_job: Runner, monkeypatch: pytest.MonkeyPatch, pump: str
) -> None:
    # Prepare: a view whose 50,000th row divides by zero, after many rows were sent
    use_pump(monkeypatch, pump)
    postgres.execute(f"DROP VIEW IF EXISTS floe_test.{table_name}")
    postgres.execute(
        f"CREATE VIEW floe_test.{table_name} AS SELECT g AS id, 1 / (g - 50000) AS v FROM generate_series(1, 60000) g"
    )

    # Act
    result = run_job(postgres, table_name, primary_key="id")

    # Assess
    assert result.exit_code != 0
    assert "division by zero" in result.stderr
    assert result.manifest is None
    assert not list(result.raw_root.rglob("*.parquet"))
