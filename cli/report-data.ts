import type { SelectedTable } from '../config/index.js';
import type { CheckCompleted } from '../events/index.js';
import type { RunRecord, StateStore } from '../state/index.js';
import { tableStatus, type TableStatus } from './status.js';

/** How many of a table's newest runs the report shows. */
export const REPORT_RUNS = 20;

/** One table as the report shows it: its status (as `floe status --json` has it), its last runs, its last check. */
export interface TableReport {
  status: TableStatus;
  runs: RunRecord[];
  lastCheck: CheckCompleted | null;
}

/** Everything `floe report` renders, read once from the state store (and the local event log, for checks). */
export interface ReportData {
  generatedAt: string;
  tables: TableReport[];
}

/**
 * Reads the report's facts: each selected table's status and newest runs from the state store,
 * and its newest CheckCompleted from `checks` (the local event log; none on AWS, where checks are
 * events for subscribers).
 */
export async function readReportData(
  state: StateStore,
  tables: readonly SelectedTable[],
  checks: readonly CheckCompleted[],
  now: Date,
): Promise<ReportData> {
  const reports: TableReport[] = [];
  for (const selected of tables) {
    const source = selected.source.name;
    const table = selected.table.name;
    const status = await tableStatus(state, selected, now);
    const runs = await state.listRuns({ source, table, limit: REPORT_RUNS });
    const lastCheck = checks.filter((check) => check.source === source && check.table === table).at(-1) ?? null;
    reports.push({ status, runs, lastCheck });
  }
  return { generatedAt: now.toISOString(), tables: reports };
}
