"""Streaming: memory stays flat as the table grows, and files roll over at the target size."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import Database

MEASURE = (
    "import resource, sys\n"
    "from floe_extract.main import main\n"
    "code = main(sys.argv[1:])\n"
    "print('peak-rss-kb', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
    "sys.exit(code)\n"
)
ROW_BYTES = 1_000


def make_wide(db: Database, table: str, rows: int) -> None:
    db.execute(f"DROP TABLE IF EXISTS floe_test.{table}")
    db.execute(f"CREATE TABLE floe_test.{table} (id bigint PRIMARY KEY, filler text)")
    if db.engine == "postgres":
        db.execute(
            f"INSERT INTO floe_test.{table} SELECT g, repeat(md5(g::text), {ROW_BYTES // 32}) "
            f"FROM generate_series(1, {rows}) g"
        )
    else:
        db.execute(
            f"INSERT INTO floe_test.{table} SELECT seq, repeat(md5(seq), {ROW_BYTES // 32}) FROM seq_1_to_{rows}"
        )


def extract(db: Database, table: str, raw_root: Path, run_id: str, *extra: str) -> tuple[int, dict[str, object]]:
    argv = [
        "--run-id", run_id, "--engine", db.engine, "--database", "testdb", "--connection", db.url,
        "--table", f"floe_test.{table}", "--raw-root", str(raw_root), *extra,
    ]
    done = subprocess.run([sys.executable, "-c", MEASURE, *argv], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    peak_kb = int(done.stderr.rsplit("peak-rss-kb", 1)[1].split()[0])
    return peak_kb, json.loads((raw_root / "_manifests" / f"{run_id}.json").read_text())


SMALL_ROWS, LARGE_ROWS = 100_000, 400_000


@pytest.fixture
def wide_tables(db: Database) -> tuple[Database, str, str]:
    """About 100 MB and 400 MB of text: both past the point where buffers stop growing."""
    small, large = f"wide_{SMALL_ROWS}", f"wide_{LARGE_ROWS}"
    for table, rows in ((small, SMALL_ROWS), (large, LARGE_ROWS)):
        present = db.query(f"SELECT count(*) FROM floe_test.{table}") if _exists(db, table) else [(0,)]
        if present[0][0] != rows:
            make_wide(db, table, rows)
    return db, small, large


def _exists(db: Database, table: str) -> bool:
    if db.engine == "postgres":
        return db.query("SELECT to_regclass(%s) IS NOT NULL", (f"floe_test.{table}",))[0][0]  # type: ignore[no-any-return]
    rows = db.query(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'floe_test' AND table_name = %s", (table,)
    )
    return bool(rows[0][0])


@pytest.mark.parametrize("partitions", ["1", "2"])
def test_memory_does_not_grow_with_the_table(
    wide_tables: tuple[Database, str, str], tmp_path: Path, partitions: str
) -> None:
    # Prepare
    db, small_table, large_table = wide_tables
    split = ["--primary-key", "id", "--partition-column", "id", "--partitions", partitions]
    # Act
    small_kb, small = extract(db, small_table, tmp_path, "small", *split)
    large_kb, large = extract(db, large_table, tmp_path, "large", *split)
    # Assess: holding the table (or even half of it) would add 150-300 MB; buffers and allocator noise add far less.
    assert small["totalRows"] == SMALL_ROWS and large["totalRows"] == LARGE_ROWS
    growth_mb = (large_kb - small_kb) / 1024
    print(
        f"peak RSS {small_kb // 1024} MB for {SMALL_ROWS:,} rows, "
        f"{large_kb // 1024} MB for {LARGE_ROWS:,} ({partitions} part(s))"
    )
    assert growth_mb < 120, f"peak RSS grew by {growth_mb:.0f} MB for 300 MB more data"


def test_files_roll_over_at_the_target_size(db: Database, table_name: str, tmp_path: Path) -> None:
    make_wide(db, table_name, 100_000)

    _, manifest = extract(db, table_name, tmp_path, "rolled", "--target-file-mb", "1")

    files = manifest["files"]
    assert isinstance(files, list) and len(files) > 1
    assert [f["part"] for f in files] == [f"0-{i}" for i in range(len(files))]
    assert sum(f["rows"] for f in files) == 100_000
    for entry in files:
        path = tmp_path / entry["path"]
        assert path.stat().st_size == entry["bytes"]
        assert pq.ParquetFile(path).metadata.num_rows == entry["rows"]
    ids = sorted(i for f in files for i in pq.read_table(tmp_path / f["path"], columns=["id"]).column("id").to_pylist())
    assert ids == list(range(1, 100_001))

