#!/usr/bin/env python3
"""The extraction job on a small incremental window: what a `floe run` after 1% of rows changed pays for it.

    .venv/bin/python glue/bench/seed.py --rows 3000000
    .venv/bin/python glue/bench/small_run.py [--rows 30000] [--repeat 9] [--engine postgres|mysql] [CHECKOUT ...]

Runs `glue/extract.py` of each CHECKOUT (a folder holding glue/; default this one) on `floe_bench`
in incremental mode from the watermark that leaves `--rows` rows in the window (the largest values
of `updated_at`, so the table is not changed), in alternation, a fresh process each time, with the
arguments `floe run` passes. Reports the median wall time and CPU time (user + system, every thread)
of the whole process, from its start to its exit. On a busy machine CPU time is the steadier figure.

`--phases` instead runs this checkout's job `--repeat` times in a fresh process each, with timers
around its phases (imports, source queries, the read, the Parquet file, the manifest and log),
and reports each phase's median wall and CPU time.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = {
    "postgres": ("postgresql://postgres@127.0.0.1:5432/postgres", "public.floe_bench"),
    "mysql": ("mysql://root@127.0.0.1:3306/test", "test.floe_bench"),
}
WATERMARK_QUERY = "SELECT updated_at FROM floe_bench ORDER BY updated_at DESC LIMIT 1 OFFSET %s"

# One job in this process, its phases timed by wrapping the functions that do them: [wall, CPU] seconds.
PHASES = """
import json, sys, time
def clock():
    return [time.perf_counter(), time.process_time()]
born = clock()
glue, engine, argv = sys.argv[1], sys.argv[2], sys.argv[3:]
sys.path.insert(0, glue)
times = {}
def add(phase, started, sign=1):
    now, total = clock(), times.setdefault(phase, [0.0, 0.0])
    for i in (0, 1):
        total[i] += sign * (now[i] - started[i])
def timed(owner, name, phase):
    inner = getattr(owner, name)
    def wrapper(*args, **kwargs):
        started = clock()
        try:
            return inner(*args, **kwargs)
        finally:
            add(phase, started)
    setattr(owner, name, wrapper)
started = clock()
from floe_extract.unused_modules import refuse_unused_modules
refuse_unused_modules()
from floe_extract import job, main, parquet_sink
if engine == "postgres":
    from floe_extract.sources.postgres import PostgresSource as source
else:
    from floe_extract.sources.mysql import MySQLSource as source
add("imports", started)
timed(source, "__init__", "connect, open transactions, columns")
for name in ("high_mark", "lower_bound", "count_nulls", "held_mark"):
    timed(source, name, "window and watermark queries")
timed(job, "estimate_size", "size estimate")
timed(parquet_sink.PartWriter, "finish", "Parquet file (the last row group)")
timed(job.ExtractionRun, "_read_parts", "read and write")
timed(main, "write_manifest", "manifest and log")
timed(main, "_publish_log", "manifest and log")
code = main.main(argv)
# The wall clock from this script's first line; the CPU clock from the process's start.
times["whole process"] = [time.perf_counter() - born[0], time.process_time()]
last = times.get("Parquet file (the last row group)", [0.0, 0.0])
times["read and write"] = [whole - part for whole, part in zip(times["read and write"], last)]
print(json.dumps({phase: [round(seconds * 1000, 1) for seconds in both] for phase, both in times.items()}))
sys.exit(code)
"""


def watermark(engine: str, rows: int) -> str:
    """The `updated_at` value that leaves `rows` rows after it (`updated_at > watermark`)."""
    if engine == "postgres":
        import psycopg

        with psycopg.connect(SOURCES[engine][0]) as conn:
            value = conn.execute(WATERMARK_QUERY, (rows,)).fetchone()[0]  # type: ignore[index]
    else:
        import mysql.connector

        conn = mysql.connector.connect(host="127.0.0.1", port=3306, user="root", database="test")
        cursor = conn.cursor()
        cursor.execute(WATERMARK_QUERY, (rows,))
        value = cursor.fetchone()[0]  # type: ignore[index]
        conn.close()
    return str(value.isoformat(sep=" ", timespec="microseconds"))


def job_arguments(engine: str, mark: str, run_id: str, raw_root: str) -> list[str]:
    """What start-ingest passes for a table with an incremental column (pipeline/job-arguments.ts)."""
    connection, table = SOURCES[engine]
    return [
        "--run-id", run_id, "--engine", engine, "--database", "bench", "--connection", connection, "--table", table,
        "--primary-key", "id", "--mode", "incremental", "--incremental-column", "updated_at", "--watermark", mark,
        "--raw-root", raw_root, "--run-time", "2026-12-05T18:00:00Z", "--unrepresentable", "quarantine",
        "--retry-attempts", "3", "--retry-backoff-seconds", "5", "--retry-max-backoff-seconds", "60",
    ]


def run_once(checkout: Path, arguments: list[str], rows: int) -> tuple[float, float]:
    """Wall and CPU milliseconds of one job process."""
    started = time.perf_counter()
    job = subprocess.Popen(
        [sys.executable, str(checkout / "glue" / "extract.py"), *arguments],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=checkout,
    )
    assert job.stderr is not None
    _, status, usage = os.wait4(job.pid, 0)
    wall = time.perf_counter() - started
    stderr = job.stderr.read().decode()
    job.stderr.close()
    if status != 0 or f"{rows:,} rows" not in stderr:
        raise SystemExit(f"{checkout}: the job failed or read another number of rows:\n{stderr}")
    return wall * 1000, (usage.ru_utime + usage.ru_stime) * 1000


def compare(engine: str, rows: int, repeat: int, checkouts: list[Path]) -> None:
    mark = watermark(engine, rows)
    samples: dict[Path, list[tuple[float, float]]] = {checkout: [] for checkout in checkouts}
    scratch = Path(tempfile.mkdtemp(prefix="floe-small-run-"))
    try:
        for round_number in range(repeat):
            # Alternate, and alternate the order, so a busy moment slows every checkout alike.
            for index, checkout in enumerate(checkouts if round_number % 2 == 0 else checkouts[::-1]):
                raw_root = scratch / f"{round_number}-{index}"
                samples[checkout].append(run_once(checkout, job_arguments(engine, mark, "small", str(raw_root)), rows))
                shutil.rmtree(raw_root, ignore_errors=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"| checkout | {engine}: wall ms, median (min–max) | CPU ms, median (min–max) |  ({rows:,} rows, n={repeat})")
    print("|---|---|---|")
    for checkout, runs in samples.items():
        walls, cpus = [w for w, _ in runs], [c for _, c in runs]
        print(
            f"| {checkout} | {statistics.median(walls):.0f} ({min(walls):.0f}–{max(walls):.0f}) "
            f"| {statistics.median(cpus):.0f} ({min(cpus):.0f}–{max(cpus):.0f}) |"
        )


def phases(engine: str, rows: int, repeat: int) -> None:
    mark = watermark(engine, rows)
    samples: list[dict[str, list[float]]] = []
    scratch = Path(tempfile.mkdtemp(prefix="floe-small-run-"))
    try:
        for round_number in range(repeat):
            arguments = job_arguments(engine, mark, "small", str(scratch / str(round_number)))
            done = subprocess.run(
                [sys.executable, "-c", PHASES, str(ROOT / "glue"), engine, *arguments],
                capture_output=True, text=True, check=True,
            )
            samples.append(json.loads(done.stdout.strip().splitlines()[-1]))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"| phase | {engine}: wall ms, median | CPU ms, median |  ({rows:,} rows, n={repeat})")
    print("|---|---|---|")
    for phase in samples[0]:
        wall, cpu = (statistics.median(sample.get(phase, [0.0, 0.0])[i] for sample in samples) for i in (0, 1))
        print(f"| {phase} | {wall:.0f} | {cpu:.0f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=30_000)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--engine", choices=tuple(SOURCES), action="append")
    parser.add_argument("--phases", action="store_true")
    parser.add_argument("checkouts", nargs="*", type=Path)
    options = parser.parse_args()
    for engine in options.engine or list(SOURCES):
        if options.phases:
            phases(engine, options.rows, options.repeat)
        else:
            compare(engine, options.rows, options.repeat, [c.resolve() for c in options.checkouts] or [ROOT])


if __name__ == "__main__":
    main()
