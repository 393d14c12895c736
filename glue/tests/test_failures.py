"""Bad input and failures: one clear line, a log record, a non-zero exit, and no manifest."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import Database, MySQL, Postgres, Runner

# One conformance suite, two engines: the tests marked `conformance` run on the Python job and on the Spark job.
# Not the COPY killed mid-read: it names the Python job's statement; tests/test_spark.py cuts a Spark task's connection.

GLUE = Path(__file__).resolve().parents[1]
PASSWORD = "Pw-7c1d-NEVER-LOG-ME"


def make_small(db: Database, table: str) -> None:
    db.execute(f"DROP TABLE IF EXISTS floe_test.{table}")
    db.execute(f"CREATE TABLE floe_test.{table} (id int PRIMARY KEY, note varchar(10))")
    db.execute(f"INSERT INTO floe_test.{table} VALUES (1, 'a'), (2, 'b')")


def assert_failed_cleanly(result: object, code: int, *phrases: str) -> None:
    """Progress lines may come first; the failure is one line, last, and the log's error record says the same."""
    stderr: str = result.stderr  # type: ignore[attr-defined]
    assert result.exit_code == code, stderr  # type: ignore[attr-defined]
    lines = stderr.strip().splitlines()
    errors = [line for line in lines if line.startswith("floe-extract: error: ")]
    assert len(errors) == 1 and errors[0] == lines[-1], stderr
    for phrase in phrases:
        assert phrase in errors[0]
    assert result.manifest is None  # type: ignore[attr-defined]
    records = [r for r in result.log_records() if r["event"] == "error"]  # type: ignore[attr-defined]
    assert len(records) == 1 and records[0]["message"] == errors[0].removeprefix("floe-extract: error: ")


@pytest.mark.conformance
def test_an_unreachable_server_fails_with_a_retryable_error(db: Database, table_name: str, run_job: Runner) -> None:
    url = db.url.replace(":5432/", ":1/").replace(":3306/", ":1/")

    result = run_job(db, table_name, connection=url)

    assert_failed_cleanly(result, 3, "cannot connect to", "127.0.0.1:1")
    assert result.log_records()[-1]["retryable"] is True


def unknown_database_url(db: Database) -> str:
    head, _, _ = db.url.rpartition("/")
    return f"{head}/floe_no_such_database"


@pytest.mark.conformance
@pytest.mark.parametrize("wrong", ["database", "user"])
def test_a_refused_login_fails_at_once_without_retrying(
    db: Database, table_name: str, run_job: Runner, wrong: str
) -> None:
    # A wrong database name or user is not an outage: retrying for the whole policy would only hide it.
    wrong_user = db.url.replace("://root@", "://floe_nobody@").replace("://postgres@", "://floe_nobody@")
    url = unknown_database_url(db) if wrong == "database" else wrong_user
    assert url != db.url

    result = run_job(db, table_name, connection=url, retry_attempts=5, retry_backoff_seconds=30)

    assert_failed_cleanly(result, 8, "cannot connect to", "not retried")
    assert "floe_no_such_database" in result.stderr or "floe_nobody" in result.stderr
    records = result.log_records()
    assert [r for r in records if r["event"] == "retry"] == []
    assert records[-1]["retryable"] is False


def test_a_role_at_its_connection_limit_is_retried_not_refused(
    postgres: Postgres, table_name: str, run_job: Runner
) -> None:
    # `too many connections for role "x"` names a role but is no refusal: another job's backends may
    # still be exiting (floe bounds its connections to the role's limit, PostgreSQL counts them
    # until they have gone).
    postgres.execute(
        "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'floe_no_slots') "
        "THEN CREATE ROLE floe_no_slots LOGIN CONNECTION LIMIT 0; END IF; END $$"
    )
    url = postgres.url.replace("://postgres@", "://floe_no_slots@")

    result = run_job(postgres, table_name, connection=url, retry_attempts=2, retry_backoff_seconds=0)

    assert_failed_cleanly(result, 3, "cannot connect to", 'too many connections for role "floe_no_slots"')
    records = result.log_records()
    assert [r for r in records if r["event"] == "retry"] != []
    assert records[-1]["retryable"] is True


@pytest.mark.conformance
def test_tls_the_server_cannot_give_fails_at_once(postgres: Postgres, table_name: str, run_job: Runner) -> None:
    # The test server runs without TLS (ssl = off), so sslmode=require can never succeed.
    url = f"{postgres.url}?sslmode=require"

    result = run_job(postgres, table_name, connection=url, retry_attempts=5, retry_backoff_seconds=30)

    assert_failed_cleanly(result, 8, "server does not support SSL", "not retried")


@pytest.mark.conformance
def test_an_unknown_table_is_named(db: Database, run_job: Runner) -> None:
    result = run_job(db, "no_such_table")

    assert_failed_cleanly(result, 4, "table floe_test.no_such_table not found")


@pytest.mark.conformance
@pytest.mark.parametrize("role", ["incremental_column", "partition_column", "primary_key"])
def test_an_unknown_column_is_named_with_its_role(db: Database, table_name: str, run_job: Runner, role: str) -> None:
    make_small(db, table_name)
    extra = {"mode": "incremental"} if role == "incremental_column" else {}

    result = run_job(db, table_name, **{role: "nope"}, **extra)

    assert_failed_cleanly(result, 4, f"{role.replace('_', ' ')}", "'nope' is not a column", "columns: id, note")


@pytest.mark.conformance
def test_incremental_mode_without_an_incremental_column_fails_before_connecting(
    postgres: Postgres, run_job: Runner
) -> None:
    result = run_job(postgres, "anything", mode="incremental", connection="postgresql://nobody@127.0.0.1:1/x")

    assert_failed_cleanly(result, 2, "--mode incremental needs --incremental-column")


@pytest.mark.conformance
def test_a_non_ordered_incremental_column_is_refused(db: Database, table_name: str, run_job: Runner) -> None:
    make_small(db, table_name)

    result = run_job(db, table_name, mode="incremental", incremental_column="note")

    assert_failed_cleanly(result, 2, "incremental column note", "integer, decimal(p,s), date or timestamp")


@pytest.mark.conformance
def test_a_malformed_watermark_is_named(db: Database, table_name: str, run_job: Runner) -> None:
    timestamp = "timestamp" if db.engine == "postgres" else "datetime"
    db.execute(f"DROP TABLE IF EXISTS floe_test.{table_name}")
    db.execute(f"CREATE TABLE floe_test.{table_name} (id int PRIMARY KEY, changed {timestamp})")

    result = run_job(db, table_name, mode="incremental", incremental_column="changed", watermark="yesterday-ish")

    assert_failed_cleanly(result, 2, "--watermark 'yesterday-ish' is not a valid", "column changed")


@pytest.mark.conformance
def test_bad_credentials_fail_and_never_show_the_password(mysql_db: MySQL, table_name: str, run_job: Runner) -> None:
    make_small(mysql_db, table_name)

    result = run_job(mysql_db, table_name, connection=f"mysql://root:{PASSWORD}@127.0.0.1:3306/floe_test")

    assert_failed_cleanly(
        result, 8, "cannot connect to mysql://root@127.0.0.1:3306/floe_test", "Access denied", "not retried"
    )
    assert PASSWORD not in result.stderr
    for path in result.raw_root.rglob("*"):
        if path.is_file():
            assert PASSWORD not in path.read_text(errors="replace"), path


@pytest.mark.conformance
def test_a_whole_run_with_a_password_leaves_it_in_no_output(mysql_db: MySQL, table_name: str, run_job: Runner) -> None:
    # Prepare
    make_small(mysql_db, table_name)
    mysql_db.execute("CREATE USER IF NOT EXISTS 'floe_reader'@'%%' IDENTIFIED BY %s", (PASSWORD,))
    mysql_db.execute("ALTER USER 'floe_reader'@'%%' IDENTIFIED BY %s", (PASSWORD,))
    mysql_db.execute("GRANT SELECT ON floe_test.* TO 'floe_reader'@'%%'")
    url = f"mysql://floe_reader:{PASSWORD}@127.0.0.1:3306/floe_test"
    # Act
    ok = run_job(mysql_db, table_name, connection=url, primary_key="id")
    failed = run_job(mysql_db, "missing_table", connection=url)
    # Assess
    assert ok.exit_code == 0, ok.stderr
    assert failed.exit_code == 4
    outputs = [ok.stderr, failed.stderr] + [
        p.read_bytes().decode("latin-1") for p in ok.raw_root.rglob("*") if p.is_file()
    ]
    assert len(outputs) >= 6  # two stderr texts, a parquet file, a manifest, two logs
    for text in outputs:
        assert PASSWORD not in text


@pytest.mark.conformance
def test_a_rerun_with_the_same_run_id_overwrites_its_files(db: Database, table_name: str, run_job: Runner) -> None:
    make_small(db, table_name)
    first = run_job(db, table_name, run_id="again", run_time="2025-11-05T12:00:00Z")
    db.execute(f"INSERT INTO floe_test.{table_name} VALUES (3, 'c')")

    second = run_job(db, table_name, run_id="again", run_time="2025-11-05T12:00:00Z")

    assert first.manifest is not None and second.manifest is not None
    assert [f["path"] for f in first.manifest["files"]] == [f["path"] for f in second.manifest["files"]]
    assert [r["id"] for r in second.rows()] == [1, 2, 3]
    assert len(list(second.raw_root.rglob("*.parquet"))) == 1


@pytest.mark.conformance
def test_the_glue_script_runs_as_a_command(postgres: Postgres, table_name: str, tmp_path: Path) -> None:
    make_small(postgres, table_name)
    base = [sys.executable, str(GLUE / "extract.py"), "--engine", "postgres", "--database", "clr",
            "--connection", postgres.url, "--table", f"floe_test.{table_name}", "--raw-root", str(tmp_path),
            "--JOB_ID", "glue-adds-its-own-arguments"]

    ok = subprocess.run(
        [*base, "--run-id", "cli1", "--run-time", "2025-11-05T12:30:00Z"], capture_output=True, text=True
    )
    bad = subprocess.run([*base, "--run-id", "cli2", "--partitions", "two"], capture_output=True, text=True)

    assert ok.returncode == 0, ok.stderr
    assert (tmp_path / f"PostgreSQL/clr/floe_test.{table_name}/2025-11-05/12/cli1-0-0.parquet").exists()
    assert (tmp_path / "_manifests/cli1.json").exists()
    assert (tmp_path / f"_logs/postgres/clr/floe_test.{table_name}/2025-11-05/cli1.jsonl").exists()
    assert bad.returncode == 2
    assert bad.stderr == "floe-extract: error: --partitions must be an integer, got 'two'\n"


def test_a_connection_killed_mid_read_fails_the_run_instead_of_landing_part_of_the_table(
    postgres: Postgres, table_name: str, run_job: Runner
) -> None:
    # Prepare: a table big enough that the read is still going when its backend is terminated.
    postgres.execute(f"DROP TABLE IF EXISTS floe_test.{table_name}")
    postgres.execute(
        f"CREATE TABLE floe_test.{table_name} AS "
        "SELECT g AS id, repeat('x', 400) AS pad FROM generate_series(1, 1500000) g"
    )
    killed: list[int] = []

    def kill_the_copy() -> None:
        deadline = time.monotonic() + 30
        while not killed and time.monotonic() < deadline:
            rows = postgres.query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = 'floe-extract' AND query LIKE 'COPY%%' AND query LIKE %s",
                (f"%{table_name}%",),
            )
            killed.extend(1 for (done,) in rows if done)
            time.sleep(0.02)

    killer = threading.Thread(target=kill_the_copy)
    killer.start()
    # Act
    result = run_job(postgres, table_name, primary_key="id")
    killer.join()
    # Assess
    assert killed, "the COPY was never seen running"
    assert_failed_cleanly(result, 3, "lost the connection", "while reading")


@pytest.mark.conformance
def test_a_manifest_that_cannot_be_written_fails_retryably_in_one_line_and_takes_its_files_back(
    postgres: Postgres, table_name: str, run_job: Runner, tmp_path: Path
) -> None:
    # Prepare: a file where the manifests folder should be makes the manifest write fail.
    make_small(postgres, table_name)
    raw_root = tmp_path / "blocked"
    raw_root.mkdir()
    (raw_root / "_manifests").write_text("not a folder")
    # Act
    result = run_job(postgres, table_name, raw_root=raw_root)
    # Assess
    assert_failed_cleanly(result, 6, "could not write")
    assert [r["event"] for r in result.log_records()][-1] == "error"
    assert list(raw_root.rglob("*.parquet")) == []  # the data files it had landed are taken back


@pytest.mark.conformance
def test_a_failing_part_stops_the_others_and_leaves_no_data_files(
    postgres: Postgres, table_name: str, run_job: Runner
) -> None:
    # Prepare: part 1's last row cannot be represented; part 0 is clean and lands files first.
    postgres.execute(f"DROP TABLE IF EXISTS floe_test.{table_name}")
    postgres.execute(
        f"CREATE TABLE floe_test.{table_name} AS SELECT g AS id, now() AS seen_at, repeat('x', 200) AS pad "
        "FROM generate_series(1, 200000) g"
    )
    postgres.execute(f"UPDATE floe_test.{table_name} SET seen_at = 'infinity' WHERE id = 200000")
    # Act
    result = run_job(postgres, table_name, primary_key="id", partition_column="id", partitions=2, target_file_mb=1)
    # Assess
    assert_failed_cleanly(result, 5, "column seen_at")
    assert list(result.raw_root.rglob("*.parquet")) == []
    assert [r for r in result.log_records() if r["event"] == "part"] == [] or all(
        r["part"] == 0 for r in result.log_records() if r["event"] == "part"
    )


@pytest.mark.conformance
@pytest.mark.parametrize(
    ("engine", "query", "phrase"),
    [
        ("postgres", "options=-c%20statement_timeout%3D1", "option 'options' is set by floe"),
        ("mysql", "ssl_disabled=maybe", "option 'ssl_disabled' takes true or false"),
        ("mysql", "allow_local_infile=true", "option 'allow_local_infile' is not supported for MySQL"),
    ],
)
def test_connection_options_floe_sets_or_does_not_know_are_refused(
    request: pytest.FixtureRequest, table_name: str, run_job: Runner, engine: str, query: str, phrase: str
) -> None:
    db: Database = request.getfixturevalue("postgres" if engine == "postgres" else "mysql_db")

    result = run_job(db, table_name, connection=f"{db.url}?{query}")

    assert_failed_cleanly(result, 2, phrase)


@pytest.mark.conformance
def test_a_connection_can_come_from_an_environment_variable_kept_off_the_command_line(
    postgres: Postgres, table_name: str, run_job: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_small(postgres, table_name)
    monkeypatch.setenv("FLOE_TEST_CONNECTION", postgres.url)

    ok = run_job(postgres, table_name, connection="env:FLOE_TEST_CONNECTION")
    unset = run_job(postgres, table_name, connection="env:FLOE_TEST_UNSET_CONNECTION")

    assert ok.exit_code == 0, ok.stderr
    assert [r["id"] for r in ok.rows()] == [1, 2]
    assert_failed_cleanly(unset, 2, "environment variable 'FLOE_TEST_UNSET_CONNECTION', which is not set")


@pytest.mark.conformance
def test_a_run_whose_log_cannot_be_written_fails_without_its_manifest_or_data_files(
    postgres: Postgres, table_name: str, run_job: Runner, tmp_path: Path
) -> None:
    # Prepare: files and manifest land, then a file where the logs folder should be refuses the log.
    make_small(postgres, table_name)
    raw_root = tmp_path / "no-logs"
    raw_root.mkdir()
    (raw_root / "_logs").write_text("not a folder")
    # Act
    result = run_job(postgres, table_name, raw_root=raw_root)
    # Assess: a failed job leaves nothing that says it landed
    assert result.exit_code == 6, result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("floe-extract: error: could not write")
    assert result.manifest is None
    assert list(raw_root.rglob("*.parquet")) == []


@pytest.mark.conformance
def test_a_job_whose_console_went_away_fails_without_leaving_data_files(postgres: Postgres, tmp_path: Path) -> None:
    # Prepare: what an orphaned local job sees once the floe run that started it was killed
    table = "console_gone"
    make_small(postgres, table)
    argv = [sys.executable, str(GLUE / "extract.py"), "--run-id", "orphan", "--engine", "postgres", "--database", "clr",
            "--connection", postgres.url, "--table", f"floe_test.{table}", "--raw-root", str(tmp_path)]
    # Act
    job = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert job.stderr is not None
    job.stderr.close()
    code = job.wait(timeout=60)
    # Assess
    assert code != 0
    assert not (tmp_path / "_manifests" / "orphan.json").exists()
    assert list(tmp_path.rglob("*.parquet")) == []
