"""Fixtures: the real PostgreSQL and MariaDB on this machine, a raw root per test, and a job runner.

Each test gets its own tables in the `floe_test` schema (PostgreSQL) or database
(MariaDB), named after the test, so tests never see each other's rows.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import mysql.connector
import psycopg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from floe_extract.main import main

# The conformance suite: a test module marked `conformance` runs each test through both engines, the
# Python job and the Spark job (local mode), with the same expectations. Spark's runs are marked
# `spark` as well, so `pytest -m "not spark"` leaves them out (Spark takes seconds to start, once a session).
# A module marked `readers` as well runs a third time: the Python job with floe's C readers left out
# (PostgreSQL's binary COPY, MySQL's rows into Arrow), as on a host where they do not load, whose
# readers (CSV COPY, the driver's rows) must land the same values.
EXTRACTION_ENGINES = ("python", pytest.param("spark", marks=pytest.mark.spark))
WITHOUT_C = "python-without-c"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "job_engine" in metafunc.fixturenames and metafunc.definition.get_closest_marker("conformance"):
        extra = (WITHOUT_C,) if metafunc.definition.get_closest_marker("readers") else ()
        metafunc.parametrize("job_engine", EXTRACTION_ENGINES + extra)


@pytest.fixture
def job_engine() -> str:
    """The engine `run_job` runs: the Python job, unless the test is part of the conformance suite."""
    return "python"


def engine_main(engine: str) -> Callable[[list[str]], int]:
    """The job's entry for an engine, run in this process (Spark's session is shared by the whole test session)."""
    if engine == "spark":
        from floe_extract.spark.main import main as spark_main

        return spark_main
    return main

PG_URL = os.environ.get("FLOE_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
MYSQL_HOST = os.environ.get("FLOE_TEST_MYSQL_HOST", "127.0.0.1")
MYSQL_PORT = int(os.environ.get("FLOE_TEST_MYSQL_PORT", "3306"))
MYSQL_URL = f"mysql://root@{MYSQL_HOST}:{MYSQL_PORT}/floe_test"
ENGINES = ("postgres", "mysql")


class Database:
    """A source database the test can change behind the job's back."""

    engine: str
    url: str

    def execute(self, statement: str, params: tuple[Any, ...] = ()) -> None:
        raise NotImplementedError

    def query(self, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        raise NotImplementedError


class Postgres(Database):
    engine = "postgres"
    url = PG_URL

    def __init__(self) -> None:
        self.conn = psycopg.connect(PG_URL, autocommit=True)
        self.conn.execute("CREATE SCHEMA IF NOT EXISTS floe_test")
        self.conn.execute("SET TimeZone = 'UTC'")

    def execute(self, statement: str, params: tuple[Any, ...] = ()) -> None:
        self.conn.execute(statement, params or None)  # type: ignore[arg-type]

    def query(self, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        return self.conn.execute(statement, params or None).fetchall()  # type: ignore[arg-type]


class MySQL(Database):
    engine = "mysql"
    url = MYSQL_URL

    def __init__(self) -> None:
        self.conn = mysql.connector.connect(
            host=MYSQL_HOST, port=MYSQL_PORT, user="root", autocommit=True, charset="utf8mb4"
        )
        cursor = self.conn.cursor()
        cursor.execute("CREATE DATABASE IF NOT EXISTS floe_test CHARACTER SET utf8mb4")
        cursor.execute("USE floe_test")
        cursor.execute("SET time_zone = '+00:00'")
        cursor.close()

    def execute(self, statement: str, params: tuple[Any, ...] = ()) -> None:
        cursor = self.conn.cursor()
        cursor.execute(statement, params or None)
        cursor.close()

    def query(self, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        cursor = self.conn.cursor()
        cursor.execute(statement, params or None)
        rows = list(cursor.fetchall())
        cursor.close()
        return rows


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    db = Postgres()
    yield db
    db.conn.close()


@pytest.fixture(scope="session")
def mysql_db() -> Iterator[MySQL]:
    db = MySQL()
    yield db
    db.conn.close()


@pytest.fixture(params=ENGINES)
def db(request: pytest.FixtureRequest) -> Database:
    return request.getfixturevalue("postgres" if request.param == "postgres" else "mysql_db")  # type: ignore[no-any-return]


@pytest.fixture
def table_name(request: pytest.FixtureRequest) -> str:
    """A table name unique to the test (and to its parameters)."""
    return re.sub(r"[^a-z0-9]+", "_", request.node.name.lower()).strip("_")[:60]


def qualified(db: Database, table: str) -> str:
    return f"floe_test.{table}"


@dataclass
class JobResult:
    exit_code: int
    stderr: str
    raw_root: Path
    run_id: str
    manifest: dict[str, Any] | None = field(default=None)

    def table(self) -> pa.Table:
        """Every landed row, from the files the manifest lists."""
        assert self.manifest is not None, f"no manifest; stderr: {self.stderr}"
        files = [self.raw_root / f["path"] for f in self.manifest["files"]]
        if not files:
            return pa.table({})
        return pa.concat_tables(pq.read_table(f) for f in files)

    def rows(self, key: str = "id") -> list[dict[str, Any]]:
        if self.manifest is not None and not self.manifest["files"]:
            return []
        return sorted(self.table().to_pylist(), key=lambda r: (r[key] is None, r[key]))

    def rejected_values(self) -> list[dict[str, Any]]:
        """The run's rejects file, by key then column; none when nothing was set aside."""
        assert self.manifest is not None, f"no manifest; stderr: {self.stderr}"
        file = self.manifest["rejects"]["file"]
        if file is None:
            return []
        rows = pq.read_table(self.raw_root / file["path"]).to_pylist()
        return sorted(rows, key=lambda r: (r["primary_key"], r["column_name"]))

    def log_records(self) -> list[dict[str, Any]]:
        logs = list((self.raw_root / "_logs").rglob(f"{self.run_id}.jsonl"))
        assert len(logs) == 1, f"expected one log for {self.run_id}, found {logs}"
        return [json.loads(line) for line in logs[0].read_text().splitlines()]


Runner = Callable[..., JobResult]


def job_argv(db: Database, table: str, run_id: str, raw_root: str, **arguments: Any) -> list[str]:
    """Glue-style arguments for a test table; keyword names are the argument names with _ for -."""
    args = {
        "run-id": run_id,
        "engine": db.engine,
        "database": "testdb",
        "connection": arguments.pop("connection", db.url),
        "table": qualified(db, table),
        "raw-root": raw_root,
    }
    args.update({k.replace("_", "-"): str(v) for k, v in arguments.items() if v is not None})
    return [token for name, value in args.items() for token in (f"--{name}", value)]


@pytest.fixture
def run_job(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, job_engine: str
) -> Runner:
    """Run the job in-process with Glue-style arguments; keyword names are the argument names with _."""
    counter = {"n": 0}
    entry = engine_main(job_engine)
    if job_engine == WITHOUT_C:
        from floe_extract.sources import libpq_copy, mysql

        monkeypatch.setattr(libpq_copy, "available", lambda: False)
        monkeypatch.setattr(mysql, "_mysql_rows", None)

    def run(db: Database, table: str, **arguments: Any) -> JobResult:
        counter["n"] += 1
        run_id = str(arguments.pop("run_id", f"run{counter['n']}"))
        raw_root = Path(arguments.pop("raw_root", tmp_path / "raw"))
        argv = job_argv(db, table, run_id, str(raw_root), **arguments)
        capsys.readouterr()
        code = entry(argv)
        stderr = capsys.readouterr().err
        manifest_file = raw_root / "_manifests" / f"{run_id}.json"
        manifest = json.loads(manifest_file.read_text()) if manifest_file.exists() else None
        return JobResult(code, stderr, raw_root, run_id, manifest)

    return run
