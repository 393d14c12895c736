"""Retries: a retryable failure runs the whole extraction again after a capped exponential wait.

Against the real servers: a read whose connection is cut during the first attempt lands the
table once on the second; a refused port uses up the attempts with the configured waits; an
error no retry can fix fails at once.
"""

from __future__ import annotations

import functools
import threading
import time
from pathlib import Path
from typing import Any

import mysql.connector
import psycopg
import pytest
from conftest import MYSQL_HOST, MYSQL_PORT, PG_URL, Database, Postgres, Runner

from floe_extract import main as main_module
from floe_extract import retry as retry_module
from floe_extract.errors import JobArgumentError
from floe_extract.job_args import parse_job_args
from floe_extract.retry import RetryPolicy
from floe_extract.run_log import RunLog

ROWS = 2_000
# Read last by partition 1 of 2 (ids 1..2000 split at 1000), so partition 0 lands its file first.
PAUSE_AT = 1_500
TINY = {"retry_backoff_seconds": 0.05, "retry_max_backoff_seconds": 0.08}


def errors_on_console(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("floe-extract: error: ")]


def retries_in(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in records if r["event"] == "retry"]


def make_rows(db: Database, table: str) -> None:
    db.execute(f"DROP TABLE IF EXISTS floe_test.{table}")
    db.execute(f"CREATE TABLE floe_test.{table} (id int PRIMARY KEY, note varchar(20))")
    db.execute(f"INSERT INTO floe_test.{table} VALUES " + ", ".join(f"({i}, 'n{i}')" for i in range(1, ROWS + 1)))


def make_paused_view(db: Database, table: str) -> str:
    """`<table>_v`: the table, but a read reaching row PAUSE_AT sleeps while `<table>_flag.paused` is set."""
    view, flag = f"floe_test.{table}_v", f"floe_test.{table}_flag"
    db.execute(f"DROP VIEW IF EXISTS {view}")
    make_rows(db, table)
    db.execute(f"DROP TABLE IF EXISTS {flag}")
    db.execute(f"CREATE TABLE {flag} (paused boolean NOT NULL)")
    db.execute(f"INSERT INTO {flag} VALUES (true)")
    if db.engine == "postgres":
        # Only the data read (COPY) sleeps: the job's min/max and column queries pass.
        db.execute(
            f"CREATE OR REPLACE FUNCTION floe_test.{table}_pause(id int) RETURNS boolean "
            "LANGUAGE plpgsql VOLATILE AS $$ "
            f"BEGIN IF id = {PAUSE_AT} AND current_query() LIKE 'COPY%' AND (SELECT paused FROM {flag}) "
            "THEN PERFORM pg_sleep(30); END IF; RETURN true; END $$"
        )
        db.execute(f"CREATE VIEW {view} AS SELECT * FROM floe_test.{table} WHERE floe_test.{table}_pause(id)")
    else:
        db.execute(
            f"CREATE VIEW {view} AS SELECT * FROM floe_test.{table} "
            f"WHERE id <> {PAUSE_AT} OR sleep(IF((SELECT paused FROM {flag}), 30, 0)) = 0"
        )
    return f"{table}_v"


def cut_the_sleeping_read(db: Database, table: str, cut: list[int]) -> None:
    """Wait for the job's read to sleep in the pause, clear the pause, then drop its connection."""
    deadline = time.monotonic() + 30
    while not cut and time.monotonic() < deadline:
        if db.engine == "postgres":
            sleeping = db.query(
                "SELECT pid FROM pg_stat_activity WHERE application_name = 'floe-extract' "
                "AND wait_event = 'PgSleep' AND query LIKE %s",
                (f"COPY%{table}_v%",),
            )
        else:
            sleeping = db.query(
                "SELECT id FROM information_schema.processlist "
                "WHERE id <> connection_id() AND state = 'User sleep' AND info LIKE %s",
                (f"%{table}_v%",),
            )
        if sleeping:
            db.execute(f"UPDATE floe_test.{table}_flag SET paused = false")
            for (backend,) in sleeping:
                if db.engine == "postgres":
                    db.query("SELECT pg_terminate_backend(%s)", (backend,))
                else:
                    db.execute(f"KILL CONNECTION {int(backend)}")
                cut.append(backend)
        time.sleep(0.02)


def test_the_waits_double_from_the_backoff_up_to_the_cap() -> None:
    policy = RetryPolicy(attempts=6, backoff_seconds=1.5, max_backoff_seconds=5)

    waits = [policy.wait_after(attempt) for attempt in range(1, 6)]

    assert waits == [1.5, 3.0, 5.0, 5.0, 5.0]


def test_the_job_makes_one_attempt_unless_its_arguments_ask_for_more() -> None:
    base = ["--run-id", "r1", "--engine", "postgres", "--database", "clr", "--connection", "postgresql://u@h/db",
            "--table", "t", "--raw-root", "/tmp/raw"]

    default = parse_job_args(base)
    asked = parse_job_args([*base, "--retry-attempts", "4", "--retry-backoff-seconds", "0.5",
                            "--retry-max-backoff-seconds", "30"])

    assert default.retry == RetryPolicy(attempts=1, backoff_seconds=5.0, max_backoff_seconds=60.0)
    assert asked.retry == RetryPolicy(attempts=4, backoff_seconds=0.5, max_backoff_seconds=30.0)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--retry-attempts", "0"], "--retry-attempts must be at least 1, got 0"),
        (["--retry-attempts", "three"], "--retry-attempts must be an integer, got 'three'"),
        (["--retry-backoff-seconds", "soon"], "--retry-backoff-seconds must be a number of seconds, got 'soon'"),
        (["--retry-backoff-seconds", "-1"], "--retry-backoff-seconds must be a finite number of seconds, at least 0"),
        (["--retry-max-backoff-seconds", "nan"], "--retry-max-backoff-seconds must be a finite number of seconds"),
        (
            ["--retry-backoff-seconds", "10", "--retry-max-backoff-seconds", "2"],
            "--retry-max-backoff-seconds 2 is below --retry-backoff-seconds 10",
        ),
    ],
)
def test_bad_retry_arguments_are_named(arguments: list[str], message: str) -> None:
    base = ["--run-id", "r1", "--engine", "postgres", "--database", "clr", "--connection", "postgresql://u@h/db",
            "--table", "t", "--raw-root", "/tmp/raw"]

    with pytest.raises(JobArgumentError) as raised:
        parse_job_args([*base, *arguments])

    assert message in raised.value.message


@pytest.mark.parametrize("engine", ["postgres", "mysql"])
def test_a_connection_cut_during_the_first_attempt_is_retried_and_the_table_lands_once(
    request: pytest.FixtureRequest, table_name: str, run_job: Runner, engine: str
) -> None:
    # Prepare: PostgreSQL reads two partitions, so partition 0 lands a file before partition 1 is cut.
    # MySQL reads one (its view would also sleep in the job's min/max query).
    db: Database = request.getfixturevalue("postgres" if engine == "postgres" else "mysql_db")
    table = table_name[:40]  # with its _flag suffix, within MySQL's 64 characters
    view = make_paused_view(db, table)
    partitioning = {"partition_column": "id", "partitions": 2} if engine == "postgres" else {}
    cut: list[int] = []
    cutter = threading.Thread(target=cut_the_sleeping_read, args=(db, table, cut))
    cutter.start()
    # Act
    result = run_job(db, view, primary_key="id", retry_attempts=3, **TINY, **partitioning)
    cutter.join()
    # Assess: one retry, logged and said; every row once; on disk exactly the files the manifest lists
    assert cut, "the read never slept in the pause"
    assert result.exit_code == 0, result.stderr
    records = result.log_records()
    [retry] = retries_in(records)
    assert retry["attempt"] == 1 and retry["attempts"] == 3 and retry["waitSeconds"] == 0.05
    assert retry["error"] == "SourceUnavailableError" and "lost the connection" in retry["message"]
    assert f"floe_test.{view}: attempt 1 of 3 failed: table floe_test.{view}: lost the connection" in result.stderr
    assert "retrying in 0.05 s" in result.stderr
    assert errors_on_console(result.stderr) == []
    assert [r["id"] for r in result.rows()] == list(range(1, ROWS + 1))
    assert result.manifest is not None and result.manifest["totalRows"] == ROWS
    landed = sorted(str(p.relative_to(result.raw_root)) for p in result.raw_root.rglob("*.parquet"))
    assert landed == sorted(f["path"] for f in result.manifest["files"])
    assert [r["event"] for r in records].count("start") == 2
    if engine == "postgres":
        # Partition 0's first-attempt file was taken back, then written again under the same name.
        first_attempt = records[: records.index(retry)]
        assert [r["part"] for r in first_attempt if r["event"] == "part"] == [0]


def test_a_refused_connection_uses_up_the_attempts_with_the_configured_waits(
    db: Database, table_name: str, run_job: Runner
) -> None:
    # Prepare
    url = db.url.replace(":5432/", ":1/").replace(":3306/", ":1/")
    started = time.monotonic()
    # Act
    result = run_job(db, table_name, connection=url, retry_attempts=3, **TINY)
    # Assess
    elapsed = time.monotonic() - started
    assert result.exit_code == 3, result.stderr
    records = result.log_records()
    retries = retries_in(records)
    assert [(r["attempt"], r["waitSeconds"]) for r in retries] == [(1, 0.05), (2, 0.08)]
    assert all("cannot connect to" in r["message"] and "127.0.0.1:1" in r["message"] for r in retries)
    assert elapsed >= 0.13
    [error] = errors_on_console(result.stderr)
    assert error == result.stderr.strip().splitlines()[-1]
    assert "cannot connect to" in error and error.endswith("(after 3 attempts)")
    assert records[-1]["event"] == "error" and records[-1]["retryable"] is True
    assert records[-1]["message"] == error.removeprefix("floe-extract: error: ")
    assert result.manifest is None


def test_an_error_no_retry_can_fix_fails_at_once(db: Database, run_job: Runner) -> None:
    result = run_job(db, "no_such_table", retry_attempts=3, retry_backoff_seconds=30, retry_max_backoff_seconds=30)

    assert result.exit_code == 4
    assert retries_in(result.log_records()) == []
    [error] = errors_on_console(result.stderr)
    assert "table floe_test.no_such_table not found" in error and "attempt" not in error


def test_a_storage_failure_that_clears_during_the_wait_is_retried_without_leftovers(
    postgres: Postgres, table_name: str, run_job: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Prepare: a file where the manifests folder should be refuses the first attempt's manifest;
    # it is gone by the time the wait ends.
    make_rows(postgres, table_name)
    raw_root = tmp_path / "blocked"
    raw_root.mkdir()
    blocker = raw_root / "_manifests"
    blocker.write_text("not a folder")
    waited: list[float] = []

    def clear_then_wait(seconds: float) -> None:
        waited.append(seconds)
        blocker.unlink()

    retrying = functools.partial(retry_module.with_retries, sleep=clear_then_wait)
    monkeypatch.setattr(main_module, "with_retries", retrying)
    # Act
    result = run_job(postgres, table_name, raw_root=raw_root, primary_key="id", partition_column="id", partitions=2,
                     retry_attempts=2, **TINY)
    # Assess
    assert result.exit_code == 0, result.stderr
    assert waited == [0.05]
    [retry] = retries_in(result.log_records())
    assert retry["error"] == "StorageError" and "could not write" in retry["message"]
    assert [r["id"] for r in result.rows()] == list(range(1, ROWS + 1))
    assert result.manifest is not None
    landed = sorted(str(p.relative_to(raw_root)) for p in raw_root.rglob("*.parquet"))
    assert landed == sorted(f["path"] for f in result.manifest["files"])


@pytest.mark.parametrize("engine", ["postgres", "mysql"])
def test_a_session_ended_between_statements_is_a_retryable_failure_not_an_unexpected_one(
    engine: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """The readers name a connection lost while rows stream; one ended between two statements (a
    failover, an administrator's kill) comes out of whichever query is next, as the driver's own
    error: the attempt is retried, and the next one lands."""
    # Prepare: a session of the job's driver, ended by the server as an administrator would end it
    db: Database = request.getfixturevalue("postgres" if engine == "postgres" else "mysql_db")
    if engine == "postgres":
        session: Any = psycopg.connect(PG_URL, autocommit=True)
        pid = session.execute("SELECT pg_backend_pid()").fetchone()[0]
        db.query("SELECT pg_terminate_backend(%s)", (pid,))
    else:
        session = mysql.connector.connect(host=MYSQL_HOST, port=MYSQL_PORT, user="root", autocommit=True)
        cursor = session.cursor()
        cursor.execute("SELECT CONNECTION_ID()")
        (pid,) = cursor.fetchone()
        db.execute(f"KILL {int(pid)}")
    attempts: list[int] = []

    def attempt(number: int) -> str:
        attempts.append(number)
        if number == 1:
            if engine == "postgres":
                session.execute("SELECT 1")
            else:
                session.cursor().execute("SELECT 1")
        return "landed"

    # Act
    policy = RetryPolicy(attempts=2, backoff_seconds=0.01)
    result = retry_module.with_retries(attempt, policy, RunLog({}, str), "floe_test.t")

    # Assess
    assert result == "landed"
    assert attempts == [1, 2]
    lost = retry_module.lost_connection(ValueError("not a connection"), "floe_test.t")
    assert lost is None
