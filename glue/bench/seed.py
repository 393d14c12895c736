#!/usr/bin/env python3
"""Seed the `floe_bench` benchmark table in PostgreSQL and MariaDB.

Idempotent: a table that already exists with exactly --rows rows is left alone;
otherwise it is dropped and rebuilt with one INSERT ... SELECT.

    python glue/bench/seed.py [--rows 2000000] [--only pg|mysql] [--force]

Data is deterministic (a function of the row id) so both engines hold the same
logical content.  Besides the NULLs in `note`, a few other columns carry sparse
NULLs so that NULL handling is exercised for typed (non-text) columns too:
  amount NULL when id % 97 = 0, active NULL when id % 53 = 0,
  created_at NULL when id % 101 = 0, payload NULL when id % 89 = 0.
`note` cycles over: NULL, multi-byte (accents, CJK, emoji), tab, newline +
double quotes + backslash, empty string, CRLF + comma + single quote, md5 text.
"""
from __future__ import annotations

import argparse
import sys
import time

PG_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
MY_ARGS = dict(host="127.0.0.1", port=3306, user="root", password="", database="test")
TABLE = "floe_bench"

PG_DDL = f"""
CREATE TABLE {TABLE} (
    id          bigint PRIMARY KEY,
    customer_id integer,
    code        varchar(32),
    amount      numeric(12,2),
    ratio       double precision,
    active      boolean,
    created_at  timestamptz,
    updated_at  timestamp(6) without time zone,
    note        text,
    ext_id      uuid,
    payload     jsonb
)"""

PG_INSERT = """
INSERT INTO {table}
SELECT g,
       (g % 100000)::int,
       'C' || lpad((g % 9973)::text, 6, '0'),
       CASE WHEN g % 97 = 0 THEN NULL
            ELSE (((g * 7919) % 200000000) - 100000000)::numeric / 100 END,
       (g % 1000)::float8 / 7,
       CASE WHEN g % 53 = 0 THEN NULL ELSE g % 3 <> 0 END,
       CASE WHEN g % 101 = 0 THEN NULL
            ELSE timestamptz '2020-01-01 00:00:00+00'
                 + g * interval '97 seconds' + (g % 1000000) * interval '1 microsecond' END,
       timestamp '2021-01-01 00:00:00'
           + g * interval '13 seconds' + (g % 999983) * interval '1 microsecond',
       CASE g % 10
            WHEN 0 THEN NULL
            WHEN 1 THEN 'héllo wörld ' || g || ' 日本語 ✓ 😀'
            WHEN 2 THEN E'tab\\there ' || g
            WHEN 3 THEN E'line1\\nline2 "quoted" \\\\back ' || g
            WHEN 4 THEN ''
            WHEN 5 THEN E'crlf\\r\\nsep, it''s ' || g
            ELSE 'note ' || md5(g::text) END,
       md5(g::text)::uuid,
       CASE WHEN g % 89 = 0 THEN NULL
            ELSE jsonb_build_object('k', g, 's', 'v' || (g % 100),
                                    'a', jsonb_build_array(g % 7, g % 11)) END
FROM generate_series(1::bigint, {n}::bigint) AS g  -- bigint: g * 7919 overflows int4
"""

MY_DDL = f"""
CREATE TABLE {TABLE} (
    id          bigint NOT NULL PRIMARY KEY,
    customer_id int NULL,
    code        varchar(32) NULL,
    amount      decimal(12,2) NULL,
    ratio       double NULL,
    active      tinyint(1) NULL,
    created_at  timestamp(6) NULL DEFAULT NULL,
    updated_at  datetime(6) NULL,
    note        text NULL,
    ext_id      char(36) NULL,
    payload     json NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci"""

# Session time_zone is forced to +00:00 before this runs, so `created_at`
# (a TIMESTAMP, stored as UTC) gets the same instants as in PostgreSQL.
MY_INSERT = """
INSERT INTO {table}
SELECT s.seq,
       s.seq % 100000,
       CONCAT('C', LPAD(s.seq % 9973, 6, '0')),
       CASE WHEN s.seq % 97 = 0 THEN NULL
            ELSE CAST((((s.seq * 7919) % 200000000) - 100000000) / 100 AS DECIMAL(12,2)) END,
       CAST(s.seq % 1000 AS DOUBLE) / 7,
       CASE WHEN s.seq % 53 = 0 THEN NULL ELSE s.seq % 3 <> 0 END,
       CASE WHEN s.seq % 101 = 0 THEN NULL
            ELSE TIMESTAMP'2020-01-01 00:00:00' + INTERVAL (s.seq * 97) SECOND
                 + INTERVAL (s.seq % 1000000) MICROSECOND END,
       TIMESTAMP'2021-01-01 00:00:00' + INTERVAL (s.seq * 13) SECOND
           + INTERVAL (s.seq % 999983) MICROSECOND,
       CASE s.seq % 10
            WHEN 0 THEN NULL
            WHEN 1 THEN CONCAT('héllo wörld ', s.seq, ' 日本語 ✓ 😀')
            WHEN 2 THEN CONCAT('tab\\there ', s.seq)
            WHEN 3 THEN CONCAT('line1\\nline2 "quoted" \\\\back ', s.seq)
            WHEN 4 THEN ''
            WHEN 5 THEN CONCAT('crlf\\r\\nsep, it''s ', s.seq)
            ELSE CONCAT('note ', s.h) END,
       CONCAT_WS('-', SUBSTR(s.h, 1, 8), SUBSTR(s.h, 9, 4), SUBSTR(s.h, 13, 4),
                 SUBSTR(s.h, 17, 4), SUBSTR(s.h, 21, 12)),
       CASE WHEN s.seq % 89 = 0 THEN NULL
            ELSE JSON_OBJECT('k', s.seq, 's', CONCAT('v', s.seq % 100),
                             'a', JSON_ARRAY(s.seq % 7, s.seq % 11)) END
FROM (SELECT CAST(seq AS SIGNED) AS seq, MD5(seq) AS h FROM seq_1_to_{n}) AS s  -- seq is BIGINT UNSIGNED
"""


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def seed_pg(n: int, force: bool) -> None:
    import psycopg

    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        exists = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (f"public.{TABLE}",)).fetchone()[0]
        if exists and not force:
            have = conn.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0]
            if have == n:
                log(f"pg: {TABLE} already has {n} rows, skipping")
                return
            log(f"pg: {TABLE} has {have} rows, want {n}: rebuilding")
        t0 = time.perf_counter()
        with conn.transaction():
            conn.execute(f"DROP TABLE IF EXISTS {TABLE}")
            conn.execute(PG_DDL)
            conn.execute(PG_INSERT.format(table=TABLE, n=int(n)))  # no params: literal % stays literal
            conn.execute(f"CREATE INDEX {TABLE}_updated_at_idx ON {TABLE} (updated_at)")
        conn.execute(f"VACUUM (ANALYZE) {TABLE}")  # also sets hint bits / visibility map
        log(f"pg: seeded {n} rows in {time.perf_counter() - t0:.1f}s")


def seed_mysql(n: int, force: bool) -> None:
    import mysql.connector  # the job's own driver: the bench installs nothing the project does not

    args = {key: value for key, value in MY_ARGS.items() if key != "database"}
    conn = mysql.connector.connect(**args, charset="utf8mb4", autocommit=True)
    conn.cursor().execute(f"CREATE DATABASE IF NOT EXISTS {MY_ARGS['database']}")
    conn.database = str(MY_ARGS["database"])
    try:
        with conn.cursor() as cur:
            cur.execute("SET time_zone = '+00:00'")
            cur.execute(
                "SET SESSION sql_mode = 'STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'"
            )
            cur.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = %s",
                (TABLE,),
            )
            exists = cur.fetchone()[0] == 1
            if exists and not force:
                cur.execute(f"SELECT count(*) FROM {TABLE}")
                have = cur.fetchone()[0]
                if have == n:
                    log(f"mysql: {TABLE} already has {n} rows, skipping")
                    return
                log(f"mysql: {TABLE} has {have} rows, want {n}: rebuilding")
            t0 = time.perf_counter()
            cur.execute(f"DROP TABLE IF EXISTS {TABLE}")
            cur.execute(MY_DDL)
            cur.execute("SET SESSION unique_checks = 0")
            cur.execute("BEGIN")
            # note: `n` is an int, so formatting it into the sequence-table name is safe
            cur.execute(MY_INSERT.format(table=TABLE, n=int(n)))
            cur.execute("COMMIT")
            cur.execute(f"CREATE INDEX {TABLE}_updated_at_idx ON {TABLE} (updated_at)")
            cur.execute(f"ANALYZE TABLE {TABLE}")
            cur.fetchall()
            log(f"mysql: seeded {n} rows in {time.perf_counter() - t0:.1f}s")
    finally:
        conn.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=2_000_000)
    ap.add_argument("--only", choices=["pg", "mysql"])
    ap.add_argument("--force", action="store_true", help="rebuild even if the row count matches")
    a = ap.parse_args()
    if a.rows < 1:
        ap.error("--rows must be >= 1")
    if a.only in (None, "pg"):
        seed_pg(a.rows, a.force)
    if a.only in (None, "mysql"):
        seed_mysql(a.rows, a.force)


if __name__ == "__main__":
    main()
