import { readFile } from 'node:fs/promises';

import { S3Client } from '@aws-sdk/client-s3';

import { printable } from '../config/index.js';
import { findLocalJobLogs } from '../storage/local.js';
import { readS3JobLogs } from '../storage/s3.js';

/** One run's extraction log: where it is, and its lines. */
export interface JobLog {
  location: string;
  lines: string[];
}

/**
 * The extraction job's log of one run, from a local raw folder or from S3 (reached with the AWS
 * SDK's usual credentials and region):
 * `RAW_ROOT/_logs/{engine}/{database}/{table}/{YYYY-MM-DD}/{run-id}.jsonl`
 * (see glue/README.md, "Layout"). The date is the job's run time, which floe
 * does not keep, so every date folder of the table is looked at.
 *
 * Returns the logs in path order: normally one, more only if the same run id
 * was extracted again on another day.
 */
export async function readJobLogs(rawRoot: string, database: string, table: string, runId: string): Promise<JobLog[]> {
  const linesOf = (text: string): string[] => text.split('\n').filter((line) => line.trim() !== '');
  if (rawRoot.startsWith('s3://')) {
    return (await readS3JobLogs(new S3Client({}), rawRoot, database, table, runId)).map(({ url, text }) => ({ location: url, lines: linesOf(text) }));
  }
  const found: JobLog[] = [];
  for (const file of await findLocalJobLogs(rawRoot, database, table, runId)) found.push({ location: file, lines: linesOf(await readFile(file, 'utf8')) });
  return found;
}

/** Fields every record repeats (the run's identity); `floe logs` names the run once instead. */
const CONTEXT_KEYS = new Set(['ts', 'level', 'event', 'runId', 'engine', 'database', 'table']);

/**
 * One log line for a person: `ts level event key=value …`. Strings without
 * spaces, quotes or `=` are printed bare, anything else as JSON. A line that is
 * not a JSON object is returned as it is. Either way the line is made printable
 * (config/printable.ts): a value or a corrupt line holding ESC or a newline
 * reaches the terminal escaped.
 */
export function formatJobLogLine(line: string): string {
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch {
    return printable(line);
  }
  if (typeof record !== 'object' || record === null || Array.isArray(record)) return printable(line);
  const fields = record as Record<string, unknown>;
  const pairs = Object.entries(fields)
    .filter(([key]) => !CONTEXT_KEYS.has(key))
    .map(([key, value]) => `${key}=${formatValue(value)}`);
  return printable([fields['ts'], fields['level'], fields['event']].map((v) => (v === undefined ? '-' : String(v))).concat(pairs).join(' '));
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"'=]+$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value) ?? String(value);
}
