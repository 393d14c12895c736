#!/usr/bin/env python3
"""The extraction matrix: floe's job against each source's own dump, on every row shape, in one run.

    scripts/setup && .venv/bin/python glue/bench/matrix.py [--repeat 3] [--only narrow,wide] [--engines postgres]

Seeds the shapes of glue/bench/shapes.py (narrow, key + one column of each major type, mixed,
wide, text- and JSON-heavy) in PostgreSQL and MariaDB, then, for each shape, times in alternation
`--repeat` times:
  - the physical limit: `psql -c "COPY (SELECT * FROM t) TO STDOUT"` and
    `mysql --quick -e "SELECT * FROM t"`, both to /dev/null;
  - `glue/extract.py` on one connection, writing zstd Parquet to local disk, with floe's default
    `--unrepresentable quarantine`; its time includes process start, connecting and the manifest.
Reports the best of the repeats for each, their ratio, and the job's largest peak RSS, one row per
cell, then the worst cell of each engine. It also times the job on an empty table of the narrow
shape (what a run costs before it reads a row) and gives each cell's ratio less that time too.
`--json FILE` keeps every sample.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
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


MEASURE = (
    "import resource, runpy, sys\n"
    "sys.argv = sys.argv[1:]\n"
    "try:\n"
    "    runpy.run_path(sys.argv[0], run_name='__main__')\n"
    "finally:\n"
    "    print('peak-rss-kb', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
)


def run(argv: list[str]) -> tuple[float, str]:
    """Wall seconds and stderr of one child process; its output goes to /dev/null."""
    started = time.perf_counter()
    done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"matrix: {' '.join(argv[:6])} … failed:\n{done.stderr}")
    return seconds, done.stderr


def dump(engine: str, shape: shapes.Shape) -> float:
    if engine == "postgres":
        argv = ["psql", "-X", "-h", "127.0.0.1", "-U", "postgres", "-qAt",
                "-c", f"COPY (SELECT * FROM {shape.table}) TO STDOUT"]
    else:
        argv = ["mysql", "-h", "127.0.0.1", "-uroot", "--quick", "-N", "-B",
                "-e", f"SELECT * FROM {shapes.MY_DATABASE}.{shape.table}"]
    return run(argv)[0]


def job(engine: str, shape: shapes.Shape, scratch: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one run of the job, checked to land every row."""
    shutil.rmtree(scratch, ignore_errors=True)
    argv = [
        sys.executable, "-c", MEASURE, str(ROOT / "glue/extract.py"),
        "--run-id", "matrix", "--engine", engine, "--database", "bench",
        "--connection", PG_URL if engine == "postgres" else MYSQL_URL,
        "--table", shape.table, "--primary-key", "id", "--raw-root", str(scratch),
        "--unrepresentable", "quarantine",
    ]
    seconds, stderr = run(argv)
    manifest = json.loads((scratch / "_manifests/matrix.json").read_text())
    if manifest["totalRows"] != shape.rows:
        sys.exit(f"matrix: {engine} {shape.table} landed {manifest['totalRows']} rows, not {shape.rows}")
    return seconds, int(stderr.rsplit("peak-rss-kb", 1)[1].split()[0]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", help="comma-separated shape names (default: every shape)")
    parser.add_argument("--engines", default="postgres,mysql")
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies every shape's row count")
    parser.add_argument("--json", help="write every sample to this file")
    args = parser.parse_args()
    wanted = set(args.only.split(",")) if args.only else None
    chosen = [s for s in shapes.shapes(args.scale) if not wanted or s.name in wanted]
    engines = args.engines.split(",")
    for shape in chosen:
        if "postgres" in engines:
            shapes.seed_pg(shape)
        if "mysql" in engines:
            shapes.seed_mysql(shape)

    empty = shapes.Shape("empty", 0, "no rows", shapes.shapes()[0].columns)
    scratch = Path(tempfile.mkdtemp(prefix="floe-matrix-"))
    results: list[dict[str, object]] = []
    fixed: dict[str, float] = {}
    try:
        for engine in engines:
            # What the job costs before it reads a row: the same run on an empty table, in this run.
            (shapes.seed_pg if engine == "postgres" else shapes.seed_mysql)(empty)
            fixed[engine] = min(job(engine, empty, scratch)[0] for _ in range(args.repeat))
            print(f"{engine}: the job on an empty table {fixed[engine]:.2f} s", file=sys.stderr, flush=True)
            for shape in chosen:
                dumps: list[float] = []
                jobs: list[float] = []
                rss = 0.0
                for _ in range(args.repeat):
                    dumps.append(dump(engine, shape))
                    seconds, peak = job(engine, shape, scratch)
                    jobs.append(seconds)
                    rss = max(rss, peak)
                cell = {
                    "engine": engine, "shape": shape.name, "what": shape.what, "rows": shape.rows,
                    "columns": len(shape.columns), "dump": min(dumps), "job": min(jobs),
                    "ratio": min(jobs) / min(dumps), "net": (min(jobs) - fixed[engine]) / min(dumps),
                    "peakRssMb": rss, "dumps": dumps, "jobs": jobs,
                }
                results.append(cell)
                print(f"{engine} {shape.name}: dump {min(dumps):.2f} s, job {min(jobs):.2f} s, "
                      f"× {cell['ratio']:.2f}, peak RSS {rss:.0f} MB", file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    print(f"\nBest of {args.repeat}, {os.cpu_count()} cores, {time.strftime('%Y-%m-%d')}:\n")
    print("| engine | shape | rows | cols | dump s | floe s | × dump | × dump less the empty run | peak RSS MB |")
    print("|---|---|---|---|---|---|---|---|---|")
    for cell in results:
        print(f"| {cell['engine']} | {cell['shape']} | {cell['rows']:,} | {cell['columns']} | {cell['dump']:.2f} "
              f"| {cell['job']:.2f} | **{cell['ratio']:.2f}** | {cell['net']:.2f} | {cell['peakRssMb']:.0f} |")
    for engine, seconds in fixed.items():
        print(f"\n{engine}: the job on an empty table (process start, imports, connecting, manifest): {seconds:.2f} s")
    for engine in engines:
        cells = [c for c in results if c["engine"] == engine]
        if cells:
            worst = max(cells, key=lambda c: float(c["ratio"]))  # type: ignore[arg-type]
            rss = max(float(c["peakRssMb"]) for c in cells)  # type: ignore[arg-type]
            print(f"\n{engine}: worst cell {worst['shape']} × {worst['ratio']:.2f}; largest peak RSS {rss:.0f} MB")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
