#!/usr/bin/env python3
"""floe against dlt: the same first load of the same tables into DuckDB, timed in the same run.

    scripts/setup && .venv/bin/python glue/bench/dlt_compare.py [--repeat 2] [--tables pg:mixed,mysql:mixed]

dlt goes into a virtual environment of its own, `.bench-venv` (git-ignored, made on first use):
`dlt[duckdb]` (its sql_database source) with its `connectorx` and `pyarrow` backends, SQLAlchemy's drivers
(psycopg2, PyMySQL). For each table (the matrix's shapes, glue/bench/shapes.py), each repeat times
as whole commands, each into a fresh DuckDB file:
  - dlt's `sql_table` source, backend `connectorx` and backend `pyarrow`, with write disposition
    `replace` and `merge` (primary key `id`): a first load either way;
  - `npx tsx cli/floe.ts run` on a config holding that table alone, from a fresh state: floe's first
    full load (extraction, raw table, staging, gold);
  - for where floe's time goes, its extraction job alone (glue/extract.py to Parquet).
Rows landed are read back from DuckDB and must be the table's. Reports the best of the repeats, as
whole commands (process start included: Python and dlt's imports; node, tsx and floe's set-up) and in
process (dlt: sql_table and pipeline.run; floe: the run its own summary times), and floe's speed-up
over dlt's fastest, as a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import shapes  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / ".bench-venv"
DLT_PACKAGES = ["dlt[duckdb]==1.31.0", "connectorx", "pyarrow", "sqlalchemy", "psycopg2-binary", "pymysql"]
URLS = {
    "postgres": ("postgresql://postgres@127.0.0.1:5432/postgres", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"),
    "mysql": (f"mysql://root@127.0.0.1:3306/{shapes.MY_DATABASE}", f"mysql+pymysql://root@127.0.0.1:3306/{shapes.MY_DATABASE}"),
}
DLT_RUN = """
import sys, time, dlt
from dlt.sources.sql_database import sql_table
url, schema, table, backend, disposition, database, work = sys.argv[1:]
started = time.perf_counter()
source = sql_table(credentials=url, schema=schema or None, table=table, backend=backend,
                   reflection_level="full_with_precision", chunk_size=100_000)
if disposition == "merge":
    source.apply_hints(primary_key="id")
pipeline = dlt.pipeline(pipeline_name="bench", destination=dlt.destinations.duckdb(database),
                        dataset_name="bench", pipelines_dir=work)
info = pipeline.run(source, write_disposition=disposition)
info.raise_on_failed_jobs()
print("seconds", time.perf_counter() - started)
with pipeline.sql_client() as client:
    print("rows", client.execute_sql(f"select count(*) from {table}")[0][0])
"""


def ensure_venv() -> Path:
    python = VENV / "bin/python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    probe = subprocess.run([str(python), "-c", "import dlt, connectorx, psycopg2, pymysql"], capture_output=True)
    if probe.returncode != 0:
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *DLT_PACKAGES],
                       check=True)
    return python


def run(argv: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, cwd=cwd, env=env)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"dlt_compare: {' '.join(argv[:4])} … failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    return seconds, done.stdout


def dlt_load(
    python: Path, engine: str, shape: shapes.Shape, backend: str, disposition: str, work: Path
) -> tuple[float, float]:
    """Seconds for the whole command, and inside it for the load (sql_table and pipeline.run)."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    schema = "public" if engine == "postgres" else shapes.MY_DATABASE
    argv = [str(python), "-c", DLT_RUN, URLS[engine][1], schema, shape.table, backend, disposition,
            str(work / "dlt.db"), str(work / "pipelines")]
    env = {**os.environ, "RUNTIME__LOG_LEVEL": "WARNING", "RUNTIME__DLTHUB_TELEMETRY": "false"}
    seconds, stdout = run(argv, env=env)
    landed = int(stdout.rsplit("rows", 1)[1].split()[0])
    if landed != shape.rows:
        sys.exit(f"dlt_compare: dlt {backend} {disposition} landed {landed} rows of {shape.table}, not {shape.rows}")
    return seconds, float(stdout.split("seconds", 1)[1].split()[0])


def floe_load(engine: str, shape: shapes.Shape, work: Path) -> tuple[float, float]:
    """Seconds for the whole command, and inside it for the run (floe run's own summary: runLocally)."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    table = f"public.{shape.table}" if engine == "postgres" else shape.table
    (work / "floe.config.yaml").write_text("\n".join([
        f"raw: {work / 'raw'}", f"state: {work / 'state'}", f"warehouse: duckdb://{work / 'floe.db'}",
        f"gold: {work / 'gold'}", "sources:", "  - name: bench", f"    engine: {engine}",
        f"    connection: {URLS[engine][0]}", "    tables:", f"      - name: {table}", "        primaryKey: [id]", "",
    ]))
    seconds, stdout = run(["npx", "tsx", "cli/floe.ts", "run", "--config", str(work / "floe.config.yaml")], cwd=ROOT)
    landed = _staging_rows(work / "floe.db", shape)
    if landed != shape.rows:
        sys.exit(f"dlt_compare: floe landed {landed} rows of {shape.table} in staging, not {shape.rows}")
    inside = re.search(r"table\(s\), 0 failed, in ([\d.]+) s", stdout)
    return seconds, float(inside.group(1)) if inside else float("nan")


def job_alone(engine: str, shape: shapes.Shape, work: Path) -> tuple[float, float]:
    """The extraction job alone (glue/extract.py to Parquet), for where floe run's time goes."""
    shutil.rmtree(work, ignore_errors=True)
    table = f"public.{shape.table}" if engine == "postgres" else shape.table
    seconds, _ = run([str(ROOT / ".venv/bin/python"), str(ROOT / "glue/extract.py"), "--run-id", "alone",
                      "--engine", engine, "--database", "bench", "--connection", URLS[engine][0], "--table", table,
                      "--primary-key", "id", "--raw-root", str(work), "--unrepresentable", "quarantine"])
    return seconds, seconds


def _staging_rows(database: Path, shape: shapes.Shape) -> int:
    """Rows in the staging table of `shape`, wherever floe's naming puts it (found by its name)."""
    import duckdb

    with duckdb.connect(str(database), read_only=True) as conn:
        found = conn.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema like '%staging%' and table_name like ?", [f"%{shape.table}%"]
        ).fetchall()
        if len(found) != 1:
            sys.exit(f"dlt_compare: expected one staging table for {shape.table}, found {found}")
        schema, name = found[0]
        return int(conn.execute(f'select count(*) from "{schema}"."{name}"').fetchone()[0])  # type: ignore[index]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--tables", default="postgres:mixed,postgres:narrow,mysql:mixed,mysql:narrow",
                        help="engine:shape pairs")
    args = parser.parse_args()
    python = ensure_venv()
    by_name = {s.name: s for s in shapes.shapes()}
    scratch = Path(tempfile.mkdtemp(prefix="floe-dlt-"))
    lines = []
    try:
        for pair in args.tables.split(","):
            engine, name = pair.split(":")
            shape = by_name[name]
            (shapes.seed_pg if engine == "postgres" else shapes.seed_mysql)(shape)
            times: dict[str, list[tuple[float, float]]] = {}
            for _ in range(args.repeat):
                for backend in ("connectorx", "pyarrow"):
                    for disposition in ("replace", "merge"):
                        key = f"dlt {backend} {disposition}"
                        times.setdefault(key, []).append(dlt_load(python, engine, shape, backend, disposition, scratch))
                times.setdefault("floe run", []).append(floe_load(engine, shape, scratch))
                times.setdefault("job", []).append(job_alone(engine, shape, scratch))
                print(pair, {k: [round(x, 2) for x in v[-1]] for k, v in times.items()}, file=sys.stderr, flush=True)
            for inside in (False, True):
                best = {k: min(t[1] if inside else t[0] for t in v) for k, v in times.items()}
                fastest = min((v, k) for k, v in best.items() if k.startswith("dlt"))
                dlt_cells = " | ".join(f"{best[k]:.2f}" for k in sorted(k for k in best if k.startswith("dlt")))
                lines.append(
                    f"| {engine} | {name} | {shape.rows:,} | {'in process' if inside else 'whole command'} | "
                    f"{dlt_cells} | {best['floe run']:.2f} | {best['job']:.2f} | "
                    f"**{fastest[0] / best['floe run']:.2f}×** ({fastest[1][4:]}) |"
                )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"\nBest of {args.repeat}, seconds for the whole command, {time.strftime('%Y-%m-%d')}:\n")
    print("| engine | shape | rows | timed | dlt connectorx merge | dlt connectorx replace | dlt pyarrow merge | "
          "dlt pyarrow replace | floe run | floe's extraction job alone | floe run's speed-up over dlt's fastest |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
