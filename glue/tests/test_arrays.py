"""PostgreSQL arrays land as Arrow lists of the element's Arrow type; what no list holds goes by the policy.

Expected element texts are read from the server one element at a time (`concat(e)` over
`unnest`: the element type's own output function, padding and netmasks kept), never by parsing
the array text the way the job does.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time, timezone
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import Postgres, Runner

from floe_extract.sources.postgres_arrays import _tokenizer, parse_array

# One conformance suite, two engines: each test runs on the Python job and on the Spark job, and once
# more on the Python job with floe's C readers left out (the `readers` mark, conftest.py).
pytestmark = [pytest.mark.conformance, pytest.mark.readers]


@pytest.fixture
def arrays_table(postgres: Postgres, table_name: str) -> str:
    postgres.execute(f"DROP TABLE IF EXISTS floe_test.{table_name}")
    postgres.execute(f"DROP TYPE IF EXISTS floe_test.{table_name}_mood")
    postgres.execute(f"CREATE TYPE floe_test.{table_name}_mood AS ENUM ('sad', 'ok', 'happy')")
    postgres.execute(
        f"""CREATE TABLE floe_test.{table_name} (
            id int PRIMARY KEY, ints int[], texts text[], grid int[][], prices numeric(10,2)[], days date[],
            instants timestamptz[], blobs bytea[], docs jsonb[], spans interval[], moods floe_test.{table_name}_mood[],
            ids uuid[], floats float8[], flags bool[], padded char(3)[], hosts inet[], boxes box[], times time[])"""
    )
    first = [
        "'{1,NULL,3}'",
        """ARRAY['a "quoted" word', 'comma,inside', 'back\\slash', NULL, '', 'NULL', ' padded ', '{braces}']""",
        "'{{1,2},{3,NULL}}'", "'{1.50,-99999999.99,NULL}'", "'{2024-02-29,0001-01-01,9999-12-31,NULL}'",
        """'{"2024-06-01 12:00:00.000001+05:30",NULL}'""", "ARRAY['\\x00ff'::bytea, ''::bytea, NULL]",
        """ARRAY['{"b": 1, "a": [1, 2.50]}'::jsonb, 'null'::jsonb, NULL]""",
        """'{"1 year 2 mons 3 days 04:05:06.789",-00:00:01}'""", "'{happy,sad}'",
        "'{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}'", "'{NaN,Infinity,-Infinity,0.1,-0}'", "'{t,f,NULL}'",
        """'{a,"b c"}'""", "'{192.168.0.1/24,::1}'", "ARRAY[box '((0,0),(1,1))', box '((2,2),(3,3))']",
        "'{00:00:00,23:59:59.999999}'",
    ]
    fourth = [
        "'{-2147483648,2147483647}'", "ARRAY['ü', '😀', E'line\\nbreak\\ttab']", "'{{NULL}}'", "'{0.01}'",
        *["'{NULL}'"] * 5, "'{ok}'", *["'{NULL}'"] * 7,
    ]
    rows = [[1, *first], [2, *["'{}'"] * 17], [3, *["NULL"] * 17], [4, *fourth]]
    values = ", ".join(f"({', '.join(map(str, row))})" for row in rows)
    postgres.execute(f"INSERT INTO floe_test.{table_name} VALUES {values}")
    return table_name


def element_texts(postgres: Postgres, table: str, column: str) -> dict[int, Any]:
    """Each row's 1-D array as PostgreSQL prints each element (None for a NULL element), from the server."""
    elements = (
        f"(SELECT array_agg(CASE WHEN e IS NULL THEN NULL ELSE concat(e) END ORDER BY o) "
        f"FROM unnest({column}) WITH ORDINALITY AS u(e, o))"
    )
    rows = postgres.query(
        f"SELECT id, CASE WHEN {column} IS NULL THEN NULL WHEN cardinality({column}) = 0 THEN '{{}}'::text[] "
        f"ELSE {elements} END FROM floe_test.{table} ORDER BY id"
    )
    return dict(rows)


def test_arrays_land_as_lists_of_the_element_type(postgres: Postgres, arrays_table: str, run_job: Runner) -> None:
    # Act
    result = run_job(postgres, arrays_table, primary_key="id", unrepresentable="fail")

    # Assess
    assert result.exit_code == 0, result.stderr
    types = {c["name"]: c["arrowType"] for c in result.manifest["columns"]} if result.manifest else {}
    assert types == {
        "id": "int32", "ints": "list<item: int32>", "texts": "list<item: string>",
        "grid": "list<item: list<item: int32>>",
        "prices": "list<item: decimal128(10, 2)>", "days": "list<item: date32[day]>",
        "instants": "list<item: timestamp[us, tz=UTC]>", "blobs": "list<item: binary>", "docs": "list<item: string>",
        "spans": "list<item: string>", "moods": "list<item: string>", "ids": "list<item: string>",
        "floats": "list<item: double>", "flags": "list<item: bool>", "padded": "list<item: string>",
        "hosts": "list<item: string>", "boxes": "list<item: string>", "times": "list<item: time64[us]>",
    }
    rows = {row["id"]: row for row in result.rows()}
    assert rows[1]["ints"] == [1, None, 3] and rows[4]["ints"] == [-2147483648, 2147483647]
    assert rows[1]["grid"] == [[1, 2], [3, None]] and rows[4]["grid"] == [[None]]
    assert rows[1]["prices"] == [Decimal("1.50"), Decimal("-99999999.99"), None]
    assert rows[1]["days"] == [date(2024, 2, 29), date(1, 1, 1), date(9999, 12, 31), None]
    assert rows[1]["instants"] == [datetime(2024, 6, 1, 6, 30, 0, 1, tzinfo=timezone.utc), None]
    assert rows[1]["blobs"] == [b"\x00\xff", b"", None]
    assert rows[1]["flags"] == [True, False, None]
    assert rows[1]["times"] == [time(0), time(23, 59, 59, 999999)]
    floats = rows[1]["floats"]
    assert floats[0] != floats[0] and floats[1:4] == [float("inf"), float("-inf"), 0.1] and str(floats[4]) == "-0.0"
    # Element types without an exact Arrow form, and text: each element exactly as PostgreSQL prints it.
    for column in ("texts", "docs", "spans", "moods", "ids", "padded", "hosts", "boxes"):
        assert {row_id: row[column] for row_id, row in rows.items()} == element_texts(postgres, arrays_table, column)
    assert rows[1]["texts"] == [
        'a "quoted" word', "comma,inside", "back\\slash", None, "", "NULL", " padded ", "{braces}"
    ]
    assert rows[1]["padded"] == ["a  ", "b c"] and rows[1]["hosts"] == ["192.168.0.1/24", "::1"]
    assert json.loads(rows[1]["docs"][0]) == {"a": [1, 2.5], "b": 1} and rows[1]["docs"][1:] == ["null", None]
    # Empty arrays are empty lists, NULL arrays NULL, at every depth.
    assert all(rows[2][c] == [] for c in types if c != "id") and all(rows[3][c] is None for c in types if c != "id")
    assert result.manifest is not None and result.manifest["rejects"]["rows"] == 0


def test_the_parser_reads_quoting_escapes_nesting_bounds_and_other_delimiters() -> None:
    # Act, Assess: PostgreSQL's array output, as the array_out documentation describes it.
    commas = _tokenizer(",")
    assert parse_array('{"a \\"b\\" \\\\c",NULL,"NULL",""}', commas) == (None, 1, ['a "b" \\c', None, "NULL", ""])
    assert parse_array("[0:1][2:3]={{1,2},{3,4}}", commas) == ("[0:1][2:3]", 2, [["1", "2"], ["3", "4"]])
    assert parse_array("{}", commas) == (None, 0, [])
    assert parse_array('{"line\nbreak"}', commas) == (None, 1, ["line\nbreak"])
    assert parse_array("{(1,1),(0,0);(3,3),(2,2)}", _tokenizer(";")) == (None, 1, ["(1,1),(0,0)", "(3,3),(2,2)"])


def test_s3_readers_get_the_arrays_as_lists(postgres: Postgres, arrays_table: str, run_job: Runner) -> None:
    # Act
    result = run_job(postgres, arrays_table, primary_key="id")

    # Assess: the Parquet schema itself says LIST, as any Parquet reader sees it.
    assert result.manifest is not None
    schema = pq.read_schema(result.raw_root / result.manifest["files"][0]["path"])
    assert schema.field("grid").type == pa.list_(pa.field("element", pa.list_(pa.field("element", pa.int32()))))


@pytest.fixture
def odd_arrays(postgres: Postgres, table_name: str) -> str:
    postgres.execute(f"DROP TABLE IF EXISTS floe_test.{table_name}")
    postgres.execute(
        f"""CREATE TABLE floe_test.{table_name} (
            id int PRIMARY KEY, ints int[], grid int[][], days date[], stamps timestamp[], prices numeric(10,2)[],
            closes time[])"""
    )
    postgres.execute(
        f"""INSERT INTO floe_test.{table_name} VALUES
            (1, '{{1,2}}', '{{{{1,2}}}}', '{{2024-01-01}}', '{{"2024-01-01 10:00"}}', '{{1.50}}', '{{12:00}}'),
            (2, '[0:2]={{7,8,9}}', '{{1,2}}', '{{infinity,2024-01-01}}', '{{-infinity}}', '{{NaN,2.25}}',
             '{{24:00:00}}'),
            (3, '{{{{1,2}},{{3,4}}}}', '[2:2][1:1]={{{{5}}}}', '{{"0044-03-15 BC",10000-01-01}}',
             '{{"10000-01-01 00:00"}}', '{{}}', '{{}}')"""
    )
    return table_name


def test_quarantine_sets_each_unrepresentable_array_to_null_and_records_its_text(
    postgres: Postgres, odd_arrays: str, run_job: Runner
) -> None:
    # Act
    result = run_job(postgres, odd_arrays, primary_key="id", unrepresentable="quarantine")

    # Assess
    assert result.exit_code == 0, result.stderr
    rows = {row["id"]: row for row in result.rows()}
    assert rows[1] == {
        "id": 1, "ints": [1, 2], "grid": [[1, 2]], "days": [date(2024, 1, 1)], "stamps": [datetime(2024, 1, 1, 10)],
        "prices": [Decimal("1.50")], "closes": [time(12)],
    }
    assert [rows[2][c] for c in ("ints", "grid", "days", "stamps", "prices", "closes")] == [None] * 6
    assert [rows[3][c] for c in ("ints", "grid", "days", "stamps")] == [None] * 4
    assert rows[3]["prices"] == [] and rows[3]["closes"] == []
    rejects = {(r["primary_key"], r["column_name"]): r for r in result.rejected_values()}
    assert {key: (r["source_value"], r["action"]) for key, r in rejects.items()} == {
        ('{"id": "2"}', "ints"): ("[0:2]={7,8,9}", "set to NULL"),
        ('{"id": "2"}', "grid"): ("{1,2}", "set to NULL"),
        ('{"id": "2"}', "days"): ("{infinity,2024-01-01}", "set to NULL"),
        ('{"id": "2"}', "stamps"): ("{-infinity}", "set to NULL"),
        ('{"id": "2"}', "prices"): ("{NaN,2.25}", "set to NULL"),
        ('{"id": "2"}', "closes"): ("{24:00:00}", "set to NULL"),
        ('{"id": "3"}', "ints"): ("{{1,2},{3,4}}", "set to NULL"),
        ('{"id": "3"}', "grid"): ("[2:2][1:1]={{5}}", "set to NULL"),
        ('{"id": "3"}', "days"): ('{"0044-03-15 BC",10000-01-01}', "set to NULL"),
        ('{"id": "3"}', "stamps"): ('{"10000-01-01 00:00:00"}', "set to NULL"),
    }
    assert rejects[('{"id": "2"}', "ints")]["reason"] == "its lower bounds [0:2] are not 1, and a list has none"
    assert rejects[('{"id": "3"}', "ints")]["reason"].startswith(
        "it has 2 dimension(s), and the column lands as 1-dimensional lists"
    )
    assert rejects[('{"id": "2"}', "days")]["reason"] == (
        "element infinity is outside 0001-01-01 … 9999-12-31, the dates every destination holds"
    )
    assert rejects[('{"id": "2"}', "prices")]["reason"] == "element NaN has no form in a numeric(10,2)"
    assert result.manifest is not None and result.manifest["rejects"]["byColumn"]["ints"] == 2


def test_coerce_keeps_elements_where_a_nearest_value_exists(
    postgres: Postgres, odd_arrays: str, run_job: Runner
) -> None:
    # Act
    result = run_job(postgres, odd_arrays, primary_key="id", unrepresentable="coerce")

    # Assess
    assert result.exit_code == 0, result.stderr
    rows = {row["id"]: row for row in result.rows()}
    # Lower bounds dropped, every element kept in order; another depth has no nearest list: NULL.
    assert rows[2]["ints"] == [7, 8, 9] and rows[3]["ints"] is None and rows[2]["grid"] is None
    assert rows[3]["grid"] == [[5]]
    assert rows[2]["days"] == [date(9999, 12, 31), date(2024, 1, 1)]
    assert rows[3]["days"] == [date(1, 1, 1), date(9999, 12, 31)]
    assert rows[2]["stamps"] == [datetime(1, 1, 1)]
    assert rows[3]["stamps"] == [datetime(9999, 12, 31, 23, 59, 59, 999999)]
    assert rows[2]["prices"] == [None, Decimal("2.25")] and rows[2]["closes"] == [time(23, 59, 59, 999999)]
    actions = {(r["primary_key"], r["column_name"]): r["action"] for r in result.rejected_values()}
    assert actions == {
        ('{"id": "2"}', "ints"): "lower bounds dropped, elements kept",
        ('{"id": "2"}', "grid"): "set to NULL",
        ('{"id": "2"}', "days"): "set element infinity to 9999-12-31",
        ('{"id": "2"}', "stamps"): "set element -infinity to 0001-01-01 00:00:00",
        ('{"id": "2"}', "prices"): "set element NaN to NULL",
        ('{"id": "2"}', "closes"): "set element 24:00:00 to 23:59:59.999999",
        ('{"id": "3"}', "ints"): "set to NULL",
        ('{"id": "3"}', "grid"): "lower bounds dropped, elements kept",
        ('{"id": "3"}', "days"): "set element 0044-03-15 BC to 0001-01-01, 10000-01-01 to 9999-12-31",
        ('{"id": "3"}', "stamps"): "set element 10000-01-01 00:00:00 to 9999-12-31 23:59:59.999999",
    }


@pytest.mark.parametrize(
    ("column", "value", "why"),
    [
        ("ints", "'[0:2]={7,8,9}'", "its lower bounds [0:2] are not 1"),
        ("ints", "'{{1,2},{3,4}}'", "it has 2 dimension(s)"),
        ("grid", "'{1,2}'", "it has 1 dimension(s)"),
        ("days", "'{infinity}'", "element infinity is outside 0001-01-01 … 9999-12-31"),
        ("prices", "'{NaN}'", "element NaN has no form in a numeric(10,2)"),
    ],
)
def test_fail_stops_the_run_naming_table_column_type_and_value(
    postgres: Postgres, odd_arrays: str, run_job: Runner, column: str, value: str, why: str
) -> None:
    # Prepare: one unrepresentable value in an otherwise good table.
    postgres.execute(f"DELETE FROM floe_test.{odd_arrays} WHERE id > 1")
    postgres.execute(f"INSERT INTO floe_test.{odd_arrays} (id, {column}) VALUES (9, {value})")

    # Act
    result = run_job(postgres, odd_arrays, primary_key="id", unrepresentable="fail")

    # Assess
    assert result.exit_code != 0 and result.manifest is None
    shown = postgres.query(f"SELECT {column}::text FROM floe_test.{odd_arrays} WHERE id = 9")[0][0]
    assert f"table floe_test.{odd_arrays}, column {column} (" in result.stderr
    assert f"the value {shown} cannot land as" in result.stderr and why in result.stderr


def test_a_declared_depth_lands_nested_lists_and_a_domain_or_undeclared_one_lands_flat(
    postgres: Postgres, table_name: str, run_job: Runner
) -> None:
    # Prepare: CREATE TABLE AS keeps no declared dimensions (attndims 0); ALTER … TYPE int[][] declares them.
    postgres.execute(f"DROP TABLE IF EXISTS floe_test.{table_name}, floe_test.{table_name}_src")
    postgres.execute(f"CREATE TABLE floe_test.{table_name}_src (id int PRIMARY KEY, grid int[][], flat int[][])")
    postgres.execute(f"INSERT INTO floe_test.{table_name}_src VALUES (1, '{{{{1,2}},{{3,4}}}}', '{{5,6}}')")
    postgres.execute(f"CREATE TABLE floe_test.{table_name} AS SELECT * FROM floe_test.{table_name}_src")
    postgres.execute(f"ALTER TABLE floe_test.{table_name} ADD PRIMARY KEY (id)")
    postgres.execute(f"ALTER TABLE floe_test.{table_name} ALTER COLUMN grid TYPE int[][]")

    # Act
    result = run_job(postgres, table_name, primary_key="id", unrepresentable="fail")

    # Assess
    assert result.exit_code == 0, result.stderr
    assert result.manifest is not None
    types = {c["name"]: (c["sourceType"], c["arrowType"]) for c in result.manifest["columns"]}
    assert types["grid"] == ("integer[]", "list<item: list<item: int32>>")
    assert types["flat"] == ("integer[]", "list<item: int32>")
    assert result.rows() == [{"id": 1, "grid": [[1, 2], [3, 4]], "flat": [5, 6]}]


def test_a_table_without_arrays_reads_as_before(postgres: Postgres, table_name: str, run_job: Runner) -> None:
    # Prepare: int2vector is an array type whose text is not array text: it stays text.
    postgres.execute(f"DROP TABLE IF EXISTS floe_test.{table_name}")
    postgres.execute(f"CREATE TABLE floe_test.{table_name} (id int PRIMARY KEY, v int2vector, t text)")
    postgres.execute(f"INSERT INTO floe_test.{table_name} VALUES (1, '1 2', '{{1,2}}')")

    # Act
    result = run_job(postgres, table_name, primary_key="id")

    # Assess
    assert result.exit_code == 0, result.stderr
    assert result.rows() == [{"id": 1, "v": "1 2", "t": "{1,2}"}]


def test_many_rows_mix_the_bulk_split_and_the_parser_in_row_order(
    postgres: Postgres, table_name: str, run_job: Runner
) -> None:
    # Prepare: 200,000 rows in batches of many blocks; the bulk split takes quoted elements without escapes
    # at any depth, the parser the rest (an escaped quote every seventh row, a 2-D value with one every 17th).
    postgres.execute(f"DROP TABLE IF EXISTS floe_test.{table_name}")
    postgres.execute(
        f"CREATE TABLE floe_test.{table_name} (id int PRIMARY KEY, tags text[], ints int[], pairs text[][])"
    )
    postgres.execute(
        f"""INSERT INTO floe_test.{table_name}
            SELECT g,
                   CASE WHEN g % 7 = 0 THEN ARRAY['x "y"', g::text] WHEN g % 11 = 0 THEN '{{}}'
                        ELSE ARRAY['x y', '', 'NULL', NULL, g::text] END,
                   CASE WHEN g % 13 = 0 THEN NULL ELSE ARRAY[g, NULL, -g] END,
                   CASE WHEN g % 17 = 0 THEN ARRAY[ARRAY['a\\b', 'c']] WHEN g % 19 = 0 THEN '{{}}'
                        ELSE ARRAY[ARRAY['p q', g::text], ARRAY[NULL, 'NULL']] END
            FROM generate_series(1, 200000) g"""
    )

    # Act
    result = run_job(postgres, table_name, primary_key="id")

    # Assess
    assert result.exit_code == 0, result.stderr
    landed = result.table().sort_by("id").to_pydict()
    numbers = range(1, 200001)
    assert landed["tags"] == [
        ['x "y"', str(g)] if g % 7 == 0 else [] if g % 11 == 0 else ["x y", "", "NULL", None, str(g)] for g in numbers
    ]
    assert landed["ints"] == [None if g % 13 == 0 else [g, None, -g] for g in numbers]
    assert landed["pairs"] == [
        [["a\\b", "c"]] if g % 17 == 0 else [] if g % 19 == 0 else [["p q", str(g)], [None, "NULL"]] for g in numbers
    ]
