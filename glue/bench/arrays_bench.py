#!/usr/bin/env python3
"""Rows per second of the PostgreSQL extraction on tables with and without array columns.

    .venv/bin/python glue/bench/arrays_bench.py [--rows 1000000] [--repeat 5] [--job glue/extract.py ...]

Seeds (once per row count) four PostgreSQL tables in schema `floe_bench_arrays`:
  - `narrow`: bigint key, int, text, timestamptz: no arrays, the path every other table takes;
  - `int_array`: bigint key, int, and an `int[]` of 0 to 4 elements (every 10th NULL);
  - `text_array`: bigint key, int, and a `text[]` of 2 elements, one with a space (so quoted);
  - `grid`: bigint key, int, and an `int[][]` of 2×2.
Then runs each `--job` (the extraction job's entry; give an older checkout's glue/extract.py too to
compare, e.g. one from `git archive`) `--repeat` times per table, alternating jobs and tables so a
busy machine slows each alike, and prints the best wall time and rows/s of each. Each run writes
zstd Parquet to a scratch folder with `--unrepresentable quarantine`, floe's default, and is checked
to land every row.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import psycopg.sql

ROOT = Path(__file__).resolve().parents[2]
PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
SCHEMA = "floe_bench_arrays"

TABLES = {
    "narrow": (
        "v int, note text, at timestamptz",
        "g::int, 'note ' || g, timestamptz '2024-01-01' + g * interval '1 s'",
    ),
    "int_array": (
        "v int, tags int[]",
        "g::int, CASE WHEN g % 10 = 0 THEN NULL ELSE (SELECT array_agg(g + i) FROM generate_series(1, g % 5) i) END",
    ),
    "text_array": ("v int, tags text[]", "g::int, ARRAY['tag ' || g, 'plain' || (g % 7)]"),
    "grid": ("v int, grid int[][]", "g::int, ARRAY[ARRAY[g::int, 1], ARRAY[2, -g::int]]"),
}


def seed(rows: int) -> None:
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        for name, (columns, values) in TABLES.items():
            digest = f"{rows} {columns} {values}"
            found = conn.execute(
                "SELECT obj_description(to_regclass(%s), 'pg_class')", (f"{SCHEMA}.{name}",)
            ).fetchone()
            if found and found[0] == digest:
                continue
            conn.execute(f"DROP TABLE IF EXISTS {SCHEMA}.{name}")
            conn.execute(f"CREATE TABLE {SCHEMA}.{name} (id bigint PRIMARY KEY, {columns})")
            conn.execute(f"INSERT INTO {SCHEMA}.{name} SELECT g, {values} FROM generate_series(1::bigint, {rows}) g")
            conn.execute(psycopg.sql.SQL("COMMENT ON TABLE {} IS {}").format(
                psycopg.sql.Identifier(SCHEMA, name), psycopg.sql.Literal(digest)
            ))
            conn.execute(f"VACUUM (ANALYZE) {SCHEMA}.{name}")


def run_job(job: Path, table: str, rows: int, scratch: Path) -> float:
    shutil.rmtree(scratch, ignore_errors=True)
    argv = [
        sys.executable, str(job), "--run-id", "bench", "--engine", "postgres", "--database", "bench",
        "--connection", PG_URL, "--table", f"{SCHEMA}.{table}", "--primary-key", "id", "--raw-root", str(scratch),
        "--unrepresentable", "quarantine",
    ]
    started = time.perf_counter()
    done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"arrays_bench: {table} failed:\n{done.stderr}")
    landed = json.loads((scratch / "_manifests/bench.json").read_text())["totalRows"]
    if landed != rows:
        sys.exit(f"arrays_bench: {table} landed {landed} rows, not {rows}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--job", type=Path, action="append", help="repeatable (default: this checkout's job)")
    parser.add_argument("--only", help="comma-separated table names (default: all four)")
    args = parser.parse_args()
    tables = args.only.split(",") if args.only else list(TABLES)
    jobs: list[Path] = args.job or [ROOT / "glue/extract.py"]
    seed(args.rows)
    best = {(job, table): float("inf") for job in jobs for table in tables}
    with tempfile.TemporaryDirectory() as scratch:
        for _ in range(args.repeat):
            for table in tables:
                for job in jobs:
                    seconds = run_job(job, table, args.rows, Path(scratch) / table)
                    best[job, table] = min(best[job, table], seconds)
    for job in jobs:
        print(f"job: {job}, {args.rows:,} rows, best of {args.repeat}")
        for table in tables:
            print(f"  {table:<11} {best[job, table]:6.2f} s  {args.rows / best[job, table]:>12,.0f} rows/s")

if __name__ == "__main__":
    main()
