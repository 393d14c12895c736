"""Demo: seed the sample sources, extract in full, change rows, extract incrementally, summarise.

Each extraction runs `glue/extract.py` as a child process, exactly as the
pipeline's local Glue runner will, and reads back only the manifest it writes.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import mysql.connector
import psycopg

ROOT = Path(__file__).resolve().parents[1]
TABLES = [
    # (engine, logical database, table, primary key, incremental column, partition column)
    ("postgres", "clr", "clr.coupons", "id", None, None),
    ("postgres", "clr", "clr.users", "id", None, None),
    ("postgres", "clr", "clr.availed_coupon_snapshots", "id", "updated_at", "id"),
    ("mysql", "shop", "orders", "id", "updated_at", "id"),
]


def connect_mysql(url: str, database: str | None = None):  # type: ignore[no-untyped-def]
    parts = urlsplit(url)
    return mysql.connector.connect(
        host=parts.hostname, port=parts.port or 3306, user=parts.username, password=parts.password or "",
        database=database, autocommit=True,
    )


def seed(pg_url: str, mysql_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute((ROOT / "demo/postgres.sql").read_text())  # type: ignore[arg-type]
    conn = connect_mysql(mysql_url)
    cursor = conn.cursor()
    for statement in (ROOT / "demo/mysql.sql").read_text().split(";"):
        body = "\n".join(line for line in statement.splitlines() if not line.startswith("--")).strip()
        if body:
            cursor.execute(body)
    conn.close()


def change_rows(pg_url: str, mysql_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(
            "UPDATE clr.availed_coupon_snapshots SET amount = amount + 1, updated_at = now() WHERE id % 1000 = 0"
        )
        conn.execute(
            "INSERT INTO clr.availed_coupon_snapshots SELECT g, 1, 1, 'app', 9.99, now(), now() "
            "FROM generate_series(100001, 100050) g"
        )
    conn = connect_mysql(mysql_url, "shop")
    conn.cursor().execute("UPDATE orders SET status = 'shipped', updated_at = now(6) WHERE id % 500 = 0")
    conn.close()


def extract(url: str, raw_root: str, run_id: str, spec: tuple[str, ...], watermark: str | None) -> dict[str, object]:
    engine, database, table, key, incremental, partition = spec
    argv = [sys.executable, str(ROOT / "glue/extract.py"), "--run-id", run_id, "--engine", engine,
            "--database", database, "--connection", url, "--table", table, "--primary-key", key,
            "--raw-root", raw_root]
    if incremental:
        argv += ["--mode", "incremental", "--incremental-column", incremental]
    if watermark:
        argv += ["--watermark", watermark]
    if partition:
        argv += ["--partition-column", partition, "--partitions", "2"]
    started = time.monotonic()
    done = subprocess.run(argv, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        sys.exit(f"demo: extracting {table} failed:\n{done.stderr}")
    manifest: dict[str, object] = json.loads((Path(raw_root) / "_manifests" / f"{run_id}.json").read_text())
    manifest["seconds"] = time.monotonic() - started
    return manifest


def summary(title: str, manifests: list[dict[str, object]]) -> None:
    print(f"\n{title}")
    print(f"  {'table':<34} {'mode':<12} {'rows':>9} {'files':>5} {'seconds':>7}  new watermark")
    for m in manifests:
        print(f"  {m['database']}.{str(m['table']).split('.')[-1]:<{33 - len(str(m['database']))}} {m['mode']:<12} "
              f"{m['totalRows']:>9,} {len(m['files']):>5} {m['seconds']:>7.2f}  {m['newWatermark'] or '-'}")  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pg", required=True)
    parser.add_argument("--mysql", required=True)
    parser.add_argument("--raw-root", required=True)
    args = parser.parse_args()
    urls = {"postgres": args.pg, "mysql": args.mysql}

    print("seeding the demo sources (PostgreSQL schema clr, MySQL database shop)")
    seed(args.pg, args.mysql)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    first = [extract(urls[s[0]], args.raw_root, f"demo-{stamp}-full-{i}", s, None) for i, s in enumerate(TABLES)]
    summary("first run (full load)", first)

    print("\nchanging source rows: 100 snapshots updated, 50 inserted; 100 orders shipped")
    change_rows(args.pg, args.mysql)
    second = [
        extract(urls[s[0]], args.raw_root, f"demo-{stamp}-incr-{i}", s, str(m["newWatermark"]))
        for i, (s, m) in enumerate(zip(TABLES, first))
        if s[4]
    ]
    summary("second run (incremental: only what changed)", second)
    print(f"\nParquet files, manifests and logs are under {Path(args.raw_root).resolve()}")


if __name__ == "__main__":
    main()
