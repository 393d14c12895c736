"""The MySQL reader: floe's C reader (the rows' packets from the socket into Arrow buffers, _mysql_rows.c)
lands what the driver's own fetch lands, and where it cannot run the driver's rows are read instead.
The packets' edge cases, made by hand, are in test_mysql_packets.py."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from typing import Any

import mysql.connector
import pytest
from conftest import MYSQL_URL, MySQL, Runner
from mysql.connector.plugins import get_auth_plugin

from floe_extract.connection import Redactor, resolve_connection
from floe_extract.errors import SourceUnavailableError
from floe_extract.read_plan import Predicate
from floe_extract.sources import mysql as mysql_source
from floe_extract.sources.base import TableName

# floe's C reader; the driver's cursor.fetchmany, where floe's extension did not load.
FETCHES = ["arrow", "cursor"]


def use_fetch(monkeypatch: pytest.MonkeyPatch, fetch: str) -> list[str]:
    """Makes the reader take `fetch`'s path; returns the list where each read says which reader it took."""
    if fetch != "arrow":
        monkeypatch.setattr(mysql_source, "_mysql_rows", None)
    readers: list[str] = []
    read = mysql_source.MySQLSource.read

    def telling(self: mysql_source.MySQLSource, *args: Any) -> Any:
        yield from read(self, *args)
        readers.append(self.reader)

    monkeypatch.setattr(mysql_source.MySQLSource, "read", telling)
    return readers


def open_table(table: str) -> mysql_source.MySQLSource:
    settings = resolve_connection(MYSQL_URL, "mysql", Redactor())
    return mysql_source.MySQLSource(settings, TableName("floe_test", table), Redactor())


def seed(mysql_db: MySQL, table: str, rows: int) -> None:
    mysql_db.execute(f"DROP TABLE IF EXISTS floe_test.{table}")
    mysql_db.execute(f"CREATE TABLE floe_test.{table} (id int PRIMARY KEY, name varchar(40)) CHARACTER SET utf8mb4")
    mysql_db.execute(
        f"INSERT INTO floe_test.{table} SELECT seq, CASE WHEN seq % 3 = 0 THEN \"it's\" ELSE CONCAT('n', seq) END "
        f"FROM seq_1_to_{rows}"
    )


def test_floes_c_extension_is_loaded() -> None:
    # without it rows are read through the driver's tuples, several times slower
    assert mysql_source._mysql_rows is not None, mysql_source._MYSQL_ROWS_MISSING


@pytest.mark.parametrize("fetch", FETCHES)
def test_both_fetches_land_every_row_exactly(
    mysql_db: MySQL, table_name: str, run_job: Runner, monkeypatch: pytest.MonkeyPatch, fetch: str
) -> None:
    # Prepare: a JSON column (rows fetched a few at a time), quoting, NULL against '', a zero date set aside,
    # the largest unsigned bigint, and more rows than one batch
    readers = use_fetch(monkeypatch, fetch)
    table = f"floe_test.{table_name}"
    mysql_db.execute(f"DROP TABLE IF EXISTS {table}")
    mysql_db.execute(
        f"CREATE TABLE {table} (id int PRIMARY KEY, body text, doc json, big bigint unsigned, day date) "
        "CHARACTER SET utf8mb4"
    )
    mysql_db.execute("SET SESSION sql_mode = ''")
    mysql_db.execute(
        f"INSERT INTO {table} SELECT seq, CASE seq % 4 WHEN 0 THEN NULL WHEN 1 THEN '' "
        "WHEN 2 THEN CONCAT('line\\n\"q\", ü 😀 ', seq) ELSE REPEAT('x', seq % 500) END, "
        "JSON_OBJECT('k', seq, 's', REPEAT('v', seq % 300)), 18446744073709551615 - seq, "
        "CASE WHEN seq = 777 THEN '0000-00-00' ELSE DATE '2024-01-01' + INTERVAL (seq % 400) DAY END "
        "FROM seq_1_to_70000"
    )

    # Act
    result = run_job(mysql_db, table_name, primary_key="id", unrepresentable="quarantine")

    # Assess
    assert result.exit_code == 0, result.stderr
    rows = result.rows()
    expected: list[tuple[Any, ...]] = mysql_db.query(
        f"SELECT id, body, CAST(doc AS CHAR), big, CASE WHEN id = 777 THEN NULL ELSE day END FROM {table} ORDER BY id"
    )
    assert [(r["id"], r["body"], r["doc"], r["big"], r["day"]) for r in rows] == [tuple(row) for row in expected]
    assert [(r["primary_key"], r["column_name"]) for r in result.rejected_values()] == [('{"id": "777"}', "day")]
    floes = "rows are read into Arrow by floe's C extension"
    assert readers and all((reader == floes) == (fetch == "arrow") for reader in readers)


def test_the_c_reader_reads_the_drivers_query_with_its_quoting_of_parameters(
    mysql_db: MySQL, table_name: str
) -> None:
    # Prepare: values with a quote, compared against a string parameter and an integer one
    seed(mysql_db, table_name, 30)
    source = open_table(table_name)
    where = Predicate("`id` > %s AND `name` = %s", (10, "it's"))

    # Act
    try:
        batches = list(source.read(where, 0))
        reader = source.reader
    finally:
        source.close()

    # Assess
    assert reader == "rows are read into Arrow by floe's C extension"
    assert [row["id"] for batch in batches for row in batch.to_pylist()] == [12, 15, 18, 21, 24, 27, 30]


# Rows past the first batch come 10 ms apart: reading them all would take about 40 minutes, so a read that
# ends in seconds did not, and the server is still producing rows when the tests act.
SLOW_AFTER_FIRST_BATCH = Predicate("`id` <= 70000 OR SLEEP(0.01) = 0")


def test_a_read_stopped_part_way_hangs_up_instead_of_reading_the_rest(mysql_db: MySQL, table_name: str) -> None:
    # Prepare
    seed(mysql_db, table_name, 300_000)
    source = open_table(table_name)
    thread = source._conn.connection_id
    reading = source.read(SLOW_AFTER_FIRST_BATCH, 0)
    first = next(reading)

    # Act: the reader is closed after its first batch (in a thread: a reader that drained would take minutes)
    closing = threading.Thread(target=reading.close, daemon=True)
    closing.start()
    closing.join(timeout=10)
    still_reading = closing.is_alive()
    try:
        mysql_db.execute(f"KILL {thread}")  # a server may notice a client gone only at its next write
    except mysql.connector.Error as error:
        if error.errno != 1094:  # ER_NO_SUCH_THREAD: the hang-up already ended it
            raise

    # Assess: it hung up rather than reading the 230,000 rows left, and closing the source after it is harmless
    assert first.num_rows > 0
    assert not still_reading
    source.close()


def test_a_query_killed_mid_read_is_a_lost_connection_naming_the_table(mysql_db: MySQL, table_name: str) -> None:
    # Prepare
    seed(mysql_db, table_name, 300_000)
    source = open_table(table_name)
    reading = source.read(SLOW_AFTER_FIRST_BATCH, 0)
    next(reading)

    # Act: the server stops the statement while it is still producing rows
    mysql_db.execute(f"KILL QUERY {source._conn.connection_id}")
    with pytest.raises(SourceUnavailableError) as raised:
        for _ in reading:
            pass
    source.close()

    # Assess
    assert f"table floe_test.{table_name}" in raised.value.message
    assert "interrupted" in raised.value.message.lower()


def test_the_connection_keeps_itself_alive(mysql_db: MySQL, table_name: str) -> None:
    # The driver's pure-Python protocol reads without a timeout: keepalives find a server gone silent
    seed(mysql_db, table_name, 3)
    source = open_table(table_name)
    try:
        sock = source._conn._socket.sock
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE) == 60
    finally:
        source.close()


def test_caching_sha2_password_never_sends_the_password_in_clear_without_tls() -> None:
    # Prepare: the plugin the driver picks for MySQL 8's default login, once floe's reader is loaded
    plugin = get_auth_plugin("caching_sha2_password")
    nonce = bytes(range(20))

    # Act, Assess: the server's request for the full password (0x04) is refused without TLS, answered with it
    without_tls, with_tls = plugin("floe", "s3cret", ssl_enabled=False), plugin("floe", "s3cret", ssl_enabled=True)
    with pytest.raises(mysql.connector.errors.InterfaceError) as refused:
        without_tls.auth_response(b"\x04")
    assert refused.value.errno == 2026 and "s3cret" not in str(refused.value)
    assert with_tls.auth_response(b"\x04") == b"s3cret\x00"
    # the usual exchange, a scramble of the password with the server's nonce, is the driver's own
    assert without_tls.auth_response(nonce) == with_tls.auth_response(nonce) != b"s3cret\x00"
    assert len(without_tls.auth_response(nonce)) == 32


@pytest.fixture(scope="module")
def tls_only_mariadb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A throwaway MariaDB on its own port that refuses every connection without TLS; yields its port."""
    folder = tmp_path_factory.mktemp("tls-mariadb")
    key, cert, data = folder / "key.pem", folder / "cert.pem", folder / "data"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    subprocess.run(
        ["mariadb-install-db", "--no-defaults", f"--datadir={data}", "--user=root", "--skip-test-db"],
        check=True, capture_output=True,
    )
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    server = subprocess.Popen(
        ["/usr/sbin/mariadbd", "--no-defaults", f"--datadir={data}", f"--port={port}", "--bind-address=127.0.0.1",
         f"--socket={folder / 'mysqld.sock'}", "--user=root", "--skip-grant-tables", "--skip-log-bin",
         f"--ssl-cert={cert}", f"--ssl-key={key}", "--require-secure-transport=ON"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                mysql.connector.connect(host="127.0.0.1", port=port, user="root", use_pure=True).close()
                break
            except mysql.connector.Error:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=60)


def test_the_c_reader_reads_rows_over_tls(tls_only_mariadb: int) -> None:
    # Prepare: a server that refuses plain connections, and more rows than one batch or one socket read
    admin = mysql.connector.connect(
        host="127.0.0.1", port=tls_only_mariadb, user="root", use_pure=True, autocommit=True
    )
    cursor = admin.cursor()
    cursor.execute("CREATE DATABASE IF NOT EXISTS floe_test")
    cursor.execute(
        "CREATE OR REPLACE TABLE floe_test.over_tls (id int PRIMARY KEY, name varchar(40)) CHARACTER SET utf8mb4"
    )
    cursor.execute("INSERT INTO floe_test.over_tls SELECT seq, CONCAT('n', seq, ' ü') FROM floe_test.seq_1_to_100000")
    admin.close()
    url = f"mysql://root@127.0.0.1:{tls_only_mariadb}/floe_test?ssl_verify_cert=false"
    source = mysql_source.MySQLSource(
        resolve_connection(url, "mysql", Redactor()), TableName("floe_test", "over_tls"), Redactor()
    )

    # Act
    try:
        cursor = source._conn.cursor()
        cursor.execute("SHOW SESSION STATUS LIKE 'Ssl_cipher'")
        cipher = cursor.fetchall()[0][1]
        cursor.close()
        batches = list(source.read(Predicate("", ()), 0))
        reader = source.reader
    finally:
        source.close()

    # Assess
    assert cipher, "the session is not encrypted"
    assert reader == "rows are read into Arrow by floe's C extension"
    rows = [row for batch in batches for row in batch.to_pylist()]
    assert [(row["id"], row["name"]) for row in rows] == [(i, f"n{i} ü") for i in range(1, 100_001)]
