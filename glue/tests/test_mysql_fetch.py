"""The MySQL reader: floe's C reader (rows into Arrow buffers, _mysql_rows.c) lands what the driver's own
fetches land, and where it cannot run the driver's rows are read instead."""

from __future__ import annotations

import threading
from typing import Any

import mysql.connector
import pytest
from conftest import MYSQL_URL, MySQL, Runner

from floe_extract.connection import Redactor, resolve_connection
from floe_extract.errors import SourceUnavailableError
from floe_extract.read_plan import Predicate
from floe_extract.sources import mysql as mysql_source
from floe_extract.sources.base import TableName

# floe's C reader; the driver's C extension's rows taken in C; the driver's cursor.fetchmany.
FETCHES = ["arrow", "c", "cursor"]


def use_fetch(monkeypatch: pytest.MonkeyPatch, fetch: str) -> list[str]:
    """Makes the reader take `fetch`'s path; returns the list where each read says which reader it took."""
    if fetch != "arrow":
        monkeypatch.setattr(mysql_source, "_mysql_rows", None)
    if fetch == "cursor":
        monkeypatch.setattr(mysql_source, "_row_fetcher", lambda conn, cursor: cursor.fetchmany)
    readers: list[str] = []
    native_rows = mysql_source._native_rows

    def telling(*args: Any) -> tuple[Any, str]:
        native, reader = native_rows(*args)
        readers.append(reader)
        return native, reader

    monkeypatch.setattr(mysql_source, "_native_rows", telling)
    return readers


def open_table(table: str) -> mysql_source.MySQLSource:
    settings = resolve_connection(MYSQL_URL, "mysql", Redactor())
    return mysql_source.MySQLSource(settings, TableName("floe_test", table), Redactor())


def seed(mysql_db: MySQL, table: str, rows: int) -> None:
    mysql_db.execute(f"DROP TABLE IF EXISTS floe_test.{table}")
    mysql_db.execute(f"CREATE TABLE floe_test.{table} (id int PRIMARY KEY, name varchar(40)) CHARACTER SET utf8mb4")
    mysql_db.execute(
        f"INSERT INTO floe_test.{table} SELECT seq, CASE WHEN seq % 3 = 0 THEN \"it's\" ELSE CONCAT('n', seq) END "
        f"FROM seq_1_to_{rows}"
    )


def test_the_c_extensions_are_loaded() -> None:
    # mysql-connector's C extension: without it the reader falls back to the pure-Python protocol;
    # floe's: without it rows are read through the driver's tuples
    assert not mysql_source.USE_PURE
    assert mysql_source._mysql_rows is not None, mysql_source._MYSQL_ROWS_MISSING


@pytest.mark.parametrize("fetch", FETCHES)
def test_both_fetches_land_every_row_exactly(
    mysql_db: MySQL, table_name: str, run_job: Runner, monkeypatch: pytest.MonkeyPatch, fetch: str
) -> None:
    # Prepare: a JSON column (rows fetched a few at a time), quoting, NULL against '', a zero date set aside,
    # the largest unsigned bigint, and more rows than one batch
    readers = use_fetch(monkeypatch, fetch)
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
    floes = "rows are read into Arrow by floe's C extension"
    assert readers and all((reader == floes) == (fetch == "arrow") for reader in readers)


def test_the_c_reader_reads_with_the_drivers_own_quoting_of_parameters(mysql_db: MySQL, table_name: str) -> None:
    # Prepare: values with a quote, compared against a string parameter and an integer one
    seed(mysql_db, table_name, 30)
    source = open_table(table_name)
    where = Predicate("`id` > %s AND `name` = %s", (10, "it's"))

    # Act
    try:
        batches = list(source.read(where, 0))
        reader = source.reader
    finally:
        source.close()

    # Assess
    assert reader == "rows are read into Arrow by floe's C extension"
    assert [row["id"] for batch in batches for row in batch.to_pylist()] == [12, 15, 18, 21, 24, 27, 30]


# Rows past the first batch come 10 ms apart: reading them all would take about 40 minutes, so a read that
# ends in seconds did not, and the server is still producing rows when the tests act.
SLOW_AFTER_FIRST_BATCH = Predicate("`id` <= 70000 OR SLEEP(0.01) = 0")


def test_a_read_stopped_part_way_hangs_up_instead_of_reading_the_rest(mysql_db: MySQL, table_name: str) -> None:
    # Prepare
    seed(mysql_db, table_name, 300_000)
    source = open_table(table_name)
    thread = source._conn.connection_id
    reading = source.read(SLOW_AFTER_FIRST_BATCH, 0)
    first = next(reading)

    # Act: the reader is closed after its first batch (in a thread: a reader that drained would take minutes)
    closing = threading.Thread(target=reading.close, daemon=True)
    closing.start()
    closing.join(timeout=10)
    still_reading = closing.is_alive()
    mysql_db.execute(f"KILL {thread}")  # the server notices a client gone only at its next write

    # Assess: it hung up rather than reading the 230,000 rows left, and closing the source after it is harmless
    assert first.num_rows > 0
    assert not still_reading
    source.close()


def test_a_query_killed_mid_read_is_a_lost_connection_naming_the_table(mysql_db: MySQL, table_name: str) -> None:
    # Prepare
    seed(mysql_db, table_name, 300_000)
    source = open_table(table_name)
    reading = source.read(SLOW_AFTER_FIRST_BATCH, 0)
    next(reading)

    # Act: the server stops the statement while it is still producing rows
    mysql_db.execute(f"KILL QUERY {source._conn.connection_id}")
    with pytest.raises(SourceUnavailableError) as raised:
        for _ in reading:
            pass
    source.close()

    # Assess
    assert f"table floe_test.{table_name}" in raised.value.message
    assert "interrupted" in raised.value.message.lower()


def test_the_c_reader_refuses_a_session_it_does_not_find_and_sends_nothing(mysql_db: MySQL) -> None:
    # Prepare: a thread id the connector's session does not report, as a connector of another layout would
    conn = mysql.connector.connect(host="127.0.0.1", user="root", use_pure=False)
    assert mysql_source._mysql_rows is not None
    library = mysql_source._connector_library()

    # Act
    with pytest.raises(ImportError) as raised:
        mysql_source._mysql_rows.open(library, conn._cmysql, conn.connection_id + 1, b"DO SLEEP(5)")

    # Assess: refused at once, and the connection is as it was
    assert "not where this module expects it" in str(raised.value)
    cursor = conn.cursor()
    cursor.execute("SELECT 1")
    assert cursor.fetchall() == [(1,)]
    conn.close()
