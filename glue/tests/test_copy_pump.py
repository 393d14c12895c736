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
    # Prepare: quoting, NULL against '', multi-byte text, bytea, numeric, a row longer than the CSV
    # parser's block, then more rows
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


NUMERIC_TYPES = [(38, 0), (38, 10), (38, 38), (10, 2), (5, 5), (20, 7), (4, 0), (19, 3)]


def numeric_text(seed: int, precision: int, scale: int) -> str:
    """A value of numeric(precision, scale) with 1 to `precision` digits, negative for every third seed."""
    digits = str(7**seed * 31 + seed)[-precision:][: 1 + seed % precision]
    split = max(0, len(digits) - scale)
    whole, fraction = digits[:split] or "0", digits[split:].rjust(scale, "0")
    return ("-" if seed % 3 == 0 else "") + whole + ("." + fraction if scale else "")


@pytest.mark.parametrize("pump", PUMPS)
def test_numerics_of_every_precision_and_scale_land_exactly(
    postgres: Postgres, table_name: str, run_job: Runner, monkeypatch: pytest.MonkeyPatch, pump: str
) -> None:
    # Prepare: binary COPY sends numeric as base-10000 digit groups with a weight and a display scale,
    # which the C reader turns into decimal128 at the column's scale: values whose digits straddle a
    # group, fractions below 1, negative values, zero, NULL, and each precision's largest value
    use_pump(monkeypatch, pump)
    table = f"floe_test.{table_name}"
    columns = ", ".join(f"n{i} numeric({p},{s})" for i, (p, s) in enumerate(NUMERIC_TYPES))
    postgres.execute(f"DROP TABLE IF EXISTS {table}")
    postgres.execute(f"CREATE TABLE {table} (id int PRIMARY KEY, {columns})")
    rows = [
        [seed] + [None if (seed + i) % 17 == 0 else numeric_text(seed + i, *t) for i, t in enumerate(NUMERIC_TYPES)]
        for seed in range(1, 400)
    ]
    rows.append([1000] + ["0"] * len(NUMERIC_TYPES))
    rows.append([1001] + ["-" + "9" * (p - s) + "." + "9" * s for p, s in NUMERIC_TYPES])
    placeholders = ", ".join(["%s"] * (len(NUMERIC_TYPES) + 1))
    for row in rows:
        postgres.execute(f"INSERT INTO {table} VALUES ({placeholders})", tuple(row))

    # Act
    result = run_job(postgres, table_name, primary_key="id")

    # Assess
    assert result.exit_code == 0, result.stderr
    expected = postgres.query(f"SELECT * FROM {table} ORDER BY id")
    assert [tuple(r.values()) for r in result.rows()] == [tuple(row) for row in expected]


@pytest.mark.parametrize("pump", PUMPS)
def test_time_past_midnight_fails_the_run_under_fail(
    postgres: Postgres, table_name: str, run_job: Runner, monkeypatch: pytest.MonkeyPatch, pump: str
) -> None:
    # Prepare: PostgreSQL holds 24:00:00; Arrow's time64 and the warehouses do not
    use_pump(monkeypatch, pump)
    table = f"floe_test.{table_name}"
    postgres.execute(f"DROP TABLE IF EXISTS {table}")
    postgres.execute(f"CREATE TABLE {table} (id int PRIMARY KEY, closes time)")
    postgres.execute(f"INSERT INTO {table} VALUES (1, '12:00'), (2, '24:00:00')")

    # Act
    result = run_job(postgres, table_name, primary_key="id", unrepresentable="fail")

    # Assess
    assert result.exit_code == 5, result.stderr
    assert f"table {table}, column closes (time without time zone)" in result.stderr
    assert "24:00:00" in result.stderr
    assert result.manifest is None


@pytest.mark.parametrize("pump", PUMPS)
def test_types_of_another_schema_named_like_built_in_ones_land_as_their_text(
    postgres: Postgres, table_name: str, run_job: Runner, monkeypatch: pytest.MonkeyPatch, pump: str
) -> None:
    # Prepare: composite types called `text` and `date`: binary COPY would send their record form, and
    # neither is a date
    use_pump(monkeypatch, pump)
    table = f"floe_test.{table_name}"
    postgres.execute(f"DROP TABLE IF EXISTS {table}")
    for name in ("text", "date"):
        postgres.execute(f"DROP TYPE IF EXISTS floe_test.{name}")
        postgres.execute(f"CREATE TYPE floe_test.{name} AS (a int, b pg_catalog.text)")
    postgres.execute(f"CREATE TABLE {table} (id int PRIMARY KEY, v floe_test.text, d floe_test.date)")
    postgres.execute(
        f"INSERT INTO {table} VALUES (1, ROW(7, 'x y')::floe_test.text, ROW(1, 'z')::floe_test.date), (2, NULL, NULL)"
    )

    # Act
    result = run_job(postgres, table_name, primary_key="id")
    postgres.execute(f"DROP TABLE {table}")
    postgres.execute("DROP TYPE floe_test.text, floe_test.date")

    # Assess
    assert result.exit_code == 0, result.stderr
    assert [(r["id"], r["v"], r["d"]) for r in result.rows()] == [(1, '(7,"x y")', "(1,z)"), (2, None, None)]


@pytest.mark.parametrize("pump", PUMPS)
def test_a_type_whose_cast_to_text_is_its_own_lands_as_postgres_prints_it(
    postgres: Postgres, table_name: str, run_job: Runner, monkeypatch: pytest.MonkeyPatch, pump: str
) -> None:
    # Prepare: inet's cast to text adds the netmask (`10.0.0.1/32`); its output function, COPY's text, does not
    use_pump(monkeypatch, pump)
    table = f"floe_test.{table_name}"
    postgres.execute(f"DROP TABLE IF EXISTS {table}")
    postgres.execute(f"CREATE TABLE {table} (id int PRIMARY KEY, address inet)")
    postgres.execute(f"INSERT INTO {table} VALUES (1, '10.0.0.1'), (2, '::1'), (3, '192.168.0.1/24'), (4, NULL)")

    # Act
    result = run_job(postgres, table_name, primary_key="id")

    # Assess
    assert result.exit_code == 0, result.stderr
    assert [r["address"] for r in result.rows()] == ["10.0.0.1", "::1", "192.168.0.1/24", None]
