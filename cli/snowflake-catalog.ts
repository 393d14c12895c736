import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { ConfigError, type FloeConfig, type TableConfig } from '../config/index.js';
import type { ManifestLike } from '../warehouse/table-description.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CONNECTION_VARIABLE = 'FLOE_DESCRIBE_CONNECTION';
const ERROR_PREFIX = 'describe-columns: error: ';

/** The Python the extraction job runs with: FLOE_PYTHON, else the project's `.venv`, else python3. */
function python(): string {
  const fromEnv = process.env['FLOE_PYTHON'];
  if (fromEnv) return fromEnv;
  const venv = join(REPO_ROOT, '.venv', 'bin', 'python');
  return existsSync(venv) ? venv : 'python3';
}

/**
 * A table's columns as its first extraction will describe them, read from the source's catalog by
 * the extraction job's own code (`glue/describe_columns.py`: same catalog query, same Arrow types),
 * so the tables and procedures `floe snowflake ddl` makes before any run match what the run lands.
 * The connection reaches the child through its environment, never its command line.
 */
export async function catalogColumns(config: FloeConfig, table: TableConfig): Promise<ManifestLike['columns']> {
  const source = config.sources.find((candidate) => candidate.name === table.source);
  if (source === undefined) throw new ConfigError(`table ${table.source}/${table.table}: no source ${table.source}`);
  const child = spawn(python(), [join(REPO_ROOT, 'glue', 'describe_columns.py'), '--engine', source.engine, '--connection', `env:${CONNECTION_VARIABLE}`, '--table', table.table], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, [CONNECTION_VARIABLE]: source.connection },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const code = await new Promise<number>((done) => {
    child.on('error', () => done(127));
    child.on('close', (exit) => done(exit ?? 1));
  });
  if (code !== 0) {
    const reason = stderr.split('\n').find((line) => line.startsWith(ERROR_PREFIX))?.slice(ERROR_PREFIX.length) ?? `the describer exited with code ${code}`;
    throw new ConfigError(`table ${table.source}/${table.table}: reading its columns from the source failed: ${reason}`);
  }
  return (JSON.parse(stdout) as { columns: ManifestLike['columns'] }).columns;
}
