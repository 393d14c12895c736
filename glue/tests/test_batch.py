"""Several tables in one job run (`--batch`): each lands or fails on its own, within the connection budget."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import Database, Postgres

GLUE = Path(__file__).resolve().parents[1]


def make_table(db: Database, table: str, rows: int) -> None:
    db.execute(f"DROP TABLE IF EXISTS floe_test.{table}")
    db.execute(f"CREATE TABLE floe_test.{table} (id int PRIMARY KEY, note varchar(40))")
    if db.engine == "postgres":
        db.execute(f"INSERT INTO floe_test.{table} SELECT g, 'row ' || g FROM generate_series(1, {rows}) g")
    else:
        db.execute(
            f"INSERT INTO floe_test.{table} SELECT seq, CONCAT('row ', seq) FROM seq_1_to_{rows}"
        )


def write_batch(folder: Path, entries: list[dict[str, str]]) -> Path:
    batch = folder / "_batches" / "b1.json"
    batch.parent.mkdir(parents=True, exist_ok=True)
    batch.write_text(json.dumps({"batchVersion": 1, "tables": entries}))
    return batch


def run_batch(db: Database, raw_root: Path, batch: Path, max_connections: int) -> subprocess.CompletedProcess[str]:
    argv = [
        sys.executable, str(GLUE / "extract.py"), "--engine", db.engine, "--database", "testdb",
        "--connection", db.url, "--raw-root", str(raw_root), "--batch", str(batch),
        "--max-connections", str(max_connections),
    ]
    return subprocess.run(argv, capture_output=True, text=True, timeout=300)


def manifest(raw_root: Path, run_id: str) -> dict[str, Any] | None:
    path = raw_root / "_manifests" / f"{run_id}.json"
    return json.loads(path.read_text()) if path.exists() else None


def log_records(raw_root: Path, run_id: str) -> list[dict[str, Any]]:
    [log] = list((raw_root / "_logs").rglob(f"{run_id}.jsonl"))
    return [json.loads(line) for line in log.read_text().splitlines()]


def test_each_table_of_a_batch_lands_or_fails_on_its_own(db: Database, table_name: str, tmp_path: Path) -> None:
    # Prepare: two tables, and between them one that does not exist
    make_table(db, f"{table_name}_a", 30)
    make_table(db, f"{table_name}_c", 7)
    names = [f"{table_name}_a", f"{table_name}_missing", f"{table_name}_c"]
    entries = [
        {"--run-id": f"batch-{i}", "--table": f"floe_test.{n}", "--primary-key": "id"} for i, n in enumerate(names)
    ]
    raw_root = tmp_path / "raw"
    # Act
    result = run_batch(db, raw_root, write_batch(tmp_path, entries), max_connections=2)
    # Assess: the job fails with the missing table's code, and the other two landed in full
    assert result.returncode == 4, result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        f"floe-extract: error: 1 of 3 table(s) failed, each in its own log: floe_test.{table_name}_missing"
    )
    landed_a, missing, landed_c = (manifest(raw_root, f"batch-{i}") for i in range(3))
    assert landed_a is not None and landed_a["totalRows"] == 30 and landed_a["table"] == f"floe_test.{table_name}_a"
    assert landed_c is not None and landed_c["totalRows"] == 7
    assert missing is None
    error = log_records(raw_root, "batch-1")[-1]
    assert error["event"] == "error" and error["error"] == "SourceSchemaError" and "not found" in error["message"]
    assert all(r["event"] != "error" for r in log_records(raw_root, "batch-0") + log_records(raw_root, "batch-2"))


def test_a_batch_never_holds_more_source_connections_than_allowed(
    postgres: Postgres, table_name: str, tmp_path: Path
) -> None:
    # Prepare: six tables of three parts each, big enough that tables overlap in time
    entries = []
    for i in range(6):
        make_table(postgres, f"{table_name}_{i}", 150_000)
        entries.append({
            "--run-id": f"conn-{i}", "--table": f"floe_test.{table_name}_{i}", "--primary-key": "id",
            "--partition-column": "id", "--partitions": "3",
        })
    raw_root = tmp_path / "raw"
    most = {"seen": 0}
    done = threading.Event()

    def sample() -> None:
        import psycopg

        with psycopg.connect(postgres.url, autocommit=True) as conn:
            while not done.is_set():
                [(count,)] = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'floe-extract'"
                ).fetchall()
                most["seen"] = max(most["seen"], count)
                time.sleep(0.005)

    sampler = threading.Thread(target=sample)
    sampler.start()
    # Act
    try:
        result = run_batch(postgres, raw_root, write_batch(tmp_path, entries), max_connections=2)
    finally:
        done.set()
        sampler.join()
    # Assess: every table landed whole, in at most two parts, and never more than two connections were open
    assert result.returncode == 0, result.stderr
    for i in range(6):
        landed = manifest(raw_root, f"conn-{i}")
        assert landed is not None and landed["totalRows"] == 150_000
        parts = [r for r in log_records(raw_root, f"conn-{i}") if r["event"] == "part"]
        assert len(parts) == 2
    assert f"floe_test.{table_name}_0: read in 2 part(s), not 3" in result.stderr
    assert 2 <= most["seen"] <= 2, most


@pytest.mark.parametrize("problem", ["connection", "not-json"])
def test_a_malformed_batch_is_refused_naming_what_is_wrong(postgres: Postgres, tmp_path: Path, problem: str) -> None:
    entry = {"--run-id": "x1", "--table": "floe_test.anything"}
    if problem == "connection":
        entry["--connection"] = "postgresql://elsewhere/db"
    batch = write_batch(tmp_path, [entry])
    if problem == "not-json":
        batch.write_text("{tables")

    result = run_batch(postgres, tmp_path / "raw", batch, max_connections=1)

    assert result.returncode == 2, result.stderr
    [line] = result.stderr.strip().splitlines()
    expected = "is not JSON" if problem == "not-json" else "sets --connection, which the command line gives"
    assert line.startswith("floe-extract: error: --batch") and expected in line


def test_a_closed_source_connection_no_longer_counts_when_close_returns(postgres: Postgres) -> None:
    # Prepare: PostgreSQL counts a backend until its process exits, a moment after the client hangs up
    # (psycopg's own close left it listed in 10 of 20 tries here)
    import psycopg

    from floe_extract.sources.postgres import close_until_the_server_has

    still_listed = 0
    for _ in range(20):
        conn = psycopg.connect(postgres.url)
        pid = conn.info.backend_pid
        # Act
        close_until_the_server_has(conn)
        [(listed,)] = postgres.query("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (pid,))
        still_listed += listed
    # Assess
    assert still_listed == 0
