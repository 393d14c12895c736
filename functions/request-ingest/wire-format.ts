/**
 * Snowflake's external-function wire format, as API Gateway's proxy integration delivers it: a
 * POST with `{"data": [[rowNumber, …args], …]}`, answered `{"data": [[rowNumber, result], …]}`; an
 * answer of 202 makes Snowflake poll with GETs that carry the same headers and no body.
 * @see https://docs.snowflake.com/en/sql-reference/external-functions-data-format
 * @see https://docs.snowflake.com/sql-reference/external-functions-implementation
 */

/** The header Snowflake sets on every call of one batch, retries and polls included. */
export const BATCH_ID_HEADER = 'sf-external-function-query-batch-id';

/** The header naming the query that called the function: the same on every batch of the query. */
export const QUERY_ID_HEADER = 'sf-external-function-current-query-id';

/** What API Gateway's proxy integration hands the function (only the fields used here). */
export interface ProxyRequest {
  httpMethod?: string;
  headers?: Readonly<Record<string, string | undefined>> | null;
  body?: string | null;
  isBase64Encoded?: boolean;
}

export interface ProxyResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** One row of FLOE_INGEST(source, tables, options), not yet checked. */
export interface RowRequest {
  rowNumber: number;
  source: unknown;
  tables: unknown;
  options: unknown;
}

/** The call cannot be understood at all: answered 400, nothing requested. */
export class BadRequest extends Error {
  override readonly name = 'BadRequest';
}

export function respond(statusCode: number, body: object): ProxyResponse {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

export function header(request: ProxyRequest, name: string): string | undefined {
  for (const [key, value] of Object.entries(request.headers ?? {})) {
    if (key.toLowerCase() === name && value !== undefined && value !== '') return value;
  }
  return undefined;
}

/** Snowflake's poll of an earlier 202. */
export function isPoll(request: ProxyRequest): boolean {
  return request.httpMethod?.toUpperCase() === 'GET';
}

/** `{"data": [[rowNumber, source, tables, options], …]}`; anything else throws {@link BadRequest}. */
export function parseRows(request: ProxyRequest): RowRequest[] {
  if (request.body === undefined || request.body === null || request.body === '') {
    throw new BadRequest('empty body: expected {"data": [[rowNumber, source, tables, options], ...]}');
  }
  const text = request.isBase64Encoded ? Buffer.from(request.body, 'base64').toString('utf8') : request.body;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text) as unknown;
  } catch {
    throw new BadRequest('body is not valid JSON: expected {"data": [[rowNumber, source, tables, options], ...]}');
  }
  const data = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as { data?: unknown }).data : undefined;
  if (!Array.isArray(data)) throw new BadRequest('body must be {"data": [[rowNumber, source, tables, options], ...]}: "data" is missing or not an array');
  const seen = new Set<number>();
  return data.map((row: unknown, index) => {
    if (!Array.isArray(row)) throw new BadRequest(`data[${index}] must be an array [rowNumber, source, tables, options]`);
    const [rowNumber, source = null, tables = null, options = null] = row as unknown[];
    if (typeof rowNumber !== 'number' || !Number.isInteger(rowNumber) || rowNumber < 0) {
      throw new BadRequest(`data[${index}][0] must be the row number (a non-negative integer)`);
    }
    if (seen.has(rowNumber)) throw new BadRequest(`data[${index}]: row number ${rowNumber} appears twice`);
    seen.add(rowNumber);
    return { rowNumber, source, tables, options };
  });
}
