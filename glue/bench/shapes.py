"""The row shapes the extraction matrix measures, and how to seed each one in PostgreSQL and MariaDB.

A shape is a table: its columns (name, PostgreSQL type and value, MariaDB type and value, both
functions of the row number `g`) and its row count. Values are deterministic, so both engines hold
the same logical rows, and each column carries a few NULLs where it may.

    shapes.py [--only NAME,...] [--scale 1.0]     # seeds the tables that are missing or stale

Tables are `public.floe_shape_<name>` in PostgreSQL and `test.floe_shape_<name>` in MariaDB. A table
whose row count and definition (a digest kept in its comment) match is left alone.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from dataclasses import dataclass

PG_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
MY_ARGS = {"host": "127.0.0.1", "port": 3306, "user": "root", "password": ""}
MY_DATABASE = "test"


@dataclass(frozen=True)
class Column:
    name: str
    pg_type: str
    pg_value: str  # an expression of g (bigint)
    my_type: str
    my_value: str  # an expression of g (BIGINT)


@dataclass(frozen=True)
class Shape:
    name: str
    rows: int
    what: str
    columns: tuple[Column, ...]

    @property
    def table(self) -> str:
        return f"floe_shape_{self.name}"

    def digest(self) -> str:
        text = repr((self.rows, self.columns))
        return hashlib.sha1(text.encode()).hexdigest()[:12]


def nulls(every: int, pg: str, my: str) -> tuple[str, str]:
    return (f"CASE WHEN g % {every} = 0 THEN NULL ELSE {pg} END", f"CASE WHEN g % {every} = 0 THEN NULL ELSE {my} END")


def col(name: str, pg_type: str, my_type: str, values: tuple[str, str]) -> Column:
    return Column(name, pg_type, values[0], my_type, values[1])


KEY = Column("id", "bigint PRIMARY KEY", "g", "bigint NOT NULL PRIMARY KEY", "g")


def typed(kind: str, name: str, k: int = 0) -> Column:
    """One column of a major type; `k` shifts its values so wide tables' columns differ."""
    g = f"(g + {k})" if k else "g"
    if kind == "int":
        return col(name, "integer", "int", nulls(97, f"({g} % 100000)::int", f"{g} % 100000"))
    if kind == "bigint":
        return col(name, "bigint", "bigint", nulls(89, f"{g} * 7919", f"{g} * 7919"))
    if kind == "numeric":
        pg = f"((({g} * 7919) % 200000000) - 100000000)::numeric / 100"
        my = f"CAST(((({g} * 7919) % 200000000) - 100000000) / 100 AS DECIMAL(12,2))"
        return col(name, "numeric(12,2)", "decimal(12,2)", nulls(97, pg, my))
    if kind == "double":
        return col(name, "double precision", "double", nulls(83, f"({g} % 1000)::float8 / 7", f"({g} % 1000) / 7e0"))
    if kind == "bool":
        return col(name, "boolean", "tinyint(1)", nulls(53, f"{g} % 3 <> 0", f"{g} % 3 <> 0"))
    if kind == "date":
        pg = f"date '2000-01-01' + ({g} % 9000)::int"
        return col(name, "date", "date", nulls(71, pg, f"DATE '2000-01-01' + INTERVAL ({g} % 9000) DAY"))
    if kind == "timestamptz":
        pg = f"timestamptz '2020-01-01 00:00:00+00' + {g} * interval '61 seconds'"
        pg += f" + ({g} % 999983) * interval '1 microsecond'"
        my = f"TIMESTAMP '2020-01-01 00:00:00' + INTERVAL ({g} * 61) SECOND + INTERVAL ({g} % 999983) MICROSECOND"
        return col(name, "timestamptz", "timestamp(6) NULL", nulls(101, pg, my))
    if kind == "timestamp":
        pg = f"timestamp '2021-01-01 00:00:00' + {g} * interval '13 seconds'"
        pg += f" + ({g} % 999979) * interval '1 microsecond'"
        my = f"TIMESTAMP '2021-01-01 00:00:00' + INTERVAL ({g} * 13) SECOND + INTERVAL ({g} % 999979) MICROSECOND"
        return col(name, "timestamp(6)", "datetime(6)", nulls(103, pg, my))
    if kind == "varchar":
        pg = f"'C' || lpad(({g} % 9973)::text, 6, '0')"
        return col(name, "varchar(32)", "varchar(32)", nulls(59, pg, f"CONCAT('C', LPAD({g} % 9973, 6, '0'))"))
    if kind == "text":
        # Short text with the characters CSV and the text protocol escape: quotes, tabs, newlines, multi-byte.
        pg = (f"CASE {g} % 5 WHEN 0 THEN 'note ' || md5({g}::text) WHEN 1 THEN E'tab\\t\"q\" ' || {g} "
              f"WHEN 2 THEN 'héllo 日本 😀 ' || {g} WHEN 3 THEN E'line\\nbreak \\\\ ' || {g} ELSE '' END")
        my = (f"CASE {g} % 5 WHEN 0 THEN CONCAT('note ', MD5({g})) WHEN 1 THEN CONCAT('tab\\t\"q\" ', {g}) "
              f"WHEN 2 THEN CONCAT('héllo 日本 😀 ', {g}) WHEN 3 THEN CONCAT('line\\nbreak \\\\ ', {g}) ELSE '' END")
        return col(name, "text", "text", nulls(61, pg, my))
    if kind == "uuid":
        my = (f"CONCAT_WS('-', SUBSTR(MD5({g}), 1, 8), SUBSTR(MD5({g}), 9, 4), SUBSTR(MD5({g}), 13, 4), "
              f"SUBSTR(MD5({g}), 17, 4), SUBSTR(MD5({g}), 21, 12))")
        return col(name, "uuid", "char(36)", nulls(67, f"md5({g}::text)::uuid", my))
    if kind == "json":
        pg = f"jsonb_build_object('k', {g}, 's', 'v' || ({g} % 100), 'a', jsonb_build_array({g} % 7, {g} % 11))"
        my = f"JSON_OBJECT('k', {g}, 's', CONCAT('v', {g} % 100), 'a', JSON_ARRAY({g} % 7, {g} % 11))"
        return col(name, "jsonb", "json", nulls(89, pg, my))
    if kind == "binary":
        pg = f"decode(md5({g}::text), 'hex')"
        return col(name, "bytea", "varbinary(16)", nulls(73, pg, f"UNHEX(MD5({g}))"))
    raise ValueError(kind)


ONE_COLUMN = ("int", "numeric", "double", "bool", "date", "timestamptz", "timestamp", "text", "uuid", "json", "binary")
WIDE_KINDS = ("int", "bigint", "numeric", "double", "bool", "date", "timestamptz", "timestamp", "varchar", "text",
              "json")

LONG_TEXT = (
    "repeat(md5(g::text), 8)",  # 256 ASCII characters
    "repeat('héllo wörld 日本語 ✓ ', 6) || g",  # multi-byte
    "repeat(md5((g + 1)::text) || E' \"q\"\\t', 12)",  # quotes and tabs to escape
)
LONG_TEXT_MY = (
    "REPEAT(MD5(g), 8)",
    "CONCAT(REPEAT('héllo wörld 日本語 ✓ ', 6), g)",
    "REPEAT(CONCAT(MD5(g + 1), ' \"q\"\\t'), 12)",
)
# About 700 bytes of JSON: nested objects, arrays, strings and numbers.
DOC_PG = (
    "jsonb_build_object('id', g, 'name', 'customer ' || g, 'email', md5(g::text) || '@example.com', "
    "'tags', jsonb_build_array('t' || g % 10, 't' || g % 7, 't' || g % 3), 'score', (g % 1000)::numeric / 8, "
    "'address', jsonb_build_object('street', md5((g + 1)::text), 'city', 'city ' || g % 1000, "
    "'zip', lpad((g % 99999)::text, 5, '0'), 'geo', jsonb_build_array((g % 180) - 90.5, (g % 360) - 180.25)), "
    "'orders', jsonb_build_array("
    "jsonb_build_object('sku', md5((g + 2)::text), 'qty', g % 5, 'price', (g % 10000)::numeric / 100), "
    "jsonb_build_object('sku', md5((g + 3)::text), 'qty', g % 4, 'price', (g % 9000)::numeric / 100), "
    "jsonb_build_object('sku', md5((g + 4)::text), 'qty', g % 3, 'price', (g % 8000)::numeric / 100)), "
    "'note', 'héllo \"wörld\" ' || g)"
)
DOC_MY = (
    "JSON_OBJECT('id', g, 'name', CONCAT('customer ', g), 'email', CONCAT(MD5(g), '@example.com'), "
    "'tags', JSON_ARRAY(CONCAT('t', g % 10), CONCAT('t', g % 7), CONCAT('t', g % 3)), "
    "'score', CAST((g % 1000) / 8 AS DECIMAL(10,3)), "
    "'address', JSON_OBJECT('street', MD5(g + 1), 'city', CONCAT('city ', g % 1000), "
    "'zip', LPAD(g % 99999, 5, '0'), 'geo', JSON_ARRAY((g % 180) - 90.5, (g % 360) - 180.25)), "
    "'orders', JSON_ARRAY("
    "JSON_OBJECT('sku', MD5(g + 2), 'qty', g % 5, 'price', CAST((g % 10000) / 100 AS DECIMAL(10,2))), "
    "JSON_OBJECT('sku', MD5(g + 3), 'qty', g % 4, 'price', CAST((g % 9000) / 100 AS DECIMAL(10,2))), "
    "JSON_OBJECT('sku', MD5(g + 4), 'qty', g % 3, 'price', CAST((g % 8000) / 100 AS DECIMAL(10,2)))), "
    "'note', CONCAT('héllo \"wörld\" ', g))"
)


def shapes(scale: float = 1.0) -> list[Shape]:
    def n(rows: int) -> int:
        return max(1000, int(rows * scale))

    result = [Shape("narrow", n(2_000_000), "two integers (bigint key, int)", (KEY, typed("int", "v")))]
    for kind in ONE_COLUMN[1:]:
        result.append(Shape(f"key_{kind}", n(2_000_000), f"bigint key + one {kind}", (KEY, typed(kind, "v"))))
    mixed = (
        KEY, typed("int", "customer_id"), typed("text", "name"), typed("numeric", "amount"),
        typed("text", "note", 1), typed("varchar", "code"), typed("timestamptz", "created_at"),
        typed("timestamptz", "updated_at", 7), typed("json", "payload"), typed("bool", "active"),
    )
    result.append(Shape("mixed", n(1_000_000), "10 columns: key, int, 2 text, numeric, varchar, "
                        "2 timestamptz, json, bool", mixed))
    wide = (KEY,) + tuple(typed(kind, f"{kind}_{i}", i) for i in range(4) for kind in WIDE_KINDS)
    result.append(Shape("wide", n(250_000), f"{len(wide)} columns: key + 4 of each of 11 types", wide))
    texts = (KEY,) + tuple(Column(f"text_{i}", "text", pg, "text", my)
                           for i, (pg, my) in enumerate(zip(LONG_TEXT, LONG_TEXT_MY)))
    result.append(Shape("text_heavy", n(500_000), "key + 3 texts of 250-550 bytes", texts))
    docs = (KEY, Column("doc", "jsonb", DOC_PG, "json", DOC_MY), typed("json", "meta"))
    result.append(Shape("json_heavy", n(500_000), "key + a JSON document of about 700 bytes + a small one", docs))
    return result


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def seed_pg(shape: Shape) -> None:
    import psycopg

    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        found = conn.execute(
            "SELECT obj_description(to_regclass(%s), 'pg_class')", (f"public.{shape.table}",)
        ).fetchone()
        if found and found[0] == shape.digest():
            return
        started = time.perf_counter()
        columns = ", ".join(f"{c.name} {c.pg_type}" for c in shape.columns)
        values = ", ".join(c.pg_value for c in shape.columns)
        with conn.transaction():
            conn.execute(f"DROP TABLE IF EXISTS {shape.table}")
            conn.execute(f"CREATE TABLE {shape.table} ({columns})")
            conn.execute(f"INSERT INTO {shape.table} SELECT {values} FROM generate_series(1::bigint, {shape.rows}) g")
            conn.execute(f"COMMENT ON TABLE {shape.table} IS '{shape.digest()}'")
        conn.execute(f"VACUUM (ANALYZE) {shape.table}")
        log(f"pg: seeded {shape.table} ({shape.rows:,} rows) in {time.perf_counter() - started:.1f} s")


def seed_mysql(shape: Shape) -> None:
    import mysql.connector

    conn = mysql.connector.connect(**MY_ARGS, charset="utf8mb4", autocommit=True)
    try:
        cursor = conn.cursor()
        cursor.execute(f"CREATE DATABASE IF NOT EXISTS {MY_DATABASE}")
        cursor.execute(f"USE {MY_DATABASE}")  # the sequence engine's seq_1_to_N tables need one
        cursor.execute(
            "SELECT table_comment FROM information_schema.tables WHERE table_schema = %s AND table_name = %s",
            (MY_DATABASE, shape.table),
        )
        found = cursor.fetchone()
        if found and found[0] == shape.digest():
            return
        started = time.perf_counter()
        cursor.execute("SET time_zone = '+00:00'")
        cursor.execute("SET SESSION sql_mode = 'STRICT_TRANS_TABLES,NO_ENGINE_SUBSTITUTION'")
        table = f"{MY_DATABASE}.{shape.table}"
        columns = ", ".join(f"{c.name} {c.my_type}" for c in shape.columns)
        values = ", ".join(c.my_value for c in shape.columns)
        cursor.execute(f"DROP TABLE IF EXISTS {table}")
        cursor.execute(f"CREATE TABLE {table} ({columns}) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4")
        if shape.rows > 0:  # seq_1_to_0 counts down, from 1 to 0
            cursor.execute("BEGIN")
            cursor.execute(f"INSERT INTO {table} SELECT {values} "
                           f"FROM (SELECT CAST(seq AS SIGNED) AS g FROM seq_1_to_{shape.rows}) AS s")
            cursor.execute("COMMIT")
        cursor.execute(f"ALTER TABLE {table} COMMENT '{shape.digest()}'")  # last: the rows are in
        cursor.execute(f"ANALYZE TABLE {table}")
        cursor.fetchall()
        log(f"mysql: seeded {table} ({shape.rows:,} rows) in {time.perf_counter() - started:.1f} s")
    finally:
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", help="comma-separated shape names")
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies every shape's row count")
    parser.add_argument("--engines", default="postgres,mysql")
    args = parser.parse_args()
    wanted = set(args.only.split(",")) if args.only else None
    for shape in shapes(args.scale):
        if wanted and shape.name not in wanted:
            continue
        if "postgres" in args.engines:
            seed_pg(shape)
        if "mysql" in args.engines:
            seed_mysql(shape)


if __name__ == "__main__":
    main()
