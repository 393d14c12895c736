import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';

import type { FloeConfig } from '../config/index.js';
import { DEFAULT_STATEMENT_TIMEOUT_SECONDS } from '../warehouse/snowflake-connection.js';
import { openSnowflakeSession } from '../warehouse/snowflake-from-config.js';
import { verifyRunSelect } from './verify/values.js';
import { verifyManifest, verifySnowflake, VERIFY_SCHEMA_PREFIX, type VerifyCheck, type VerifyRun } from './verify/snowflake.js';
import { EXIT } from './error-report.js';
import { formatVerifyLine, ok, summary, verifyExitCode, type VerifyLine } from './verify-line.js';

/** Writes the verify table's two runs as Parquet, laid out as the extraction job lays out files, with DuckDB. */
async function writeVerifyRuns(rawRoot: string): Promise<[VerifyRun, VerifyRun]> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const runs: VerifyRun[] = [];
    for (const [index, changed] of [false, true].entries()) {
      const runId = `verify-r${index + 1}`;
      const path = `PostgreSQL/floe_verify/types/2025-11-06/01/${runId}-0.parquet`;
      const file = join(rawRoot, path);
      await mkdir(dirname(file), { recursive: true });
      // The path is this command's own temporary folder: COPY takes no bound target.
      await connection.run(`copy (${verifyRunSelect(changed)}) to '${file.replaceAll("'", "''")}' (format parquet)`);
      runs.push({ manifest: verifyManifest(runId, path, changed ? 1 : 2, `2025-11-06T0${index + 1}:00:00+00:00`), rawRoot });
    }
    return [runs[0]!, runs[1]!];
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** A check as the report's line: `ok` with what was seen, or `FAIL` with Snowflake's own words. */
function verifyLineOf(check: VerifyCheck): VerifyLine {
  return check.ok ? ok(check.check, check.detail) : { status: 'FAIL', check: check.check, detail: check.detail };
}

/**
 * `floe snowflake verify`: the account self-test (cli/verify/snowflake.ts), in a scratch
 * schema of floe's database that it drops at the end. Prints one line per check; exits 1 when any
 * failed. FLOE_INGEST is called (for a source that does not exist) when the config has `ingestUrl`.
 */
export async function verifyCommand(config: FloeConfig, write: (line: string) => void): Promise<number> {
  const folder = await mkdtemp(join(tmpdir(), 'floe-verify-'));
  try {
    const runs = await writeVerifyRuns(join(folder, 'raw'));
    const session = await openSnowflakeSession(config);
    try {
      const checks = await verifySnowflake({
        session,
        scratch: `${VERIFY_SCHEMA_PREFIX}${randomBytes(4).toString('hex')}`,
        runs,
        statementTimeoutSeconds: config.snowflake?.statementTimeoutSeconds ?? DEFAULT_STATEMENT_TIMEOUT_SECONDS,
        ...(config.snowflake?.ingestUrl === undefined ? {} : { ingest: { source: `floe-verify-no-such-source-${randomBytes(3).toString('hex')}` } }),
        ...(config.raw.startsWith('s3://') ? { rawRoot: config.raw } : {}),
      });
      const lines = checks.map(verifyLineOf);
      for (const line of lines) write(formatVerifyLine(line));
      const code = verifyExitCode(lines);
      write(`${summary(lines)}${code === EXIT.ok ? '' : ': report these lines (they hold Snowflake’s own error text) with your floe version'}`);
      return code;
    } finally {
      await session.close();
    }
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}
