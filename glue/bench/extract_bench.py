#!/usr/bin/env python3
"""Extraction benchmark: floe's job against each source's own dump of the same table, in one run.

    scripts/setup && .venv/bin/python glue/bench/extract_bench.py [--rows 3000000] [--repeat 3]

Seeds `floe_bench` (glue/bench/seed.py) in PostgreSQL and MariaDB, then times,
`--repeat` times each, in alternation:
  - the physical limit: `psql -c "COPY floe_bench TO STDOUT"` and
    `mysql --quick -e "SELECT * FROM test.floe_bench"`, both to /dev/null;
  - `glue/extract.py` on one connection, and with `--partitions 2` on `id`,
    writing zstd Parquet to a scratch folder (local disk), with floe's default
    `--unrepresentable quarantine`; on PostgreSQL also with `fail` (no guards).
Reports the median wall time, rows/s, ratio to the dump, the job's peak RSS and
the on-disk size of table and Parquet, as a Markdown table for BENCHMARKS.md.
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
from dataclasses import dataclass
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
import seed  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
MYSQL_URL = "mysql://root@127.0.0.1:3306/test"
MEASURE = (
    "import sys, resource, runpy\n"
    "sys.argv = sys.argv[1:]\n"
    "try:\n"
    "    runpy.run_path(sys.argv[0], run_name='__main__')\n"
    "finally:\n"
    "    print('peak-rss-kb', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
)


@dataclass(frozen=True)
class Sample:
    seconds: float
    peak_rss_kb: int = 0
    parquet_bytes: int = 0


def timed(argv: list[str], stdout: int | None = subprocess.DEVNULL) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(argv, stdout=stdout, stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"bench: {' '.join(argv[:3])} failed:\n{done.stderr}")
    return seconds, done.stderr


def dump_pg() -> Sample:
    return Sample(timed(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qAt", "-c", "COPY floe_bench TO STDOUT"])[0])


def dump_mysql() -> Sample:
    return Sample(timed(["mysql", "-h", "127.0.0.1", "-uroot", "--quick", "-e", "SELECT * FROM test.floe_bench"])[0])


def floe(engine: str, partitions: int, scratch: Path, unrepresentable: str = "quarantine") -> Sample:
    shutil.rmtree(scratch, ignore_errors=True)
    # floe passes the table's policy (quarantine by default), so that is what is measured;
    # `fail` adds no guard to the read, so the pair shows what the guards cost.
    argv = [
        sys.executable, "-c", MEASURE, str(ROOT / "glue/extract.py"),
        "--run-id", "bench", "--engine", engine, "--database", "bench",
        "--connection", PG_URL if engine == "postgres" else MYSQL_URL,
        "--table", "floe_bench", "--primary-key", "id", "--raw-root", str(scratch),
        "--unrepresentable", unrepresentable,
    ]
    if partitions > 1:
        argv += ["--partition-column", "id", "--partitions", str(partitions)]
    seconds, stderr = timed(argv)
    peak_kb = int(stderr.rsplit("peak-rss-kb", 1)[1].split()[0])
    manifest = json.loads((scratch / "_manifests/bench.json").read_text())
    return Sample(seconds, peak_kb, sum(f["bytes"] for f in manifest["files"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=3_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    seed.seed_pg(args.rows, False)
    seed.seed_mysql(args.rows, False)
    with psycopg.connect(PG_URL) as conn:
        pg_size = conn.execute("SELECT pg_table_size('floe_bench')").fetchone()[0]  # type: ignore[index]
    scratch = Path(tempfile.mkdtemp(prefix="floe-bench-"))
    cases = {
        "postgres": [("psql COPY TO STDOUT", dump_pg)]
        + [(f"floe, {p} connection(s)", lambda p=p: floe("postgres", p, scratch)) for p in (1, 2)]
        + [("floe, 1 connection, --unrepresentable fail", lambda: floe("postgres", 1, scratch, "fail"))],
        "mysql": [("mysql --quick SELECT", dump_mysql)]
        + [(f"floe, {p} connection(s)", lambda p=p: floe("mysql", p, scratch)) for p in (1, 2)],
    }
    print(f"| source | what | median s | rows/s | × dump | peak RSS MB |  (rows {args.rows:,}, "
          f"PostgreSQL table {pg_size / 2**20:,.0f} MB, {os.cpu_count()} cores)")
    print("|---|---|---|---|---|---|")
    for engine, runs in cases.items():
        samples: dict[str, list[Sample]] = {name: [] for name, _ in runs}
        for _ in range(args.repeat):
            for name, run in runs:
                samples[name].append(run())
        baseline = statistics.median(s.seconds for s in samples[runs[0][0]])
        for name, _ in runs:
            seconds = statistics.median(s.seconds for s in samples[name])
            peak = max(s.peak_rss_kb for s in samples[name])
            rss = f"{peak / 1024:,.0f}" if peak else "-"
            rate, ratio = args.rows / seconds, seconds / baseline
            print(f"| {engine} | {name} | {seconds:.2f} | {rate:,.0f} | {ratio:.2f} | {rss} |")
        parquet = max(s.parquet_bytes for s in samples[runs[-1][0]])
        print(f"| {engine} | Parquet written (zstd) | {parquet / 2**20:,.0f} MB | | | |")
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
