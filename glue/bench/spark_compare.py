#!/usr/bin/env python3
"""The Spark engine on local[2] against the Python job, on the same tables, in one run.

    scripts/setup && .venv/bin/python glue/bench/spark_compare.py [--repeat 3] [--only mixed] [--engines postgres]
        [--scale 1.0] [--parts 8] [--json FILE]

Seeds the shapes of glue/bench/shapes.py, then, for each engine and shape, times in alternation,
`--repeat` times:
  - `glue/extract.py` reading the table in 2 parts (two connections and threads, the Python job's
    parallel read; this machine has 2 cores);
  - `glue/extract_spark.py` in Spark local mode on 2 cores (`local[2]`), reading the table in
    `--parts` ranges of the key over JDBC;
both with floe's default `--unrepresentable quarantine`, writing zstd Parquet to local disk, their
times including process start, connecting and the manifest. It also times the Spark job on an empty
table: what a Spark run costs before it reads a row (JVM, session, Python workers).

Reports per cell the best time of each and their ratio, and from the Spark job's own log the read
alone (from the first task to the last). Each Spark run above starts cold: its JVM, its Python
workers, code not yet compiled by the JIT, as every Glue job run does. A large table's run is mostly
warm, so the job is then also run `--repeat` more times in this process, on one Spark session
after a first run to warm it: each task's throughput there (rows/s, and source MB/s: the catalog's
table size shared out by rows) is the per-task figure BENCHMARKS.md projects to Glue's workers from,
beside the Python job's per-part throughput. `--json FILE` keeps every sample.
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
import shapes  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
MYSQL_URL = f"mysql://root@127.0.0.1:3306/{shapes.MY_DATABASE}"


def run(script: str, engine: str, table: str, scratch: Path, extra: list[str]) -> tuple[float, dict, list[dict]]:
    """Wall seconds, manifest and log records of one run of a job script."""
    shutil.rmtree(scratch, ignore_errors=True)
    argv = [
        sys.executable, str(ROOT / "glue" / script),
        "--run-id", "bench", "--engine", engine, "--database", "bench",
        "--connection", PG_URL if engine == "postgres" else MYSQL_URL,
        "--table", table, "--primary-key", "id", "--raw-root", str(scratch),
        "--unrepresentable", "quarantine", *extra,
    ]
    started = time.perf_counter()
    done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          env={**os.environ, "FLOE_SPARK_MASTER": "local[2]"})
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"spark_compare: {script} {table} failed:\n{done.stderr}")
    manifest = json.loads((scratch / "_manifests/bench.json").read_text())
    [log] = list(scratch.rglob("_logs/**/bench.jsonl"))
    return seconds, manifest, [json.loads(line) for line in log.read_text().splitlines()]


def warm_tasks(
    engine: str, shape: shapes.Shape, scratch: Path, extra: list[str], repeat: int
) -> tuple[float, float, float]:
    """The Spark job in this process, on one session: (read seconds, task rows/s, task source MB/s), best of the
    runs after a first that warms the JVM and the Python workers."""
    os.environ["FLOE_SPARK_MASTER"] = "local[2]"
    from floe_extract.spark.main import main as spark_main

    samples: list[tuple[float, float, float]] = []
    for attempt in range(repeat + 1):
        shutil.rmtree(scratch, ignore_errors=True)
        argv = [
            "--run-id", "warm", "--engine", engine, "--database", "bench",
            "--connection", PG_URL if engine == "postgres" else MYSQL_URL, "--table", shape.table,
            "--primary-key", "id", "--raw-root", str(scratch), "--unrepresentable", "quarantine", *extra,
        ]
        if spark_main(argv) != 0:
            sys.exit(f"spark_compare: the warm Spark run of {shape.table} failed")
        manifest = json.loads((scratch / "_manifests/warm.json").read_text())
        [log] = list(scratch.rglob("_logs/**/warm.jsonl"))
        records = [json.loads(line) for line in log.read_text().splitlines()]
        parts = [r for r in records if r["event"] == "part" and r["rows"] > 0]
        source_bytes = (manifest.get("sourceSize") or {}).get("bytes") or 0
        rows = statistics.median(p["rows"] / p["seconds"] for p in parts)
        mb = statistics.median(source_bytes * p["rows"] / shape.rows / p["seconds"] / 1e6 for p in parts)
        read = float(next(r for r in records if r["event"] == "totals")["seconds"])
        if attempt > 0:
            samples.append((read, rows, mb))
    return min(samples)[0], max(s[1] for s in samples), max(s[2] for s in samples)


def python_part_rate(records: list[dict], shape: shapes.Shape, manifest: dict) -> tuple[float, float]:
    """The Python job's per-part throughput: rows/s and source MB/s."""
    parts = [r for r in records if r["event"] == "part" and r["rows"] > 0]
    source_bytes = (manifest.get("sourceSize") or {}).get("bytes") or 0
    rows = statistics.median(p["rows"] / p["seconds"] for p in parts)
    return rows, statistics.median(source_bytes * p["rows"] / shape.rows / p["seconds"] / 1e6 for p in parts)


def seed(engine: str, shape: shapes.Shape) -> None:
    (shapes.seed_pg if engine == "postgres" else shapes.seed_mysql)(shape)
    # The catalog's estimate sizes the parts' throughput below: make it current.
    if engine == "postgres":
        import psycopg

        with psycopg.connect(shapes.PG_DSN, autocommit=True) as conn:
            conn.execute(f"ANALYZE {shape.table}")
    else:
        import mysql.connector

        conn = mysql.connector.connect(**shapes.MY_ARGS, database=shapes.MY_DATABASE)
        cursor = conn.cursor()
        cursor.execute(f"ANALYZE TABLE {shape.table}")
        cursor.fetchall()
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", default="narrow,mixed", help="comma-separated shape names")
    parser.add_argument("--engines", default="postgres,mysql")
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies every shape's row count")
    parser.add_argument("--parts", type=int, default=8, help="ranges the Spark job reads the table in")
    parser.add_argument("--json", help="write every sample to this file")
    args = parser.parse_args()
    wanted = set(args.only.split(","))
    chosen = [s for s in shapes.shapes(args.scale) if s.name in wanted]
    engines = args.engines.split(",")
    scratch = Path(tempfile.mkdtemp(prefix="floe-spark-compare-"))
    python_args = ["--partition-column", "id", "--partitions", "2"]
    spark_args = ["--partition-column", "id", "--partitions", str(args.parts)]
    results: list[dict[str, object]] = []
    try:
        for engine in engines:
            for shape in chosen:
                seed(engine, shape)
            empty = shapes.Shape("empty", 0, "no rows", shapes.shapes()[0].columns)
            seed(engine, empty)
            empties = [run("extract_spark.py", engine, empty.table, scratch, spark_args)[0] for _ in range(args.repeat)]
            fixed = min(empties)
            print(f"{engine}: the Spark job on an empty table {fixed:.1f} s", file=sys.stderr, flush=True)
            for shape in chosen:
                pythons: list[float] = []
                sparks: list[float] = []
                reads: list[float] = []
                part_rates: list[tuple[float, float]] = []
                for _ in range(args.repeat):
                    seconds, manifest, records = run("extract.py", engine, shape.table, scratch, python_args)
                    pythons.append(seconds)
                    part_rates.append(python_part_rate(records, shape, manifest))
                    seconds, manifest, records = run("extract_spark.py", engine, shape.table, scratch, spark_args)
                    sparks.append(seconds)
                    if manifest["totalRows"] != shape.rows:
                        sys.exit(f"spark_compare: {shape.table} landed {manifest['totalRows']} rows, not {shape.rows}")
                    reads.append(float(next(r for r in records if r["event"] == "totals")["seconds"]))
                warm_read, task_rows, task_mb = warm_tasks(engine, shape, scratch, spark_args, args.repeat)
                cell = {
                    "engine": engine, "shape": shape.name, "what": shape.what, "rows": shape.rows,
                    "python": min(pythons), "spark": min(sparks), "ratio": min(sparks) / min(pythons),
                    "sparkEmpty": fixed, "sparkRead": min(reads), "sparkWarmRead": warm_read,
                    "taskRowsPerSecond": task_rows, "taskSourceMbPerSecond": task_mb,
                    "pythonPartRowsPerSecond": max(r for r, _ in part_rates),
                    "pythonPartSourceMbPerSecond": max(m for _, m in part_rates),
                    "pythons": pythons, "sparks": sparks, "reads": reads,
                }
                results.append(cell)
                print(
                    f"{engine} {shape.name}: python {min(pythons):.1f} s, spark {min(sparks):.1f} s "
                    f"(× {cell['ratio']:.2f}; read {min(reads):.1f} s cold, {warm_read:.1f} s warm); per Spark task "
                    f"{task_rows:,.0f} rows/s, {task_mb:.1f} source MB/s; per Python part "
                    f"{cell['pythonPartRowsPerSecond']:,.0f} rows/s, {cell['pythonPartSourceMbPerSecond']:.1f} MB/s",
                    file=sys.stderr, flush=True,
                )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print("\n| engine | shape | rows | Python job, 2 parts | Spark local[2], cold | ratio | Spark: empty table | "
          "Spark read: cold / warm | per Spark task (warm): rows/s, source MB/s | per Python part: rows/s, MB/s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for c in results:
        print(f"| {c['engine']} | {c['shape']} | {c['rows']:,} | {c['python']:.1f} s | {c['spark']:.1f} s | "
              f"× {c['ratio']:.2f} | {c['sparkEmpty']:.1f} s | {c['sparkRead']:.1f} s / {c['sparkWarmRead']:.1f} s | "
              f"{c['taskRowsPerSecond']:,.0f}, {c['taskSourceMbPerSecond']:.1f} | "
              f"{c['pythonPartRowsPerSecond']:,.0f}, {c['pythonPartSourceMbPerSecond']:.1f} |")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
