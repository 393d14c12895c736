import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { DuckDBInstance } from '@duckdb/node-api';

import type { Project } from './project.js';

/** What the warehouse, the state and the source say after a run, checked against each other. */
export interface Assessment {
  sourceRows: number;
  stagingRows: number;
  /** Keys whose row checksum differs, or that only one side has. */
  checksumMismatches: string[];
  /** (run, file, row) triples raw holds more than once. */
  rawDuplicateRows: number;
  /** Runs whose rows in raw differ from their manifest's total: loaded twice, or in part. */
  runsLoadedWrongly: string[];
  goldModel: string;
  /** Whether gold's one row agrees with staging (a stale gold table does not). */
  goldFresh: boolean;
  watermark: string | null;
  sourceWatermark: string;
  activeRun: string | null;
  /** Rows of each run in raw, by run id. */
  rawRowsByRun: Map<string, number>;
}

/** Opens the DuckDB file read-only; no floe process may be running on it. */
async function withWarehouse<T>(file: string, work: (query: (sql: string) => Promise<Record<string, unknown>[]>) => Promise<T>): Promise<T> {
  const instance = await DuckDBInstance.create(file, { access_mode: 'READ_ONLY' });
  const connection = await instance.connect();
  try {
    return await work(async (sql) => (await connection.runAndReadAll(sql)).getRowObjectsJS());
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/**
 * Staging against the source, row by row (md5 of the canonical text, computed in each database);
 * raw against the manifests; gold against staging; the committed watermark against the source's
 * largest `updated_at`; and the table's lease.
 */
export async function assess(project: Project): Promise<Assessment> {
  const source = await project.source.checksums();
  const raw = `raw."${project.warehouseTable}"`;
  const staging = `staging."${project.warehouseTable}"`;
  const warehouse = await withWarehouse(project.warehouseFile, async (query) => ({
    staging: await query(
      `select id::varchar as id, md5(concat_ws('|', id::varchar, coalesce(label, '∅'), amount::varchar,
         strftime(updated_at, '%Y-%m-%d %H:%M:%S.%f'))) as sum from ${staging}`,
    ),
    duplicates: await query(`select count(*)::integer as n from (select 1 from ${raw} group by "_floe_run_id", "_floe_file", "_floe_row" having count(*) > 1)`),
    byRun: await query(`select "_floe_run_id" as run_id, count(*)::integer as n from ${raw} group by all`),
    gold: await query(
      `select (select row_count from gold."${project.goldModel}") = (select count(*) from ${staging})
          and (select amount_total from gold."${project.goldModel}") = (select sum(amount) from ${staging}) as fresh`,
    ),
  }));
  const staged = new Map(warehouse.staging.map((row) => [String(row['id']), String(row['sum'])]));
  const mismatches = [...new Set([...source.keys(), ...staged.keys()])].filter((key) => source.get(key) !== staged.get(key));
  const rawRowsByRun = new Map(warehouse.byRun.map((row) => [String(row['run_id']), Number(row['n'])]));
  const runsLoadedWrongly: string[] = [];
  for (const [runId, rows] of rawRowsByRun) {
    const manifest = JSON.parse(await readFile(join(project.rawRoot, '_manifests', `${runId}.json`), 'utf8')) as { totalRows: number };
    if (manifest.totalRows !== rows) runsLoadedWrongly.push(`${runId}: ${rows} rows in raw, manifest ${manifest.totalRows}`);
  }
  const tableState = await project.state.getTableState(project.sourceName, project.table);
  return {
    sourceRows: source.size,
    stagingRows: staged.size,
    checksumMismatches: mismatches,
    rawDuplicateRows: Number(warehouse.duplicates[0]?.['n'] ?? -1),
    runsLoadedWrongly,
    goldModel: project.goldModel,
    goldFresh: warehouse.gold[0]?.['fresh'] === true,
    watermark: tableState.watermark,
    sourceWatermark: await project.source.maxWatermark(),
    activeRun: tableState.activeRun?.runId ?? null,
    rawRowsByRun,
  };
}

/** What is wrong after a run that should have recovered everything; empty when all holds. */
export function problemsIn(assessment: Assessment): string[] {
  const a = assessment;
  const problems: string[] = [];
  if (a.stagingRows !== a.sourceRows) problems.push(`staging has ${a.stagingRows} rows, the source ${a.sourceRows}`);
  if (a.checksumMismatches.length > 0) problems.push(`rows differ from the source, keys: ${a.checksumMismatches.slice(0, 10).join(', ')}`);
  if (a.rawDuplicateRows !== 0) problems.push(`raw holds ${a.rawDuplicateRows} (run, file, row) more than once`);
  problems.push(...a.runsLoadedWrongly.map((run) => `raw disagrees with the manifest of run ${run}`));
  if (!a.goldFresh) problems.push(`gold.${a.goldModel} does not agree with staging`);
  if (a.watermark !== a.sourceWatermark) problems.push(`the watermark is ${a.watermark ?? 'null'}, the source's largest updated_at ${a.sourceWatermark}`);
  if (a.activeRun !== null) problems.push(`run ${a.activeRun} still holds the lease`);
  return problems;
}

/** One line of the suite's report. */
export interface ReportRow {
  point: string;
  faulted: string;
  leftBehind: string;
  unlock: string;
  recovery: string;
  rows: string;
  checksums: string;
  raw: string;
  watermark: string;
}

const HEADERS: Record<keyof ReportRow, string> = {
  point: 'kill point',
  faulted: 'faulted run',
  leftBehind: 'left behind',
  unlock: 'unlock',
  recovery: 'next run',
  rows: 'rows source/staging',
  checksums: 'checksums equal',
  raw: 'raw: no row/run twice',
  watermark: 'watermark = source max',
};

export function reportRow(point: string, parts: Omit<ReportRow, 'point' | 'rows' | 'checksums' | 'raw' | 'watermark'>, assessment: Assessment | null): ReportRow {
  return {
    point,
    ...parts,
    rows: assessment ? `${assessment.sourceRows}/${assessment.stagingRows}` : '-',
    checksums: assessment ? (assessment.checksumMismatches.length === 0 ? 'yes' : `NO (${assessment.checksumMismatches.length} rows)`) : '-',
    raw: assessment ? (assessment.rawDuplicateRows === 0 && assessment.runsLoadedWrongly.length === 0 ? 'yes' : 'NO') : '-',
    watermark: assessment ? (assessment.watermark === assessment.sourceWatermark ? 'yes' : `NO (${assessment.watermark ?? 'null'})`) : '-',
  };
}

/** The report as a text table, one line per row. */
export function formatReport(title: string, rows: readonly ReportRow[]): string {
  const keys = Object.keys(HEADERS) as (keyof ReportRow)[];
  const widths = keys.map((key) => Math.max(HEADERS[key].length, ...rows.map((row) => row[key].length)));
  const line = (cells: string[]): string => cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [title, line(keys.map((key) => HEADERS[key])), line(widths.map((w) => '-'.repeat(w))), ...rows.map((row) => line(keys.map((key) => row[key])))].join('\n');
}
