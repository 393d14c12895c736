"""Large values: tens of MiB in the first row or any other land exactly, with bounded memory; longer than a
destination holds, they are set aside by the table's policy. Never is a row lost without a word."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import mysql.connector
import pytest
from conftest import MYSQL_HOST, MYSQL_PORT, Database, Runner, job_argv

from floe_extract.quarantine import BINARY_LIMIT_BYTES, TEXT_LIMIT_BYTES
from floe_extract.sources.postgres_copy import BLOCK_BYTES

MIB = 1024 * 1024
# The job's own peak: VmHWM starts again at exec, while getrusage's ru_maxrss keeps the high-water
# mark of the process that forked it (pytest, which holds a Spark session once the Spark tests ran).
MEASURE = (
    "import re, sys\n"
    "from floe_extract.main import main\n"
    "code = main(sys.argv[1:])\n"
    "status = open('/proc/self/status').read()\n"
    "print('peak-rss-kb', re.search(r'VmHWM:\\s*(\\d+)', status).group(1), file=sys.stderr)\n"
    "sys.exit(code)\n"
)


@pytest.fixture(scope="module", autouse=True)
def mysql_takes_large_values() -> Iterator[None]:
    """MariaDB refuses to write a value longer than max_allowed_packet (16 MiB by default): raise it meanwhile."""
    conn = mysql.connector.connect(host=MYSQL_HOST, port=MYSQL_PORT, user="root", autocommit=True)
    cursor = conn.cursor()
    cursor.execute("SELECT @@global.max_allowed_packet")
    (before,) = cursor.fetchone()  # type: ignore[misc]
    cursor.execute("SET GLOBAL max_allowed_packet = 1073741824")
    try:
        yield
    finally:
        cursor.execute(f"SET GLOBAL max_allowed_packet = {int(before)}")  # type: ignore[call-overload]
        conn.close()


class Source:
    """Writes rows of chosen sizes with a connection opened after the packet limit was raised."""

    def __init__(self, db: Database, table: str) -> None:
        self.db, self.table = db, f"floe_test.{table}"
        if db.engine == "postgres":
            self._conn: Any = db.conn  # type: ignore[attr-defined]
        else:
            self._conn = mysql.connector.connect(
                host=MYSQL_HOST, port=MYSQL_PORT, user="root", autocommit=True, charset="utf8mb4"
            )
        self.execute(f"DROP TABLE IF EXISTS {self.table}")
        text, binary = ("text", "bytea") if db.engine == "postgres" else ("longtext", "longblob")
        self.execute(f"CREATE TABLE {self.table} (id int PRIMARY KEY, doc {text}, data {binary})")

    def execute(self, statement: str, params: tuple[Any, ...] = ()) -> None:
        if self.db.engine == "postgres":
            self._conn.execute(statement, params or None)
        else:
            cursor = self._conn.cursor()
            cursor.execute(statement, params or None)
            cursor.close()

    def add(self, key: int, text_bytes: int | None, binary_bytes: int | None, char: str = "") -> None:
        """A row whose text and binary values are `text_bytes` and `binary_bytes` long (None: NULL).

        Text is md5 digits (or `char` repeated, to stress CSV quoting); binary is md5 digests' bytes.
        """
        pg = self.db.engine == "postgres"
        if char:
            text = "repeat(%s, %s)"
            text_params: tuple[Any, ...] = (char, text_bytes)
        else:
            text = "repeat(md5(%s), %s)" if pg else "repeat(md5(%s), %s)"
            text_params = (str(key), (text_bytes or 0) // 32)
        binary = "decode(repeat(md5(%s), %s), 'hex')" if pg else "unhex(repeat(md5(%s), %s))"
        binary_params = (str(-key), (binary_bytes or 0) // 16)
        values = [
            ("NULL", ()) if text_bytes is None else (text, text_params),
            ("NULL", ()) if binary_bytes is None else (binary, binary_params),
        ]
        self.execute(
            f"INSERT INTO {self.table} VALUES (%s, {values[0][0]}, {values[1][0]})",
            (key, *values[0][1], *values[1][1]),
        )

    def digests(self) -> dict[int, tuple[str | None, str | None]]:
        """md5 of every value, as the source computes it."""
        statement = f"SELECT id, md5(doc), md5(data) FROM {self.table}"
        if self.db.engine == "postgres":
            rows = self._conn.execute(statement).fetchall()
        else:
            cursor = self._conn.cursor()
            cursor.execute(statement)
            rows = cursor.fetchall()
            cursor.close()
        return {int(k): (t, b) for k, t, b in rows}


def landed_digests(rows: list[dict[str, Any]]) -> dict[int, tuple[str | None, str | None]]:
    def md5(value: str | bytes | None) -> str | None:
        if value is None:
            return None
        return hashlib.md5(value.encode() if isinstance(value, str) else value).hexdigest()

    return {row["id"]: (md5(row["doc"]), md5(row["data"])) for row in rows}


@pytest.mark.conformance
@pytest.mark.readers
def test_large_values_in_the_first_row_land_with_every_other_row(
    db: Database, table_name: str, run_job: Runner
) -> None:
    # Prepare: the reproduction, a first row of 20 MiB of text and 9 MiB of binary
    source = Source(db, table_name)
    source.add(1, 20 * MIB, 9 * MIB)
    for key in range(2, 6):
        source.add(key, 64, 16)

    # Act
    result = run_job(db, table_name, primary_key="id")

    # Assess
    assert result.exit_code == 0, result.stderr
    assert result.manifest is not None and result.manifest["totalRows"] == 5
    assert landed_digests(result.rows()) == source.digests()


@pytest.mark.conformance
@pytest.mark.readers
def test_large_values_anywhere_land_exactly(db: Database, table_name: str, run_job: Runner) -> None:
    # Prepare: rows around the parser's block size, runs of large rows, and a value whose CSV form
    # (quotes doubled) is twice its length
    source = Source(db, table_name)
    sizes: list[tuple[int | None, int | None, str]] = [
        (64, 16, ""), (BLOCK_BYTES - 4096, None, ""), (BLOCK_BYTES + 32, None, ""), (64, 16, ""),
        (3 * BLOCK_BYTES, 2 * MIB, ""), (3 * BLOCK_BYTES, None, ""), (None, 12 * MIB, ""),
        (64, 16, ""), (3 * MIB, None, '"'), (64, None, ""), (BLOCK_BYTES // 2, BLOCK_BYTES // 2, ""),
    ]
    for key, (text_bytes, binary_bytes, char) in enumerate(sizes, start=1):
        source.add(key, text_bytes, binary_bytes, char)

    # Act
    result = run_job(db, table_name, primary_key="id")

    # Assess
    assert result.exit_code == 0, result.stderr
    assert result.manifest is not None and result.manifest["totalRows"] == len(sizes)
    assert landed_digests(result.rows()) == source.digests()


def peak_rss_mb(db: Database, table: str, documents: int, raw_root: Path) -> int:
    """Extract a table of 2,000 small rows then `documents` documents of 8 MiB; the job's peak RSS."""
    source = Source(db, table)
    for key in range(1, 2001):
        source.add(key, 64, 16)
    for key in range(2001, 2001 + documents):
        source.add(key, 8 * MIB, None)
    argv = job_argv(db, table, table, str(raw_root), primary_key="id")
    done = subprocess.run([sys.executable, "-c", MEASURE, *argv], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    manifest = json.loads((raw_root / "_manifests" / f"{table}.json").read_text())
    assert manifest["totalRows"] == 2000 + documents
    return int(done.stderr.rsplit("peak-rss-kb", 1)[1].split()[0]) // 1024


def test_many_large_values_are_read_with_bounded_memory(db: Database, table_name: str, tmp_path: Path) -> None:
    # Act: a reader sizing its fetches by the small rows would take thousands of documents at once
    few = peak_rss_mb(db, f"{table_name}_few", 6, tmp_path)
    many = peak_rss_mb(db, f"{table_name}_many", 36, tmp_path)

    # Assess: 30 more documents are 240 MiB more data; holding even a third of them at once would show
    print(f"{db.engine}: peak RSS {few} MB with 6 documents of 8 MiB, {many} MB with 36")
    assert many - few < 80, f"peak RSS grew from {few} to {many} MB"
    # With numpy importable (the Spark engine's pandas brings it into the project's environment, not into the
    # Glue Python shell job's wheel set) pyarrow loads it, and the same run peaks about 50 MB higher.
    assert many < 660


@pytest.mark.conformance
@pytest.mark.parametrize("policy", ["quarantine", "coerce"])
def test_values_longer_than_snowflake_holds_are_set_aside_and_recorded(
    db: Database, table_name: str, run_job: Runner, policy: str
) -> None:
    # Prepare
    source = Source(db, table_name)
    source.add(1, 64, 16)
    source.add(2, TEXT_LIMIT_BYTES + 32, BINARY_LIMIT_BYTES + 16)
    source.add(3, TEXT_LIMIT_BYTES, BINARY_LIMIT_BYTES)
    expected = source.digests()

    # Act
    result = run_job(db, table_name, primary_key="id", unrepresentable=policy)

    # Assess: row 2 lands with both values NULL, each recorded with its first bytes and its length
    assert result.exit_code == 0, result.stderr
    assert landed_digests(result.rows()) == {**expected, 2: (None, None)}
    assert result.manifest is not None
    assert result.manifest["rejects"]["byColumn"] == {"doc": 1, "data": 1}
    rejects = result.rejected_values()
    assert [(r["primary_key"], r["column_name"], r["action"]) for r in rejects] == [
        ('{"id": "2"}', "data", "set to NULL"), ('{"id": "2"}', "doc", "set to NULL"),
    ]
    assert rejects[0]["source_value"].endswith(f"… ({BINARY_LIMIT_BYTES + 16:,} bytes)")
    assert rejects[1]["source_value"].endswith(f"… ({TEXT_LIMIT_BYTES + 32:,} bytes)")
    assert len(rejects[1]["source_value"]) < 200
    assert rejects[1]["reason"] == f"longer than the {TEXT_LIMIT_BYTES:,} bytes Snowflake holds in a VARCHAR"


@pytest.mark.conformance
def test_a_value_longer_than_snowflake_holds_fails_the_run_under_fail(
    db: Database, table_name: str, run_job: Runner
) -> None:
    # Prepare
    source = Source(db, table_name)
    source.add(1, 64, 16)
    source.add(7, TEXT_LIMIT_BYTES + 32, None)

    # Act
    result = run_job(db, table_name, primary_key="id", unrepresentable="fail")

    # Assess: one line naming the table, column and key, and nothing landed
    assert result.exit_code == 5
    assert f"table floe_test.{table_name}, column doc" in result.stderr
    assert '{"id": "7"}' in result.stderr and f"{TEXT_LIMIT_BYTES + 32:,} bytes" in result.stderr
    assert result.manifest is None
    assert not list((result.raw_root).rglob("*.parquet"))
