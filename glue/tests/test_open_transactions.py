"""A transaction that commits after a run is read by the next run: the watermark stays behind open writers."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import mysql.connector
import psycopg
import pytest
from conftest import MYSQL_HOST, MYSQL_PORT, PG_URL, Database, Runner

# One conformance suite, two engines: each test runs on the Python job and on the Spark job.
pytestmark = pytest.mark.conformance


def incremental(**extra: object) -> dict[str, object]:
    return {"mode": "incremental", "incremental_column": "updated_at", "primary_key": "id", **extra}


class Writer:
    """An application session of the source: autocommit off, so it can hold a transaction open."""

    def __init__(self, engine: str, url: str | None = None) -> None:
        self.engine, self.url = engine, url
        if engine == "postgres":
            self.conn: Any = psycopg.connect(url or PG_URL)
        else:
            self.conn = mysql.connector.connect(host=MYSQL_HOST, port=MYSQL_PORT, user="root", database="floe_test")

    def execute(self, statement: str) -> None:
        if self.engine == "postgres":
            self.conn.execute(statement)
        else:
            cursor = self.conn.cursor()
            cursor.execute(statement)
            cursor.close()

    def commit(self) -> None:
        self.conn.commit()

    def close(self) -> None:
        self.conn.close()


def stamped_table(db: Database, table: str, column_type: str | None = None) -> str:
    """A table whose updated_at the database stamps on every write, as a trigger or a default would."""
    db.execute(f"DROP TABLE IF EXISTS floe_test.{table}")
    if db.engine == "postgres":
        column = column_type or "timestamptz"
        db.execute(f"CREATE TABLE floe_test.{table} (id int PRIMARY KEY, v int, updated_at {column})")
    else:
        kind = column_type or "timestamp(6)"
        db.execute(
            f"CREATE TABLE floe_test.{table} (id int PRIMARY KEY, v int, "
            f"updated_at {kind} NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6))"
        )
    return table


def stamp(engine: str) -> str:
    return "now()" if engine == "postgres" else "NOW(6)"


def late_commit(db: Database, table: str, run_job: Runner, writer: Writer, writer_stamp: str) -> tuple[Any, Any, Any]:
    """Run 1; a writer stamps row 1 and holds its transaction; row 2 changes and commits; run 2; the writer
    commits; run 3. Returns the three results."""
    for key in (1, 2, 3):
        writer.execute(f"INSERT INTO floe_test.{table} (id, v, updated_at) VALUES ({key}, 0, {writer_stamp})")
    writer.commit()
    time.sleep(1.1)  # a run commits no watermark on rows stamped in its own second (open_transactions.py)
    first = run_job(db, table, **incremental())
    assert first.exit_code == 0, first.stderr
    writer.execute(f"UPDATE floe_test.{table} SET v = 100, updated_at = {writer_stamp} WHERE id = 1")
    time.sleep(1.5)
    other = Writer(writer.engine, writer.url)
    other.execute(f"UPDATE floe_test.{table} SET v = 200, updated_at = {writer_stamp} WHERE id = 2")
    other.commit()
    other.close()
    second = run_job(db, table, **incremental(watermark=first.manifest["newWatermark"]))  # type: ignore[index]
    assert second.exit_code == 0, second.stderr
    writer.commit()
    third = run_job(db, table, **incremental(watermark=second.manifest["newWatermark"]))  # type: ignore[index]
    assert third.exit_code == 0, third.stderr
    return first, second, third


def test_a_transaction_that_commits_after_a_run_is_read_by_the_next(
    db: Database, table_name: str, run_job: Runner
) -> None:
    # Prepare
    table = stamped_table(db, table_name)
    writer = Writer(db.engine)

    # Act
    try:
        first, second, third = late_commit(db, table, run_job, writer, stamp(db.engine))
    finally:
        writer.close()

    # Assess: run 2 read row 2 but kept its watermark below the open transaction; run 3 reads row 1
    assert [(r["id"], r["v"]) for r in second.rows()] == [(2, 200)]
    held = second.manifest["watermarkHeld"]
    assert held is not None and held["seconds"] >= 1.4, held
    assert second.manifest["newWatermark"] == first.manifest["newWatermark"]
    assert second.manifest["openTransactions"]["writing"] >= 1
    assert "watermark held" in second.stderr and "behind an open transaction" in second.stderr
    assert (1, 100) in [(r["id"], r["v"]) for r in third.rows()]


@pytest.fixture
def new_york_writers(db: Database) -> Iterator[str | None]:
    """The writers' default zone set to UTC-5 (a role default on PostgreSQL, the global zone on MariaDB).

    A zone behind UTC is the one that loses rows when the extractor takes `timestamp` values for UTC:
    the bound would land hours after the local stamps.
    """
    if db.engine == "postgres":
        db.execute(
            "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'floe_new_york') "
            "THEN CREATE ROLE floe_new_york LOGIN SUPERUSER; END IF; END $$"
        )
        db.execute("ALTER ROLE floe_new_york SET TimeZone = 'America/New_York'")
        yield PG_URL.replace("postgres@", "floe_new_york@", 1)
        return
    (before,) = db.query("SELECT @@global.time_zone")[0]
    db.execute("SET GLOBAL time_zone = '-05:00'")
    try:
        yield None
    finally:
        db.execute(f"SET GLOBAL time_zone = '{before}'")


def test_timestamps_without_a_zone_are_held_back_in_the_writers_zone(
    db: Database, table_name: str, run_job: Runner, new_york_writers: str | None
) -> None:
    # Prepare: stamps in the writers' local time, five hours behind UTC
    column = "timestamp(6)" if db.engine == "postgres" else "datetime(6)"
    table = stamped_table(db, table_name, column)
    url = new_york_writers
    writer = Writer(db.engine, url)
    local_now = "localtimestamp" if db.engine == "postgres" else "NOW(6)"
    if db.engine == "postgres":
        db.execute(f"ALTER TABLE floe_test.{table} ALTER COLUMN updated_at SET DEFAULT localtimestamp")

    # Act: the extractor connects as the writers do (their role, or the server's default zone)
    connection = {"connection": url} if url else {}
    try:
        first, second, third = late_commit(
            db, table, lambda *a, **k: run_job(*a, **connection, **k), writer, local_now
        )
    finally:
        writer.close()

    # Assess
    assert second.manifest["watermarkHeld"] is not None
    assert (1, 100) in [(r["id"], r["v"]) for r in third.rows()]


def test_a_role_that_cannot_see_open_transactions_is_told_which_privilege_to_grant(
    postgres: Database, table_name: str, run_job: Runner
) -> None:
    # Prepare: a writer holding a transaction, and an extracting role without pg_read_all_stats
    table = stamped_table(postgres, table_name)
    postgres.execute(
        "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'floe_unprivileged') "
        "THEN CREATE ROLE floe_unprivileged LOGIN; END IF; END $$"
    )
    postgres.execute("GRANT USAGE ON SCHEMA floe_test TO floe_unprivileged")
    postgres.execute(f"GRANT SELECT ON floe_test.{table} TO floe_unprivileged")
    postgres.execute(f"INSERT INTO floe_test.{table} VALUES (1, 0, now())")
    writer = Writer("postgres")
    writer.execute(f"UPDATE floe_test.{table} SET v = 1, updated_at = now() WHERE id = 1")

    # Act
    try:
        result = run_job(
            postgres, table, connection=PG_URL.replace("postgres@", "floe_unprivileged@", 1), **incremental()
        )
    finally:
        writer.conn.rollback()
        writer.close()

    # Assess
    assert result.exit_code == 0, result.stderr
    assert result.manifest is not None
    assert result.manifest["openTransactions"]["unseen"] >= 1
    assert result.manifest["openTransactions"]["privilege"] == "pg_read_all_stats"
    assert "grant it pg_read_all_stats" in result.stderr
