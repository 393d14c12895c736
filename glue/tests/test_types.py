"""Values arrive exactly: each type on each engine, read back from Parquet and compared with the source."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timezone
from decimal import Decimal

import pyarrow as pa
import pytest
from conftest import MySQL, Postgres, Runner

# One conformance suite, two engines: each test runs on the Python job and on the Spark job, and once
# more on the Python job with floe's C readers left out (the `readers` mark, conftest.py).
pytestmark = [pytest.mark.conformance, pytest.mark.readers]

TRICKY_TEXT = 'tab\there, newline\nthere, "quotes", back\\slash, comma, 😀 ünïcödé, \\N'


def test_postgres_types_arrive_exactly(postgres: Postgres, table_name: str, run_job: Runner) -> None:
    # Prepare
    postgres.execute(f"DROP TABLE IF EXISTS floe_test.{table_name}")
    postgres.execute(
        f"""CREATE TABLE floe_test.{table_name} (
            id int PRIMARY KEY, small smallint, big bigint, exact numeric(38,9), huge numeric(50,10),
            free numeric, single real, double double precision, flag boolean, fixed char(3), label varchar(40),
            body text, day date, local_ts timestamp(6), instant timestamptz, clock time, ext uuid,
            doc json, docb jsonb, blob bytea)"""
    )
    postgres.execute(
        f"""INSERT INTO floe_test.{table_name} VALUES (
            1, -32768, 9223372036854775807, 12345678901234567890123456789.123456789,
            1234567890123456789012345678901234567890.0123456789, 3.14159265358979323846264338327950288,
            1.5, 0.1, true, 'ab', '', %s, '2024-02-29', '1999-12-31 23:59:59.999999',
            '2024-06-01 12:00:00.000001+05:30', '23:59:59.999999', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
            '{{"k": [1, 2.50, "ü"]}}', '{{"b": 1, "a": {{"c": null}}}}', '\\x00ff10')""",
        (TRICKY_TEXT,),
    )
    postgres.execute(
        f"INSERT INTO floe_test.{table_name} (id, double, single) "
        "VALUES (2, 'NaN', '-Infinity'), (3, 'Infinity', 'NaN')"
    )
    # Act
    result = run_job(postgres, table_name, primary_key="id")
    # Assess
    assert result.exit_code == 0, result.stderr
    rows = result.rows()
    first = rows[0]
    assert first["small"] == -32768 and first["big"] == 9223372036854775807
    assert first["exact"] == Decimal("12345678901234567890123456789.123456789")
    assert first["huge"] == "1234567890123456789012345678901234567890.0123456789"  # wider than 38 digits: exact text
    assert first["free"] == "3.14159265358979323846264338327950288"
    assert first["single"] == 1.5 and first["double"] == 0.1
    assert first["flag"] is True
    assert first["fixed"] == "ab " and first["label"] == "" and first["body"] == TRICKY_TEXT
    assert first["day"] == date(2024, 2, 29)
    assert first["local_ts"] == datetime(1999, 12, 31, 23, 59, 59, 999999)
    assert first["instant"] == datetime(2024, 6, 1, 6, 30, 0, 1, tzinfo=timezone.utc)
    assert first["clock"] == time(23, 59, 59, 999999)
    assert first["ext"] == "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"
    assert json.loads(first["doc"]) == {"k": [1, 2.5, "ü"]}
    assert json.loads(first["docb"]) == {"a": {"c": None}, "b": 1}
    assert first["blob"] == b"\x00\xff\x10"
    assert rows[1]["label"] is None and rows[1]["body"] is None and rows[1]["blob"] is None
    assert rows[1]["double"] != rows[1]["double"] and rows[1]["single"] == float("-inf")
    assert rows[2]["double"] == float("inf")
    schema = result.table().schema
    assert schema.field("exact").type == pa.decimal128(38, 9)
    assert schema.field("huge").type == pa.string()
    assert schema.field("instant").type == pa.timestamp("us", tz="UTC")
    assert schema.field("id").nullable is False and schema.field("label").nullable is True
    columns = {c["name"]: c for c in result.manifest["columns"]}  # type: ignore[index]
    assert columns["exact"]["sourceType"] == "numeric(38,9)" and columns["exact"]["arrowType"] == "decimal128(38, 9)"
    assert columns["instant"]["sourceType"] == "timestamp with time zone"


def test_mysql_types_arrive_exactly(mysql_db: MySQL, table_name: str, run_job: Runner) -> None:
    mysql_db.execute(f"DROP TABLE IF EXISTS floe_test.{table_name}")
    mysql_db.execute(
        f"""CREATE TABLE floe_test.{table_name} (
            id int PRIMARY KEY, tiny tinyint, tiny_u tinyint unsigned, big bigint, big_u bigint unsigned,
            exact decimal(65,30), single float, double_ double, label varchar(40), body text, day date,
            local_ts datetime(6), instant timestamp(6) NULL, yr year, doc json, blob_ blob, bin binary(3),
            choice enum('a','b'), options set('x','y'))
           CHARACTER SET utf8mb4"""
    )
    mysql_db.execute(
        f"""INSERT INTO floe_test.{table_name} VALUES (
            1, -128, 255, -9223372036854775808, 18446744073709551615,
            12345678901234567890123456789012345.123456789012345678901234567891, 0.1, 0.1, '', %s, '2024-02-29',
            '1999-12-31 23:59:59.999999', '2024-06-01 06:30:00.000001', 2024, '{{"k": [1, 2.50, "ü"]}}',
            x'00ff10', x'0102', 'b', 'x,y')""",
        (TRICKY_TEXT,),
    )
    mysql_db.execute(f"INSERT INTO floe_test.{table_name} (id) VALUES (2)")

    result = run_job(mysql_db, table_name, primary_key="id")

    assert result.exit_code == 0, result.stderr
    first, empty = result.rows()
    assert first["tiny"] == -128 and first["tiny_u"] == 255
    assert first["big"] == -9223372036854775808 and first["big_u"] == 18446744073709551615
    assert first["exact"] == "12345678901234567890123456789012345.123456789012345678901234567891"
    assert first["single"] == float(pa.scalar(0.1, pa.float32()).as_py()) and first["double_"] == 0.1
    assert first["label"] == "" and first["body"] == TRICKY_TEXT
    assert first["day"] == date(2024, 2, 29)
    assert first["local_ts"] == datetime(1999, 12, 31, 23, 59, 59, 999999)
    assert first["instant"] == datetime(2024, 6, 1, 6, 30, 0, 1, tzinfo=timezone.utc)
    assert first["yr"] == 2024
    assert json.loads(first["doc"]) == {"k": [1, 2.5, "ü"]}
    assert first["blob_"] == b"\x00\xff\x10" and first["bin"] == b"\x01\x02\x00"
    assert first["choice"] == "b" and first["options"] == "x,y"
    assert all(value is None for key, value in empty.items() if key != "id")
    schema = result.table().schema
    assert schema.field("big_u").type == pa.uint64()
    assert schema.field("exact").type == pa.string()
    assert schema.field("single").type == pa.float32()


def test_a_postgres_value_without_an_exact_arrow_form_fails_the_run_naming_the_column(
    postgres: Postgres, table_name: str, run_job: Runner
) -> None:
    postgres.execute(f"DROP TABLE IF EXISTS floe_test.{table_name}")
    postgres.execute(f"CREATE TABLE floe_test.{table_name} (id int PRIMARY KEY, seen_at timestamptz)")
    postgres.execute(f"INSERT INTO floe_test.{table_name} VALUES (1, now()), (2, 'infinity')")

    result = run_job(postgres, table_name, primary_key="id")

    assert result.exit_code == 5
    assert f"table floe_test.{table_name}, column seen_at (timestamp with time zone)" in result.stderr
    assert "infinity" in result.stderr
    assert result.manifest is None
    assert result.stderr.count("\n") == 1


def test_a_mysql_zero_date_fails_the_run_naming_the_column(mysql_db: MySQL, table_name: str, run_job: Runner) -> None:
    mysql_db.execute(f"DROP TABLE IF EXISTS floe_test.{table_name}")
    mysql_db.execute(f"CREATE TABLE floe_test.{table_name} (id int PRIMARY KEY, shipped date)")
    mysql_db.execute("SET SESSION sql_mode = ''")
    mysql_db.execute(f"INSERT INTO floe_test.{table_name} VALUES (1, '2024-01-01'), (2, '0000-00-00')")

    result = run_job(mysql_db, table_name, primary_key="id")

    assert result.exit_code == 5
    assert f"table floe_test.{table_name}, column shipped (date)" in result.stderr
    assert result.manifest is None
