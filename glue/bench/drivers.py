#!/usr/bin/env python3
"""Micro-benchmark: read all of `floe_bench` into pyarrow RecordBatches.

Seed first with glue/bench/seed.py.  Then:

    python glue/bench/drivers.py                      # everything
    python glue/bench/drivers.py --only pg_a_csv,my_a_cext_raw --modes none
    python glue/bench/drivers.py --worker pg_c_adbc --mode zstd   # one run (internal)

Each candidate runs in a fresh subprocess (`--worker`), so the peak RSS
(getrusage ru_maxrss) is per candidate.  Modes: `none` (batches are produced
and dropped), `zstd` / `snappy` (batches are also written with ParquetWriter).
Every batch must match TARGET exactly (decimal128 for numeric, timestamp[us]
and timestamp[us, UTC]) or the worker fails.  Correctness: after the timed
zstd run, the worker reads its Parquet file back and computes aggregates
(count, sums, min/max, text lengths...) that the parent compares with the same
aggregates computed by the database.  Baselines (psql COPY, mysql --quick) are
timed in the same run; `ratio` = candidate seconds / engine baseline seconds.
"""
from __future__ import annotations

import sys

# mysql-connector's C extension must be loaded before pyarrow and before the
# stdlib `ssl` module (pyarrow.parquet imports ssl): otherwise importing it fails
# with "libstdc++.so.6: cannot allocate memory in static TLS block" (after
# pyarrow) or "libssl.so.3: version OPENSSL_3.2.0 not found" (after ssl; the
# extension ships OpenSSL 3.5 but the system libssl 3.0 got loaded first).
if any("cext" in a for a in sys.argv):
    import _mysql_connector  # noqa: F401

import argparse
import json
import os
import resource
import subprocess
import tempfile
import threading
import time
from decimal import Decimal

import pyarrow as pa
import pyarrow.compute as pc

PG_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
PG_URI = "postgresql://postgres@127.0.0.1:5432/postgres"
MY_ARGS = dict(host="127.0.0.1", port=3306, user="root", password="", database="test")
TABLE = "floe_bench"
FETCH = 50_000  # rows per fetchmany()

# Exact target schema, identical for both engines.  uuid / json are carried as
# their canonical text (exact; ADBC would give arrow.uuid / arrow.json instead).
TARGET = pa.schema([
    ("id", pa.int64()),
    ("customer_id", pa.int32()),
    ("code", pa.string()),
    ("amount", pa.decimal128(12, 2)),
    ("ratio", pa.float64()),
    ("active", pa.bool_()),
    ("created_at", pa.timestamp("us", tz="UTC")),
    ("updated_at", pa.timestamp("us")),
    ("note", pa.string()),
    ("ext_id", pa.string()),
    ("payload", pa.string()),
])
COLS = TARGET.names
SELECT = f"SELECT {', '.join(COLS)} FROM {TABLE}"

BASELINES = {
    "pg": ["psql", "-h", "127.0.0.1", "-U", "postgres", "-c", f"COPY {TABLE} TO STDOUT"],
    "my": ["mysql", "-h", "127.0.0.1", "-uroot", "--quick", "-e", f"SELECT * FROM test.{TABLE}"],
}


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


# --------------------------------------------------------------------------
# PostgreSQL
# --------------------------------------------------------------------------
PG_COPY_CSV = f"COPY ({SELECT}) TO STDOUT WITH (FORMAT csv, FORCE_QUOTE *)"


def _csv_options(block_size: int):
    import pyarrow.csv as pcsv

    return dict(
        read_options=pcsv.ReadOptions(column_names=COLS, block_size=block_size,
                                     use_threads=True),
        # values may contain \n / \r\n -> required, otherwise rows get split
        parse_options=pcsv.ParseOptions(newlines_in_values=True),
        convert_options=pcsv.ConvertOptions(
            column_types={f.name: f.type for f in TARGET},
            # FORCE_QUOTE * quotes every non-NULL value, so "" is an empty string
            # and an unquoted empty field is NULL.
            null_values=[""],
            strings_can_be_null=True,  # default False: NULL text would become ''
            quoted_strings_can_be_null=False,
            true_values=["t"],  # PG booleans; pyarrow's defaults don't include t/f
            false_values=["f"],
        ),
    )


def _arrow_stream(pyfile):
    """Wrap a Python file object for pyarrow, copying reads into Arrow memory.

    Handing the Python object to open_csv directly makes pyarrow wrap each
    returned bytes object zero-copy (PyBuffer).  Arrow pool threads can then
    drop the last reference during interpreter shutdown, need the GIL, get
    pthread_exit'ed and the process aborts with "terminate called without an
    active exception" (~1 run in 10 here).  BufferedInputStream reads via the
    copying Read(n, out) path, so no Python buffer escapes into Arrow.
    """
    return pa.input_stream(pyfile, buffer_size=16777216)


class _CopyFile:
    """Minimal read-only file object over a psycopg Copy (one row per chunk)."""

    def __init__(self, copy):
        self._it = iter(copy)
        self._parts: list = []
        self._size = 0
        self._eof = False
        self.closed = False

    def readable(self):
        return True

    def seekable(self):
        return False

    def writable(self):
        return False

    def read(self, n=-1):
        parts, size = self._parts, self._size
        if not self._eof:
            nxt = self._it.__next__
            try:
                while n < 0 or size < n:
                    d = nxt()
                    parts.append(d)
                    size += len(d)
            except StopIteration:
                self._eof = True
        data = b"".join(parts)
        if 0 <= n < len(data):
            self._parts, self._size = [data[n:]], len(data) - n
            return data[:n]
        self._parts, self._size = [], 0
        return data

    def close(self):
        self.closed = True


def _pg_connect():
    import psycopg

    conn = psycopg.connect(PG_DSN, autocommit=True)
    conn.execute("SET TimeZone = 'UTC'")  # timestamptz rendered as ...+00
    return conn


def pg_a_csv(opt):
    """psycopg COPY csv -> Python file adapter -> pyarrow.csv.open_csv."""
    import pyarrow.csv as pcsv

    with _pg_connect() as conn, conn.cursor() as cur, cur.copy(PG_COPY_CSV) as copy:
        try:
            reader = pcsv.open_csv(_arrow_stream(_CopyFile(copy)), **_csv_options(opt.block_size))
        except pa.ArrowInvalid as e:
            if "Empty CSV" in str(e):  # 0 rows (there is no header line)
                return
            raise
        try:
            yield from reader
        finally:
            reader.close()  # stop pyarrow's readahead before the COPY goes away


def _pipe_reader(fill, block_size):
    """Run fill(write_fd) in a thread; pyarrow reads the pipe's read end.

    pa.OSFile can't be used on a pipe ("lseek failed"), so the read end is a
    buffered Python file (one os.read per ~block, negligible GIL time).
    Errors from the producer are re-raised at the end (otherwise a failed COPY
    would look like a clean, truncated EOF).
    """
    import fcntl

    import pyarrow.csv as pcsv

    r, w = os.pipe()
    try:
        fcntl.fcntl(w, 1031, 1 << 20)  # F_SETPIPE_SZ: 1 MiB pipe buffer
    except OSError:
        pass
    err: list[BaseException] = []

    def run():
        try:
            fill(w)
        except BaseException as e:  # noqa: BLE001
            err.append(e)
        finally:
            os.close(w)

    t = threading.Thread(target=run, name="copy-pump", daemon=True)
    t.start()
    src = os.fdopen(r, "rb", buffering=1 << 20)
    reader = None
    try:
        try:
            reader = pcsv.open_csv(_arrow_stream(src), **_csv_options(block_size))
        except pa.ArrowInvalid as e:
            # no CSV header, so a 0-row result is an "Empty CSV file" error --
            # and so is a COPY that failed before sending anything.
            t.join()
            if err:
                raise RuntimeError("COPY producer failed") from err[0]
            if "Empty CSV" in str(e):
                return
            raise
        yield from reader
    except GeneratorExit:
        raise
    except BaseException:
        src.close()
        t.join(timeout=5)
        if err:  # the producer's error is the interesting one
            raise RuntimeError("COPY producer failed") from err[0]
        raise
    finally:
        if reader is not None:
            reader.close()
        src.close()  # a still-running producer now gets EPIPE instead of blocking
        t.join()
    if err:
        raise RuntimeError("COPY producer failed") from err[0]


def _write_all(fd, data):
    mv = memoryview(data)
    while mv:
        mv = mv[os.write(fd, mv):]


def pg_b_csv_pipe(opt):
    """psycopg COPY csv in a thread -> os.pipe() -> pyarrow.csv.open_csv(OSFile)."""

    def fill(w):
        with _pg_connect() as conn, conn.cursor() as cur, cur.copy(PG_COPY_CSV) as copy:
            parts, size = [], 0
            for d in copy:  # one row per item
                parts.append(d)
                size += len(d)
                if size >= 1 << 20:
                    _write_all(w, b"".join(parts))
                    parts, size = [], 0
            if parts:
                _write_all(w, b"".join(parts))

    yield from _pipe_reader(fill, opt.block_size)


def pg_e_psql_pipe(opt):
    """(extra) `psql -c COPY ... csv` subprocess -> pipe -> open_csv: no Python per row."""
    import pyarrow.csv as pcsv

    sql = f"SET TimeZone = 'UTC'; {PG_COPY_CSV}"
    p = subprocess.Popen(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-U", "postgres",
                          "-c", sql], stdout=subprocess.PIPE, bufsize=1 << 20)
    src = p.stdout
    try:
        reader = pcsv.open_csv(_arrow_stream(src), **_csv_options(opt.block_size))
        try:
            yield from reader
        finally:
            reader.close()
    finally:
        src.close()
        rc = p.wait()
    if rc:
        raise RuntimeError(f"psql exited {rc}")


def pg_c_adbc(opt):
    """ADBC postgresql (binary COPY inside the driver) + fetch_record_batch()."""
    import adbc_driver_postgresql.dbapi as pgdb

    # uuid::text: ADBC returns arrow.uuid (16 bytes); there is no pyarrow kernel
    # to format it as text, so let the server do it.
    sql = SELECT.replace("ext_id", "ext_id::text AS ext_id")
    with pgdb.connect(PG_URI) as conn, conn.cursor() as cur:
        cur.adbc_statement.set_options(**{"adbc.postgresql.batch_size_hint_bytes": str(opt.block_size)})
        cur.execute(sql)
        for b in cur.fetch_record_batch():
            cols = []
            for f, col in zip(TARGET, b.columns):
                if isinstance(col.type, pa.ExtensionType):  # numeric=arrow.opaque(str), jsonb=arrow.json
                    col = col.storage
                if col.type != f.type:
                    col = col.cast(f.type)  # numeric text -> decimal128(12,2): exact
                cols.append(col)
            yield pa.RecordBatch.from_arrays(cols, schema=TARGET)


def pg_d_servercursor(opt):
    """psycopg server-side cursor, fetchmany(50000), pa.array per column."""
    import psycopg
    from psycopg.types.string import TextLoader

    with psycopg.connect(PG_DSN) as conn:
        conn.execute("SET TimeZone = 'UTC'")
        # Keep numeric/uuid/jsonb as text: avoids Decimal / UUID / json.loads
        # objects (jsonb would otherwise come back as dicts).  numeric text is
        # cast exactly by pyarrow.
        for t in ("numeric", "uuid", "jsonb"):
            conn.adapters.register_loader(t, TextLoader)
        with conn.cursor(name="floe_bench_cur") as cur:
            cur.itersize = FETCH
            cur.execute(SELECT)
            while rows := cur.fetchmany(FETCH):
                yield _rows_to_batch(rows)


# --------------------------------------------------------------------------
# MySQL / MariaDB
# --------------------------------------------------------------------------
def _rows_to_batch(rows):
    """Python-typed rows (ints, Decimal/str, datetime, str...) -> TARGET batch."""
    cols = list(zip(*rows))
    out = []
    for f, col in zip(TARGET, cols):
        t = f.type
        if t == pa.bool_():
            if isinstance(next((v for v in col if v is not None), False), bool):
                a = pa.array(col, t)  # PG boolean
            else:
                a = pc.not_equal(pa.array(col, pa.int8()), 0)  # MySQL tinyint(1) is an int
        elif pa.types.is_timestamp(t):
            a = pa.array(col, pa.timestamp("us", tz=t.tz) if _aware(col) else pa.timestamp("us"))
            if a.type != t:
                a = a.cast(t)  # naive (session tz is UTC) -> UTC: metadata only
        elif pa.types.is_decimal(t):
            a = pa.array(col)  # Decimal objects or numeric text
            a = a.cast(t)
        else:
            a = pa.array(col, t)
        out.append(a)
    return pa.RecordBatch.from_arrays(out, schema=TARGET)


def _aware(col):
    for v in col:
        if v is not None:
            return v.tzinfo is not None
    return False


_RAW_STEP = {  # text (from the wire) -> TARGET, with pyarrow.compute
    "bool": lambda a: pc.not_equal(a.cast(pa.int8()), 0),
    "ts_utc": lambda a: a.cast(pa.timestamp("us")).cast(pa.timestamp("us", tz="UTC")),
}


def _raw_rows_to_batch(rows):
    """Rows of bytes (or str) as sent by the server -> TARGET via pyarrow casts."""
    out = []
    for f, col in zip(TARGET, zip(*rows)):
        v0 = next((v for v in col if v is not None), b"")
        a = pa.array(col, pa.binary() if isinstance(v0, (bytes, bytearray)) else pa.string())
        if a.type != pa.string():
            a = a.cast(pa.string())  # validates UTF-8
        t = f.type
        if t == pa.bool_():
            a = _RAW_STEP["bool"](a)
        elif pa.types.is_timestamp(t) and t.tz:
            a = _RAW_STEP["ts_utc"](a)
        elif t != pa.string():
            a = a.cast(t)
        out.append(a)
    return pa.RecordBatch.from_arrays(out, schema=TARGET)


def _mysql_cext():
    # see the import of _mysql_connector at the top of this file
    import mysql.connector

    conn = mysql.connector.connect(**MY_ARGS, use_pure=False, charset="utf8mb4")
    cur = conn.cursor()
    cur.execute("SET time_zone = '+00:00'")
    cur.close()
    return conn


def my_a_cext_raw(opt):
    """mysql-connector C ext, unbuffered, raw=True (bytes) + pyarrow.compute casts."""
    conn = _mysql_cext()
    try:
        cur = conn.cursor(raw=True)  # unbuffered by default
        cur.execute(SELECT)
        while rows := cur.fetchmany(FETCH):
            yield _raw_rows_to_batch(rows)
        cur.close()
    finally:
        conn.close()


def my_b_cext(opt):
    """mysql-connector C ext, unbuffered, driver converts (int/Decimal/datetime/str)."""
    conn = _mysql_cext()
    try:
        cur = conn.cursor()
        cur.execute(SELECT)
        while rows := cur.fetchmany(FETCH):
            yield _rows_to_batch(rows)
        cur.close()
    finally:
        conn.close()


def _pymysql(raw: bool):
    import pymysql
    import pymysql.converters
    import pymysql.cursors

    kw = {}
    if raw:  # keep the encoders (type keys), drop all decoders (int keys): values arrive as str/bytes
        kw["conv"] = {k: v for k, v in pymysql.converters.conversions.items() if not isinstance(k, int)}
    conn = pymysql.connect(**MY_ARGS, charset="utf8mb4", cursorclass=pymysql.cursors.SSCursor,
                           init_command="SET time_zone = '+00:00'", **kw)
    return conn


def my_c_pymysql_ss(opt):
    """pymysql SSCursor (streaming), driver converts, pa.array per column."""
    conn = _pymysql(raw=False)
    try:
        with conn.cursor() as cur:
            cur.execute(SELECT)
            while rows := cur.fetchmany(FETCH):
                yield _rows_to_batch(rows)
    finally:
        conn.close()


def my_e_pymysql_ss_raw(opt):
    """(extra) pymysql SSCursor with conv={} (str values) + pyarrow.compute casts."""
    conn = _pymysql(raw=True)
    try:
        with conn.cursor() as cur:
            cur.execute(SELECT)
            while rows := cur.fetchmany(FETCH):
                yield _raw_rows_to_batch(rows)
    finally:
        conn.close()


CANDIDATES = {
    "pg_a_csv": pg_a_csv,
    "pg_b_csv_pipe": pg_b_csv_pipe,
    "pg_c_adbc": pg_c_adbc,
    "pg_d_servercursor": pg_d_servercursor,
    "pg_e_psql_pipe": pg_e_psql_pipe,
    "my_a_cext_raw": my_a_cext_raw,
    "my_b_cext": my_b_cext,
    "my_c_pymysql_ss": my_c_pymysql_ss,
    "my_e_pymysql_ss_raw": my_e_pymysql_ss_raw,
}


# --------------------------------------------------------------------------
# fingerprints (correctness)
# --------------------------------------------------------------------------
def _dsum(a) -> int:
    """Exact sum of an integer-like array (no int64 overflow)."""
    v = pc.sum(a.cast(pa.decimal128(38, 0))).as_py()
    return int(v) if v is not None else 0


def _upd_min(acc, key, v, fn):
    if v is not None:
        acc[key] = v if acc.get(key) is None else fn(acc[key], v)


def fingerprint(batches) -> dict:
    fp = dict(rows=0, sum_id=0, sum_customer_id=0, code_chars=0, amount_sum=Decimal(0), amount_count=0,
              ratio_sum=0.0, active_true=0, active_count=0,
              created_min=None, created_max=None, created_sum=0, created_count=0,
              updated_min=None, updated_max=None, updated_sum=0,
              note_count=0, note_chars=0, note_bytes=0, note_empty=0,
              ext_min=None, ext_max=None, ext_count=0, payload_count=0, payload_bytes=0)
    for b in batches:
        c = {n: b.column(n) for n in b.schema.names}
        fp["rows"] += b.num_rows
        fp["sum_id"] += _dsum(c["id"])
        fp["sum_customer_id"] += _dsum(c["customer_id"])
        fp["code_chars"] += _dsum(pc.utf8_length(c["code"]))
        s = pc.sum(c["amount"].cast(pa.decimal128(38, 2))).as_py()
        fp["amount_sum"] += s or 0
        fp["amount_count"] += pc.count(c["amount"]).as_py()
        fp["ratio_sum"] += pc.sum(c["ratio"]).as_py() or 0.0
        fp["active_true"] += pc.sum(c["active"].cast(pa.int64())).as_py() or 0
        fp["active_count"] += pc.count(c["active"]).as_py()
        for col, pre in (("created_at", "created"), ("updated_at", "updated")):
            i = c[col].cast(pa.int64())
            mm = pc.min_max(i).as_py()
            _upd_min(fp, pre + "_min", mm["min"], min)
            _upd_min(fp, pre + "_max", mm["max"], max)
            fp[pre + "_sum"] += _dsum(i)
        fp["created_count"] += pc.count(c["created_at"]).as_py()
        fp["note_count"] += pc.count(c["note"]).as_py()
        fp["note_chars"] += _dsum(pc.utf8_length(c["note"]))
        fp["note_bytes"] += _dsum(pc.binary_length(c["note"]))
        fp["note_empty"] += pc.sum(pc.equal(c["note"], "").cast(pa.int64())).as_py() or 0
        mm = pc.min_max(c["ext_id"]).as_py()
        _upd_min(fp, "ext_min", mm["min"], min)
        _upd_min(fp, "ext_max", mm["max"], max)
        fp["ext_count"] += pc.count(c["ext_id"]).as_py()
        fp["payload_count"] += pc.count(c["payload"]).as_py()
        fp["payload_bytes"] += _dsum(pc.binary_length(c["payload"]))
    fp["amount_sum"] = str(fp["amount_sum"])
    return fp


_FP_KEYS = ["rows", "sum_id", "sum_customer_id", "code_chars", "amount_sum", "amount_count", "ratio_sum",
            "active_true", "active_count", "created_min", "created_max", "created_sum", "created_count",
            "updated_min", "updated_max", "updated_sum", "note_count", "note_chars", "note_bytes",
            "note_empty", "ext_min", "ext_max", "ext_count", "payload_count", "payload_bytes"]

PG_FP_SQL = f"""
SELECT count(*), sum(id), sum(customer_id), sum(char_length(code)), sum(amount), count(amount), sum(ratio),
       count(*) FILTER (WHERE active), count(active),
       extract(epoch FROM min(created_at)) * 1000000, extract(epoch FROM max(created_at)) * 1000000,
       sum(extract(epoch FROM created_at) * 1000000), count(created_at),
       extract(epoch FROM min(updated_at)) * 1000000, extract(epoch FROM max(updated_at)) * 1000000,
       sum(extract(epoch FROM updated_at) * 1000000),
       count(note), sum(char_length(note)), sum(octet_length(note)), count(*) FILTER (WHERE note = ''),
       min(ext_id::text COLLATE "C"), max(ext_id::text COLLATE "C"), count(ext_id),
       count(payload), sum(octet_length(payload::text))
FROM {TABLE}"""

MY_FP_SQL = f"""
SELECT count(*), sum(id), sum(customer_id), sum(char_length(code)), sum(amount), count(amount), sum(ratio),
       sum(active <> 0), count(active),
       timestampdiff(microsecond, '1970-01-01', min(created_at)),
       timestampdiff(microsecond, '1970-01-01', max(created_at)),
       sum(timestampdiff(microsecond, '1970-01-01', created_at)), count(created_at),
       timestampdiff(microsecond, '1970-01-01', min(updated_at)),
       timestampdiff(microsecond, '1970-01-01', max(updated_at)),
       sum(timestampdiff(microsecond, '1970-01-01', updated_at)),
       count(note), sum(char_length(note)), sum(octet_length(note)), sum(note = BINARY ''),
       min(ext_id COLLATE utf8mb4_bin), max(ext_id COLLATE utf8mb4_bin), count(ext_id),
       count(payload), sum(octet_length(payload))
FROM {TABLE}"""


def db_fingerprint(engine: str) -> dict:
    if engine == "pg":
        import psycopg

        with psycopg.connect(PG_DSN) as conn:
            row = conn.execute(PG_FP_SQL).fetchone()
    else:
        import pymysql

        conn = pymysql.connect(**MY_ARGS, charset="utf8mb4", init_command="SET time_zone = '+00:00'")
        with conn.cursor() as cur:
            cur.execute(MY_FP_SQL)
            row = cur.fetchone()
        conn.close()
    fp = {}
    for k, v in zip(_FP_KEYS, row):
        if k == "amount_sum":
            v = str(Decimal(v).quantize(Decimal("0.01")))
        elif k == "ratio_sum":
            v = float(v)
        elif isinstance(v, Decimal):
            v = int(v)
        fp[k] = v
    return fp


def compare(got: dict, exp: dict) -> list[str]:
    bad = []
    for k in _FP_KEYS:
        g, e = got.get(k), exp.get(k)
        if k == "ratio_sum":
            ok = abs(g - e) <= 1e-9 * max(1.0, abs(e))
        elif k == "amount_sum":
            ok = Decimal(g) == Decimal(e)
        else:
            ok = g == e
        if not ok:
            bad.append(f"{k}: got {g!r} want {e!r}")
    return bad


# --------------------------------------------------------------------------
# worker (one candidate, one mode, fresh process)
# --------------------------------------------------------------------------
def worker(opt) -> dict:
    import pyarrow.parquet as pq

    fn = CANDIDATES[opt.worker]
    res = dict(name=opt.worker, mode=opt.mode)
    path = None
    writer = None
    t0 = time.perf_counter()
    if opt.mode != "none":
        path = os.path.join(opt.outdir, f"{opt.worker}.{opt.mode}.parquet")
        writer = pq.ParquetWriter(path, TARGET, compression=opt.mode)
    rows = nbatches = 0
    pending, pending_rows = [], 0
    for b in fn(opt):
        if not b.schema.equals(TARGET):  # exact types, incl. decimal / tz
            raise TypeError(f"{opt.worker}: schema mismatch\n{b.schema}\n--- want ---\n{TARGET}")
        rows += b.num_rows
        nbatches += 1
        if writer is not None:  # coalesce small batches into ~row_group rows
            pending.append(b)
            pending_rows += b.num_rows
            if pending_rows >= opt.row_group:
                writer.write_table(pa.Table.from_batches(pending), row_group_size=opt.row_group)
                pending, pending_rows = [], 0
    if writer is not None:
        if pending:
            writer.write_table(pa.Table.from_batches(pending), row_group_size=opt.row_group)
        writer.close()
    res.update(secs=time.perf_counter() - t0, rows=rows, batches=nbatches, rss_mb=maxrss_mb())
    if path:
        res["parquet_mb"] = os.path.getsize(path) / 2**20
        if opt.verify:
            pf = pq.ParquetFile(path)
            res["fingerprint"] = fingerprint(pf.iter_batches(batch_size=65536))
        if not opt.keep:
            os.unlink(path)
    return res


# --------------------------------------------------------------------------
# parent
# --------------------------------------------------------------------------
def run_baseline(engine: str) -> dict:
    t0 = time.perf_counter()
    p = subprocess.Popen(BASELINES[engine], stdout=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    secs = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode:
        raise RuntimeError(f"baseline {engine} failed: {p.returncode}")
    return dict(secs=secs, rss_mb=ru.ru_maxrss / 1024)


def run_worker(name: str, mode: str, opt) -> dict:
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", name, "--mode", mode,
           "--outdir", opt.outdir, "--block-size", str(opt.block_size), "--row-group", str(opt.row_group)]
    if mode != "none":
        cmd.append("--verify")
    p = subprocess.run(cmd, capture_output=True, text=True)
    out = p.stdout.strip().splitlines()
    err = (p.stderr.strip().splitlines() or ["?"])[-1]
    if out and out[-1].startswith("{"):
        r = json.loads(out[-1])
        if p.returncode:  # result complete, but the process died at exit
            r["exit_error"] = f"rc={p.returncode}: {err}"
            print(f"  WARNING {name} {mode}: {r['exit_error']}", file=sys.stderr, flush=True)
        return r
    return dict(name=name, mode=mode, error=f"rc={p.returncode}: {err}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", help="comma-separated candidate names (default: all)")
    ap.add_argument("--modes", default="none,zstd", help="modes for every candidate (none,zstd,snappy)")
    ap.add_argument("--repeat", type=int, default=1, help="runs per candidate/mode; best time is kept")
    ap.add_argument("--block-size", type=int, default=8 << 20, help="CSV block / ADBC batch size hint (bytes)")
    ap.add_argument("--row-group", type=int, default=262_144, help="Parquet rows per row group")
    ap.add_argument("--outdir", default=None, help="Parquet output dir (default: a temp dir)")
    ap.add_argument("--keep", action="store_true", help="keep the Parquet files")
    ap.add_argument("--json", help="also write all results to this JSON file")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--mode", default="none", help=argparse.SUPPRESS)
    ap.add_argument("--verify", action="store_true", help=argparse.SUPPRESS)
    opt = ap.parse_args()

    if opt.worker:
        opt.outdir = opt.outdir or tempfile.gettempdir()
        print(json.dumps(worker(opt), default=str), flush=True)
        return

    names = opt.only.split(",") if opt.only else list(CANDIDATES)
    unknown = set(names) - set(CANDIDATES)
    if unknown:
        ap.error(f"unknown candidates: {sorted(unknown)}")
    modes = opt.modes.split(",")
    tmp = None
    if not opt.outdir:
        tmp = tempfile.TemporaryDirectory(prefix="floe_bench_")
        opt.outdir = tmp.name

    engines = sorted({n.split("_")[0] for n in names})
    expected = {e: db_fingerprint(e) for e in engines}
    base = {}
    for e in engines:
        run_baseline(e)  # warm-up (page cache, buffers)
        runs = [run_baseline(e) for _ in range(max(1, opt.repeat))]
        base[e] = min(runs, key=lambda r: r["secs"])
        print(f"baseline {e}: {base[e]['secs']:.2f}s rss {base[e]['rss_mb']:.0f}MB", file=sys.stderr, flush=True)

    results = []

    def bench(name, mode):
        runs = [run_worker(name, mode, opt) for _ in range(max(1, opt.repeat))]
        ok = [r for r in runs if "error" not in r]
        r = min(ok, key=lambda r: r["secs"]) if ok else runs[0]
        if ok:
            r["rss_mb"] = max(x["rss_mb"] for x in ok)
        e = name.split("_")[0]
        if "fingerprint" in r:
            bad = compare(r.pop("fingerprint"), expected[e])
            r["check"] = "OK" if not bad else "MISMATCH " + "; ".join(bad[:3])
        elif "rows" in r:
            r["check"] = "rows OK" if r["rows"] == expected[e]["rows"] else f"ROWS {r['rows']}"
        results.append(r)
        msg = r.get("error") or f"{r['secs']:.2f}s rss {r['rss_mb']:.0f}MB {r.get('check', '')}"
        print(f"{name:22s} {mode:6s} {msg}", file=sys.stderr, flush=True)

    for name in names:
        for mode in modes:
            bench(name, mode)
    # snappy for the fastest zstd candidate of each engine (if not run already)
    if "snappy" not in modes:
        for e in engines:
            z = [r for r in results if r["mode"] == "zstd" and r["name"].startswith(e + "_") and "secs" in r
                 and "_e_" not in r["name"]]  # extras (_e_) are not candidates for the recommendation
            if z:
                bench(min(z, key=lambda r: r["secs"])["name"], "snappy")

    print("\n| candidate | mode | secs | rows/s | x baseline | peak RSS MB | parquet MB | check |")
    print("|---|---|---|---|---|---|---|---|")
    for e in engines:
        b = base[e]
        n = expected[e]["rows"]
        print(f"| {e}_BASELINE | {' '.join(BASELINES[e][:1])} | {b['secs']:.2f} | {n / b['secs']:,.0f} | 1.00 "
              f"| {b['rss_mb']:.0f} | | |")
        for r in results:
            if not r["name"].startswith(e + "_"):
                continue
            if "error" in r:
                print(f"| {r['name']} | {r['mode']} | ERROR: {r['error']} |||||")
                continue
            print(f"| {r['name']} | {r['mode']} | {r['secs']:.2f} | {r['rows'] / r['secs']:,.0f} "
                  f"| {r['secs'] / b['secs']:.2f} | {r['rss_mb']:.0f} | {r.get('parquet_mb', 0):.0f} "
                  f"| {r.get('check', '')} |")
    if opt.json:
        with open(opt.json, "w") as f:
            json.dump(dict(baselines=base, expected=expected, results=results), f, indent=1, default=str)
    if tmp:
        tmp.cleanup()


if __name__ == "__main__":
    main()
