"""What only the Spark engine has to prove: one snapshot across its tasks, the source's count, literals that
cannot end early, a failed task's files taken back, Spark's and JDBC's errors as the job's own, no password
in anything Spark prints, and the parts sized from the catalog. The behaviour both engines share is the
conformance suite (the modules marked `conformance`)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from conftest import JobResult, MySQL, Postgres, Runner, engine_main, job_argv
from test_arrays import arrays_table, odd_arrays  # noqa: F401 - their tables, fixtures of this module too
from test_run_log_redaction import spellings

from floe_extract.connection import ConnectionSettings, Redactor
from floe_extract.errors import (
    IncompleteReadError,
    JobArgumentError,
    SourceRefusedError,
    SourceSchemaError,
    SourceUnavailableError,
    UnrepresentableValueError,
)
from floe_extract.read_plan import KeyWindow, Predicate
from floe_extract.size_estimate import SizeEstimate
from floe_extract.spark import run as spark_run
from floe_extract.spark.failures import job_error
from floe_extract.spark.jdbc import jdbc_source, postgres_session_init
from floe_extract.spark.literals import dollar_quoted, inline
from floe_extract.spark.task import TaskFailed

pytestmark = pytest.mark.spark

GLUE = Path(__file__).resolve().parents[1]


@pytest.fixture
def job_engine() -> str:
    return "spark"


def make_numbers(db: Any, table: str, rows: int) -> None:
    db.execute(f"DROP TABLE IF EXISTS floe_test.{table}")
    db.execute(f"CREATE TABLE floe_test.{table} (id int PRIMARY KEY, note varchar(20))")
    db.execute(f"INSERT INTO floe_test.{table} VALUES " + ", ".join(f"({i}, 'n{i}')" for i in range(1, rows + 1)))


# Literals ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["it's", "$floe$", "a $floe", "x$floe", "$floe1$ and $floe$", "\\'; DROP TABLE t; --", "ü😀", ""]
)
def test_a_key_as_a_postgresql_literal_is_read_back_as_exactly_itself(postgres: Postgres, text: str) -> None:
    # Act
    literal = dollar_quoted(text)
    [(value,)] = postgres.query(f"SELECT {literal}::text")

    # Assess
    assert value == text


@pytest.mark.parametrize("text", ["it's", "\\'; DROP TABLE t; --", "ü😀", "", "a\\"])
def test_a_key_as_a_mysql_literal_is_read_back_as_exactly_itself(mysql_db: MySQL, text: str) -> None:
    # Prepare
    literal = inline(Predicate("%s", (text,)), "mysql")

    # Act
    [(value,)] = mysql_db.query(f"SELECT CAST({literal} AS CHAR)")

    # Assess
    assert (value.decode() if isinstance(value, bytes) else value) == text


def test_a_predicate_is_written_with_each_value_in_its_dialects_literal() -> None:
    # Prepare: a repair run's keys, a window of timestamps, a decimal; a % in a PostgreSQL identifier is doubled
    keys = KeyWindow(("region", "id"), (("eu", "7"), (None, "8"))).predicate(lambda name: f'"{name}"')
    bounds = (datetime(2024, 1, 1), datetime(2024, 1, 2, tzinfo=timezone.utc))
    window = Predicate('"a%%b" > %s AND "a%%b" <= %s', bounds)

    # Act / Assess
    assert inline(keys, "postgres") == (
        '("region" = $floe$eu$floe$ AND "id" = $floe$7$floe$) OR ("region" IS NULL AND "id" = $floe$8$floe$)'
    )
    assert inline(window, "postgres") == (
        "\"a%b\" > TIMESTAMP '2024-01-01 00:00:00.000000' AND \"a%b\" <= TIMESTAMPTZ '2024-01-02 00:00:00.000000+00:00'"
    )
    assert inline(Predicate("`d` > %s AND `n` = %s", (date(2024, 2, 29), Decimal("1.50"))), "mysql") == (
        "`d` > '2024-02-29' AND `n` = 1.50"
    )


# Connections ------------------------------------------------------------------------------------------


def test_connection_options_become_the_jdbc_drivers_own_and_the_password_stays_out_of_the_url() -> None:
    # Prepare
    postgres = ConnectionSettings("postgres", "db.internal", 5432, "floe", "s3cret", "app", {"sslmode": "verify-full"})
    mysql = ConnectionSettings("mysql", "::1", 3306, "floe", "s3cret", "app", {"ssl_verify_cert": True})

    # Act
    pg, my = jdbc_source(postgres), jdbc_source(mysql, tls=True)

    # Assess
    assert pg.url == "jdbc:postgresql://db.internal:5432/app" and pg.properties["sslmode"] == "verify-full"
    assert my.url == "jdbc:mysql://[::1]:3306/app" and my.properties["useSsl"] == "true"
    assert my.properties["trustServerCertificate"] == "false"
    assert "s3cret" not in pg.url + my.url and "s3cret" not in repr(pg) + repr(my)


def test_an_option_the_jdbc_driver_has_no_equivalent_for_is_refused_by_name() -> None:
    settings = ConnectionSettings("postgres", "h", 5432, "u", "p", "d", {"sslcrl": "/etc/crl.pem"})

    with pytest.raises(JobArgumentError, match="'sslcrl' has no equivalent in the Spark engine's PostgreSQL JDBC"):
        jdbc_source(settings)


def test_the_tasks_import_the_drivers_snapshot_in_a_read_only_repeatable_read_transaction() -> None:
    assert postgres_session_init("00000003-0000001B-1").startswith(
        "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY; SET TRANSACTION SNAPSHOT '00000003-0000001B-1'; "
    )
    with pytest.raises(ValueError):
        postgres_session_init("1'; DROP TABLE t; --")


# Consistency and counts -------------------------------------------------------------------------------


def test_every_task_reads_the_snapshot_the_driver_took_on_postgresql(
    postgres: Postgres, table_name: str, run_job: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Prepare: rows written, updated and deleted after the driver's snapshot, before any task starts
    make_numbers(postgres, table_name, 1_000)
    read = spark_run.SparkExtractionRun._read_with_spark

    def write_then_read(self: Any, *args: Any) -> Any:
        postgres.execute(f"INSERT INTO floe_test.{table_name} VALUES (1001, 'late'), (1002, 'late')")
        postgres.execute(f"UPDATE floe_test.{table_name} SET note = 'changed' WHERE id IN (1, 600)")
        postgres.execute(f"DELETE FROM floe_test.{table_name} WHERE id = 999")
        return read(self, *args)

    monkeypatch.setattr(spark_run.SparkExtractionRun, "_read_with_spark", write_then_read)

    # Act
    result = run_job(postgres, table_name, primary_key="id", partition_column="id", partitions=4)

    # Assess: the table as it was when the driver read its bounds, in every part
    assert result.exit_code == 0, result.stderr
    rows = result.rows()
    assert [r["id"] for r in rows] == list(range(1, 1_001))
    assert {r["note"] for r in rows} == {f"n{i}" for i in range(1, 1_001)}
    assert len(result.manifest["files"]) == 4  # type: ignore[index]


def test_a_row_count_that_does_not_add_up_fails_the_run_and_lands_nothing(
    postgres: Postgres, table_name: str, run_job: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Prepare: a query whose count is one more than its rows, as a lost row would leave it
    make_numbers(postgres, table_name, 100)
    from floe_extract.spark import query

    original = query.part_query

    def one_row_lost(*args: Any) -> str:
        return original(*args).replace("count(*) AS floe_rows", "count(*) + 1 AS floe_rows")

    monkeypatch.setattr(spark_run, "part_query", one_row_lost)

    # Act
    result = run_job(postgres, table_name, primary_key="id", partition_column="id", partitions=2)

    # Assess
    assert result.exit_code == IncompleteReadError.exit_code
    assert "the source counted 51 row(s) and 50 arrived, 50 landed" in result.stderr
    assert result.manifest is None and not list(result.raw_root.rglob("*.parquet"))


def test_a_part_that_fails_takes_back_every_file_of_the_run(
    postgres: Postgres, table_name: str, run_job: Runner
) -> None:
    # Prepare: the first part is clean and lands its file; the last holds a value without an exact form
    postgres.execute(f"DROP TABLE IF EXISTS floe_test.{table_name}")
    postgres.execute(f"CREATE TABLE floe_test.{table_name} (id int PRIMARY KEY, seen date)")
    postgres.execute(f"INSERT INTO floe_test.{table_name} SELECT g, date '2024-01-01' FROM generate_series(1, 999) g")
    postgres.execute(f"INSERT INTO floe_test.{table_name} VALUES (1000, 'infinity')")

    # Act
    result = run_job(
        postgres, table_name, primary_key="id", partition_column="id", partitions=4, unrepresentable="fail"
    )

    # Assess
    assert result.exit_code == UnrepresentableValueError.exit_code
    assert f"table floe_test.{table_name}, column seen (date)" in result.stderr and "infinity" in result.stderr
    assert result.manifest is None
    assert not list(result.raw_root.rglob("*.parquet"))


def make_paused_view(postgres: Postgres, table: str) -> str:
    """`<table>_v`: the table, but a Spark task reading row 700 sleeps while `<table>_flag.paused` is set."""
    postgres.execute(f"DROP VIEW IF EXISTS floe_test.{table}_v")
    make_numbers(postgres, table, 1_000)
    postgres.execute(f"DROP TABLE IF EXISTS floe_test.{table}_flag")
    postgres.execute(f"CREATE TABLE floe_test.{table}_flag (paused boolean NOT NULL)")
    postgres.execute(f"INSERT INTO floe_test.{table}_flag VALUES (true)")
    postgres.execute(
        f"CREATE OR REPLACE FUNCTION floe_test.{table}_pause(id int) RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$ "
        f"BEGIN IF id = 700 AND current_setting('application_name') = 'floe-extract-spark' "
        f"AND (SELECT paused FROM floe_test.{table}_flag) THEN PERFORM pg_sleep(30); END IF; RETURN true; END $$"
    )
    postgres.execute(f"CREATE OR REPLACE VIEW floe_test.{table}_v AS SELECT * FROM floe_test.{table} WHERE "
                     f"floe_test.{table}_pause(id)")
    return f"{table}_v"


def test_a_task_whose_connection_is_cut_fails_the_attempt_retryably_and_the_retry_lands_the_table_once(
    postgres: Postgres, table_name: str, run_job: Runner
) -> None:
    # Prepare
    table = table_name[:40]
    view = make_paused_view(postgres, table)
    cut: list[int] = []

    def cut_the_sleeping_task() -> None:
        deadline = time.monotonic() + 60
        while not cut and time.monotonic() < deadline:
            sleeping = postgres.query(
                "SELECT pid FROM pg_stat_activity "
                "WHERE application_name = 'floe-extract-spark' AND wait_event = 'PgSleep'"
            )
            if sleeping:
                postgres.execute(f"UPDATE floe_test.{table}_flag SET paused = false")
                for (pid,) in sleeping:
                    postgres.query("SELECT pg_terminate_backend(%s)", (pid,))
                    cut.append(pid)
            time.sleep(0.05)

    cutter = threading.Thread(target=cut_the_sleeping_task)
    cutter.start()

    # Act
    result = run_job(postgres, view, primary_key="id", partition_column="id", partitions=2, retry_attempts=2,
                     retry_backoff_seconds=0.05, retry_max_backoff_seconds=0.05)
    cutter.join()

    # Assess
    assert cut, "no task slept in the pause"
    assert result.exit_code == 0, result.stderr
    [retry] = [r for r in result.log_records() if r["event"] == "retry"]
    assert retry["error"] == "SourceUnavailableError" and "lost the connection" in retry["message"]
    assert [r["id"] for r in result.rows()] == list(range(1, 1_001))
    landed = sorted(str(p.relative_to(result.raw_root)) for p in result.raw_root.rglob("*.parquet"))
    assert landed == sorted(f["path"] for f in result.manifest["files"])  # type: ignore[index]


# Parts ------------------------------------------------------------------------------------------------


def test_without_partitions_the_parts_follow_the_catalogs_size(
    postgres: Postgres, table_name: str, run_job: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Prepare: a table the catalog sizes at a few pages, and a part size of one page
    make_numbers(postgres, table_name, 5_000)
    postgres.execute(f"ANALYZE floe_test.{table_name}")
    monkeypatch.setattr(spark_run, "PART_BYTES", 64 * 1024)

    # Act
    result = run_job(postgres, table_name, primary_key="id", partition_column="id")

    # Assess
    assert result.exit_code == 0, result.stderr
    size = result.manifest["sourceSize"]  # type: ignore[index]
    assert size["rows"] == 5_000 and size["bytes"] > 64 * 1024
    assert len(result.manifest["files"]) == -(-size["bytes"] // (64 * 1024))  # type: ignore[index]
    assert [r["id"] for r in result.rows()] == list(range(1, 5_001))
    assert result.manifest["extractionEngine"] == "spark"  # type: ignore[index]


def test_in_local_mode_progress_is_told_in_rows_as_the_python_job_tells_it(
    postgres: Postgres, table_name: str, run_job: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Prepare: a line every 0.1 s, and a table whose read outlasts a few of them
    make_numbers(postgres, table_name, 100_000)
    postgres.execute(f"ANALYZE floe_test.{table_name}")
    monkeypatch.setenv("FLOE_PROGRESS_SECONDS", "0.1")

    # Act
    result = run_job(postgres, table_name, primary_key="id", partition_column="id", partitions=2)

    # Assess: the rows form floe run draws its bar from (cli/run-progress.ts), never the parts form
    assert result.exit_code == 0, result.stderr
    lines = result.stderr.splitlines()
    rows_form = re.compile(
        rf"^floe_test\.{table_name}: ([\d,]+) of ~[\d,]+ rows \((\d+%|past the estimate)\), [\d,]+ rows/s"
    )
    told = [int(match.group(1).replace(",", "")) for match in map(rows_form.match, lines) if match]
    assert told != [] and told[-1] == 100_000, result.stderr  # the last line: every row the tasks read
    assert not any("part(s) read" in line for line in lines)


def test_parts_for_size_takes_one_part_per_part_bytes_up_to_the_cap() -> None:
    assert spark_run.parts_for_size(None) == 1
    assert spark_run.parts_for_size(SizeEstimate(10, 1)) == 1
    assert spark_run.parts_for_size(SizeEstimate(10, spark_run.PART_BYTES + 1)) == 2
    assert spark_run.parts_for_size(SizeEstimate(10, 10**15)) == spark_run.MAX_SPARK_PARTITIONS


def test_mysql_sized_parts_on_a_column_that_is_not_a_key_read_in_one_part(
    mysql_db: MySQL, table_name: str, run_job: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Prepare
    mysql_db.execute(f"DROP TABLE IF EXISTS floe_test.{table_name}")
    mysql_db.execute(f"CREATE TABLE floe_test.{table_name} (id int PRIMARY KEY, customer int)")
    values = ", ".join(f"({i}, {i % 7})" for i in range(1, 500))
    mysql_db.execute(f"INSERT INTO floe_test.{table_name} VALUES {values}")
    mysql_db.query(f"ANALYZE TABLE floe_test.{table_name}")
    monkeypatch.setattr(spark_run, "PART_BYTES", 1024)

    # Act
    result = run_job(mysql_db, table_name, primary_key="id", partition_column="customer")

    # Assess
    assert result.exit_code == 0, result.stderr
    assert "read in one part: customer is not a key column and MySQL cannot share a snapshot" in result.stderr
    assert len(result.manifest["files"]) == 1  # type: ignore[index]


def test_more_partitions_than_the_python_job_takes_are_ranges_for_spark(
    postgres: Postgres, table_name: str, run_job: Runner
) -> None:
    make_numbers(postgres, table_name, 300)

    result = run_job(postgres, table_name, primary_key="id", partition_column="id", partitions=100)

    assert result.exit_code == 0, result.stderr
    assert len(result.manifest["files"]) == 100  # type: ignore[index]
    assert [r["id"] for r in result.rows()] == list(range(1, 301))


# Errors -----------------------------------------------------------------------------------------------


def test_a_tasks_error_comes_back_as_the_jobs_own_class_and_message() -> None:
    # Prepare: a task's error, inside the traceback text Spark wraps it in
    spark_text = "PythonException: \n  An exception was thrown from the Python worker.\nTraceback...\n" + str(
        TaskFailed("UnrepresentableValueError", "table t, column c (date): infinity")
    )

    # Act
    error = job_error(RuntimeError(spark_text), "t", Redactor())

    # Assess
    assert isinstance(error, UnrepresentableValueError) and error.message == "table t, column c (date): infinity"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("org.postgresql.util.PSQLException: FATAL: terminating connection due to administrator command",
         SourceUnavailableError),
        ("java.sql.SQLNonTransientConnectionException: Could not connect to address=(host=db)(port=3306)",
         SourceUnavailableError),
        ("org.postgresql.util.PSQLException: ERROR: column \"x\" does not exist\n  SQLState: 42703", SourceSchemaError),
        ("java.sql.SQLInvalidAuthorizationSpecException: Access denied for user 'floe'@'10.0.0.1'", SourceRefusedError),
    ],
)
def test_jdbc_failures_are_classified_as_the_python_job_classifies_its_drivers(text: str, kind: type) -> None:
    spark_text = f"An error occurred while calling o123.collectToPython.\n{text}\n\tat ..."

    error = job_error(RuntimeError(spark_text), "t", Redactor())

    assert isinstance(error, kind), error


def test_an_error_none_of_floes_is_named_after_its_class_and_redacted() -> None:
    redactor = Redactor()
    redactor.add("hunter2")

    error = job_error(RuntimeError("java.lang.OutOfMemoryError: Java heap space near hunter2"), "t", redactor)

    assert type(error).__name__ == "OutOfMemoryError" and "hunter2" not in str(error)


def run_spark_script(argv: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(GLUE / "extract_spark.py"), *argv],
        capture_output=True, text=True, env={**os.environ, "FLOE_SPARK_MASTER": "local[2]", **(env or {})},
        check=False, timeout=300,
    )


def test_a_whole_spark_run_with_a_password_leaves_it_nowhere_spark_or_the_jdbc_drivers_write(
    mysql_db: MySQL, table_name: str, tmp_path: Path
) -> None:
    # Prepare: the job as a process, so that the JVM's own output is seen too
    password = 'Sp"4rk\\c1d-\u00e9t\u00e9-NEVER'
    make_numbers(mysql_db, table_name, 50)
    mysql_db.execute("CREATE USER IF NOT EXISTS 'floe_spark'@'%%' IDENTIFIED BY %s", (password,))
    mysql_db.execute("ALTER USER 'floe_spark'@'%%' IDENTIFIED BY %s", (password,))
    mysql_db.execute("GRANT SELECT ON floe_test.* TO 'floe_spark'@'%%'")
    url = f"mysql://floe_spark:{quote(password, safe='')}@127.0.0.1:3306/floe_test"
    ok = job_argv(mysql_db, table_name, "ok", str(tmp_path), connection=url, primary_key="id", partition_column="id",
                  partitions=2)
    failing = job_argv(mysql_db, "missing_table", "failing", str(tmp_path), connection=url)

    # Act
    done = [run_spark_script(ok), run_spark_script(failing)]

    # Assess
    assert done[0].returncode == 0, done[0].stderr
    assert done[1].returncode == SourceSchemaError.exit_code
    files = [p.read_text(errors="replace") for p in tmp_path.rglob("*") if p.is_file()]
    for text in [d.stdout + d.stderr for d in done] + files:
        for spelling in spellings(password):
            assert spelling not in text


# The same files from both engines --------------------------------------------------------------------


def same_landing(python: Any, spark: Any) -> None:
    """Both runs landed the same rows with the same Arrow schema, and set aside the same values."""
    assert python.exit_code == 0, python.stderr
    assert spark.exit_code == 0, spark.stderr
    assert python.table().schema == spark.table().schema
    assert python.table().sort_by("id").equals(spark.table().sort_by("id"))
    def rejects(result: Any) -> list[dict[str, Any]]:
        return [{k: v for k, v in row.items() if k != "run_id"} for row in result.rejected_values()]

    assert rejects(python) == rejects(spark)
    for key in ("totalRows", "newWatermark", "columns", "rejects"):
        if key == "rejects":
            assert python.manifest[key]["byColumn"] == spark.manifest[key]["byColumn"]
        else:
            assert python.manifest[key] == spark.manifest[key], key


@pytest.fixture
def run_both(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Any:
    """Runs a table through each engine (the Python job, then the Spark job) into raw roots of their own."""

    def run(db: Any, table: str, **arguments: Any) -> tuple[JobResult, JobResult]:
        results = []
        for engine in ("python", "spark"):
            raw_root = tmp_path / engine
            run_id = f"{engine}{len(list(raw_root.glob('_manifests/*.json'))) + 1}"
            extra = {"partition_column": "id", "partitions": 3} if engine == "spark" else {}
            capsys.readouterr()
            code = engine_main(engine)(job_argv(db, table, run_id, str(raw_root), **arguments, **extra))
            manifest_file = raw_root / "_manifests" / f"{run_id}.json"
            manifest = json.loads(manifest_file.read_text()) if manifest_file.exists() else None
            results.append(JobResult(code, capsys.readouterr().err, raw_root, run_id, manifest))
        return results[0], results[1]

    return run


@pytest.mark.parametrize("policy", ["quarantine", "coerce"])
def test_arrays_land_as_the_python_job_lands_them(
    postgres: Postgres, request: pytest.FixtureRequest, run_both: Any, policy: str
) -> None:
    for table in (request.getfixturevalue("arrays_table"), request.getfixturevalue("odd_arrays")):
        # Act
        python, spark = run_both(postgres, table, primary_key="id", unrepresentable=policy)

        # Assess
        same_landing(python, spark)
