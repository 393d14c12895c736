import { join } from 'node:path';
import type { SnowflakeConnectionSettings } from '../warehouse/snowflake-connection.js';
import { startLoopbackServer, VENV_BIN } from './loopback-server.js';

/**
 * fakesnow 0.12.1 answers every statement but DML in Arrow IPC (`rowsetBase64`), which only the
 * Python connector reads; the Node driver fails on it ("Cannot read properties of undefined
 * (reading 'length')"), even for CREATE TABLE. Real Snowflake can answer in Snowflake's JSON
 * result format, which the Node driver reads. This starter runs fakesnow's own app with one change:
 * its query responses are re-encoded from Arrow into that JSON format (same rows, same rowtype:
 * numbers as text, timestamps as `epoch.fraction [offset+1440]`, dates as days, binary as hex).
 * Statements are still parsed, executed and answered by fakesnow. One more change: fakesnow
 * answers a statement it cannot run with HTTP 500, which the Node driver retries without end; it
 * is passed on as a failed statement (Snowflake's error JSON) carrying fakesnow's message. For
 * tests, it also records each statement's text and the QUERY_TAG the driver sent with it
 * (fakesnow itself ignores statement parameters), served at GET /floe-test/statements.
 */
const SERVE_AS_JSON = `
import base64, datetime, gzip, json, sys
import pyarrow as pa
import uvicorn
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route
import fakesnow.server as server

def cell(value, kind):
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

def as_json(data):
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

seen = []

async def query_request(request):
    sent = await request.body()
    if request.headers.get("Content-Encoding") == "gzip":
        sent = gzip.decompress(sent)
    sent = json.loads(sent)
    seen.append({"sql": sent.get("sqlText", ""), "queryTag": (sent.get("parameters") or {}).get("QUERY_TAG")})
    response = await server.query_request(request)
    body = json.loads(response.body)
    if response.status_code >= 500:
        # fakesnow answers an unsupported statement with HTTP 500, which the Node driver retries
        # forever; answer it as Snowflake answers a failed statement, so the error surfaces.
        code = body.get("code") or "261000"
        return JSONResponse({"success": False, "code": code, "message": body.get("message"), "data": {"errorCode": code, "sqlState": "XX000"}})
    if body.get("success") and isinstance(body.get("data"), dict):
        body["data"] = as_json(body["data"])
    return JSONResponse(body, status_code=response.status_code)

async def statements_seen(_request):
    return JSONResponse(seen)

routes = [Route(r.path, query_request, methods=["POST"]) if r.path == "/queries/v1/query-request" else r for r in server.routes]
routes.append(Route("/floe-test/statements", statements_seen, methods=["GET"]))
uvicorn.run(Starlette(routes=routes), host=sys.argv[1], port=int(sys.argv[2]), log_level="warning")
`;

/** A fakesnow server of this test file's own, on a free loopback port. */
export interface FakesnowServer {
  /** Connection settings for `SnowflakeSession.open`: loopback, plain HTTP, dummy password. */
  settings(database: string): SnowflakeConnectionSettings;
  /** Every statement the server received so far, with the query tag the driver sent with it. */
  statementsSeen(): Promise<{ sql: string; queryTag: string | null }[]>;
  stop(): Promise<void>;
}

/**
 * Starts fakesnow on 127.0.0.1 and resolves once it accepts a login. Each test file starts its
 * own; every server keeps its databases in memory, so files never share tables.
 */
export async function startFakesnow(): Promise<FakesnowServer> {
  const server = await startLoopbackServer({
    name: 'fakesnow',
    command: join(VENV_BIN, 'python'),
    args: (port) => ['-c', SERVE_AS_JSON, '127.0.0.1', String(port)],
    isUp: async (port) =>
      (await fetch(`http://127.0.0.1:${port}/session/v1/login-request`, { method: 'POST', body: JSON.stringify({ data: { SESSION_PARAMETERS: {} } }) })).ok,
    timeoutMs: 30_000,
  });
  const { port } = server;
  return {
    settings: (database) => ({
      account: 'floe-test',
      username: 'floe',
      database,
      credentials: { password: 'fakesnow-accepts-any' },
      endpoint: { host: '127.0.0.1', port, protocol: 'http' },
    }),
    statementsSeen: async () => (await (await fetch(`http://127.0.0.1:${port}/floe-test/statements`)).json()) as { sql: string; queryTag: string | null }[],
    stop: () => server.stop(),
  };
}
