"""fakesnow 0.12.1 behind the HTTP API the Snowflake Node driver speaks, for floe's tests.

Started by test/fakesnow.ts as `python fakesnow_server.py HOST PORT`. Statements are parsed and run
by fakesnow (DuckDB underneath). This file changes what reaches the driver, and teaches fakesnow a
few documented Snowflake behaviours it lacks, so that floe's production statements run unchanged.
Each is listed here; `floe snowflake verify` runs every one of them on a real account.

The wire:
- Answers in Snowflake's JSON result format. fakesnow answers in Arrow IPC, which only the Python
  connector reads; the Node driver fails on it. Same rows and rowtype; numbers as text, timestamps
  as `epoch.fraction [offset+1440]`, dates as days, binary as hex.
- A statement fakesnow cannot run is answered as a failed statement (Snowflake's error JSON), not
  HTTP 500, which the Node driver retries without end.
- A PUT's answer gains the stage's `region`, which every real answer carries and the driver reads,
  and the statement's OVERWRITE option, which fakesnow leaves false
  (https://docs.snowflake.com/en/sql-reference/sql/put).
- Every statement is recorded with the parameters the driver sent (GET /floe-test/statements), and
  every abort request (GET /floe-test/aborts).

What fakesnow is taught (each a documented rule, cited):
- ALTER SESSION SET TIMEZONE = 'UTC', STATEMENT_TIMEOUT_IN_SECONDS, LOCK_TIMEOUT and
  ABORT_DETACHED_QUERY succeed: fakesnow runs in UTC already and has no timeouts to set
  (https://docs.snowflake.com/en/sql-reference/parameters). Any other time zone is refused. So do
  the input formats, TIMESTAMP_TYPE_MAPPING and QUOTED_IDENTIFIERS_IGNORE_CASE at their defaults,
  which fakesnow has; another value is refused.
- BINARY(n): DuckDB's BLOB takes no length, and fakesnow passes it on
  (https://docs.snowflake.com/en/sql-reference/data-types-text#binary).
- COPY INTO <table>: INCLUDE_METADATA for METADATA$FILENAME (the file's path in the stage) and
  METADATA$FILE_ROW_NUMBER (from 1), and LOAD_UNCERTAIN_FILES (accepted: fakesnow's load history
  never expires, so no file's status is uncertain)
  (https://docs.snowflake.com/en/sql-reference/sql/copy-into-table,
  https://docs.snowflake.com/en/user-guide/querying-metadata); FILES from an internal stage;
  MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE into a column named exactly as the file names it (fakesnow
  upper-cases the table's names and then misses a column whose upper case differs, as `straße`'s).
- An external stage on `s3://bucket/prefix` reads the bucket's objects, as Snowflake's does through
  its storage integration (https://docs.snowflake.com/en/sql-reference/sql/create-stage): fakesnow's
  DuckDB has no S3 reader here, so the FILES a COPY names are fetched from the S3 endpoint the test
  gives (FLOE_TEST_S3_ENDPOINT, a moto server) into a local folder first. Without that variable an
  s3:// stage is left to fakesnow, which cannot read it.
- CREATE STAGE … STORAGE_INTEGRATION = name: SHOW STAGES lists the integration
  (https://docs.snowflake.com/en/sql-reference/sql/show-stages); fakesnow keeps it NULL.
- PUT to a stage location in quotes, which a path with spaces needs
  (https://docs.snowflake.com/en/sql-reference/sql/put).
- MERGE inside an explicit transaction: fakesnow's MERGE makes a scratch table, which commits the
  transaction and writes fakesnow's own catalog (a second DuckDB database, which one transaction
  may not write beside the target). The scratch table is kept out of both
  (https://docs.snowflake.com/en/sql-reference/transactions: DML, MERGE included, runs inside one).
- An ARRAY column is ARRAY in information_schema.columns (DATA_TYPE), as Snowflake lists it
  (https://docs.snowflake.com/en/sql-reference/info-schema/columns); fakesnow keeps ARRAY, OBJECT
  and VARIANT alike as DuckDB JSON and lists all three as VARIANT. A column declared ARRAY is marked
  with a DuckDB column comment, and the columns view reads the mark.
- floe check's Snowflake side (check/snowflake-text-sql.ts): TRANSFORM over a semi-structured ARRAY,
  its lambda seeing VARIANT elements, a VARIANT string cast to VARCHAR without JSON's quotes
  (https://docs.snowflake.com/en/sql-reference/functions/transform); the hexadecimal format element
  X in TO_NUMBER and TO_CHAR (https://docs.snowflake.com/en/sql-reference/sql-format-models);
  TO_VARCHAR of a TIME with a format (https://docs.snowflake.com/en/sql-reference/functions/to_char);
  RTRIM/LTRIM/TRIM with the characters to remove, which fakesnow dropped
  (https://docs.snowflake.com/en/sql-reference/functions/rtrim).
- CREATE PROCEDURE: fakesnow has no stored procedures. The statement is answered as a success and
  kept (GET /floe-test/procedures) so tests compare it with the golden SQL; nothing is created, and
  CALL still fails.
"""

from __future__ import annotations

import base64
import contextvars
import datetime
import gzip
import json
import os
import re
import sys
import tempfile
from typing import Any

import fakesnow.copy_into as copy_module
import fakesnow.cursor as cursor_module
import fakesnow.info_schema as info_module
import fakesnow.server as server
import fakesnow.transforms.stage as stage_module
import pyarrow as pa
import uvicorn
from sqlglot import exp
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

# ---------------------------------------------------------------- ALTER SESSION

SESSION_PARAMETERS = {"TIMEZONE", "STATEMENT_TIMEOUT_IN_SECONDS", "LOCK_TIMEOUT", "ABORT_DETACHED_QUERY"}
# Parameters floe pins at their defaults, which fakesnow has (ISO text in, hex binary, names as quoted).
SESSION_DEFAULTS = {
    "BINARY_INPUT_FORMAT": "HEX",
    "DATE_INPUT_FORMAT": "AUTO",
    "TIME_INPUT_FORMAT": "AUTO",
    "TIMESTAMP_INPUT_FORMAT": "AUTO",
    "TIMESTAMP_TYPE_MAPPING": "TIMESTAMP_NTZ",
    "QUOTED_IDENTIFIERS_IGNORE_CASE": "FALSE",
}
ALTER_SESSION = re.compile(r"^\s*alter\s+session\s+set\s+(.*?)\s*;?\s*$", re.IGNORECASE | re.DOTALL)
SESSION_PARAMETER = re.compile(r"(\w+)\s*=\s*('(?:[^']|'')*'|[^\s,]+)\s*,?\s*")


def session_parameters_taught(sql: str) -> bool:
    """ALTER SESSION SET of parameters fakesnow has nothing to do for (it parses only one per statement)."""
    match = ALTER_SESSION.match(sql)
    if match is None:
        return False
    pairs = SESSION_PARAMETER.findall(match.group(1))
    if not pairs or "".join(SESSION_PARAMETER.sub("", match.group(1))).strip():
        return False
    for name, value in pairs:
        if name.upper() in SESSION_DEFAULTS:
            if value.strip("'").upper() != SESSION_DEFAULTS[name.upper()]:
                return False  # only the defaults, which fakesnow has
            continue
        if name.upper() not in SESSION_PARAMETERS:
            return False
        if name.upper() == "TIMEZONE" and value.strip("'").upper() not in ("UTC", "ETC/UTC"):
            return False  # fakesnow runs in UTC only
    return True

# ---------------------------------------------------------------- BINARY(n)


def binary_without_length(node: exp.Expr) -> exp.Expr:
    if isinstance(node, exp.DataType) and node.this in (exp.DataType.Type.BINARY, exp.DataType.Type.VARBINARY):
        node.set("expressions", [])
    return node


_transform = cursor_module.FakeSnowflakeCursor._transform


def transform(self: Any, expression: exp.Expr, params: Any) -> exp.Expr:
    declared_arrays.set(arrays_declared(expression))
    taught = expression.transform(binary_without_length, copy=False).transform(transform_over_array, copy=False)
    return _transform(self, taught.transform(hex_numbers, copy=False).transform(time_to_varchar, copy=False), params)


cursor_module.FakeSnowflakeCursor._transform = transform  # type: ignore[method-assign]

# ---------------------------------------------------------------- floe check's functions


def transform_over_array(node: exp.Expr) -> exp.Expr:
    """TRANSFORM over a semi-structured ARRAY: its lambda sees each element as a VARIANT
    (https://docs.snowflake.com/en/sql-reference/functions/transform), and a VARIANT string cast to
    VARCHAR is the string itself, without JSON's quotes
    (https://docs.snowflake.com/en/user-guide/querying-semistructured#explicitly-casting-values).
    fakesnow keeps an ARRAY as DuckDB JSON, which DuckDB's list_transform refuses: the array is read
    as a list of JSON values, and the element's cast to VARCHAR reads the JSON string's value."""
    if not isinstance(node, exp.Transform):
        return node
    node.set("this", exp.Anonymous(this="from_json", expressions=[node.this, exp.Literal.string('["JSON"]')]))
    lambda_ = node.expression
    names = {arg.name.upper() for arg in lambda_.expressions} if isinstance(lambda_, exp.Lambda) else set()

    def unquoted(inner: exp.Expr) -> exp.Expr:
        text_cast = isinstance(inner, exp.Cast) and inner.to.this in (exp.DataType.Type.VARCHAR, exp.DataType.Type.TEXT)
        if text_cast and isinstance(inner.this, (exp.Identifier, exp.Column)) and inner.this.name.upper() in names:
            return exp.Anonymous(this="json_extract_string", expressions=[inner.this, exp.Literal.string("$")])
        return inner

    if isinstance(lambda_, exp.Lambda):
        lambda_.set("this", lambda_.this.transform(unquoted, copy=False))
    return node


def trim_cast_varchar(node: exp.Expr) -> exp.Expr:
    """RTRIM/LTRIM/TRIM with characters to remove (https://docs.snowflake.com/en/sql-reference/functions/rtrim):
    fakesnow casts the input to VARCHAR, as Snowflake does, but drops the characters and the side,
    so `rtrim('0.', '.')` trimmed spaces from both ends. The cast is kept, and so are they."""
    if not isinstance(node, exp.Trim):
        return node
    operand = node.this
    if isinstance(operand, exp.Cast) and operand.to.this in (exp.DataType.Type.VARCHAR, exp.DataType.Type.TEXT):
        return node
    node.set("this", exp.Cast(this=operand, to=exp.DataType(this=exp.DataType.Type.VARCHAR, nested=False, prefix=False)))
    return node


cursor_module.transforms.trim_cast_varchar = trim_cast_varchar


HEX_FORMAT = re.compile(r"^X+$", re.IGNORECASE)
HEX_PRINT_FORMAT = re.compile(r"^FMX+$", re.IGNORECASE)


def hex_numbers(node: exp.Expr) -> exp.Expr:
    """The hexadecimal format element X (https://docs.snowflake.com/en/sql-reference/sql-format-models#fixed-position-numeric-formats):
    TO_NUMBER(text, 'XXX…') reads hexadecimal digits as a number, TO_CHAR(number, 'FMXXX…') prints
    one in upper-case hexadecimal digits without padding (FM). sqlglot drops the format, and
    fakesnow refuses it."""
    fmt = node.args.get("format") if isinstance(node, (exp.ToNumber, exp.ToChar)) else None
    if not isinstance(fmt, exp.Literal):
        return node
    if isinstance(node, exp.ToNumber) and HEX_FORMAT.match(fmt.name):
        hex_text = exp.DPipe(this=exp.Literal.string("0x"), expression=node.this)
        return exp.cast(exp.cast(hex_text, exp.DataType.build("UBIGINT", dialect="duckdb")), exp.DataType.build("DECIMAL(38, 0)"))
    if isinstance(node, exp.ToChar) and HEX_PRINT_FORMAT.match(fmt.name):
        return exp.Anonymous(this="hex", expressions=[exp.cast(node.this, exp.DataType.build("UBIGINT", dialect="duckdb"))])
    return node


TIME_ONLY_FORMAT = re.compile(r"^HH24:MI:SS(\.FF[0-9]?)?$", re.IGNORECASE)


def time_to_varchar(node: exp.Expr) -> exp.Expr:
    """TO_VARCHAR(time, 'HH24:MI:SS.FF6') (https://docs.snowflake.com/en/sql-reference/functions/to_char,
    https://docs.snowflake.com/en/sql-reference/date-time-input-output#time-formats): DuckDB's
    strftime takes no TIME, so the time is put on a day first."""
    fmt = node.args.get("format") if isinstance(node, (exp.ToChar, exp.TimeToStr)) else None
    if not isinstance(fmt, exp.Literal):
        return node
    if isinstance(node, exp.ToChar) and TIME_ONLY_FORMAT.match(fmt.name):
        with_fraction = fmt.name.upper().endswith("FF6")
    elif isinstance(node, exp.TimeToStr) and fmt.name in ("%H:%M:%S", "%H:%M:%S.%f"):
        with_fraction = fmt.name.endswith("%f")
    else:
        return node
    on_a_day = exp.Add(this=exp.cast(exp.Literal.string("1970-01-01"), exp.DataType.build("DATE")), expression=exp.cast(node.this, exp.DataType.build("TIME")))
    return exp.Anonymous(this="strftime", expressions=[on_a_day, exp.Literal.string("%H:%M:%S.%f" if with_fraction else "%H:%M:%S")])


# ---------------------------------------------------------------- ARRAY columns in information_schema

ARRAY_MARK = "floe-test: declared ARRAY"
# The ARRAY columns a CREATE TABLE or ALTER TABLE … ADD COLUMN being run declares, by name.
declared_arrays: contextvars.ContextVar[list[str]] = contextvars.ContextVar("declared_arrays", default=[])
_VARIANT_CASE = "when columns.data_type='JSON' then 'VARIANT'"
if _VARIANT_CASE not in info_module.SQL_CREATE_GLOBAL_INFORMATION_SCHEMA_COLUMNS_VIEW:
    raise RuntimeError("fakesnow's information_schema.columns view changed: update fakesnow_server.py's ARRAY mark")
_ARRAY_CASE = f"when columns.data_type='JSON' and ddb_columns.comment = '{ARRAY_MARK}' then 'ARRAY' "
_COLUMNS_VIEW = info_module.SQL_CREATE_GLOBAL_INFORMATION_SCHEMA_COLUMNS_VIEW.replace(_VARIANT_CASE, _ARRAY_CASE + _VARIANT_CASE)
info_module.SQL_CREATE_GLOBAL_INFORMATION_SCHEMA_COLUMNS_VIEW = _COLUMNS_VIEW
# The server's shared instance made its views when fakesnow.server was imported: made again, with the mark.
server.shared_fs.duck_conn.execute(_COLUMNS_VIEW.replace("create view if not exists", "create or replace view"))


def arrays_declared(expression: exp.Expr) -> list[str]:
    if not isinstance(expression, (exp.Create, exp.Alter)):
        return []
    return [
        column.name
        for column in expression.find_all(exp.ColumnDef)
        if isinstance(column.args.get("kind"), exp.DataType) and column.args["kind"].this == exp.DataType.Type.ARRAY
    ]


def mark_arrays(self: Any, transformed: exp.Expr) -> None:
    names = declared_arrays.get()
    declared_arrays.set([])
    table = transformed.find(exp.Table)
    if not names or table is None:
        return
    for name in names:
        column = exp.to_identifier(name, quoted=True).sql(dialect="duckdb")
        self._duck_conn.execute(f"COMMENT ON COLUMN {table.sql(dialect='duckdb')}.{column} IS '{ARRAY_MARK}'")


# ---------------------------------------------------------------- COPY INTO

# The metadata columns of the COPY being run, and its FILES as written (paths in the stage).
copy_metadata: contextvars.ContextVar[dict[str, str]] = contextvars.ContextVar("copy_metadata", default={})
copy_files: contextvars.ContextVar[list[str]] = contextvars.ContextVar("copy_files", default=[])
_copy_into = copy_module.copy_into
_inserts = copy_module._inserts
_source_urls = copy_module._source_urls


def copy_into(duck_conn: Any, database: Any, schema: Any, expression: exp.Copy, table_stages: Any, params: Any = None) -> str:
    metadata: dict[str, str] = {}
    kept = []
    for param in expression.args.get("params") or []:
        name = param.this.name.upper()
        if name == "INCLUDE_METADATA":
            for pair in param.expression.expressions:
                metadata[pair.this.name.upper()] = pair.expression.name.upper()
        elif name == "LOAD_UNCERTAIN_FILES":
            continue
        else:
            if name == "FILES":
                copy_files.set([literal.name for literal in param.find_all(exp.Literal)])
            kept.append(param)
    expression.set("params", kept)
    token = copy_metadata.set(metadata)
    try:
        return _copy_into(duck_conn, database, schema, expression, table_stages, params)
    finally:
        copy_metadata.reset(token)
        copy_files.set([])


def inserts(expression: exp.Copy, params: Any, urls: list[str], parquet_info: Any = None) -> list[exp.Expr]:
    made = _inserts(expression, params, urls, parquet_info)
    metadata = copy_metadata.get()
    if not metadata:
        return made
    files = copy_files.get()
    for index, insert in enumerate(made):
        select = insert.expression
        name = files[index] if index < len(files) else urls[index]
        for alias in select.expressions:
            kind = metadata.get(alias.alias.upper()) if isinstance(alias, exp.Alias) else None
            if kind == "METADATA$FILENAME":
                alias.set("this", exp.Literal.string(name))
            elif kind == "METADATA$FILE_ROW_NUMBER":
                alias.set("this", exp.Add(this=exp.column("file_row_number"), expression=exp.Literal.number(1)))
        read = select.args["from_"].this.this
        read.append("expressions", exp.EQ(this=exp.column("file_row_number"), expression=exp.true()))
    return made


def table_columns(table: exp.Table, duck_conn: Any, database: Any, schema: Any) -> list[str]:
    """The table's columns as they are named: fakesnow upper-cases them, and then inserts into a column the table may not have."""
    return [name for name, _type in copy_module._describe_table(table, duck_conn, database, schema)]


def match_parquet_columns(parquet: list[str], target: list[str], mode: Any) -> dict[str, str]:
    """MATCH_BY_COLUMN_NAME: CASE_SENSITIVE compares names as they are, CASE_INSENSITIVE without case."""
    if mode == copy_module.MatchByColumnName.NONE:
        return {}
    if mode == copy_module.MatchByColumnName.CASE_SENSITIVE:
        return {name: name for name in target if name in parquet}
    folded = {name.upper(): name for name in parquet}
    return {name: folded[name.upper()] for name in target if name.upper() in folded}


def source_urls(source: str, files: list[str]) -> list[str]:
    if copy_module.stage.is_internal(source):
        return [f"{source.rstrip('/')}/{file}" for file in files] or [source]
    urls = _source_urls(source, files)
    endpoint = os.environ.get("FLOE_TEST_S3_ENDPOINT")
    if not source.startswith("s3://") or endpoint is None:
        return urls
    return [fetched_from_s3(url, endpoint) for url in urls]


# Objects fetched from S3, kept at bucket/key so a file fetched twice is the same path (load history).
S3_FETCHED = tempfile.mkdtemp(prefix="fakesnow-s3-")


def fetched_from_s3(url: str, endpoint: str) -> str:
    import boto3

    bucket, _, key = url[len("s3://") :].partition("/")
    target = os.path.join(S3_FETCHED, bucket, key)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    # moto accepts any credentials; these keep boto3 from looking for the machine's own.
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
    client.download_file(bucket, key, target)
    return target


cursor_module.copy_into = copy_into
copy_module._inserts = inserts
copy_module._source_urls = source_urls
copy_module._get_table_columns = table_columns
copy_module._match_parquet_columns = match_parquet_columns

# ---------------------------------------------------------------- CREATE STAGE … STORAGE_INTEGRATION

_create_stage = stage_module.create_stage
# The column SHOW STAGES lists a stage's storage integration in, in fakesnow's stages table.
STORAGE_INTEGRATION_COLUMN = 13


def create_stage(expression: exp.Expr, *args: Any, **kwargs: Any) -> exp.Expr:
    """A stage's STORAGE_INTEGRATION is listed by SHOW STAGES; fakesnow keeps it NULL."""
    properties = expression.args.get("properties")
    integration = next(
        (
            prop.args["value"].name
            for prop in (properties.expressions if properties else [])
            if isinstance(prop, exp.Property) and prop.name.upper() == "STORAGE_INTEGRATION"
        ),
        None,
    )
    transformed = _create_stage(expression, *args, **kwargs)
    if integration is not None and isinstance(transformed, exp.Insert):
        select = transformed.expression
        select.expressions[STORAGE_INTEGRATION_COLUMN] = exp.Literal.string(integration.upper())
    return transformed


stage_module.create_stage = create_stage
cursor_module.transforms.create_stage = create_stage

# ---------------------------------------------------------------- PUT to a quoted stage location

_put_stage = stage_module.put_stage


def put_stage(expression: exp.Expr, *args: Any, **kwargs: Any) -> exp.Expr:
    """`PUT file://… '@stage/path with spaces/'`: Snowflake reads the quoted location; fakesnow keeps the quotes."""
    target = expression.args.get("target") if isinstance(expression, exp.Put) else None
    text = target.text("this") if isinstance(target, exp.Var) else ""
    if len(text) > 2 and text.startswith("'@") and text.endswith("'"):
        expression.set("target", exp.Var(this=text[1:-1].replace("''", "'")))
    return _put_stage(expression, *args, **kwargs)


stage_module.put_stage = put_stage
cursor_module.transforms.put_stage = put_stage

# ---------------------------------------------------------------- MERGE in a transaction

_execute = cursor_module.FakeSnowflakeCursor._execute


def execute(self: Any, transformed: exp.Expr, params: Any = None) -> None:
    scratch = isinstance(transformed, exp.Create) and isinstance(transformed.this, exp.Table) and transformed.this.name.lower() == "merge_candidates"
    if not scratch:
        result = _execute(self, transformed, params)
        mark_arrays(self, transformed)
        return result
    transformed.args.pop("text_lengths", None)
    transformed.args.pop("table_comment", None)
    explicit = not self._conn._autocommit
    self._conn._autocommit = True  # skips the implicit commit before DDL
    try:
        return _execute(self, transformed, params)
    finally:
        self._conn._autocommit = not explicit


cursor_module.FakeSnowflakeCursor._execute = execute  # type: ignore[method-assign]

# ---------------------------------------------------------------- the wire


def cell(value: Any, kind: str) -> Any:
    if value is None or (isinstance(value, dict) and value.get("epoch") is None):
        return None
    if kind in ("timestamp_ntz", "timestamp_ltz"):
        return f"{value['epoch']}.{value['fraction']:09d}"
    if kind == "timestamp_tz":
        return f"{value['epoch']}.{value['fraction']:09d} {value.get('timezone') or 1440}"
    if kind == "date":
        return str((value - datetime.date(1970, 1, 1)).days)
    if kind == "time":
        return f"{value // 1_000_000_000}.{value % 1_000_000_000:09d}"
    if kind == "boolean":
        return "1" if value else "0"
    if kind == "binary":
        return bytes(value).hex().upper()
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def as_json(data: dict[str, Any]) -> dict[str, Any]:
    if data.get("queryResultFormat") != "arrow":
        rows = data.get("rowset") or []
        return {**data, "rowset": rows, "version": 1, "returned": len(rows)}
    rows = []
    if data.get("rowsetBase64"):
        table = pa.ipc.open_stream(base64.b64decode(data["rowsetBase64"])).read_all()
        kinds = [column["type"].lower() for column in data["rowtype"]]
        rows = [[cell(value, kinds[i]) for i, value in enumerate(row.values())] for row in table.to_pylist()]
    out = {k: v for k, v in data.items() if k != "rowsetBase64"}
    out.update(queryResultFormat="json", rowset=rows, version=1, returned=len(rows), total=len(rows))
    return out


seen: list[dict[str, Any]] = []
aborts: list[dict[str, Any]] = []
procedures: list[str] = []
OVERWRITE = re.compile(r"\boverwrite\s*=\s*true\b", re.IGNORECASE)
PROCEDURE = re.compile(r"^\s*create\s+(or\s+replace\s+)?procedure\s", re.IGNORECASE)


def success(status: str) -> JSONResponse:
    rowtype = [{"name": "status", "type": "text", "nullable": True, "length": 256, "precision": None, "scale": None}]
    data = {"rowtype": rowtype, "rowset": [[status]], "total": 1, "returned": 1, "version": 1, "queryResultFormat": "json", "queryId": f"procedure-{len(procedures)}", "statementTypeId": 0x3000}
    return JSONResponse({"data": data, "success": True})


async def body_of(request: Request) -> dict[str, Any]:
    sent = await request.body()
    if request.headers.get("Content-Encoding") == "gzip":
        sent = gzip.decompress(sent)
    return json.loads(sent) if sent else {}


async def query_request(request: Request) -> JSONResponse:
    sent = await body_of(request)
    sql = sent.get("sqlText", "")
    parameters = sent.get("parameters") or {}
    seen.append({"sql": sql, "queryTag": parameters.get("QUERY_TAG"), "parameters": parameters})
    if PROCEDURE.match(sql):
        procedures.append(sql)
        return success("Function successfully created.")
    if session_parameters_taught(sql):
        return success("Statement executed successfully.")
    response = await server.query_request(request)
    body = json.loads(response.body)
    if response.status_code >= 500:
        code = body.get("code") or "261000"
        return JSONResponse({"success": False, "code": code, "message": body.get("message"), "data": {"errorCode": code, "sqlState": "XX000"}})
    data = body.get("data")
    if body.get("success") and isinstance(data, dict):
        if isinstance(data.get("stageInfo"), dict):
            data["stageInfo"].setdefault("region", "us-central1")
            data["stageInfo"].setdefault("useRegionalUrl", False)
            data["overwrite"] = bool(OVERWRITE.search(sql))
        else:
            body["data"] = as_json(data)
    return JSONResponse(body, status_code=response.status_code)


async def abort_request(request: Request) -> JSONResponse:
    aborts.append(await body_of(request))
    return JSONResponse({"success": True})


def listing(values: list[Any]) -> Any:
    async def endpoint(_request: Request) -> JSONResponse:
        return JSONResponse(values)

    return endpoint


routes = [
    Route(r.path, query_request, methods=["POST"]) if r.path == "/queries/v1/query-request"
    else Route(r.path, abort_request, methods=["POST"]) if r.path == "/queries/v1/abort-request"
    else r
    for r in server.routes
]
routes.append(Route("/floe-test/statements", listing(seen), methods=["GET"]))
routes.append(Route("/floe-test/aborts", listing(aborts), methods=["GET"]))
routes.append(Route("/floe-test/procedures", listing(procedures), methods=["GET"]))

if __name__ == "__main__":
    uvicorn.run(Starlette(routes=routes), host=sys.argv[1], port=int(sys.argv[2]), log_level="warning")
