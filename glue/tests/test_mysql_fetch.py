"""The MySQL reader takes rows from the driver's C extension in C; it lands what the driver's own fetchmany lands."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import MySQL, Runner

from floe_extract.sources import mysql as mysql_source

FETCHES = ["c", "cursor"]


def use_fetch(monkeypatch: pytest.MonkeyPatch, fetch: str) -> None:
    if fetch == "cursor":
        monkeypatch.setattr(mysql_source, "_row_fetcher", lambda conn, cursor: cursor.fetchmany)


def test_the_c_extension_is_loaded() -> None:
    # mysql-connector's C extension: without it the reader falls back to the pure-Python protocol
    assert not mysql_source.USE_PURE


@pytest.mark.parametrize("fetch", FETCHES)
def test_both_fetches_land_every_row_exactly(
    mysql_db: MySQL, table_name: str, run_job: Runner, monkeypatch: pytest.MonkeyPatch, fetch: str
) -> None:
    # Prepare: a JSON column (rows fetched a few at a time), quoting, NULL against '', a zero date set aside,
    # the largest unsigned bigint, and more rows than one batch
    use_fetch(monkeypatch, fetch)
    table = f"floe_test.{table_name}"
    mysql_db.execute(f"DROP TABLE IF EXISTS {table}")
    mysql_db.execute(
        f"CREATE TABLE {table} (id int PRIMARY KEY, body text, doc json, big bigint unsigned, day date) "
        "CHARACTER SET utf8mb4"
    )
    mysql_db.execute("SET SESSION sql_mode = ''")
    mysql_db.execute(
        f"INSERT INTO {table} SELECT seq, CASE seq % 4 WHEN 0 THEN NULL WHEN 1 THEN '' "
        "WHEN 2 THEN CONCAT('line\\n\"q\", ü 😀 ', seq) ELSE REPEAT('x', seq % 500) END, "
        "JSON_OBJECT('k', seq, 's', REPEAT('v', seq % 300)), 18446744073709551615 - seq, "
        "CASE WHEN seq = 777 THEN '0000-00-00' ELSE DATE '2024-01-01' + INTERVAL (seq % 400) DAY END "
        "FROM seq_1_to_70000"
    )

    # Act
    result = run_job(mysql_db, table_name, primary_key="id", unrepresentable="quarantine")

    # Assess
    assert result.exit_code == 0, result.stderr
    rows = result.rows()
    expected: list[tuple[Any, ...]] = mysql_db.query(
        f"SELECT id, body, CAST(doc AS CHAR), big, CASE WHEN id = 777 THEN NULL ELSE day END FROM {table} ORDER BY id"
    )
    assert [(r["id"], r["body"], r["doc"], r["big"], r["day"]) for r in rows] == [tuple(row) for row in expected]
    assert [(r["primary_key"], r["column_name"]) for r in result.rejected_values()] == [('{"id": "777"}', "day")]
